import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineSynth
import TriplineTestSupport

@testable import TriplineService

/// Load through the deployed shape: gzipped log files in S3 → notifications in SQS → the built bootstrap under AWS's
/// Runtime Interface Emulator (batches of 10, as the event source mapping sends them) → DynamoDB → SNS, all on moto,
/// with the bootstrap's AWS traffic passing a proxy that fails a small share of requests. Every planted attack must
/// be alerted exactly once (a re-sent alert only in the documented window, and then with the same alert id).
///
/// CI runs 100,000 events; `scripts/load` runs 1,000,000 against the release bootstrap. Environment:
/// TRIPLINE_LOAD_EVENTS, TRIPLINE_LOAD_FAULT_RATE (default 0.01), TRIPLINE_LOAD_SEED, TRIPLINE_LOAD_BOOTSTRAP.
@Suite("Load through the emulator", .serialized)
struct LoadTests {
    static let env = ProcessInfo.processInfo.environment
    static let eventsPerFile = 1000
    static let plantedEvery = 10  // one planted attack per this many files
    static let maxReceiveCount = 5  // the module's redrive policy

    @Test("S3 → SQS → bootstrap → DynamoDB → SNS under faults: every planted attack alerted exactly once")
    func loadWithFaults() async throws {
        let events = Int(Self.env["TRIPLINE_LOAD_EVENTS"] ?? "") ?? 100_000
        let faultRate = Double(Self.env["TRIPLINE_LOAD_FAULT_RATE"] ?? "") ?? 0.01
        let seed = UInt64(Self.env["TRIPLINE_LOAD_SEED"] ?? "") ?? UInt64(Date().timeIntervalSince1970)
        print("load: seed \(seed) (TRIPLINE_LOAD_SEED to repeat), \(events) events, fault rate \(faultRate)")
        let files = max(1, events / Self.eventsPerFile)

        // A moto of its own: a hundred thousand events keep one busy, and the other suites share theirs.
        let moto = try await MotoServer.startDedicated()
        defer { moto.stop() }
        let stack = try await MotoStack.make(on: moto)
        let (bucket, queue, queueArn) = try await stack.bucketWithNotifications()

        // Ordinary activity of a busy organisation (its fixed seed gives no high+: the precision test holds that) with planted
        // StopLogging calls, each on its own trail so that each is its own alert.
        var config = SynthConfig.busyOrganisation(eventsPerFile: Self.eventsPerFile)
        config.accountId = MotoServer.accountId
        config.startTime = Int64(nowEpoch() - 3600)
        config.secondsPerFile = max(1, 3000 / files)
        let generator = SynthGenerator(config: config)
        var planted: [String] = []
        let uploadStart = ContinuousClock.now
        for index in 0..<files {
            var extra: [[UInt8]] = []
            if index % Self.plantedEvery == 0 {
                let trail = "load-planted-" + String(format: "%06d", index)
                planted.append(trail)
                let at = Int(generator.logFileInfo(index: index).startTime) + 1
                extra.append(Array(stopLogging(trail: trail, at: at, account: MotoServer.accountId).serialized().utf8))
            }
            try await stack.s3.putObject(bucket: bucket, key: generator.logFileKey(index: index), body: gzip(generator.logFile(index: index, injecting: extra)))
        }
        // Receiving and deleting takes moto about 13 notifications a second: the wait grows with the files (a fixed
        // minute cut the million-event run at 760 of 1,000 files).
        let notifications = try await drain(stack.sqs, queue, count: files, seconds: 60 + Double(files) / 4)
        #expect(notifications.count == files)
        print("load: \(files) log files uploaded and announced in \(seconds(ContinuousClock.now - uploadStart)) s")

        // A small share of the bootstrap's S3, DynamoDB and SNS requests fail: a 5xx or the service's throttling
        // error before the service saw it, or a reset after it carried the request out (the duplicate window).
        let faults = LoadFaults(rate: faultRate, seed: seed)
        let proxy = try FaultProxy(upstreamPort: stack.server.port) { faults.decide($0) }
        let emulator = try await Emulator.start(environment: stack.environment([
            "AWS_ENDPOINT_URL": proxy.baseURL, "AWS_LAMBDA_FUNCTION_TIMEOUT": "60", "LOG_LEVEL": "warning",
        ]))
        defer { emulator.stop() }

        // The event source mapping, by hand: batches of 10; a failed item comes back until maxReceiveCount, then
        // goes to the DLQ, which is replayed at the end with the faults off (`tripline replay`'s job).
        var queued = notifications.map { (message: $0, receives: 1) }
        var deadLetters: [SQSMessage] = []
        var latencies: [Double] = []
        var findings = 0
        var invocations = 0
        let start = ContinuousClock.now
        func invokeBatch(_ batch: [SQSMessage]) async throws -> Set<String> {
            let began = ContinuousClock.now
            let response = try await emulator.invoke(lambdaSQSEvent(batch, queueArn: queueArn))
            latencies.append(milliseconds(ContinuousClock.now - began))
            invocations += 1
            findings += Int(response["findings"]?.doubleValue ?? 0)
            if response["errorType"] != nil { return Set(batch.map(\.messageId)) }  // the whole batch fails
            return Set(failedItems(response))
        }
        while !queued.isEmpty {
            let batch = Array(queued.prefix(10))
            queued.removeFirst(batch.count)
            let failed = try await invokeBatch(batch.map(\.message))
            for item in batch where failed.contains(item.message.messageId) {
                if item.receives >= Self.maxReceiveCount { deadLetters.append(item.message) } else {
                    queued.append((item.message, item.receives + 1))
                }
            }
        }
        let elapsed = seconds(ContinuousClock.now - start)
        faults.rate = 0
        for batch in stride(from: 0, to: deadLetters.count, by: 10).map({ Array(deadLetters[$0..<min($0 + 10, deadLetters.count)]) }) {
            #expect(try await invokeBatch(batch).isEmpty, "a replayed dead letter failed again")
        }
        let peakRSS = emulator.bootstrapPeakRSSKiB()

        let alerts = try await stack.capturedAlerts(expecting: planted.count, seconds: 30)
        var byTrail: [String: [CapturedAlert]] = [:]
        for alert in alerts {
            guard let trail = planted.first(where: { alert.message.contains($0) }) else {
                Issue.record("an alert for no planted attack: \(alert.subject)")
                continue
            }
            byTrail[trail, default: []].append(alert)
        }
        let missing = planted.filter { byTrail[$0] == nil }
        #expect(missing.isEmpty, "planted attacks never alerted (seed \(seed)): \(missing.prefix(10))")
        var windowHits = 0
        for (trail, sent) in byTrail where sent.count > 1 {
            let ids = Set(sent.map { $0.attributes["alert_id"] ?? "" })
            #expect(ids.count == 1 && ids.first?.isEmpty == false, "\(trail) alerted \(sent.count) times with ids \(ids) (seed \(seed))")
            windowHits += sent.count - 1
        }

        let sorted = latencies.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let log = proxy.log
        let dynamoRequests = log.count { $0.request.service == "dynamodb" }
        print(String(format: "load: %d events in %d files, %d invocations, %.1f s: %.0f events/s; per batch of 10 messages p50 %.0f ms, p99 %.0f ms",
                     files * Self.eventsPerFile, files, invocations, elapsed, Double(files * Self.eventsPerFile) / elapsed, percentile(0.5), percentile(0.99)))
        print("load: bootstrap peak RSS \(peakRSS.map { "\($0 / 1024) MiB" } ?? "unknown"); findings processed \(findings); "
              + "DynamoDB requests \(dynamoRequests) (\(findings > 0 ? String(format: "%.2f", Double(dynamoRequests) / Double(findings)) : "-") per finding)")
        print("load: requests \(log.count), faulted \(log.count { $0.fault != .pass }), dead letters replayed \(deadLetters.count), "
              + "planted \(planted.count), alerts \(alerts.count), duplicate-window hits \(windowHits)")
        #expect(peakRSS != nil)
    }
}

