import CZlib
import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineRules
import TriplineTestSupport

@testable import TriplineService

// MARK: - Events

/// The built-in catalog, compiled once per test process.
let catalog = RuleCatalog.builtIn
let stopLoggingRule = "tripline.cloudtrail.logging-stopped"

/// A rule's first positive embedded test event: real CloudTrail shapes, maintained with the rule.
func positiveEvent(_ ruleID: String) -> JSONValue {
    let rule = catalog.rules.first { $0.id == ruleID }!
    return rule.tests.first { $0.expect }!.event
}

/// Replaces (or adds) the member at a dotted path.
func setting(_ value: JSONValue, _ path: String, _ new: JSONValue) -> JSONValue {
    let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
    guard case .object(var members) = value else { return value }
    let child = members.first { $0.0 == parts[0] }?.1 ?? .object([])
    let replaced = parts.count == 1 ? new : setting(child, parts[1], new)
    if let i = members.firstIndex(where: { $0.0 == parts[0] }) { members[i].1 = replaced } else { members.append((parts[0], replaced)) }
    return .object(members)
}

/// A StopLogging call on `trail` (rule tripline.cloudtrail.logging-stopped, high; dedup by account + trail name).
func stopLogging(trail: String, at epoch: Int, id: String = UUID().uuidString.lowercased(), account: String = "123456789012") -> JSONValue {
    var e = positiveEvent(stopLoggingRule)
    e = setting(e, "eventID", .string(id))
    e = setting(e, "eventTime", .string(EventTime.iso8601(epoch)))
    e = setting(e, "requestParameters.name", .string(trail))
    e = setting(e, "recipientAccountId", .string(account))
    return e
}

/// An ordinary read-only call no rule cares about.
func noise(at epoch: Int, n: Int) -> JSONValue {
    [
        "eventVersion": "1.09",
        "userIdentity": ["type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/app", "accountId": "123456789012"],
        "eventTime": .string(EventTime.iso8601(epoch)), "eventSource": "ec2.amazonaws.com", "eventName": "DescribeInstances",
        "awsRegion": "us-east-1", "sourceIPAddress": .string("10.0.0.\(n % 250)"), "userAgent": "aws-sdk-go-v2/1.30",
        "requestParameters": ["maxResults": 5], "eventID": .string(UUID().uuidString.lowercased()), "readOnly": true,
        "eventType": "AwsApiCall", "recipientAccountId": "123456789012",
    ]
}

func logFile(_ events: [JSONValue]) -> [UInt8] {
    var out: [UInt8] = []
    JSONValue.object([("Records", .array(events))]).write(to: &out)
    return out
}

/// The EventBridge envelope CloudTrail events arrive in.
func eventBridgeEnvelope(_ event: JSONValue) -> JSONValue {
    [
        "version": "0", "id": .string(UUID().uuidString.lowercased()), "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.cloudtrail", "account": "123456789012", "time": event["eventTime"] ?? "", "region": "us-east-1",
        "resources": [], "detail": event,
    ]
}

/// Raw findings for events, as the handler's engine produces them.
func findings(_ events: [JSONValue], path: String = "test") -> [Finding] {
    var processor = EventProcessor(engine: Engine(rules: catalog.rules))
    var out: [Finding] = []
    var problems: [InputProblem] = []
    var stats = ScanStats()
    let bytes = logFile(events)
    bytes.withUnsafeBufferPointer { _ = processor.process($0, path: path, findings: &out, problems: &problems, stats: &stats) }
    return out
}

func nowEpoch() -> Int { Int(Date().timeIntervalSince1970) }

// MARK: - gzip

func gzip(_ input: [UInt8]) -> [UInt8] {
    var stream = z_stream()
    precondition(deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK)
    defer { deflateEnd(&stream) }
    var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
    var input = input
    let produced: Int = input.withUnsafeMutableBufferPointer { inp in
        output.withUnsafeMutableBufferPointer { out in
            stream.next_in = inp.baseAddress
            stream.avail_in = UInt32(inp.count)
            stream.next_out = out.baseAddress
            stream.avail_out = UInt32(out.count)
            precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
            return out.count - Int(stream.avail_out)
        }
    }
    return Array(output[..<produced])
}

