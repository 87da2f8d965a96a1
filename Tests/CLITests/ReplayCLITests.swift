import Foundation
import Testing
import TriplineJSON
import TriplineTestSupport

/// `tripline replay` against moto: a dead-letter queue holding what the ingest queue's redrive policy and Lambda's
/// on-failure destination put there, re-driven through the handler in process (alerts to SNS, dedup in DynamoDB)
/// or back to the ingest queue.
@Suite("tripline replay (moto)")
struct ReplayCLITests {
    let moto: MotoServer
    init() async throws { moto = try await MotoServer.shared() }
    init(moto: MotoServer) { self.moto = moto }

    @discardableResult
    func aws(_ arguments: [String]) throws -> JSONValue? {
        let out = try shell("aws", ["--endpoint-url", moto.endpoint, "--region", "us-east-1", "--output", "json"] + arguments,
                            environment: CLI.environment())
        return out.isEmpty ? nil : try JSONValue.parse(out)
    }

    func queue(_ prefix: String) throws -> String {
        try #require(try aws(["sqs", "create-queue", "--queue-name", uniqueName(prefix)])?.text("QueueUrl"))
    }

    func send(_ queue: String, _ body: String) throws {
        try aws(["sqs", "send-message", "--queue-url", queue, "--message-body", body])
    }

    /// Every message body on a queue, left there: received while hidden, then made visible again.
    func bodies(_ queue: String) throws -> [String] {
        var seen: [String: String] = [:]
        var receipts: [String] = []
        for _ in 0..<5 {
            let r = try aws(["sqs", "receive-message", "--queue-url", queue, "--max-number-of-messages", "10",
                             "--visibility-timeout", "30", "--wait-time-seconds", "0"])
            let messages = r?["Messages"]?.arrayValue ?? []
            if messages.isEmpty { break }
            for m in messages {
                seen[m.text("MessageId") ?? ""] = m.text("Body") ?? ""
                receipts.append(m.text("ReceiptHandle") ?? "")
            }
        }
        for receipt in receipts {
            try aws(["sqs", "change-message-visibility", "--queue-url", queue, "--receipt-handle", receipt, "--visibility-timeout", "0"])
        }
        return Array(seen.values)
    }

    /// Reads and deletes what arrived on the queue subscribed to the alert topic: until `count` arrived, and then
    /// a few seconds more, so that an extra (duplicate) alert is seen too.
    func alerts(_ queue: String, expecting count: Int) throws -> [String] {
        var out: [String] = []
        let deadline = Date().addingTimeInterval(15)
        var settle: Date?
        while Date() < (settle ?? deadline) {
            let r = try aws(["sqs", "receive-message", "--queue-url", queue, "--max-number-of-messages", "10", "--wait-time-seconds", "1"])
            for m in r?["Messages"]?.arrayValue ?? [] {
                out.append((try? JSONValue.parse(m.text("Body") ?? ""))?.text("Message") ?? "")
                try aws(["sqs", "delete-message", "--queue-url", queue, "--receipt-handle", m.text("ReceiptHandle") ?? ""])
            }
            if out.count >= count && settle == nil { settle = Date().addingTimeInterval(3) }
        }
        return out
    }

    func s3Notification(bucket: String, key: String) -> String {
        JSONValue.object([("Records", .array([[
            "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
            "s3": ["bucket": ["name": .string(bucket)], "object": ["key": .string(key.replacingOccurrences(of: " ", with: "+"))]],
        ]]))]).serialized()
    }

    /// Lambda's on-failure destination record for an asynchronous invocation of `payload`.
    func asyncFailure(_ payload: JSONValue) -> String {
        JSONValue.object([
            ("version", "1.0"), ("timestamp", "2026-12-02T10:00:00.000Z"),
            ("requestContext", [
                "requestId": "0f6b3f0e-1111-2222-3333-444455556666", "condition": "RetriesExhausted", "approximateInvokeCount": 3,
                "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:tripline:$LATEST",
            ]),
            ("requestPayload", payload),
            ("responseContext", ["statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"]),
            ("responsePayload", ["errorMessage": "Task timed out after 60.00 seconds"]),
        ]).serialized()
    }

    func cloudTrailEnvelope(_ event: JSONValue) -> JSONValue {
        .object([("version", "0"), ("id", "6a7e8feb-b491-4cf7-a9f1-bf3703467718"), ("detail-type", "AWS API Call via CloudTrail"),
                 ("source", "aws.cloudtrail"), ("account", "123456789012"), ("time", "2025-03-04T10:10:00Z"), ("region", "us-east-1"),
                 ("resources", []), ("detail", event)])
    }

