import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineTestSupport

import TriplineConfig

@testable import TriplineService

/// Log lines written through a `Logger`, kept for assertions.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var json: [JSONValue] {
        lock.withLock { lines }.compactMap { line in
            guard let start = line.firstIndex(of: "{") else { return nil }
            return try? JSONValue.parse(String(line[start...]))
        }
    }
}

/// The configuration reaching the function the three ways it can (bundled in the package, S3, SSM Parameter Store)
/// and changing what it alerts, end to end on moto.
@Suite("Lambda configuration on moto")
struct LambdaConfigurationTests {
    static let config = """
        accounts:
          "123456789012": production
        lists:
          maintenance_roles: ["arn:aws:iam::*:role/OpsAdmin"]
        tuning:
          allow:
            - name: trail maintenance
              rules: [tripline.cloudtrail.logging-stopped]
              principals: ["%maintenance_roles%"]
              reason: the ops role pauses trails during maintenance windows
        """

    enum Source: String, CaseIterable { case bundled, s3, ssm }

    /// Where the configuration is put for `source`, as the environment names it.
    func place(_ text: String, _ source: Source, stack: MotoStack) async throws -> [String: String] {
        switch source {
        case .bundled:
            let root = FileManager.default.temporaryDirectory.appendingPathComponent(uniqueName("task-root"))
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try text.write(to: root.appendingPathComponent("tripline.yml"), atomically: true, encoding: .utf8)
            return ["LAMBDA_TASK_ROOT": root.path]
        case .s3:
            let bucket = uniqueName("tripline-config")
            try await stack.s3.createBucket(bucket)
            try await stack.s3.putObject(bucket: bucket, key: "config/tripline.yml", body: Array(text.utf8))
            return ["TRIPLINE_CONFIG": "s3://\(bucket)/config/tripline.yml"]
        case .ssm:
            let name = "/tripline/" + uniqueName("config")
            try await SSMClient(stack.client).putParameter(name: name, value: text, type: "SecureString")
            return ["TRIPLINE_CONFIG": "ssm:\(name)"]
        }
    }

    func envelope(_ event: JSONValue) -> String {
        JSONValue.object([
            ("version", "0"), ("id", .string(UUID().uuidString)), ("detail-type", "AWS API Call via CloudTrail"),
            ("source", "aws.cloudtrail"), ("account", "123456789012"), ("region", "us-east-1"), ("detail", event),
        ]).serialized()
    }

    @Test("the tuning suppresses what it allows, counts it, and alerts name the account", arguments: Source.allCases)
    func tuned(source: Source) async throws {
        let stack = try await MotoStack.make()
        let env = stack.environment(try await place(Self.config, source, stack: stack))
        let handler = try await TriplineHandler.configured(environment: env, log: Logger(level: .error, write: Logger.discard))

        // The ops role (allowed) and an IAM user (not) each stop a trail.
        let maintenance = stopLogging(trail: uniqueName("maintenance"), at: nowEpoch() - 60)
        let intruderTrail = uniqueName("intruder")
        var intruder = stopLogging(trail: intruderTrail, at: nowEpoch() - 30)
        intruder = setting(intruder, "userIdentity", [
            "type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/alice", "accountId": "123456789012", "userName": "alice",
        ])
        let payload = lambdaSQSEvent(
            [(id: "m1", body: envelope(maintenance)), (id: "m2", body: envelope(intruder))], queueArn: "arn:aws:sqs:us-east-1:123456789012:q")
        let lines = LogLines()
        let log = Logger(level: .info, write: { lines.append($0) })
        let response = try responseJSON(try await handler.handle(payload, context: InvocationContext(requestID: "r1", log: log)))
        #expect(failedItems(response) == [])
        #expect(response["suppressed"]?.text == "1")
        // The invocation's log line says what was suppressed and by which entry.
        let invocation = try #require(lines.json.first { $0["message"]?.stringValue == "invocation" })
        #expect(invocation["suppressed"]?.text == "1")
        let by = invocation["suppressed_by"]?.arrayValue?.first
        #expect(by?["entry"]?.stringValue?.hasPrefix("allow 'trail maintenance' (") == true)
        #expect(by?["reason"]?.stringValue == "the ops role pauses trails during maintenance windows")
        #expect(by?["matches"]?.text == "1")
        #expect(response["alerted"]?.text == "1")

        let alerts = try await stack.capturedAlerts(expecting: 1)
        #expect(alerts.count == 1)
        #expect(alerts.first?.message.contains(intruderTrail) == true)
        #expect(alerts.first?.message.contains("account  123456789012 (production)") == true)
        #expect(try await stack.capturedAlerts(expecting: 1, seconds: 2).isEmpty)
    }

