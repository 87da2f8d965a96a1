import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineCore
import TriplineDestinations
import TriplineJSON
import TriplineTestSupport

// MARK: - Alerts

/// An alert with `text` in every field an event controls; `id` unique per call unless given.
func alert(_ text: String = "aws-cli/2.15.0", id: String = "tripline-" + UUID().uuidString.prefix(16).lowercased()) -> AlertContent {
    AlertContent(
        id: id,
        matches: [
            .init(ruleID: "tripline.cloudtrail.logging-stopped", title: "CloudTrail trail " + text + " stopped", severity: .high,
                  description: "A trail stopped logging.", action: "Restart logging and find out who stopped it.",
                  tags: ["attack.defense-evasion"], count: 2, dedupKey: "tripline.cloudtrail.logging-stopped:0a1b2c3d4e5f6071"),
            .init(ruleID: "tripline.test.discovery", title: "Discovery " + text, severity: .low, action: "Look.",
                  tags: ["attack.discovery"], dedupKey: "tripline.test.discovery:01"),
        ],
        actor: "arn:aws:iam::123456789012:user/" + text, actorType: "IAMUser", accountID: "123456789012", accountName: "prod",
        region: "us-east-1", eventTime: "2026-03-01T12:00:00Z", eventName: "StopLogging",
        eventSource: "cloudtrail.amazonaws.com", eventID: "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c", sourceIP: "198.51.100.7",
        userAgent: text, request: [.init(key: "requestParameters.name", value: text)])
}

// MARK: - Time

/// Records requested sleeps instead of sleeping, so retry tests are instant and exact.
actor SleepRecorder {
    private(set) var sleeps: [Swift.Duration] = []
    func record(_ d: Swift.Duration) { sleeps.append(d) }
    nonisolated var sleeper: AWSSleeper { { [self] d in await record(d) } }
}

/// A clock that moves one second per reading.
final class TickingClock: @unchecked Sendable {
    private let lock = NSLock()
    private var t: Int
    init(_ start: Int) { t = start }
    var now: @Sendable () -> Int { { [self] in lock.withLock { defer { t += 1 }; return t } } }
}

func poster(_ sleeper: SleepRecorder, retry: DeliveryRetry = DeliveryRetry(random: { 1.0 }), timeout: Swift.Duration = .seconds(5)) -> WebhookPoster {
    WebhookPoster(retry: retry, timeout: timeout, sleep: sleeper.sleeper)
}

// MARK: - Receivers

/// A loopback receiver answering with `script` in order (the last answer repeats).
func receiver(_ script: [LoopbackHTTPServer.Response]) throws -> LoopbackHTTPServer {
    let counter = Counter()
    return try LoopbackHTTPServer { _ in script[min(counter.next(), script.count - 1)] }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func next() -> Int { lock.withLock { defer { n += 1 }; return n } }
}

/// A port nothing listens on.
func closedPortURL() throws -> String {
    let server = try LoopbackHTTPServer { _ in .init(status: 200) }
    let url = server.baseURL
    server.stop()
    return url
}

// MARK: - AWS

func motoClient(_ server: MotoServer) -> AWSClient {
    AWSClient(
        region: MotoServer.region,
        credentials: StaticCredentialProvider(accessKeyId: MotoServer.accessKeyId, secretAccessKey: MotoServer.secretAccessKey),
        endpoint: server.endpoint, timeout: .seconds(30))
}

func drain(_ sqs: SQSClient, _ queueUrl: String, count: Int, seconds: Int = 10) async throws -> [SQSMessage] {
    var found: [SQSMessage] = []
    let deadline = Date().addingTimeInterval(Double(seconds))
    while found.count < count, Date() < deadline {
        for m in try await sqs.receiveMessage(queueUrl: queueUrl, maxMessages: 10, waitTimeSeconds: 1) {
            try await sqs.deleteMessage(queueUrl: queueUrl, receiptHandle: m.receiptHandle)
            found.append(m)
        }
    }
    return found
}

// MARK: - An independent checker (Python: jsonschema, hmac)

struct PythonResult {
    var status: Int32
    var output: String
}

/// Runs `python3 -c <checker> <arguments…>` and returns its status and combined output.
func python(_ arguments: [String]) async throws -> PythonResult {
    let dir = FileManager.default.temporaryDirectory
    let out = dir.appendingPathComponent("tripline-py-\(UUID().uuidString).out")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    let handle = try FileHandle(forWritingTo: out)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3", "-c", checker] + arguments
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = handle
    p.standardError = handle
    let finished = AsyncStream<Void>.makeStream()
    p.terminationHandler = { _ in finished.continuation.finish() }
    try p.run()
    for await _ in finished.stream {}
    try? handle.close()
    return PythonResult(status: p.terminationStatus, output: (try? String(contentsOf: out, encoding: .utf8)) ?? "")
}

/// Writes bytes to a temporary file (removed by the caller's `defer`).
func temporaryFile(_ bytes: [UInt8]) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("tripline-\(UUID().uuidString)")
    try Data(bytes).write(to: url)
    return url
}

/// Validates each payload (JSON texts) against a schema with Python's jsonschema; returns the failures.
func schemaErrors(_ schema: String, _ payloads: [[UInt8]]) async throws -> String {
    let schemaFile = try temporaryFile(Array(schema.utf8))
    var array: [UInt8] = Array("[".utf8)
    for (k, p) in payloads.enumerated() {
        if k > 0 { array.append(UInt8(ascii: ",")) }
        array += p
    }
    array += Array("]".utf8)
    let payloadFile = try temporaryFile(array)
    defer {
        try? FileManager.default.removeItem(at: schemaFile)
        try? FileManager.default.removeItem(at: payloadFile)
    }
    let result = try await python(["validate", schemaFile.path, payloadFile.path])
    return result.status == 0 ? "" : result.output.isEmpty ? "python exited \(result.status)" : result.output
}

/// HMAC-SHA256 hex of `<timestamp>.<body>` computed by Python's hmac module.
func pythonSignature(key: String, timestamp: String, body: [UInt8]) async throws -> String {
    let file = try temporaryFile(body)
    defer { try? FileManager.default.removeItem(at: file) }
    let result = try await python(["hmac", key, timestamp, file.path])
    #expect(result.status == 0, "\(result.output)")
    return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
}

let checker = #"""
import sys, json, hmac, hashlib
mode = sys.argv[1]
if mode == "validate":
    import jsonschema
    schema = json.load(open(sys.argv[2]))
    validator = jsonschema.Draft202012Validator(schema)
    bad = 0
    for i, payload in enumerate(json.load(open(sys.argv[3]))):
        for e in validator.iter_errors(payload):
            bad += 1
            print(f"payload {i}: {'/'.join(map(str, e.absolute_path))}: {e.message[:300]}")
            if bad > 20: sys.exit(1)
    sys.exit(1 if bad else 0)
elif mode == "hmac":
    key, ts, path = sys.argv[2], sys.argv[3], sys.argv[4]
    body = open(path, "rb").read()
    print("v1=" + hmac.new(key.encode(), ts.encode() + b"." + body, hashlib.sha256).hexdigest())
"""#