    @Test("in process: S3 notifications (plain and SNS-wrapped) and an async failure record alert once; failures and strangers stay")
    func inProcess() throws {
        let bucket = uniqueName("replay-trail")
        try aws(["s3api", "create-bucket", "--bucket", bucket])
        let folder = Fixtures.temporaryFolder()
        let plainKey = Fixtures.logKey("plain"), wrappedKey = Fixtures.logKey("wrapped with space")
        for (key, events) in [(plainKey, [Fixtures.stopLogging]), (wrappedKey, [Fixtures.event(id: "ev-stop-2", name: "StopLogging", trail: "second")])] {
            let file = folder.appendingPathComponent(UUID().uuidString)
            try Fixtures.write(try Fixtures.gzip(Fixtures.log(events)), to: file)
            try aws(["s3", "cp", "--quiet", file.path, "s3://\(bucket)/\(key)"])
        }
        let table = uniqueName("replay-findings")
        // The findings table as the deploy templates define it.
        try aws(["dynamodb", "create-table", "--table-name", table, "--billing-mode", "PAY_PER_REQUEST",
                 "--attribute-definitions", "AttributeName=pk,AttributeType=S", "AttributeName=sk,AttributeType=S",
                 "AttributeName=gsi1pk,AttributeType=S", "AttributeName=gsi1sk,AttributeType=S",
                 "--key-schema", "AttributeName=pk,KeyType=HASH", "AttributeName=sk,KeyType=RANGE",
                 "--global-secondary-indexes",
                 #"[{"IndexName":"gsi1","KeySchema":[{"AttributeName":"gsi1pk","KeyType":"HASH"},{"AttributeName":"gsi1sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}]"#])
        let topic = try #require(try aws(["sns", "create-topic", "--name", uniqueName("replay-alerts")])?.text("TopicArn"))
        let capture = try queue("replay-capture")
        let captureArn = try #require(try aws(["sqs", "get-queue-attributes", "--queue-url", capture, "--attribute-names", "QueueArn"])?.text("Attributes.QueueArn"))
        try aws(["sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", captureArn])

        let dlq = try queue("replay-dlq")
        try send(dlq, s3Notification(bucket: bucket, key: plainKey))
        let sns = JSONValue.object([("Type", "Notification"), ("MessageId", "n-1"), ("TopicArn", .string(topic)),
                                    ("Message", .string(s3Notification(bucket: bucket, key: wrappedKey)))])
        try send(dlq, sns.serialized())
        try send(dlq, asyncFailure(cloudTrailEnvelope(Fixtures.deleteTrail)))
        try send(dlq, s3Notification(bucket: bucket, key: Fixtures.logKey("missing")))  // fails again: stays
        try send(dlq, "hello, not JSON")  // not recognised: stays

        let env = CLI.environment(["TRIPLINE_MIN_SEVERITY": "high", "LOG_LEVEL": "error"])
        // Without the function's table and topic an in-process replay would lose dedup: refused.
        let refused = try CLI.run(["replay", dlq, "--endpoint-url", moto.endpoint], environment: env)
        #expect(refused.status == 2, "stderr: \(refused.stderr)")
        #expect(refused.stderr.contains("--table"))

        let dry = try CLI.run(["replay", dlq, "--dry-run", "--endpoint-url", moto.endpoint], environment: env)
        #expect(dry.status == 1, "one message is not recognised; stderr: \(dry.stderr)")
        #expect(dry.stdout.contains("5 message(s): would re-drive 4, 0 failed, 1 not recognised"), "\(dry.stdout)")
        #expect(dry.stdout.contains("S3 notification via SNS: 1 object(s) s3://\(bucket)/\(Fixtures.logKey("wrapped with space"))"), "\(dry.stdout)")
        #expect(dry.stdout.contains("CloudTrail event, async invocation failed (RetriesExhausted, 3 attempt(s))"), "\(dry.stdout)")
        #expect(try bodies(dlq).count == 5, "a dry run changes nothing")
        #expect(try alerts(capture, expecting: 0).isEmpty)

        let args = ["replay", dlq, "--table", table, "--sns-topic-arn", topic, "--endpoint-url", moto.endpoint]
        let run = try CLI.run(args, environment: env)
        #expect(run.status == 1, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("5 message(s): re-drove 3, 1 failed, 1 not recognised"), "\(run.stdout)\n\(run.stderr)")
        #expect(run.stdout.contains("failed    "), "\(run.stdout)")
        let sent = try alerts(capture, expecting: 3)
        #expect(sent.count == 3, "\(sent)")
        for id in ["ev-stop-1", "ev-stop-2", "ev-delete-1"] {
            #expect(sent.filter { $0.contains(id) }.count == 1, "\(id) alerted once: \(sent)")
        }
        let left = try bodies(dlq)
        #expect(left.count == 2, "the failed and the unrecognised message stay: \(left)")
        #expect(left.contains("hello, not JSON"))
        #expect(left.contains { $0.contains("missing") })

        // The same events again (a duplicate DLQ entry): handled, deleted, not alerted twice.
        try send(dlq, asyncFailure(cloudTrailEnvelope(Fixtures.deleteTrail)))
        let again = try CLI.run(args, environment: env)
        #expect(again.stdout.contains("3 message(s): re-drove 1, 1 failed, 1 not recognised"), "\(again.stdout)\n\(again.stderr)")
        #expect(try alerts(capture, expecting: 0).isEmpty, "dedup holds across replays")
    }

    @Test("--to-queue: bodies go back to the ingest queue as they were; what only the function takes stays")
    func toQueue() throws {
        let dlq = try queue("replay-dlq")
        let ingest = try queue("replay-ingest")
        let notification = s3Notification(bucket: "trail", key: Fixtures.logKey("a"))
        try send(dlq, notification)
        try send(dlq, asyncFailure(cloudTrailEnvelope(Fixtures.stopLogging)))
        let schedule = JSONValue.object([("version", "0"), ("id", "s-1"), ("detail-type", "Scheduled Event"), ("source", "aws.events"),
                                         ("account", "123456789012"), ("time", "2026-12-02T10:00:00Z"), ("region", "us-east-1"),
                                         ("resources", []), ("detail", [:])])
        try send(dlq, asyncFailure(schedule))

        let r = try CLI.run(["replay", dlq, "--to-queue", ingest, "--endpoint-url", moto.endpoint])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("3 message(s): re-drove 2, 1 failed, 0 not recognised"), "\(r.stdout)\n\(r.stderr)")
        #expect(r.stdout.contains("only the function takes it"))
        let queued = try bodies(ingest)
        #expect(queued.count == 2)
        #expect(queued.contains(notification), "the S3 notification is queued exactly as it was")
        let event = try #require(queued.first { $0 != notification }.map { try JSONValue.parse($0) })
        #expect(event.text("detail.eventID") == "ev-stop-1", "the async record's original event, unwrapped")
        let left = try bodies(dlq)
        #expect(left.count == 1 && left.first?.contains("Scheduled Event") == true, "\(left)")
    }
}

/// SECURITY.md: credentials never reach the CLI's output, on success or on AWS errors, at debug level.
@Suite("Secrets never in logs (CLI)")
struct SecretsCLITests {
    static let secretSentinel = "SENTINELsecretKEY0123456789abcdefSENTINEL"
    static let tokenSentinel = "SENTINELsessionTOKENzyxwvutsrqSENTINEL"

