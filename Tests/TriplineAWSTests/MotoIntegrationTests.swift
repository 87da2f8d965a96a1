import Foundation
import Testing
import TriplineTestSupport

@testable import TriplineAWS

/// End-to-end against the shared moto_server. Every test creates its own uniquely named resources.
@Suite("Against moto")
struct MotoIntegrationTests {
    @Test("S3: create bucket, put, get (buffered and streamed), list with paging, NoSuchKey")
    func s3() async throws {
        let s3 = S3Client(motoClient(try await MotoServer.shared()))
        let bucket = uniqueName("tripline-s3")
        try await s3.createBucket(bucket)
        let big = (0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let oddKey = "AWSLogs/123/a b+c/ü=1.json.gz"
        let etag = try await s3.putObject(bucket: bucket, key: oddKey, body: big)
        #expect(etag?.isEmpty == false)
        for i in 0..<5 { try await s3.putObject(bucket: bucket, key: "page/\(i).txt", body: Array("object \(i)".utf8), contentType: "text/plain") }

        let object = try await s3.getObject(bucket: bucket, key: oddKey)
        #expect(object.body == big)
        let stream = try await s3.getObjectStream(bucket: bucket, key: oddKey)
        #expect(stream.contentLength == big.count)
        var total = 0
        var chunks = 0
        for try await chunk in stream.body {
            total += chunk.count
            chunks += 1
        }
        #expect(total == big.count)
        #expect(chunks > 1)

        let first = try await s3.listObjectsV2(bucket: bucket, prefix: "page/", maxKeys: 2)
        #expect(first.objects.map(\.key) == ["page/0.txt", "page/1.txt"])
        #expect(first.nextContinuationToken != nil)
        #expect(first.objects[0].size == 8)
        let all = try await s3.listAllObjects(bucket: bucket, prefix: "page/", pageSize: 2)
        #expect(all.map(\.key) == (0..<5).map { "page/\($0).txt" })
        #expect(try await s3.listAllObjects(bucket: bucket).count == 6)

        let missing = await #expect(throws: AWSError.self) { try await s3.getObject(bucket: bucket, key: "nope") }
        #expect(missing?.code == "NoSuchKey")
        #expect(missing?.statusCode == 404)
    }

    @Test("SQS: create, attributes, send with attributes, receive, visibility, delete, batch delete, errors")
    func sqs() async throws {
        let sqs = SQSClient(motoClient(try await MotoServer.shared()))
        let url = try await sqs.createQueue(name: uniqueName("tripline-q"), attributes: ["VisibilityTimeout": "30"])
        let arn = try await sqs.queueArn(queueUrl: url)
        #expect(arn.hasPrefix("arn:aws:sqs:us-east-1:123456789012:tripline-q-"))
        try await sqs.setQueueAttributes(queueUrl: url, attributes: ["VisibilityTimeout": "45"])
        #expect(try await sqs.getQueueAttributes(queueUrl: url)["VisibilityTimeout"] == "45")

        for i in 0..<3 { try await sqs.sendMessage(queueUrl: url, body: "msg \(i)", messageAttributes: ["n": "\(i)"]) }
        var received: [SQSMessage] = []
        for _ in 0..<10 where received.count < 3 {
            received += try await sqs.receiveMessage(queueUrl: url, maxMessages: 10, waitTimeSeconds: 1)
        }
        #expect(Set(received.map(\.body)) == ["msg 0", "msg 1", "msg 2"])
        #expect(Set(received.compactMap { $0.messageAttributes["n"] }) == ["0", "1", "2"])
        #expect(received.allSatisfy { $0.attributes["ApproximateReceiveCount"] == "1" })

        // Release one message, see it again, then delete everything.
        try await sqs.changeMessageVisibility(queueUrl: url, receiptHandle: received[0].receiptHandle, visibilityTimeout: 0)
        let again = try await sqs.receiveMessage(queueUrl: url, maxMessages: 10, waitTimeSeconds: 2)
        #expect(again.map(\.body) == [received[0].body])
        try await sqs.deleteMessage(queueUrl: url, receiptHandle: again[0].receiptHandle)
        let batch = try await sqs.deleteMessageBatch(
            queueUrl: url, entries: [(id: "a", receiptHandle: received[1].receiptHandle), (id: "b", receiptHandle: received[2].receiptHandle)])
        #expect(Set(batch.successful) == ["a", "b"])
        #expect(batch.failed.isEmpty)
        #expect(try await sqs.receiveMessage(queueUrl: url, waitTimeSeconds: 1).isEmpty)

        let missing = await #expect(throws: AWSError.self) {
            try await sqs.sendMessage(queueUrl: url + "-missing", body: "x")
        }
        #expect(missing?.code == "QueueDoesNotExist" || missing?.code == "NonExistentQueue")
        #expect(missing?.statusCode == 400)
    }

