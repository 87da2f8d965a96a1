import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineRules
import TriplineTestSupport

@testable import TriplineService

/// The fault-injection suite (issue 12, item 4): the real handler, in process, with real SigV4 HTTP through a
/// ``FaultProxy`` per service (S3, DynamoDB, SNS) to one moto_server, under seeded random ``FaultSchedule``s.
///
/// Each schedule has its own table, topic and alert-capture queue, and a virtual clock (real time plus an offset)
/// shared by the handler's claims and deadlines, so "the redelivery comes after the visibility timeout" and "the
/// DLQ is replayed later" cost no real time. Per schedule: the fixed inputs (S3 log objects announced by SQS
/// records, EventBridge single events) are invoked; failed SQS items are redelivered until maxReceiveCount and
/// failed asynchronous invocations retried twice; what would reach the DLQ is replayed without faults. Then:
/// every planted attack alerted; an alert sent more than once only when every earlier copy was accepted by SNS and
/// never marked (the documented window), and then every copy carries the same alert id.
///
/// Reproduce a failing schedule with `TRIPLINE_FAULT_SEED=<seed> swift test --filter FaultInjectionTests`.
@Suite("Fault injection (proxy between the handler and moto)")
struct FaultInjectionTests {
    /// The module's default redrive policy (template-sam.yaml, terraform's `sqs_max_receive_count`).
    static let maxReceiveCount = 5
    /// Lambda retries a failed asynchronous invocation twice.
    static let asyncAttempts = 3
    /// The invocation deadline: short, so a held request costs little real time.
    static let deadlineMs = 3000
    /// The deadline of a DLQ replay (no faults).
    static let replayDeadlineMs = 30_000
    /// Schedules run at once (each has its own resources and proxies).
    static let parallel = 10
    /// Reproducing one seed: the handler's error log is printed.
    static let verbose = ProcessInfo.processInfo.environment["TRIPLINE_FAULT_SEED"] != nil
    static let logWrite: @Sendable (String) -> Void = { line in if verbose { print("  handler: \(line)") } }

    @Test("random fault schedules: every planted attack alerted, duplicates only in the documented window")
    func randomSchedules() async throws {
        let (seeds, runSeed) = FaultSchedule.seeds()
        let fixture = try await Fixture.make()
        var report = Report()
        try await withThrowingTaskGroup(of: ScheduleResult.self) { group in
            var next = 0
            func add() {
                guard next < seeds.count else { return }
                let seed = seeds[next]
                // Every tenth schedule exercises the release-less paths too: two handlers on the same batch, or a
                // handler killed between claim and publish / between publish and mark.
                let special: FaultRun.Special =
                    seeds.count == 1 ? FaultRun.Special.of(seed) : next % 10 == 3 ? .concurrent : next % 10 == 7 ? (next % 20 == 7 ? .killBeforePublish : .killAfterPublish) : .none
                next += 1
                group.addTask { try await FaultRun(seed: seed, fixture: fixture, special: special).run() }
            }
            for _ in 0..<Self.parallel { add() }
            while let result = try await group.next() {
                report.add(result)
                add()
            }
        }
        let line = report.line(runSeed: runSeed)
        print(line)
        for v in report.counts.violations { print("fault-injection violation: \(v)") }
        #expect(report.schedules == seeds.count)
        #expect(report.counts.violations.isEmpty,
                "\(report.counts.violations.count) violation(s); reproduce each with TRIPLINE_FAULT_SEED=<seed>: \(report.counts.violations.prefix(10).joined(separator: " | "))")
        if seeds.count >= 50 {
            // The suite must actually fault, retry and replay, or it proves nothing.
            #expect(report.counts.faulted > report.counts.proxied / 20)
            #expect(report.counts.dlqReplays > 0)
            #expect(report.kills > 0 && report.concurrent > 0)
        }
    }

    @Test("the checker sees a planted violation: an alert re-sent after it was marked is reported")
    func checkerCatchesDoubleAlert() async throws {
        let fixture = try await Fixture.make()
        // No faults; then one alert published again by hand, after its finding was marked.
        var run = FaultRun(seed: 1, fixture: fixture, special: .none)
        run.rate = 0
        run.resendFirstAlert = true
        let result = try await run.run()
        #expect(result.counts.violations.contains { $0.contains("after it was marked") }, "\(result.counts.violations)")
    }
}