// MARK: - moto

let motoEnvironment: @Sendable (MotoServer) -> [String: String] = { server in
    [
        "AWS_ENDPOINT_URL": server.endpoint, "AWS_ACCESS_KEY_ID": MotoServer.accessKeyId,
        "AWS_SECRET_ACCESS_KEY": MotoServer.secretAccessKey, "AWS_REGION": MotoServer.region,
    ]
}

func motoClient(_ server: MotoServer) -> AWSClient {
    AWSClient(
        region: MotoServer.region,
        credentials: StaticCredentialProvider(accessKeyId: MotoServer.accessKeyId, secretAccessKey: MotoServer.secretAccessKey),
        endpoint: server.endpoint, timeout: .seconds(30))
}

/// Creates the findings table as the deploy templates define it (`pk`/`sk`, GSI `gsi1`, TTL `expires_at`).
///
/// The AWS client's CreateTable has no index parameter (the function never creates tables), so this test-only call
/// is written by hand. moto with authentication off routes by the credential scope and does not check signatures.
func createFindingsTable(_ server: MotoServer, _ name: String) throws {
    let body = """
        {"TableName":"\(name)","BillingMode":"PAY_PER_REQUEST",
         "AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"S"},
           {"AttributeName":"gsi1pk","AttributeType":"S"},{"AttributeName":"gsi1sk","AttributeType":"S"}],
         "KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],
         "GlobalSecondaryIndexes":[{"IndexName":"gsi1","KeySchema":[{"AttributeName":"gsi1pk","KeyType":"HASH"},
           {"AttributeName":"gsi1sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]}
        """
    for (target, payload) in [
        ("CreateTable", body),
        ("UpdateTimeToLive", #"{"TableName":"\#(name)","TimeToLiveSpecification":{"AttributeName":"expires_at","Enabled":true}}"#),
    ] {
        let r = try rawHTTP(
            port: server.port, method: "POST", path: "/",
            headers: [
                "Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "DynamoDB_20120810.\(target)",
                "X-Amz-Date": "20260101T000000Z",
                "Authorization": "AWS4-HMAC-SHA256 Credential=\(MotoServer.accessKeyId)/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=\(String(repeating: "0", count: 64))",
            ],
            body: Array(payload.utf8))
        guard r.status == 200 else {
            throw MotoSetupError(description: "\(target) answered \(r.status): \(String(decoding: r.body, as: UTF8.self))")
        }
    }
}

struct MotoSetupError: Error, CustomStringConvertible { var description: String }

/// Polls a queue until `count` messages arrived or `seconds` passed, deleting what it reads.
func drain(_ sqs: SQSClient, _ queue: String, count: Int, seconds: Double = 10) async throws -> [SQSMessage] {
    var found: [SQSMessage] = []
    let deadline = Date().addingTimeInterval(seconds)
    while found.count < count, Date() < deadline {
        for m in try await sqs.receiveMessage(queueUrl: queue, maxMessages: 10, waitTimeSeconds: 1) {
            try await sqs.deleteMessage(queueUrl: queue, receiptHandle: m.receiptHandle)
            found.append(m)
        }
    }
    return found
}

/// The Lambda SQS event for received messages (what the event source mapping would send).
func lambdaSQSEvent(_ messages: [SQSMessage], queueArn: String) -> [UInt8] {
    lambdaSQSEvent(messages.map { ($0.messageId, $0.body) }, queueArn: queueArn)
}

func lambdaSQSEvent(_ messages: [(id: String, body: String)], queueArn: String) -> [UInt8] {
    let records: [JSONValue] = messages.map { m in
        [
            "messageId": .string(m.id), "receiptHandle": .string("handle-" + m.id), "body": .string(m.body),
            "attributes": ["ApproximateReceiveCount": "1"], "messageAttributes": [:], "md5OfBody": "",
            "eventSource": "aws:sqs", "eventSourceARN": .string(queueArn), "awsRegion": "us-east-1",
        ]
    }
    var out: [UInt8] = []
    JSONValue.object([("Records", .array(records))]).write(to: &out)
    return out
}

/// One alert as it arrives in a queue subscribed to the topic (SNS Notification envelope).
struct CapturedAlert {
    var subject: String
    var message: String
    var attributes: [String: String]

    init(_ m: SQSMessage) throws {
        let envelope = try JSONValue.parse(m.body)
        subject = envelope["Subject"]?.stringValue ?? ""
        message = envelope["Message"]?.stringValue ?? ""
        var attributes: [String: String] = [:]
        for (name, value) in envelope["MessageAttributes"]?.objectValue ?? [] { attributes[name] = value["Value"]?.stringValue }
        self.attributes = attributes
    }
}

/// Everything one test needs on moto: its own bucket, queues, topic and table.
struct MotoStack {
    let server: MotoServer
    let client: AWSClient
    let table: String
    let topicArn: String
    let alerts: String  // queue subscribed to the topic
    var s3: S3Client { S3Client(client) }
    var sqs: SQSClient { SQSClient(client) }
    var dynamo: DynamoDBClient { DynamoDBClient(client) }
    var store: DynamoDBFindingStore { DynamoDBFindingStore(dynamo: dynamo, table: table) }

    /// On the shared moto, or on `server` (a load test takes a dedicated one so as not to starve the others).
    static func make(on dedicated: MotoServer? = nil) async throws -> MotoStack {
        let server = if let dedicated { dedicated } else { try await MotoServer.shared() }
        let client = motoClient(server)
        let table = uniqueName("tripline-findings")
        try createFindingsTable(server, table)
        let sns = SNSClient(client)
        let topic = try await sns.createTopic(name: uniqueName("tripline-alerts"))
        let alerts = try await SQSClient(client).createQueue(name: uniqueName("tripline-alert-capture"))
        try await sns.subscribe(topicArn: topic, protocol: "sqs", endpoint: try await SQSClient(client).queueArn(queueUrl: alerts))
        return MotoStack(server: server, client: client, table: table, topicArn: topic, alerts: alerts)
    }

    /// Environment for `TriplineHandler.live`, as the deploy templates set it. Minimum severity high: StopLogging
    /// also fires a medium rule (trail configuration changed), which is then recorded rather than sent.
    func environment(_ extra: [String: String] = [:]) -> [String: String] {
        motoEnvironment(server).merging([
            "DYNAMODB_TABLE": table, "ALERT_SNS_ARN": topicArn, "LOG_LEVEL": "error", "TRIPLINE_MIN_SEVERITY": "high",
        ]) { $1 }
            .merging(extra) { $1 }
    }

    /// A bucket whose ObjectCreated notifications go to a new queue; returns (bucket, queue url, queue arn).
    func bucketWithNotifications() async throws -> (String, String, String) {
        let bucket = uniqueName("tripline-trail")
        try await s3.createBucket(bucket)
        let queue = try await sqs.createQueue(name: uniqueName("tripline-ingest"))
        let arn = try await sqs.queueArn(queueUrl: queue)
        try await s3.putBucketNotificationConfiguration(
            bucket: bucket, queues: [S3QueueNotification(id: "trail", queueArn: arn, prefix: "AWSLogs/")])
        return (bucket, queue, arn)
    }

    func capturedAlerts(expecting count: Int, seconds: Double = 8) async throws -> [CapturedAlert] {
        try await drain(sqs, alerts, count: count, seconds: seconds).map(CapturedAlert.init)
    }
}

func logKey(_ name: String) -> String {
    "AWSLogs/123456789012/CloudTrail/us-east-1/2026/11/22/123456789012_CloudTrail_us-east-1_\(name).json.gz"
}

func testContext(_ id: String = UUID().uuidString) -> InvocationContext {
    InvocationContext(requestID: id, log: Logger(level: .error, write: Logger.discard))
}

func responseJSON(_ bytes: [UInt8]) throws -> JSONValue { try JSONValue.parse(bytes) }

func failedItems(_ response: JSONValue) -> [String] {
    (response["batchItemFailures"]?.arrayValue ?? []).compactMap { $0["itemIdentifier"]?.stringValue }
}
