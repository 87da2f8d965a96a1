import Foundation
import Testing
import TriplineAWS
import TriplineConfig
import TriplineCore
import TriplineJSON
import TriplineTestSupport

@testable import TriplineService

/// Every line a logger wrote, raw.
final class RawLog: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.withLock { lines.append(line) } }
    var text: String { lock.withLock { lines.joined(separator: "\n") } }
}

/// A receiver whose answer a test changes.
final class Switchable: @unchecked Sendable {
    private let lock = NSLock()
    private var status: Int
    init(_ status: Int) { self.status = status }
    var value: Int {
        get { lock.withLock { status } }
        set { lock.withLock { status = newValue } }
    }
}

/// HMAC-SHA256 by openssl: an implementation independent of ours.
func opensslHMAC(key: String, message: [UInt8]) throws -> String {
    let input = NSTemporaryDirectory() + "tripline-hmac-\(UUID().uuidString)"
    FileManager.default.createFile(atPath: input, contents: Data(message))
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    p.arguments = ["dgst", "-sha256", "-hmac", key, "-r", input]
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    p.waitUntilExit()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    return String(text.split(separator: " ").first ?? "")
}

@Suite("Destinations wired into the Lambda: configuration, secrets, routes, per-destination retries", .serialized)
struct DestinationWiringTests {
    static let slackSentinel = "SENTINELslackTOKEN"
    static let teamsSentinel = "SENTINELteamsTOKEN"
    static let hookSentinel = "SENTINELhookTOKEN"
    static let keySentinel = "SENTINELsigningKEY"