// MARK: - Inputs

/// The fixed inputs of every schedule: log objects in one bucket, the SQS records announcing them, EventBridge
/// events; with the planted attacks' trail names.
struct Fixture: Sendable {
    let server: MotoServer
    let bucket: String
    let sqsBodies: [(id: String, body: String)]
    let eventBridge: [[UInt8]]
    /// Trail name of every planted StopLogging (one alert each).
    let attacks: [String]
    let rules: RuleLoadResult

    static func make() async throws -> Fixture {
        let server = try await MotoServer.shared()
        let s3 = S3Client(motoClient(server))
        let bucket = uniqueName("tripline-fault-trail")
        try await s3.createBucket(bucket)
        let t = nowEpoch() - 300
        let attacks = ["fi-audit-a", "fi-audit-b", "fi-audit-c", "fi-audit-d", "fi-audit-e"]
        let a = stopLogging(trail: attacks[0], at: t, id: "11111111-0000-4000-8000-00000000000a")
        func noisy(_ events: [JSONValue], _ n: Int) -> [JSONValue] { (0..<n).map { noise(at: t - $0, n: $0) } + events }
        let objects: [(String, [JSONValue])] = [
            ("fi-one", noisy([a], 8)),
            ("fi-two", noisy([stopLogging(trail: attacks[1], at: t + 1, id: "11111111-0000-4000-8000-00000000000b")], 5)),
            ("fi-three", noisy([
                stopLogging(trail: attacks[2], at: t + 2, id: "11111111-0000-4000-8000-00000000000c"),
                stopLogging(trail: attacks[3], at: t + 3, id: "11111111-0000-4000-8000-00000000000d"),
            ], 6)),
        ]
        var bodies: [(String, String)] = []
        for (i, (name, events)) in objects.enumerated() {
            let key = logKey(name)
            try await s3.putObject(bucket: bucket, key: key, body: gzip(logFile(events)))
            let record: JSONValue = [
                "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": "ObjectCreated:Put",
                "s3": ["bucket": ["name": .string(bucket)], "object": ["key": .string(key)]],
            ]
            var body: [UInt8] = []
            JSONValue.object([("Records", .array([record]))]).write(to: &body)
            bodies.append(("00000000-0000-4000-8000-00000000000\(i)", String(decoding: body, as: UTF8.self)))
        }
        // EventBridge: a fifth attack, and the first one again (the same event by two paths: one alert).
        let e = stopLogging(trail: attacks[4], at: t + 4, id: "11111111-0000-4000-8000-00000000000e")
        var events: [[UInt8]] = []
        for event in [e, a] {
            var out: [UInt8] = []
            eventBridgeEnvelope(event).write(to: &out)
            events.append(out)
        }
        return Fixture(
            server: server, bucket: bucket, sqsBodies: bodies, eventBridge: events, attacks: attacks,
            rules: try TriplineHandler.loadRules(extraPath: nil))
    }
}

// MARK: - One schedule

/// Real time plus an offset, in the handler's claims and deadlines (redeliveries come after the visibility timeout).
final class VirtualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var offsetMs: Int64 = 0
    func ms() -> Int64 { Deadline.systemClock() + lock.withLock { offsetMs } }
    func seconds() -> Int { Int(ms() / 1000) }
    func advance(seconds: Int) { lock.withLock { offsetMs += Int64(seconds) * 1000 } }
}

/// A handler "process": its proxies, its schedule, and the handler wired through them.
struct HandlerProcess: Sendable {
    let schedule: FaultSchedule
    let proxies: [FaultProxy]
    let handler: TriplineHandler

