import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineLambda
import TriplineTestSupport

@testable import TriplineService

@Suite("Payload shapes and configuration")
struct PayloadTests {
    func classify(_ json: String) throws -> Payload { Payload.classify(try JSONValue.parse(json)) }

    @Test("payloads are told apart by shape")
    func shapes() throws {
        guard case .sqs(let records) = try classify(#"{"Records":[{"messageId":"m1","body":"{}","eventSource":"aws:sqs"}]}"#) else {
            Issue.record("not SQS"); return
        }
        #expect(records == [Payload.SQSRecord(messageID: "m1", body: "{}")])
        guard case .scheduled = try classify(#"{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}"#) else {
            Issue.record("not scheduled"); return
        }
        guard case .guardDuty = try classify(#"{"source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":{"id":"x"}}"#) else {
            Issue.record("not GuardDuty"); return
        }
        guard case .cloudTrailEvent = Payload.classify(eventBridgeEnvelope(noise(at: 0, n: 0))) else {
            Issue.record("not CloudTrail"); return
        }
        guard case .s3(let objects) = try classify(
            #"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","awsRegion":"eu-west-1","s3":{"bucket":{"name":"b"},"object":{"key":"AWSLogs/a+b%2Bc.json.gz"}}}]}"#)
        else { Issue.record("not S3"); return }
        #expect(objects == [S3ObjectRef(bucket: "b", key: "AWSLogs/a b+c.json.gz", region: "eu-west-1")])
        guard case .unknown = try classify(#"{"hello":"world"}"#) else { Issue.record("not unknown"); return }
        guard case .unknown = try classify(#"{"source":"aws.events","detail-type":"Scheduled Event?"}"#) else {
            Issue.record("near miss classified"); return
        }
    }

    @Test("S3 notification bodies: keys decoded (+ then %), digests and test events skipped, SNS wrapping undone")
    func notifications() throws {
        let s3Event = #"{"Records":[{"eventName":"ObjectCreated:Put","awsRegion":"us-east-1","s3":{"bucket":{"name":"trail"},"object":{"key":"AWSLogs%2F1%2FCloudTrail%2Fa+b%25c.json.gz"}}},{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"trail"},"object":{"key":"AWSLogs/1/CloudTrail-Digest/x.json.gz"}}},{"eventName":"ObjectRemoved:Delete","s3":{"bucket":{"name":"trail"},"object":{"key":"AWSLogs/gone.json.gz"}}}]}"#
        let expected = QueuedContent.objects([S3ObjectRef(bucket: "trail", key: "AWSLogs/1/CloudTrail/a b%c.json.gz", region: "us-east-1")])
        #expect(try S3Notification.content(ofBody: s3Event) == expected)
        var sns: [UInt8] = []
        JSONValue.object([("Type", "Notification"), ("MessageId", "n1"), ("Message", .string(s3Event))]).write(to: &sns)
        #expect(try S3Notification.content(ofBody: String(decoding: sns, as: UTF8.self)) == expected)
        #expect(try S3Notification.content(ofBody: #"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"trail"}"#) == .ignore("s3:TestEvent"))
        let digestOnly = #"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"t"},"object":{"key":"AWSLogs/1/CloudTrail-Digest/d.json.gz"}}}]}"#
        guard case .ignore = try S3Notification.content(ofBody: digestOnly) else { Issue.record("digest not skipped"); return }
        let bridged = eventBridgeEnvelope(noise(at: 0, n: 0)).serialized()
        #expect(try S3Notification.content(ofBody: bridged) == .event(Array(bridged.utf8)))
        #expect(throws: JSONError.self) { try S3Notification.content(ofBody: "not json") }
    }

    @Test("GuardDuty severity bands", arguments: [
        (0.5, Severity.low), (1.0, .low), (3.9, .low), (4.0, .medium), (6.9, .medium), (7.0, .high), (8.9, .high),
        (9.0, .critical), (10.0, .critical),
    ])
    func guardDutySeverity(score: Double, expected: Severity) {
        #expect(GuardDutyFinding.severity(score) == expected)
    }

    @Test("a GuardDuty finding is keyed by id and update time, with its own fields")
    func guardDutyFinding() throws {
        let detail = try JSONValue.parse(guardDutyDetail(id: "gd-1", updatedAt: "2026-11-22T10:00:00.000Z", severity: 8.0))
        let f = GuardDutyFinding.finding(detail: detail, input: InputRef(path: "guardduty", record: 0))
        #expect(f.severity == .high)
        #expect(f.ruleID == "GuardDuty.UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom")
        #expect(f.sourceIP == "198.51.100.9")
        #expect(f.actor == "mallory")
        #expect(f.accountID == "123456789012")
        #expect(f.epoch == EventTime.epochSeconds("2026-11-22T10:00:00Z"))
        let updated = GuardDutyFinding.finding(
            detail: try JSONValue.parse(guardDutyDetail(id: "gd-1", updatedAt: "2026-11-22T16:00:00.000Z", severity: 8.0)),
            input: InputRef(path: "guardduty", record: 0))
        #expect(updated.dedupKey != f.dedupKey)
        #expect(GuardDutyFinding.finding(detail: detail, input: InputRef(path: "x", record: 1)).dedupKey == f.dedupKey)
    }

    @Test("hostile GuardDuty type names and ids: rule ids, the action text and SNS attributes keep to the identifier alphabet")
    func guardDutyHostileNames() throws {
        let hostile = "Recon:EC2/<!channel> @here\u{1B}[2J\r\nSubject: forged\u{202E},rule_id=x;" + String(repeating: "A", count: 400)
        var detail = try JSONValue.parse(guardDutyDetail(id: "gd-1", updatedAt: "2026-11-22T10:00:00.000Z", severity: 9.5))
        detail = .object((detail.objectValue ?? []).map { name, value in
            switch name {
            case "type": (name, .string(hostile))
            case "id": (name, .string("id<script>\u{0}\n"))
            case "title": (name, .string(hostile))
            default: (name, value)
            }
        })
        let f = GuardDutyFinding.finding(detail: detail, input: InputRef(path: "guardduty", record: 0))
        let alphabet = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:/._-")
        #expect(f.ruleID.hasPrefix("GuardDuty."))
        #expect(f.ruleID.allSatisfy(alphabet.contains), "\(f.ruleID.debugDescription)")
        #expect(f.ruleID.count <= "GuardDuty.".count + 128)
        #expect(f.action.contains("(id idscript)"), "\(f.action.debugDescription)")
        let alert = try #require(AlertContent(findings: [f]))
        let sns = SNSFormat().render(alert, now: 0)
        #expect(sns.attributes["rule_id"].map { $0.allSatisfy(alphabet.contains) } == true, "\(sns.attributes)")
        #expect(!sns.subject.contains("\u{1B}") && !sns.subject.contains("\n") && !sns.subject.contains("<!channel>"), "\(sns.subject.debugDescription)")
        // The type as GuardDuty sent it is still shown, as escaped text, in the body.
        #expect(!sns.message.contains("\u{1B}") && !sns.message.contains("\u{202E}"))
    }

    @Test("configuration from the environment: defaults, both topic names, bad values rejected")
    func config() throws {
        let d = try ServiceConfig.fromEnvironment([:])
        #expect(d.minimumSeverity == .medium && d.lookbackMinutes == 20 && d.retentionDays == 90 && d.logLevel == .info)
        #expect(d.topicArn == nil && d.table == nil)
        let c = try ServiceConfig.fromEnvironment([
            "SNS_TOPIC_ARN": "arn:t", "DYNAMODB_TABLE": "tbl", "LOG_LEVEL": "DEBUG", "TRIPLINE_MIN_SEVERITY": "high",
            "TRIPLINE_LOOKBACK_MINUTES": "45", "TRIPLINE_RETENTION_DAYS": "30", "AWS_REGION": "eu-west-1",
            "SECURITY_EVENTS_PATH": "/rules",
        ])
        #expect(c.topicArn == "arn:t" && c.table == "tbl" && c.logLevel == .debug && c.minimumSeverity == .high)
        #expect(c.lookbackMinutes == 45 && c.retentionDays == 30 && c.region == "eu-west-1" && c.rulesPath == "/rules")
        #expect(try ServiceConfig.fromEnvironment(["ALERT_SNS_ARN": "a", "SNS_TOPIC_ARN": "b"]).topicArn == "a")
        #expect(throws: ServiceConfig.Invalid.self) { try ServiceConfig.fromEnvironment(["TRIPLINE_MIN_SEVERITY": "urgent"]) }
        #expect(throws: ServiceConfig.Invalid.self) { try ServiceConfig.fromEnvironment(["TRIPLINE_LOOKBACK_MINUTES": "-5"]) }
        #expect(throws: ServiceConfig.Invalid.self) { try ServiceConfig.fromEnvironment(["LOG_LEVEL": "loud"]) }
    }

    @Test("extra rules from SECURITY_EVENTS_PATH are compiled on top of the catalog")
    func extraRules() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("team"), withIntermediateDirectories: true)
        let rule = """
            id: custom.describe-instances
            title: DescribeInstances by {userIdentity.arn}
            severity: low
            description: test rule
            action: none
            logsource: {product: aws, service: cloudtrail}
            detection:
              selection: {eventName: DescribeInstances}
              condition: selection
            """
        try rule.write(to: dir.appendingPathComponent("team/custom.yml"), atomically: true, encoding: .utf8)
        let loaded = try TriplineHandler.loadRules(extraPath: dir.path)
        #expect(loaded.rules.count == catalog.rules.count + 1, "\(loaded.diagnostics)")
        #expect(loaded.rules.contains { $0.id == "custom.describe-instances" })
        #expect(throws: HandlerError.self) { try TriplineHandler.loadRules(extraPath: dir.path + "/missing") }
    }
}