func seconds(_ d: Swift.Duration) -> Double { milliseconds(d) / 1000 }

/// Faults at a fixed rate on the services the bootstrap writes through, from a seed.
final class LoadFaults: @unchecked Sendable {
    private let lock = NSLock()
    private var random: SplitMix64
    private var _rate: Double
    var rate: Double {
        get { lock.withLock { _rate } }
        set { lock.withLock { _rate = newValue } }
    }

    init(rate: Double, seed: UInt64) {
        _rate = rate
        random = SplitMix64(seed: seed ^ 0x6C6F_6164)
    }

    func decide(_ request: ProxiedRequest) -> ProxyFault {
        lock.withLock {
            guard ["s3", "dynamodb", "sns"].contains(request.service), Double(random.next() % 1_000_000) / 1_000_000 < _rate else { return .pass }
            return [.serverError, .throttle, .resetMidBody][random.below(3)]
        }
    }
}

/// The built bootstrap under AWS's Runtime Interface Emulator.
struct Emulator {
    let process: Process
    let invokePort: Int

    static func start(environment: [String: String]) async throws -> Emulator {
        let apiPort = try freePort()
        let invokePort = try freePort()
        let rie = Process()
        rie.executableURL = URL(fileURLWithPath: try LambdaBinaries.emulator())
        let bootstrap = try LoadTests.env["TRIPLINE_LOAD_BOOTSTRAP"] ?? LambdaBinaries.bootstrap()
        rie.arguments = ["--runtime-interface-emulator-address", "127.0.0.1:\(invokePort)", "--runtime-api-address", "127.0.0.1:\(apiPort)", bootstrap]
        rie.environment = environment.merging([
            "AWS_LAMBDA_FUNCTION_NAME": "tripline", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin",
        ]) { a, _ in a }
        rie.standardOutput = FileHandle.nullDevice
        rie.standardError = FileHandle.standardError
        try rie.run()
        return Emulator(process: rie, invokePort: invokePort)
    }

    func invoke(_ payload: [UInt8]) async throws -> JSONValue {
        let deadline = Date().addingTimeInterval(20)
        while true {
            do {
                let r = try await AsyncHTTPClientTransport.shared.send(HTTPRequest(
                    method: "POST", url: "http://127.0.0.1:\(invokePort)/2015-03-31/functions/function/invocations",
                    body: payload, timeout: .seconds(90)))
                return try JSONValue.parse(r.body)
            } catch let e as HTTPTransportError where e.kind == .connectFailed && Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))  // the emulator is still starting
            }
        }
    }

    /// The bootstrap's peak resident set (VmHWM), read from /proc while it runs under the emulator.
    func bootstrapPeakRSSKiB() -> Int? {
        let parent = process.processIdentifier
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        for pid in pids where Int32(pid) != nil {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            guard fields.count > 1, Int32(fields[1]) == parent,
                  let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else { continue }
            return Int(line.split(separator: " ", omittingEmptySubsequences: true)[1])
        }
        return nil
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