    static func make(
        seed: UInt64, kill: FaultSchedule.Kill, rate: Double?, fixture: Fixture, table: String, topic: String,
        clock: VirtualClock, sequence: ProxySequence
    ) throws -> HandlerProcess {
        let schedule = FaultSchedule(seed: seed, latencyMilliseconds: FaultInjectionTests.deadlineMs + 300, kill: kill, rate: rate)
        let proxies = try (0..<3).map { _ in try FaultProxy(upstreamPort: fixture.server.port, sequence: sequence, decide: schedule.decide) }
        let env = [
            "AWS_ENDPOINT_URL_S3": proxies[0].baseURL, "AWS_ENDPOINT_URL_DYNAMODB": proxies[1].baseURL,
            "AWS_ENDPOINT_URL_SNS": proxies[2].baseURL, "AWS_ACCESS_KEY_ID": MotoServer.accessKeyId,
            "AWS_SECRET_ACCESS_KEY": MotoServer.secretAccessKey, "AWS_REGION": MotoServer.region,
        ]
        let aws = AWSClient.fromEnvironment(env)
        var config = ServiceConfig()
        config.table = table
        config.topicArn = topic
        config.minimumSeverity = .medium
        let handler = TriplineHandler(
            config: config, rules: fixture.rules,
            store: DynamoDBFindingStore(dynamo: DynamoDBClient(aws), table: table, now: clock.seconds),
            checkpoints: InMemoryCheckpointStore(), sink: SNSAlertSink(sns: SNSClient(aws), topicArn: topic),
            objects: S3ObjectSource(client: aws), lookup: NoLookups(), now: clock.seconds)
        return HandlerProcess(schedule: schedule, proxies: proxies, handler: handler)
    }

    /// A new invocation: every endpoint answers again (a refusal lasts for the rest of one invocation).
    func reopen() throws {
        for p in proxies { try p.reopen() }
    }

    func invoke(_ payload: [UInt8], clock: VirtualClock, deadlineMs: Int = FaultInjectionTests.deadlineMs) async throws -> [UInt8] {
        let deadline = WorkDeadline(end: Deadline.after(.milliseconds(deadlineMs), clock: clock.ms))
        let context = InvocationContext(
            requestID: UUID().uuidString,
            log: Logger(level: .error, write: FaultInjectionTests.logWrite), deadline: deadline)
        return try await handler.handle(payload, context: context)
    }

    func stop() {
        for p in proxies { p.stop() }
    }
}

/// What fault runs count, per schedule and in all.
struct FaultCounts: Sendable {
    var invocations = 0
    var proxied = 0
    var faulted = 0
    var faultsByKind: [String: Int] = [:]
    var dlqReplays = 0
    var alerts = 0
    var windowHits = 0
    var violations: [String] = []

    mutating func add(_ other: FaultCounts) {
        invocations += other.invocations
        proxied += other.proxied
        faulted += other.faulted
        faultsByKind.merge(other.faultsByKind, uniquingKeysWith: +)
        dlqReplays += other.dlqReplays
        alerts += other.alerts
        windowHits += other.windowHits
        violations += other.violations
    }
}

struct ScheduleResult: Sendable {
    var seed: UInt64
    var special: FaultRun.Special
    var counts = FaultCounts()
}

struct FaultRun {
    enum Special: String, Sendable {
        case none, concurrent, killBeforePublish, killAfterPublish
        /// When reproducing one seed, its special case is part of what the seed says.
        static func of(_ seed: UInt64) -> Special {
            switch ProcessInfo.processInfo.environment["TRIPLINE_FAULT_SPECIAL"] {
            case "concurrent": .concurrent
            case "kill-before-publish": .killBeforePublish
            case "kill-after-publish": .killAfterPublish
            default: .none
            }
        }
    }

    let seed: UInt64
    let fixture: Fixture
    let special: Special
    /// Test of the checker: publish the first alert again after everything settled.
    var resendFirstAlert = false
    /// Overrides the schedule's drawn fault rate (0: no faults).
    var rate: Double? = nil