func guardDutyDetail(id: String, updatedAt: String, severity: Double) -> String {
    """
    {"schemaVersion":"2.0","accountId":"123456789012","region":"us-east-1","partition":"aws","id":"\(id)",
     "type":"UnauthorizedAccess:IAMUser/MaliciousIPCaller.Custom","severity":\(severity),"createdAt":"2026-11-22T09:00:00.000Z",
     "updatedAt":"\(updatedAt)","title":"API GetSecretValue was invoked from an IP address on a custom threat list.",
     "description":"An API was used to access a resource from an IP address on a custom threat list.",
     "resource":{"resourceType":"AccessKey","accessKeyDetails":{"userName":"mallory","principalId":"AIDAEXAMPLE","accessKeyId":"AKIAEXAMPLE"}},
     "service":{"serviceName":"guardduty","count":3,"action":{"actionType":"AWS_API_CALL","awsApiCallAction":{"api":"GetSecretValue",
       "remoteIpDetails":{"ipAddressV4":"198.51.100.9"}}}}}
    """
}

@Suite("Runtime loop")
struct RuntimeLoopTests {
    @Test("each invocation is answered; a handler error is reported for that invocation and the loop goes on")
    func loop() async throws {
        let client = InMemoryRuntimeAPIClient([
            Invocation(requestID: "1", payload: Array("a".utf8)),
            Invocation(requestID: "2", payload: Array("boom".utf8)),
            Invocation(requestID: "3", payload: Array("c".utf8)),
        ])
        let loop = RuntimeLoop(client: client) { invocation in
            if invocation.payload == Array("boom".utf8) { throw HandlerError("bad payload") }
            return invocation.payload.map { $0 - 32 }
        }
        await #expect(throws: InMemoryRuntimeAPIClient.Exhausted.self) { try await loop.run() }
        let results = await client.results
        #expect(results == [
            .response("1", Array("A".utf8)),
            .error("2", RuntimeError(type: "HandlerError", message: "bad payload")),
            .response("3", Array("C".utf8)),
        ])
    }

    @Test("bad configuration is reported to the Runtime API as an init error, and the bootstrap exits")
    func initError() async throws {
        let api = try LoopbackHTTPServer { _ in .init(status: 202, json: "{}") }
        let status = await LambdaMain.run(
            environment: ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(api.port)", "TRIPLINE_MIN_SEVERITY": "urgent", "LOG_LEVEL": "error"],
            mainStarted: .now)
        #expect(status == 1)
        let request = try #require(api.requests.first)
        #expect(api.requests.count == 1)
        #expect(request.method == "POST" && request.path == "/2018-06-01/runtime/init/error")
        let body = try JSONValue.parse(request.body)
        #expect(body["errorType"]?.stringValue == "InitError")
        #expect(body["errorMessage"]?.stringValue?.contains("TRIPLINE_MIN_SEVERITY=urgent") == true)
    }

    @Test("the HTTP client speaks the Runtime API paths and headers")
    func http() async throws {
        // Answers like the Runtime API: `next` with an invocation and its headers, everything else 202.
        let transport = InMemoryHTTPTransport { request in
            guard request.url.hasSuffix("/invocation/next") else { return HTTPResponse(status: 202) }
            return HTTPResponse(
                status: 200,
                headers: [
                    "Lambda-Runtime-Aws-Request-Id": "req-9", "Lambda-Runtime-Deadline-Ms": "1700000000000",
                    "Lambda-Runtime-Invoked-Function-Arn": "arn:aws:lambda:us-east-1:1:function:f", "Lambda-Runtime-Trace-Id": "Root=1-abc",
                ],
                body: Array("{}".utf8))
        }
        let client = HTTPRuntimeAPIClient(api: "127.0.0.1:9001", transport: transport)
        let invocation = try await client.next()
        #expect(invocation == Invocation(
            requestID: "req-9", deadlineMs: 1_700_000_000_000, invokedFunctionArn: "arn:aws:lambda:us-east-1:1:function:f",
            traceID: "Root=1-abc", payload: Array("{}".utf8)))
        try await client.respond("req-9", Array("ok".utf8))
        try await client.fail("req-9", RuntimeError(type: "HandlerError", message: "m"))
        try await client.initFailed(RuntimeError(type: "InitError", message: "x"))
        let requests = await transport.requests
        #expect(requests.map { "\($0.method) \($0.url)" } == [
            "GET http://127.0.0.1:9001/2018-06-01/runtime/invocation/next",
            "POST http://127.0.0.1:9001/2018-06-01/runtime/invocation/req-9/response",
            "POST http://127.0.0.1:9001/2018-06-01/runtime/invocation/req-9/error",
            "POST http://127.0.0.1:9001/2018-06-01/runtime/init/error",
        ])
        #expect(String(decoding: requests[2].body, as: UTF8.self) == #"{"errorType":"HandlerError","errorMessage":"m"}"#)
        #expect(requests[2].headers["lambda-runtime-function-error-type"] == "Runtime.HandlerError")
    }
}