    @Test("the scheduled poll applies the tuning too and logs what it suppressed")
    func polled() async throws {
        let stack = try await MotoStack.make()
        let fake = try FakeLookupEvents()
        fake.add(stopLogging(trail: uniqueName("polled-maintenance"), at: nowEpoch() - 300))
        let (configuration, problems) = Configuration.parse(yaml: Self.config, path: "tripline.yml")
        #expect(problems.isEmpty)
        var config = ServiceConfig()
        config.table = stack.table
        config.minimumSeverity = .high
        let sink = RecordingAlertSink()
        let client = AWSClient(
            region: "us-east-1", credentials: StaticCredentialProvider(accessKeyId: "AKIDCONF", secretAccessKey: "s"),
            endpoint: fake.server.baseURL)
        let handler = TriplineHandler(
            config: config, rules: catalog, configuration: configuration, store: stack.store,
            checkpoints: DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table), sink: sink,
            objects: S3ObjectSource(client: stack.client), lookup: CloudTrailClient(client))
        let lines = LogLines()
        let payload = Array(#"{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-22T10:00:00Z","region":"us-east-1","resources":[],"detail":{}}"#.utf8)
        let response = try responseJSON(try await handler.handle(
            payload, context: InvocationContext(requestID: "p1", log: Logger(level: .info, write: { lines.append($0) }))))
        #expect(response["alerted"]?.text == "0")
        #expect(await sink.messages.isEmpty)
        let poll = try #require(lines.json.first { $0["message"]?.stringValue == "poll" })
        #expect(poll["suppressed"]?.text == "1")
        #expect(poll["suppressed_by"]?.arrayValue?.first?["reason"]?.stringValue == "the ops role pauses trails during maintenance windows")
    }

    @Test("without a configuration the same events both alert")
    func untuned() async throws {
        let stack = try await MotoStack.make()
        let handler = try await TriplineHandler.configured(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        let payload = lambdaSQSEvent(
            [(id: "m1", body: envelope(stopLogging(trail: uniqueName("a"), at: nowEpoch() - 60)))], queueArn: "arn:aws:sqs:us-east-1:1:q")
        let response = try responseJSON(try await handler.handle(payload, context: testContext()))
        #expect(response["suppressed"]?.text == "0")
        #expect(response["alerted"]?.text == "1")
    }

    @Test("a configuration with errors, or one that cannot be read, fails the cold start", arguments: Source.allCases)
    func broken(source: Source) async throws {
        let stack = try await MotoStack.make()
        let bad = Self.config.replacingOccurrences(of: "\n      reason: the ops role pauses trails during maintenance windows", with: "") + "\n  unknown: 1\n"
        let env = stack.environment(try await place(bad, source, stack: stack))
        let error = await #expect(throws: HandlerError.self) {
            _ = try await TriplineHandler.configured(environment: env, log: Logger(level: .error, write: Logger.discard))
        }
        let text = error?.description ?? ""
        #expect(text.contains(":7: error: every tuning entry needs a reason"), "\(text)")
        #expect(text.contains(":10: error: unknown key 'unknown' in tuning"), "\(text)")
    }

    @Test("a named source that is missing fails the cold start")
    func missing() async throws {
        let stack = try await MotoStack.make()
        for location in ["s3://\(uniqueName("no-bucket"))/tripline.yml", "ssm:/tripline/\(uniqueName("absent"))", "/nonexistent/tripline.yml"] {
            await #expect(throws: (any Error).self, "\(location)") {
                _ = try await TriplineHandler.configured(
                    environment: stack.environment(["TRIPLINE_CONFIG": location]), log: Logger(level: .error, write: Logger.discard))
            }
        }
        #expect(throws: ConfigurationSource.Invalid.self) { try ConfigurationSource.parse("s3://bucket-only") }
        #expect(throws: ConfigurationSource.Invalid.self) { try ConfigurationSource.parse("ssm:") }
        #expect(try ConfigurationSource.parse("conf/t.yml", taskRoot: "/var/task") == .file("/var/task/conf/t.yml"))
        #expect(try ConfigurationSource.parse("ssm:/a/b") == .ssm(name: "/a/b"))
        #expect(try ConfigurationSource.parse("s3://b/k/x.yml") == .s3(bucket: "b", key: "k/x.yml"))
    }
}