    func run() async throws -> ScheduleResult {
        var result = ScheduleResult(seed: seed, special: special)
        let direct = motoClient(fixture.server)
        let table = uniqueName("tripline-fi")
        try createFindingsTable(fixture.server, table)
        let sns = SNSClient(direct)
        let sqs = SQSClient(direct)
        let topic = try await sns.createTopic(name: uniqueName("tripline-fi-alerts"))
        let capture = try await sqs.createQueue(name: uniqueName("tripline-fi-capture"))
        try await sns.subscribe(topicArn: topic, protocol: "sqs", endpoint: try await sqs.queueArn(queueUrl: capture))

        let clock = VirtualClock()
        let sequence = ProxySequence()
        func process(_ seed: UInt64, kill: FaultSchedule.Kill = .none, rate: Double? = nil) throws -> HandlerProcess {
            try HandlerProcess.make(seed: seed, kill: kill, rate: rate, fixture: fixture, table: table, topic: topic, clock: clock, sequence: sequence)
        }
        let main = try process(seed, rate: rate)
        var all = [main]
        defer { for p in all { p.stop() } }
        let queueArn = "arn:aws:sqs:us-east-1:123456789012:tripline-ingest"

        // SQS: the batch, redelivered (failed items only) until maxReceiveCount, then to the DLQ.
        var pending = fixture.sqsBodies.map { (id: $0.id, body: $0.body, receives: 0) }
        var dlq: [String] = []
        func settle(_ batch: [(id: String, body: String, receives: Int)], failed: Set<String>) {
            pending = []
            for var m in batch {
                m.receives += 1
                guard failed.contains(m.id) else { continue }
                if m.receives >= FaultInjectionTests.maxReceiveCount { dlq.append(m.body) } else { pending.append(m) }
            }
        }
        func failures(_ response: Result<[UInt8], any Error>, _ batch: [(id: String, body: String, receives: Int)]) -> Set<String> {
            guard case .success(let bytes) = response, let json = try? JSONValue.parse(bytes) else { return Set(batch.map(\.id)) }
            return Set(failedItems(json))
        }
        let firstEvent = lambdaSQSEvent(pending.map { ($0.id, $0.body) }, queueArn: queueArn)
        switch special {
        case .none: break
        case .concurrent:
            // Two handlers on the same batch at once (a duplicate delivery): a message is done when either
            // acknowledged it.
            let other = try process(seed ^ 0x5DEE_CE66)
            all.append(other)
            try main.reopen()
            try other.reopen()
            async let a = Result(catching: { try await main.invoke(firstEvent, clock: clock) })
            async let b = Result(catching: { try await other.invoke(firstEvent, clock: clock) })
            let (ra, rb) = await (a, b)
            result.counts.invocations += 2
            settle(pending, failed: failures(ra, pending).intersection(failures(rb, pending)))
            clock.advance(seconds: 360)
        case .killBeforePublish, .killAfterPublish:
            // A handler killed at its first Publish: its answer never comes (the whole batch returns after the
            // visibility timeout); nothing it sends after the kill lands.
            let victim = try process(seed ^ 0xDEAD, kill: special == .killBeforePublish ? .beforePublish : .afterPublish)
            all.append(victim)
            try victim.reopen()
            _ = try? await victim.invoke(firstEvent, clock: clock)
            result.counts.invocations += 1
            settle(pending, failed: Set(pending.map(\.id)))
            clock.advance(seconds: 360)
        }

        // EventBridge: asynchronous invocations, retried twice, then the on-failure destination.
        var asyncPending = fixture.eventBridge.map { (payload: $0, attempts: 0) }
        while !pending.isEmpty || !asyncPending.isEmpty {
            if !pending.isEmpty {
                let batch = pending
                try main.reopen()
                let response = await Result(catching: { try await main.invoke(lambdaSQSEvent(batch.map { ($0.id, $0.body) }, queueArn: queueArn), clock: clock) })
                result.counts.invocations += 1
                settle(batch, failed: failures(response, batch))
            }
            var stillFailing: [(payload: [UInt8], attempts: Int)] = []
            for var e in asyncPending {
                try main.reopen()
                let response = await Result(catching: { try await main.invoke(e.payload, clock: clock) })
                result.counts.invocations += 1
                e.attempts += 1
                if case .success = response { continue }
                if e.attempts >= FaultInjectionTests.asyncAttempts {
                    dlq.append(Self.asyncFailureRecord(e.payload, attempts: e.attempts))
                } else {
                    stillFailing.append(e)
                }
            }
            asyncPending = stillFailing
            clock.advance(seconds: 360)
        }

        // The DLQ, replayed later without faults (as `tripline replay` does: queued bodies as SQS records, async
        // failure records by their original payload).
        for p in all { p.proxies.forEach { $0.waitIdle() } }
        main.schedule.disable()
        clock.advance(seconds: 3600)
        for (n, body) in dlq.enumerated() {
            result.counts.dlqReplays += 1
            let payload: [UInt8]
            switch DeadLetter.recognise(body) {
            case .queuedBody(let b, _): payload = lambdaSQSEvent([("dlq-\(n)", b)], queueArn: queueArn)
            case .asyncPayload(let bytes, _, _): payload = bytes
            case .unrecognised(let why):
                result.counts.violations.append("seed \(seed): DLQ message not recognised for replay: \(why)")
                continue
            }
            // A replay that fails (its deadline passed on a loaded machine) leaves the message for the next replay.
            var replayed = false
            var last = ""
            for _ in 0..<3 where !replayed {
                try main.reopen()
                // A replay is an ordinary invocation (the module's 60 s timeout), not a faulted one: the short fault
                // deadline on a loaded machine would fail it for want of time alone.
                let response = await Result(catching: { try await main.invoke(payload, clock: clock, deadlineMs: FaultInjectionTests.replayDeadlineMs) })
                result.counts.invocations += 1
                if case .success(let bytes) = response, let json = try? JSONValue.parse(bytes), failedItems(json).isEmpty {
                    replayed = true
                } else {
                    last = (try? response.get()).map { String(decoding: $0, as: UTF8.self) } ?? "\(response)"
                    clock.advance(seconds: 3600)
                }
            }
            if !replayed { result.counts.violations.append("seed \(seed): DLQ replay without faults failed three times: \(last)") }
        }
        for p in all { p.proxies.forEach { $0.waitIdle() } }

        if resendFirstAlert, let publish = all.flatMap({ $0.proxies[2].log }).first(where: { $0.request.operation == "Publish" }) {
            // Through the SNS proxy (faults off), so the checker sees it as a send.
            _ = try rawHTTP(
                port: main.proxies[2].port, method: "POST", path: "/", headers: publish.request.headers.filter { $0.key != "content-length" && $0.key != "host" && $0.key != "connection" },
                body: publish.request.body)
        }

        // What reached the topic.
        var captured: [CapturedAlert] = []
        while true {
            let batch = try await sqs.receiveMessage(queueUrl: capture, maxMessages: 10, waitTimeSeconds: 0, visibilityTimeout: 300)
            if batch.isEmpty { break }
            captured += try batch.map(CapturedAlert.init)
        }
        let log = all.flatMap { p in p.proxies.flatMap { $0.log } }
        result.counts.proxied = log.count
        for e in log where e.fault != .pass {
            result.counts.faulted += 1
            result.counts.faultsByKind[e.fault.kind, default: 0] += 1
        }
        result.counts.alerts = captured.count
        check(captured, log: log, into: &result)
        return result
    }

