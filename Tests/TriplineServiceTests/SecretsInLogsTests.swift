import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineTestSupport
@testable import TriplineService

/// SECURITY.md: credentials never reach the function's output. The built bootstrap runs under AWS's Runtime
/// Interface Emulator against moto with sentinel credentials in its environment and debug logging, through a
/// success, a failed S3 read, an unreadable payload and an ignored one; no sentinel may appear in its log, its
/// responses or the alerts it sends.
@Suite("Secrets never in logs (Lambda)", .serialized)
struct SecretsInLogsTests {
    static let secretSentinel = "SENTINELsecretKEY0123456789abcdefSENTINEL"
    static let tokenSentinel = "SENTINELsessionTOKENzyxwvutsrqSENTINEL"

    @Test("sentinel secret key and session token appear nowhere in the bootstrap's output at debug level")
    func bootstrapOutput() async throws {
        let stack = try await MotoStack.make()
        let (bucket, queue, queueArn) = try await stack.bucketWithNotifications()
        try await stack.s3.putObject(bucket: bucket, key: logKey("secrets"), body: gzip(logFile([stopLogging(trail: uniqueName("s"), at: nowEpoch() - 100)])))
        // moto sends s3:TestEvent when notifications are configured, then the object's ObjectCreated.
        let notifications = try await drain(stack.sqs, queue, count: 2)
        #expect(notifications.count == 2)

        let apiPort = try freePort()
        let invokePort = try freePort()
        let log = NSTemporaryDirectory() + "tripline-secrets-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let rie = Process()
        rie.executableURL = URL(fileURLWithPath: try LambdaBinaries.emulator())
        rie.arguments = [
            "--runtime-interface-emulator-address", "127.0.0.1:\(invokePort)", "--runtime-api-address", "127.0.0.1:\(apiPort)",
            try LambdaBinaries.bootstrap(),
        ]
        rie.environment = stack.environment([
            "AWS_LAMBDA_FUNCTION_NAME": "tripline", "AWS_LAMBDA_FUNCTION_TIMEOUT": "60", "LOG_LEVEL": "debug",
            "AWS_SECRET_ACCESS_KEY": Self.secretSentinel, "AWS_SESSION_TOKEN": Self.tokenSentinel,
            "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ])
        let logHandle = FileHandle(forWritingAtPath: log)
        rie.standardOutput = logHandle
        rie.standardError = logHandle
        try rie.run()
        defer {
            rie.terminate()
            rie.waitUntilExit()
        }

        var responses: [String] = []
        func invoke(_ payload: String) async throws {
            let deadline = Date().addingTimeInterval(20)
            while true {
                do {
                    let r = try await AsyncHTTPClientTransport.shared.send(HTTPRequest(
                        method: "POST", url: "http://127.0.0.1:\(invokePort)/2015-03-31/functions/function/invocations",
                        body: Array(payload.utf8), timeout: .seconds(60)))
                    responses.append(String(decoding: r.body, as: UTF8.self))
                    return
                } catch let e as HTTPTransportError where e.kind == .connectFailed && Date() < deadline {
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
        }
        try await invoke(String(decoding: lambdaSQSEvent(notifications, queueArn: queueArn), as: UTF8.self))
        let missing = #"{"Records":[{"eventName":"ObjectCreated:Put","awsRegion":"us-east-1","s3":{"bucket":{"name":"\#(bucket)"},"object":{"key":"AWSLogs/missing.json.gz"}}}]}"#
        try await invoke(String(decoding: lambdaSQSEvent([("gone-1", missing)], queueArn: queueArn), as: UTF8.self))
        try await invoke(String(decoding: lambdaSQSEvent([("test-1", #"{"Event":"s3:TestEvent"}"#)], queueArn: queueArn), as: UTF8.self))
        try await invoke("not json at all")
        try await invoke(#"{"hello":"world"}"#)
        let alerts = try await stack.capturedAlerts(expecting: 1)

        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        // The run did what it should (so the output is worth searching): an alert, a failed read, debug lines.
        #expect(alerts.count == 1)
        #expect(responses.count == 5 && responses[1].contains("gone-1"), "\(responses)")
        #expect(output.contains("\"level\":\"DEBUG\""), "debug lines are written: \(output.prefix(2000))")
        #expect(output.contains("input failed"), "the failed read is logged: \(output.prefix(2000))")
        for sentinel in [Self.secretSentinel, Self.tokenSentinel] {
            #expect(!output.contains(sentinel), "sentinel in the bootstrap's log")
            #expect(!responses.joined().contains(sentinel), "sentinel in a response")
            #expect(!alerts.map { $0.subject + $0.message + $0.attributes.description }.joined().contains(sentinel), "sentinel in an alert")
        }
    }
}