    @Test("sentinel secret key and session token appear in no output of scan s3:// and replay, errors included")
    func cliOutput() async throws {
        let moto = try await MotoServer.shared()
        let setup = ReplayCLITests(moto: moto)
        let bucket = uniqueName("secrets-trail")
        try setup.aws(["s3api", "create-bucket", "--bucket", bucket])
        let file = Fixtures.temporaryFolder().appendingPathComponent("log.json.gz")
        try Fixtures.write(try Fixtures.gzip(Fixtures.log([Fixtures.stopLogging])), to: file)
        try setup.aws(["s3", "cp", "--quiet", file.path, "s3://\(bucket)/\(Fixtures.logKey("s"))"])
        let dlq = try setup.queue("secrets-dlq")
        try setup.send(dlq, setup.s3Notification(bucket: bucket, key: Fixtures.logKey("s")))
        try setup.send(dlq, setup.s3Notification(bucket: bucket, key: Fixtures.logKey("missing")))

        let env = CLI.environment([
            "AWS_SECRET_ACCESS_KEY": Self.secretSentinel, "AWS_SESSION_TOKEN": Self.tokenSentinel, "LOG_LEVEL": "debug",
        ])
        let runs = [
            try CLI.run(["scan", "--endpoint-url", moto.endpoint, "s3://\(bucket)/AWSLogs/", "s3://\(uniqueName("missing"))/x/"], environment: env),
            try CLI.run(["replay", dlq, "--dry-run", "--endpoint-url", moto.endpoint], environment: env),
            // In process against a table that does not exist: every re-drive fails with DynamoDB's error, logged.
            try CLI.run(["replay", dlq, "--table", uniqueName("no-such-table"), "--sns-topic-arn",
                         "arn:aws:sns:us-east-1:123456789012:none", "--endpoint-url", moto.endpoint], environment: env),
        ]
        #expect(runs[0].status == 1 && runs[0].stdout.contains("finding(s)") && runs[0].stderr.contains("NoSuchBucket"), "\(runs[0].stderr)")
        #expect(runs[1].stdout.contains("would re-drive 2"), "\(runs[1].stdout)")
        #expect(runs[2].status == 1 && runs[2].stdout.contains("2 failed"), "\(runs[2].stdout)\n\(runs[2].stderr)")
        for (i, r) in runs.enumerated() {
            for sentinel in [Self.secretSentinel, Self.tokenSentinel] {
                #expect(!r.stdout.contains(sentinel) && !r.stderr.contains(sentinel), "run \(i) printed a sentinel")
            }
        }
    }
}