    /// The invariants, from the alerts captured and the proxies' logs.
    func check(_ captured: [CapturedAlert], log: [ProxyLogEntry], into result: inout ScheduleResult) {
        let schedule = "seed \(seed)\(special == .none ? "" : " (TRIPLINE_FAULT_SPECIAL=\(special.rawValue))")"
        func fail(_ what: String) { result.counts.violations.append("\(schedule): \(what)") }
        // 1. Every planted attack alerted.
        for trail in fixture.attacks where !captured.contains(where: { $0.message.contains(trail) }) {
            fail("planted attack on trail \(trail) never alerted")
        }
        // 2. One alert id per finding, one per attack.
        var alertOfKey: [String: String] = [:]
        var keysOfAlert: [String: Set<String>] = [:]
        for alert in captured {
            guard let id = alert.attributes["alert_id"], !id.isEmpty else {
                fail("an alert without alert_id: \(alert.subject)")
                continue
            }
            for key in Self.keys(alert.message) {
                keysOfAlert[id, default: []].insert(key)
                if let other = alertOfKey.updateValue(id, forKey: key), other != id {
                    fail("finding \(key) alerted under two alert ids (\(other), \(id))")
                }
            }
        }
        for trail in fixture.attacks {
            let ids = Set(captured.filter { $0.message.contains(trail) }.compactMap { $0.attributes["alert_id"] })
            if ids.count > 1 { fail("attack on \(trail) alerted under \(ids.count) alert ids") }
        }
        // 3. Copies: a finding sent again only if no `markAlerted` of it landed between its earlier accepted
        //    Publish and this one (the process died or lost the answer: the documented window). Checked per finding:
        //    under faults one event's findings may go out in two messages (the same alert id, no finding twice).
        let publishes = log.filter { $0.request.service == "sns" && $0.request.operation == "Publish" && $0.upstreamStatus == 200 }
            .sorted { $0.arrival < $1.arrival }
        let marks = log.filter {
            $0.request.service == "dynamodb" && $0.request.operation == "UpdateItem" && $0.upstreamStatus == 200
                && $0.request.bodyText.contains(":alerted")
        }
        var copiesByAlert: [String: Int] = [:]
        for alert in captured { copiesByAlert[alert.attributes["alert_id"] ?? "", default: 0] += 1 }
        for (id, copies) in copiesByAlert where !id.isEmpty {
            let sent = publishes.filter { Self.alertID(ofPublish: $0.request.bodyText) == id }.count
            if sent != copies { fail("alert \(id): \(copies) copies reached the topic but the proxy saw \(sent) accepted") }
        }
        var lastSent: [String: Int] = [:]  // finding key → arrival of its latest accepted Publish
        for p in publishes {
            let keys = Self.keys(FaultProxy.formValue(p.request.bodyText, "Message") ?? "")
            var duplicate = false
            for key in keys {
                if let earlier = lastSent[key] {
                    duplicate = true
                    let markedBetween = marks.contains { m in
                        guard let done = m.completion, done > earlier, done < p.arrival else { return false }
                        return m.request.bodyText.contains("FINDING#" + key)
                    }
                    if markedBetween {
                        fail("finding \(key) (alert \(Self.alertID(ofPublish: p.request.bodyText) ?? "?")) sent again after it was marked alerted")
                    }
                }
                lastSent[key] = p.arrival
            }
            if duplicate { result.counts.windowHits += 1 }
        }
    }