    @Test("Slack, Teams (failing first), a signed webhook, a route that matches nothing and SNS: the retry goes to Teams alone; no secret in the log")
    func lambdaEndToEnd() async throws {
        let stack = try await MotoStack.make()
        let slack = try LoopbackHTTPServer { _ in .init(status: 200, text: "ok") }
        let quiet = try LoopbackHTTPServer { _ in .init(status: 200, text: "ok") }
        let teamsStatus = Switchable(503)
        let teams = try LoopbackHTTPServer { _ in .init(status: teamsStatus.value, text: teamsStatus.value == 202 ? "" : "busy") }
        let hook = try LoopbackHTTPServer { _ in .init(status: 200, json: "{}") }
        defer { [slack, quiet, teams, hook].forEach { $0.stop() } }

        // Secrets three ways: the environment, SSM (SecureString) and Secrets Manager.
        let keyName = "/\(uniqueName("tripline"))/webhook-key"
        try await SSMClient(stack.client).putParameter(name: keyName, value: Self.keySentinel, type: "SecureString")
        let teamsSecret = uniqueName("tripline-teams")
        _ = try await SecretsManagerClient(stack.client).createSecret(
            name: teamsSecret, value: #"{"url":"\#(teams.baseURL)/workflows/\#(Self.teamsSentinel)"}"#)
        let destinations = """
            [{"name":"chat","type":"slack","webhook_url":"env:SLACK_URL"},
             {"name":"quiet","type":"slack","webhook_url":"env:QUIET_URL","route":{"min_severity":"critical"}},
             {"name":"teams","type":"teams","webhook_url":"secretsmanager:\(teamsSecret)#url"},
             {"name":"siem","type":"webhook","url":"env:HOOK_URL","signing_key":"ssm:\(keyName)",
              "route":{"rules":["tripline.cloudtrail.*"],"accounts":["123456789012"]}},
             {"name":"email","type":"sns","topic_arn":"\(stack.topicArn)"}]
            """
        let env = stack.environment([
            "TRIPLINE_DESTINATIONS": destinations,
            "SLACK_URL": "\(slack.baseURL)/services/T0/B0/\(Self.slackSentinel)",
            "QUIET_URL": "\(quiet.baseURL)/services/T0/B1/\(Self.slackSentinel)",
            "HOOK_URL": "\(hook.baseURL)/hook?token=\(Self.hookSentinel)",
            "LOG_LEVEL": "debug",
        ])
        let log = RawLog()
        let logger = Logger(level: .debug, write: { log.append($0) })
        let handler = try await TriplineHandler.configured(environment: env, log: logger)
        #expect(handler.pipeline.router?.names == ["chat", "quiet", "teams", "siem", "email"])

        let trail = uniqueName("prod")
        let event = stopLogging(trail: trail, at: nowEpoch() - 60)
        let payload = lambdaSQSEvent([(id: "m1", body: eventBridgeEnvelope(event).serialized())], queueArn: "arn:aws:sqs:us-east-1:123456789012:q")

        // 1. Teams is down: everything else gets the alert, and only the input is retried.
        let first = try responseJSON(try await handler.handle(payload, context: InvocationContext(requestID: "r1", log: logger)))
        #expect(failedItems(first) == ["m1"])
        #expect(slack.requests.count == 1 && hook.requests.count == 1 && quiet.requests.isEmpty)
        #expect(teams.requests.count >= 2, "Teams is retried with backoff inside the invocation")
        #expect(try await stack.capturedAlerts(expecting: 1).count == 1)

        // The webhook's signature checks out with openssl and the key from SSM.
        let request = try #require(hook.requests.first)
        let timestamp = try #require(request.headers["x-tripline-timestamp"])
        let mac = try opensslHMAC(key: Self.keySentinel, message: Array("\(timestamp).".utf8) + request.body)
        #expect(request.headers["x-tripline-signature"] == "v1=\(mac)")
        #expect(String(decoding: slack.requests[0].body, as: UTF8.self).contains(String(trail.suffix(8))))

        // 2. SQS redelivers: Teams alone gets it; nobody else hears it twice.
        teamsStatus.value = 202
        let teamsBefore = teams.requests.count
        let second = try responseJSON(try await handler.handle(payload, context: InvocationContext(requestID: "r2", log: logger)))
        #expect(failedItems(second) == [])
        #expect(teams.requests.count == teamsBefore + 1)
        #expect(slack.requests.count == 1 && hook.requests.count == 1 && quiet.requests.isEmpty)
        #expect(try await stack.capturedAlerts(expecting: 1, seconds: 2).isEmpty, "SNS already had it")

        // 3. A third delivery is a duplicate everywhere.
        let third = try responseJSON(try await handler.handle(payload, context: InvocationContext(requestID: "r3", log: logger)))
        #expect(failedItems(third) == [])
        #expect(teams.requests.count == teamsBefore + 1 && slack.requests.count == 1 && hook.requests.count == 1)

        // The log names destinations and failures, never a secret.
        let text = log.text
        #expect(text.contains("teams") && text.contains("503"))
        #expect(!text.contains("SENTINEL"), "a secret reached the log")
    }

    @Test("a secret that cannot be read fails the start, naming the destination and the reference only")
    func missingSecret() async throws {
        let stack = try await MotoStack.make()
        let env = stack.environment([
            "TRIPLINE_DESTINATION_PAGER": #"{"name":"pager","type":"pagerduty","routing_key":"ssm:/tripline/no-such-key"}"#,
        ])
        do {
            _ = try await TriplineHandler.configured(environment: env, log: Logger(level: .error, write: Logger.discard))
            Issue.record("the start succeeded without the routing key")
        } catch {
            #expect("\(error)".contains("destination 'pager' (TRIPLINE_DESTINATION_PAGER:1): routing_key: secret ssm:/tripline/no-such-key not found"), "\(error)")
        }
    }

    @Test("without destinations the function alerts through SNS, as before")
    func snsDefault() async throws {
        let stack = try await MotoStack.make()
        let handler = try await TriplineHandler.configured(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        #expect(handler.pipeline.router == nil)
        let payload = lambdaSQSEvent(
            [(id: "m1", body: eventBridgeEnvelope(stopLogging(trail: uniqueName("t"), at: nowEpoch() - 60)).serialized())],
            queueArn: "arn:aws:sqs:us-east-1:123456789012:q")
        let response = try responseJSON(try await handler.handle(payload, context: testContext()))
        #expect(failedItems(response) == [])
        #expect(try await stack.capturedAlerts(expecting: 1).count == 1)
    }
}