    @Test("SNS → SQS: publish with message attributes is delivered in the Notification envelope")
    func snsToSQS() async throws {
        let client = motoClient(try await MotoServer.shared())
        let sns = SNSClient(client)
        let sqs = SQSClient(client)
        let topic = try await sns.createTopic(name: uniqueName("tripline-alerts"))
        #expect(topic.hasPrefix("arn:aws:sns:us-east-1:123456789012:tripline-alerts-"))
        let queue = try await sqs.createQueue(name: uniqueName("tripline-capture"))
        let subscription = try await sns.subscribe(topicArn: topic, protocol: "sqs", endpoint: try await sqs.queueArn(queueUrl: queue))
        #expect(subscription.hasPrefix(topic))
        let id = try await sns.publish(
            topicArn: topic, message: #"{"rule":"root-login","n":1}"#, subject: "Tripline alert",
            messageAttributes: ["severity": "high", "rule_id": "aws.root-login"])

        let messages = try await drain(sqs, queue, count: 1)
        let message = try #require(messages.first)
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(message.body.utf8)) as? [String: Any])
        #expect(envelope["Type"] as? String == "Notification")
        #expect(envelope["MessageId"] as? String == id)
        #expect(envelope["Message"] as? String == #"{"rule":"root-login","n":1}"#)
        #expect(envelope["Subject"] as? String == "Tripline alert")
        let attributes = try #require(envelope["MessageAttributes"] as? [String: [String: String]])
        #expect(attributes["severity"] == ["Type": "String", "Value": "high"])
        #expect(attributes["rule_id"]?["Value"] == "aws.root-login")

        let missing = await #expect(throws: AWSError.self) { try await sns.publish(topicArn: topic + "-missing", message: "x") }
        #expect(missing?.code == "NotFound")
    }

    @Test("DynamoDB: table, TTL, conditional put, get, update, batch write, query paging")
    func dynamo() async throws {
        let ddb = DynamoDBClient(motoClient(try await MotoServer.shared()))
        let table = uniqueName("tripline-dedup")
        try await ddb.createTable(table: table, partitionKey: ("pk", .string), sortKey: ("sk", .number))
        try await ddb.updateTimeToLive(table: table, attributeName: "ttl")
        let description = try await ddb.describeTable(table: table)
        #expect(description.name == table)
        #expect(description.status == "ACTIVE")
        #expect(description.partitionKey == "pk")
        #expect(description.sortKey == "sk")

        let item: DynamoItem = [
            "pk": "alert#1", "sk": 0, "ttl": .number(1_900_000_000), "seen": true, "nothing": .null,
            "tags": .ss(["iam", "root"]), "detail": .m(["count": 1, "list": .l(["a", 2])]),
        ]
        let insertOnce = DynamoExpressionValues(names: ["#pk": "pk"])
        try await ddb.putItem(table: table, item: item, condition: "attribute_not_exists(#pk)", expressionValues: insertOnce)
        let duplicate = await #expect(throws: AWSError.self) {
            try await ddb.putItem(table: table, item: item, condition: "attribute_not_exists(#pk)", expressionValues: insertOnce)
        }
        #expect(duplicate?.isConditionalCheckFailed == true)
        #expect(duplicate?.code == "ConditionalCheckFailed")
        #expect(duplicate?.rawCode.hasSuffix("ConditionalCheckFailedException") == true)
        #expect(duplicate?.statusCode == 400)

        let stored = try #require(try await ddb.getItem(table: table, key: ["pk": "alert#1", "sk": 0], consistentRead: true))
        #expect(stored["tags"]?.stringSet.map(Set.init) == ["iam", "root"])
        #expect(stored["detail"]?.map?["list"]?.list == ["a", 2])
        #expect(stored["nothing"] == .null)
        #expect(stored["ttl"]?.int64 == 1_900_000_000)
        #expect(try await ddb.getItem(table: table, key: ["pk": "absent", "sk": 0]) == nil)

        let updated = try await ddb.updateItem(
            table: table, key: ["pk": "alert#1", "sk": 0], update: "SET #c = if_not_exists(#c, :zero) + :one, #s = :s",
            condition: "#seen = :yes",
            expressionValues: .init(names: ["#c": "count", "#s": "status", "#seen": "seen"], values: [":zero": 0, ":one": 1, ":s": "open", ":yes": true]))
        #expect(updated?["count"]?.int == 1)
        #expect(updated?["status"]?.string == "open")
        let failedUpdate = await #expect(throws: AWSError.self) {
            try await ddb.updateItem(
                table: table, key: ["pk": "alert#1", "sk": 0], update: "SET #s = :s", condition: "#s = :other",
                expressionValues: .init(names: ["#s": "status"], values: [":s": "x", ":other": "closed"]))
        }
        #expect(failedUpdate?.isConditionalCheckFailed == true)

        let writes = (1...30).map { DynamoWriteRequest.put(["pk": "batch", "sk": .number($0), "v": .s("item \($0)")]) }
        let leftover = try await ddb.batchWriteItem(table: table, requests: writes)
        #expect(leftover.isEmpty)
        var query = DynamoQuery(
            table: table, keyCondition: "pk = :pk", expressionValues: .init(values: [":pk": "batch"]), limit: 7, consistentRead: true)
        let page = try await ddb.query(query)
        #expect(page.items.count == 7)
        #expect(page.lastEvaluatedKey?["sk"]?.int == 7)
        let everything = try await ddb.queryAll(query)
        #expect(everything.compactMap { $0["sk"]?.int } == Array(1...30))
        query.scanIndexForward = false
        query.limit = 3
        #expect(try await ddb.query(query).items.compactMap { $0["sk"]?.int } == [30, 29, 28])

        _ = try await ddb.batchWriteItem(table: table, requests: (1...30).map { .delete(key: ["pk": "batch", "sk": .number($0)]) })
        #expect(try await ddb.queryAll(query).isEmpty)
    }

    @Test("EventBridge: a rule's event pattern routes only matching events to its SQS target")
    func eventBridge() async throws {
        let client = motoClient(try await MotoServer.shared())
        let events = EventBridgeClient(client)
        let sqs = SQSClient(client)
        let source = "tripline.\(uniqueName("test"))"
        let queue = try await sqs.createQueue(name: uniqueName("tripline-eb"))
        let rule = uniqueName("tripline-rule")
        let ruleArn = try await events.putRule(
            name: rule, eventPattern: #"{"source":["\#(source)"],"detail":{"severity":["high","critical"]}}"#)
        #expect(ruleArn.contains(rule))
        let failed = try await events.putTargets(rule: rule, targets: [EventBridgeTarget(id: "q", arn: try await sqs.queueArn(queueUrl: queue))])
        #expect(failed.isEmpty)
        let results = try await events.putEvents([
            EventBridgeEntry(source: source, detailType: "Tripline Finding", detail: #"{"severity":"high","rule":"r1"}"#),
            EventBridgeEntry(source: source, detailType: "Tripline Finding", detail: #"{"severity":"low","rule":"r2"}"#),
            EventBridgeEntry(source: "other.source", detailType: "Tripline Finding", detail: #"{"severity":"high","rule":"r3"}"#),
        ])
        #expect(results.count == 3)
        #expect(results.allSatisfy { $0.id != nil && $0.errorCode == nil })
        let delivered = try await drain(sqs, queue, count: 2, seconds: 5)
        #expect(delivered.count == 1)
        let first = try #require(delivered.first)
        let envelope = try #require(try JSONSerialization.jsonObject(with: Data(first.body.utf8)) as? [String: Any])
        #expect(envelope["source"] as? String == source)
        #expect(envelope["detail-type"] as? String == "Tripline Finding")
        #expect((envelope["detail"] as? [String: Any])?["rule"] as? String == "r1")
    }

    @Test("S3 → SQS notifications: prefix filter applied, test event first, key form-encoded")
    func s3Notifications() async throws {
        let client = motoClient(try await MotoServer.shared())
        let s3 = S3Client(client)
        let sqs = SQSClient(client)
        let bucket = uniqueName("tripline-trail")
        try await s3.createBucket(bucket)
        let queue = try await sqs.createQueue(name: uniqueName("tripline-s3events"))
        try await s3.putBucketNotificationConfiguration(
            bucket: bucket,
            queues: [S3QueueNotification(id: "logs", queueArn: try await sqs.queueArn(queueUrl: queue), prefix: "AWSLogs/", suffix: ".json.gz")])
        let key = "AWSLogs/123456789012/CloudTrail/us-east-1/2024/01/02/a b+c.json.gz"
        try await s3.putObject(bucket: bucket, key: key, body: [0x1f, 0x8b, 0x08, 0x00])
        try await s3.putObject(bucket: bucket, key: "other/ignored.json.gz", body: [0x1f, 0x8b])
        try await s3.putObject(bucket: bucket, key: "AWSLogs/ignored.txt", body: [0x41])

        let messages = try await drain(sqs, queue, count: 3, seconds: 6)
        var keys: [String] = []
        var sawTestEvent = false
        for m in messages {
            let body = try #require(try JSONSerialization.jsonObject(with: Data(m.body.utf8)) as? [String: Any])
            if body["Event"] as? String == "s3:TestEvent" {
                sawTestEvent = true
                continue
            }
            for record in body["Records"] as? [[String: Any]] ?? [] {
                let object = (record["s3"] as? [String: Any])?["object"] as? [String: Any]
                let rawKey = try #require(object?["key"] as? String)
                #expect(rawKey.contains("%2F") || rawKey.contains("+"))
                keys.append(S3Client.decodeNotificationKey(rawKey))
                #expect(record["eventName"] as? String == "ObjectCreated:Put")
            }
        }
        #expect(sawTestEvent)
        #expect(keys == [key])
        let decoded = try #require(keys.first)
        #expect(try await s3.getObject(bucket: bucket, key: decoded).body == [0x1f, 0x8b, 0x08, 0x00])
    }
}