    /// The finding keys an alert lists (`  keys     k1` then indented continuation lines).
    static func keys(_ message: String) -> [String] {
        var out: [String] = []
        var inKeys = false
        for line in message.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("  keys ") {
                inKeys = true
                out.append(line.dropFirst("  keys ".count).trimmingCharacters(in: .whitespaces))
            } else if inKeys, line.hasPrefix("           "), !line.trimmingCharacters(in: .whitespaces).isEmpty {
                out.append(line.trimmingCharacters(in: .whitespaces))
            } else {
                inKeys = false
            }
        }
        return out
    }

    /// The `alert_id` message attribute of a Publish (form-encoded).
    static func alertID(ofPublish form: String) -> String? {
        for n in 1...8 where FaultProxy.formValue(form, "MessageAttributes.entry.\(n).Name") == "alert_id" {
            return FaultProxy.formValue(form, "MessageAttributes.entry.\(n).Value.StringValue")
        }
        return nil
    }

    /// What Lambda's on-failure destination receives for a failed asynchronous invocation.
    static func asyncFailureRecord(_ payload: [UInt8], attempts: Int) -> String {
        let record: JSONValue = [
            "version": "1.0", "timestamp": "2026-11-22T00:00:00.000Z",
            "requestContext": [
                "requestId": .string(UUID().uuidString), "functionArn": "arn:aws:lambda:us-east-1:123456789012:function:tripline:$LATEST",
                "condition": "RetriesExhausted", "approximateInvokeCount": .number(attempts),
            ],
            "requestPayload": (try? JSONValue.parse(payload)) ?? .null,
            "responseContext": ["statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"],
            "responsePayload": ["errorMessage": "input failed"],
        ]
        var out: [UInt8] = []
        record.write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

struct Report {
    var schedules = 0
    var kills = 0
    var concurrent = 0
    var counts = FaultCounts()

    mutating func add(_ r: ScheduleResult) {
        schedules += 1
        counts.add(r.counts)
        switch r.special {
        case .none: break
        case .concurrent: concurrent += 1
        case .killBeforePublish, .killAfterPublish: kills += 1
        }
    }

    func line(runSeed: UInt64?) -> String {
        let kinds = counts.faultsByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        return "fault-injection: run seed \(runSeed.map(String.init) ?? "(one schedule)"): \(schedules) schedules "
            + "(\(concurrent) with two handlers at once, \(kills) with a killed handler), \(counts.invocations) invocations, "
            + "\(counts.proxied) proxied requests, \(counts.faulted) faulted (\(kinds)), \(counts.dlqReplays) DLQ replays, \(counts.alerts) alerts, "
            + "\(counts.violations.count) violations, \(counts.windowHits) duplicate-window hits"
    }
}
