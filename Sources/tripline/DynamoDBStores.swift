import TriplineAWS
import TriplineService

/// The DynamoDB-backed stores behind `--table`: the same table (and layout) the Lambda function uses, so
/// `tripline findings list --table T` shows what the deployed function recorded.
enum DynamoDBStores {
    static func make(table: String, client: AWSClient) -> (findings: any FindingStore, checkpoints: any CheckpointStore) {
        let dynamo = DynamoDBClient(client)
        return (DynamoDBFindingStore(dynamo: dynamo, table: table), DynamoDBCheckpointStore(dynamo: dynamo, table: table))
    }
}
