import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineTestSupport

@testable import TriplineService

/// Paths of the built executable and AWS's Runtime Interface Emulator.
enum LambdaBinaries {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `tripline-lambda` as built for this test run: next to the test bundle, else the newest under `.build*/debug`.
    static func bootstrap() throws -> String {
        let fm = FileManager.default
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tripline-lambda").path
        if fm.isExecutableFile(atPath: beside) { return beside }
        let candidates = (try fm.contentsOfDirectory(atPath: repoRoot.path)).filter { $0.hasPrefix(".build") }
            .map { repoRoot.appendingPathComponent($0).appendingPathComponent("debug/tripline-lambda").path }
            .filter { fm.isExecutableFile(atPath: $0) }
        let newest = candidates.max { a, b in
            let da = (try? fm.attributesOfItem(atPath: a)[.modificationDate] as? Date) ?? .distantPast
            let db = (try? fm.attributesOfItem(atPath: b)[.modificationDate] as? Date) ?? .distantPast
            return da < db
        }
        guard let newest else { throw MotoSetupError(description: "tripline-lambda not built (looked beside \(beside) and in .build*/debug)") }
        return newest
    }

    /// The emulator from the aws-sam-cli wheel, cached in `.build-tools/` (git-ignored); fetched once with pip.
    static func emulator() throws -> String {
        let tools = repoRoot.appendingPathComponent(".build-tools")
        let path = tools.appendingPathComponent("aws-lambda-rie").path
        if FileManager.default.isExecutableFile(atPath: path) { return path }
        try FileManager.default.createDirectory(at: tools, withIntermediateDirectories: true)
        let script = """
            set -e
            d=$(mktemp -d)
            pip download --no-deps --quiet aws-sam-cli -d "$d"
            unzip -p "$d"/aws_sam_cli-*.whl samcli/local/rapid/aws-lambda-rie-x86_64 > "$1.tmp"
            chmod +x "$1.tmp" && mv "$1.tmp" "$1" && rm -rf "$d"
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script, "fetch-rie", path]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0, FileManager.default.isExecutableFile(atPath: path) else {
            throw MotoSetupError(description: "could not fetch the Lambda RIE from the aws-sam-cli wheel (status \(p.terminationStatus))")
        }
        return path
    }
}

/// Reads JSON log lines a process wrote to a file.
func logLines(_ path: String) -> [JSONValue] {
    let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    return text.split(separator: "\n").compactMap { line in
        guard let start = line.firstIndex(of: "{") else { return nil }
        return try? JSONValue.parse(String(line[start...]))
    }
}

func milliseconds(_ d: Swift.Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) * 1000 + Double(atto) / 1e15
}

@Suite("Lambda process", .serialized)
struct LambdaProcessTests {
    @Test("the built bootstrap under AWS's Runtime Interface Emulator answers every payload shape")
    func runtimeInterfaceEmulator() async throws {
        let stack = try await MotoStack.make()
        let lookups = try FakeLookupEvents(secrets: [MotoServer.accessKeyId: MotoServer.secretAccessKey])  // the bootstrap signs with moto's keys
        lookups.add(stopLogging(trail: uniqueName("polled"), at: nowEpoch() - 200))
        let (bucket, queue, queueArn) = try await stack.bucketWithNotifications()
        try await stack.s3.putObject(bucket: bucket, key: logKey("rie"), body: gzip(logFile([stopLogging(trail: uniqueName("s3"), at: nowEpoch() - 100)])))
        let notifications = try await drain(stack.sqs, queue, count: 2)
        #expect(notifications.count == 2)

        let apiPort = try freePort()
        let invokePort = try freePort()
        let log = NSTemporaryDirectory() + "tripline-rie-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let rie = Process()
        rie.executableURL = URL(fileURLWithPath: try LambdaBinaries.emulator())
        rie.arguments = [
            "--runtime-interface-emulator-address", "127.0.0.1:\(invokePort)", "--runtime-api-address", "127.0.0.1:\(apiPort)",
            try LambdaBinaries.bootstrap(),
        ]
        rie.environment = stack.environment([
            "AWS_LAMBDA_FUNCTION_NAME": "tripline", "AWS_LAMBDA_FUNCTION_TIMEOUT": "60", "LOG_LEVEL": "info",
            "AWS_ENDPOINT_URL_CLOUDTRAIL": lookups.server.baseURL, "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ])
        // One handle for both streams: two handles on one file would overwrite each other from offset 0.
        let logHandle = FileHandle(forWritingAtPath: log)
        rie.standardOutput = logHandle
        rie.standardError = logHandle
        try rie.run()
        defer {
            rie.terminate()
            rie.waitUntilExit()
        }

        let transport = AsyncHTTPClientTransport.shared
        func invoke(_ payload: String) async throws -> JSONValue {
            let deadline = Date().addingTimeInterval(20)
            while true {
                do {
                    let r = try await transport.send(HTTPRequest(
                        method: "POST", url: "http://127.0.0.1:\(invokePort)/2015-03-31/functions/function/invocations",
                        body: Array(payload.utf8), timeout: .seconds(60)))
                    #expect(r.status == 200)
                    return try JSONValue.parse(r.body)
                } catch let e as HTTPTransportError where e.kind == .connectFailed && Date() < deadline {
                    try await Task.sleep(for: .milliseconds(100))  // the emulator is still starting
                }
            }
        }

        let eb = try await invoke(eventBridgeEnvelope(stopLogging(trail: uniqueName("eb"), at: nowEpoch() - 50)).serialized())
        #expect(eb["status"]?.stringValue == "ok" && eb["alerted"]?.text == "1", "\(eb)")

        let sqs = try await invoke(String(decoding: lambdaSQSEvent(notifications, queueArn: queueArn), as: UTF8.self))
        #expect(failedItems(sqs) == [] && sqs["alerted"]?.text == "1", "\(sqs)")

        let missing = #"{"Records":[{"eventName":"ObjectCreated:Put","awsRegion":"us-east-1","s3":{"bucket":{"name":"\#(bucket)"},"object":{"key":"AWSLogs/missing.json.gz"}}}]}"#
        let failed = try await invoke(String(decoding: lambdaSQSEvent([("gone-1", missing)], queueArn: queueArn), as: UTF8.self))
        #expect(failedItems(failed) == ["gone-1"], "\(failed)")

        let scheduled = try await invoke(#"{"version":"0","id":"s1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-22T10:00:00Z","region":"us-east-1","resources":[],"detail":{}}"#)
        #expect(scheduled["status"]?.stringValue == "ok" && scheduled["alerted"]?.text == "1", "\(scheduled)")
        #expect(!lookups.requests.isEmpty)

        let guardDuty = try await invoke("""
            {"version":"0","id":"g1","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"123456789012","time":"2026-11-22T10:00:00Z","region":"us-east-1","resources":[],"detail":\(guardDutyDetail(id: uniqueName("gd"), updatedAt: EventTime.iso8601(nowEpoch()), severity: 7.5))}
            """)
        #expect(guardDuty["alerted"]?.text == "1", "\(guardDuty)")

        let unknown = try await invoke(#"{"hello":"world"}"#)
        #expect(unknown["status"]?.stringValue == "ignored")

        // A handler error is reported for that invocation (the emulator answers 200 with the error)...
        let broken = try await invoke("this is not json")
        #expect(broken["errorType"]?.stringValue == "HandlerError", "\(broken)")
        #expect(broken["errorMessage"]?.stringValue?.contains("not JSON") == true)
        // ...and the loop goes on.
        let after = try await invoke(eventBridgeEnvelope(noise(at: nowEpoch(), n: 1)).serialized())
        #expect(after["status"]?.stringValue == "ok", "\(after)")

        let alerts = try await stack.capturedAlerts(expecting: 4)
        #expect(alerts.count == 4)
        #expect(alerts.allSatisfy { $0.attributes["severity"] == "high" })

        let lines = logLines(log)
        let ready = try #require(lines.first { $0["message"]?.stringValue == "ready" }, "no ready line in \(log)")
        print("RIE cold start (main → ready): \(ready["cold_start_ms"]?.text ?? "?") ms, since exec: \(ready["since_exec_ms"]?.text ?? "?") ms, rules: \(ready["rules"]?.text ?? "?")")
        let invocations = lines.filter { $0["message"]?.stringValue == "invocation" }
        #expect(invocations.allSatisfy { $0["request_id"]?.stringValue?.isEmpty == false })
        print("RIE scan time per invocation (ms): \(invocations.compactMap { $0["scan_ms"]?.text })")
    }

    @Test("cold start of the bootstrap with the full catalog (process start → ready)")
    func coldStart() async throws {
        let bootstrap = try LambdaBinaries.bootstrap()
        // A Runtime API that refuses `next`, so the process starts, reports ready and exits.
        let api = try LoopbackHTTPServer { _ in .init(status: 500, text: "no invocations") }
        var mainToReady: [Double] = []
        var sinceExec: [Double] = []
        var rulesLoad: [Double] = []
        var wall: [Double] = []
        for _ in 0..<5 {
            let out = NSTemporaryDirectory() + "tripline-cold-\(UUID().uuidString.prefix(8)).log"
            _ = FileManager.default.createFile(atPath: out, contents: nil)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: bootstrap)
            p.environment = ["AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(api.port)", "AWS_REGION": "us-east-1", "LOG_LEVEL": "info"]
            let handle = FileHandle(forWritingAtPath: out)
            p.standardOutput = handle
            p.standardError = handle
            let started = ContinuousClock.now
            try p.run()
            p.waitUntilExit()
            wall.append(milliseconds(ContinuousClock.now - started))
            let ready = try #require(logLines(out).first { $0["message"]?.stringValue == "ready" }, "no ready line")
            #expect(ready["rules"]?.text == String(catalog.rules.filter(\.enabled).count))
            mainToReady.append(try #require(ready["cold_start_ms"]?.doubleValue))
            rulesLoad.append(try #require(ready["rules_ms"]?.doubleValue))
            sinceExec.append(try #require(ready["since_exec_ms"]?.doubleValue))
            #expect(p.terminationStatus == 1)  // the refused `next` ends the loop
        }
        func median(_ v: [Double]) -> Double { v.sorted()[v.count / 2] }
        print(String(format: "cold start, median of 5: main → ready %.1f ms (of which rule catalog %.1f ms); exec → ready %.0f ms (10 ms ticks); spawn → exit %.0f ms",
                     median(mainToReady), median(rulesLoad), median(sinceExec), median(wall)))
        // The issue's target (50 ms) is for the release bootstrap; this is a debug build on a shared, loaded
        // machine, so only a gross regression fails here. The printed numbers are the measurement.
        #expect(median(mainToReady) < 3000)
    }

    @Test("engine time per invocation: one EventBridge event and a 1,000-event log file")
    func engineTime() async throws {
        let engine = Engine(rules: catalog.rules)
        let context = testContext()
        let t = nowEpoch()
        let envelope = Array(eventBridgeEnvelope(stopLogging(trail: "perf", at: t)).serialized().utf8)
        var events = (0..<990).map { noise(at: t - $0, n: $0) }
        events += (0..<10).map { stopLogging(trail: "perf-\($0)", at: t - $0) }
        let file = gzip(logFile(events))

        func measure(_ runs: Int, _ bytes: [UInt8], expectFindings: Int) async -> Double {
            var times: [Double] = []
            for _ in 0..<runs {
                var batch = Batch(context: context)
                batch.add(bytes, path: "perf", inputID: "perf")
                await batch.scan(objects: NoObjects(), engine: engine)
                #expect(batch.findings.filter { $0.ruleID == stopLoggingRule }.count == expectFindings)
                #expect(batch.failed.isEmpty)
                times.append(milliseconds(batch.scanTime))
            }
            return times.sorted()[times.count / 2]
        }
        let single = await measure(200, envelope, expectFindings: 1)
        let thousand = await measure(20, file, expectFindings: 10)
        print(String(format: "engine time, median: EventBridge event %.3f ms; 1,000-event gzipped log (%d bytes) %.2f ms", single, file.count, thousand))
        #expect(single < 50)
        #expect(thousand < 2000)
    }
}

/// The built bootstrap under the Runtime Interface Emulator, with `environment`; stopped by `stop()`.
final class EmulatedFunction: @unchecked Sendable {
    let process = Process()
    let invokePort: Int
    let log: String

    init(environment: [String: String]) throws {
        let apiPort = try freePort()
        invokePort = try freePort()
        log = NSTemporaryDirectory() + "tripline-rie-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.executableURL = URL(fileURLWithPath: try LambdaBinaries.emulator())
        process.arguments = [
            "--runtime-interface-emulator-address", "127.0.0.1:\(invokePort)", "--runtime-api-address", "127.0.0.1:\(apiPort)",
            try LambdaBinaries.bootstrap(),
        ]
        process.environment = environment.merging(["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]) { a, _ in a }
        let handle = FileHandle(forWritingAtPath: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }

    /// Invokes the function (retrying while the emulator starts); returns the answer and how long it took.
    func invoke(_ payload: [UInt8]) async throws -> (JSONValue, Swift.Duration) {
        let deadline = Date().addingTimeInterval(20)
        while true {
            do {
                let started = ContinuousClock.now
                let r = try await AsyncHTTPClientTransport.shared.send(HTTPRequest(
                    method: "POST", url: "http://127.0.0.1:\(invokePort)/2015-03-31/functions/function/invocations",
                    body: payload, timeout: .seconds(60)))
                return (try JSONValue.parse(r.body), ContinuousClock.now - started)
            } catch let e as HTTPTransportError where e.kind == .connectFailed && Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

@Suite("Lambda process: deadlines", .serialized)
struct LambdaDeadlineTests {
    @Test("under the emulator with a 3 s timeout and a hanging SNS, the bootstrap answers before the deadline, the message failed and its claim released")
    func hangingSNSUnderEmulator() async throws {
        let stack = try await MotoStack.make()
        let hanging = try StallingServer(.silent)
        defer { hanging.stop() }
        let function = try EmulatedFunction(environment: stack.environment([
            "AWS_LAMBDA_FUNCTION_NAME": "tripline", "AWS_LAMBDA_FUNCTION_TIMEOUT": "3", "LOG_LEVEL": "info",
            "AWS_ENDPOINT_URL_SNS": hanging.baseURL,
        ]))
        defer { function.stop() }
        // Warm the function first (the cold start is not part of the invocation's 3 s in this measurement).
        _ = try await function.invoke(Array(eventBridgeEnvelope(noise(at: nowEpoch(), n: 1)).serialized().utf8))

        let trail = uniqueName("rie-deadline")
        let body = eventBridgeEnvelope(stopLogging(trail: trail, at: nowEpoch() - 30)).serialized()
        let (response, took) = try await function.invoke(lambdaSQSEvent([(id: "msg-hang", body: body)], queueArn: "arn:aws:sqs:us-east-1:123456789012:q"))
        print("emulator, 3 s timeout, SNS hanging: answered after \(milliseconds(took)) ms: \(response.serialized())")
        #expect(failedItems(response) == ["msg-hang"], "\(response)")
        #expect(took < .seconds(3))

        let stored = try await stack.store.list(since: nil, limit: 10, minimumSeverity: .high).filter { $0.ruleID == stopLoggingRule }
        let finding = try #require(stored.first { $0.json["request"]?["requestParameters.name"]?.stringValue == trail })
        #expect(finding.state == .pending)
        // Released, not left to expire: the redelivery claims it at once.
        #expect(try await stack.store.claim(finding, owner: "redelivery", now: nowEpoch(), expiresAt: nowEpoch() + 60) == .claimed)
        let invocation = try #require(logLines(function.log).last { $0["message"]?.stringValue == "invocation" })
        // The publish itself was cut at the margin (no later band was left to stop before).
        #expect(invocation["failed_inputs"]?.text == "1", "\(invocation)")
    }
}
