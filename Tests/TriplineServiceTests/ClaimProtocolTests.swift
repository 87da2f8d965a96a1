import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineLambda
import TriplineRules
import TriplineSQLite
import TriplineTestSupport

@testable import TriplineService

/// Every store the claim protocol runs on: the in-memory reference, SQLite, and DynamoDB on moto (conditional
/// expressions on the wire).
enum ClaimStore: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, dynamodb
    var testDescription: String { rawValue }

    func make() async throws -> any FindingStore {
        switch self {
        case .memory: return InMemoryFindingStore()
        case .sqlite: return SQLiteFindingStore(try SQLiteDatabase(path: StoreContract.temporaryDatabasePath()))
        case .dynamodb: return try await StoreKind.dynamodb.make()
        }
    }
}

/// The transitions of a finding's claim, as docs/architecture.md ("The claim protocol") draws them, one test each,
/// on every store.
@Suite("Claim protocol: store transitions")
struct ClaimTransitionTests {
    let t = nowEpoch() - 600

    @Test("absent → pending(owner, expires): the first claim wins and carries its expiry", arguments: ClaimStore.allCases)
    func absentToPending(store kind: ClaimStore) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 45) == .claimed)
        let f = try #require(try await store.get(key: k))
        #expect(f.state == .pending)
        // The expiry, not a fixed lease, decides: held up to and including it, free one second after.
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 45, expiresAt: t + 100) == .heldElsewhere)
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 46, expiresAt: t + 100) == .claimed)
    }

    @Test("absent → recorded: a finding below the minimum severity is stored for audit, never pending", arguments: ClaimStore.allCases)
    func absentToRecorded(store kind: ClaimStore) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t, severity: .low, state: .recorded), owner: "A", now: t, expiresAt: t + 30) == .claimed)
        #expect(try await store.get(key: k)?.state == .recorded)
        #expect(try await store.claim(stored(k, event: "e2", at: t + 1, severity: .low, state: .recorded), owner: "B", now: t + 1, expiresAt: t + 31) == .duplicate)
    }

    @Test("pending, live claim of another owner → held (new events still counted, the claim unchanged)", arguments: ClaimStore.allCases)
    func heldByLiveOwner(store kind: ClaimStore) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 60) == .claimed)
        #expect(try await store.claim(stored(k, event: "e2", at: t + 1), owner: "B", now: t + 59, expiresAt: t + 200) == .heldElsewhere)
        #expect(try await store.get(key: k)?.count == 2)
        // B's attempt did not move A's expiry: the claim is free right after A's.
        #expect(try await store.claim(stored(k, event: "e2", at: t + 1), owner: "C", now: t + 61, expiresAt: t + 200) == .claimed)
    }

    @Test("pending, expired claim → taken over; the old owner can no longer mark or release it", arguments: ClaimStore.allCases)
    func takeOverOnExpiry(store kind: ClaimStore) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 30) == .claimed)
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 31, expiresAt: t + 90) == .claimed)
        try await store.release([k], owner: "A")
        try await store.markAlerted([k], owner: "A")
        #expect(try await store.get(key: k)?.state == .pending)
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "C", now: t + 32, expiresAt: t + 90) == .heldElsewhere)
        try await store.markAlerted([k], owner: "B")
        #expect(try await store.get(key: k)?.state == .alerted)
        #expect(try await store.get(key: k)?.count == 1)
    }

    @Test("pending → alerted by its owner; then a repeat inside the window is a duplicate", arguments: ClaimStore.allCases)
    func pendingToAlerted(store kind: ClaimStore) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 30) == .claimed)
        try await store.markAlerted([k], owner: "A")
        #expect(try await store.get(key: k)?.state == .alerted)
        // Long after A's claim expired, the alert stands: alerted keys are never taken over inside the window.
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 500, expiresAt: t + 600) == .duplicate)
        #expect(try await store.claim(stored(k, event: "e2", at: t + 10), owner: "B", now: t + 500, expiresAt: t + 600) == .duplicate)
        #expect(try await store.get(key: k)?.count == 2)
    }

    @Test("pending → released by its owner → claimable at once, well before the expiry", arguments: ClaimStore.allCases)
    func releaseThenClaim(store kind: ClaimStore) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 900) == .claimed)
        try await store.release([k], owner: "A")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 1, expiresAt: t + 60) == .claimed)
        #expect(try await store.get(key: k)?.count == 1)
    }

    @Test("alerted, window ended → pending again: a later event is a new alert", arguments: ClaimStore.allCases)
    func windowEnded(store kind: ClaimStore) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t - 4000), owner: "A", now: t, expiresAt: t + 30) == .claimed)
        try await store.markAlerted([k], owner: "A")
        #expect(try await store.claim(stored(k, event: "e2", at: t), owner: "B", now: t + 1, expiresAt: t + 31) == .claimed)
        #expect(try await store.get(key: k)?.state == .pending)
    }
}

/// A sink that never returns until cancelled (a publish stuck on the wire without a budget to cut it).
struct StuckSink: AlertSink {
    func send(_ messages: [AlertMessage]) async throws {
        try await Task.sleep(for: .seconds(3600))
    }
}

/// An epoch-second clock tests move by hand.
final class EpochClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ start: Int) { value = start }
    var now: Int { lock.withLock { value } }
    func advance(_ seconds: Int) { lock.withLock { value += seconds } }
    var epochSeconds: @Sendable () -> Int { { [self] in now } }
    var epochMs: @Sendable () -> Int64 { { [self] in Int64(now) * 1000 } }
}

/// The claim protocol as the pipeline and the handler drive it.
@Suite("Claim protocol: pipeline and handler")
struct ClaimPipelineTests {
    let rules = catalog.rules

    /// One high StopLogging finding from input `msg`.
    func stopLoggingFinding(_ trail: String, at t: Int, path: String) -> [Finding] {
        findings([stopLogging(trail: trail, at: t)], path: path).filter { $0.ruleID == stopLoggingRule }
    }

    @Test("held by a live claim → the input fails and nothing is sent; once the holder alerts, the retry is a duplicate and succeeds")
    func heldFailsInput() async throws {
        let store = InMemoryFindingStore()
        let sink = RecordingAlertSink()
        let clock = EpochClock(nowEpoch())
        let pipeline = AlertPipeline(rules: rules, store: store, sink: sink, now: clock.epochSeconds)
        let raw = stopLoggingFinding(uniqueName("t"), at: clock.now - 60, path: "s3://b/k")
        let key = try #require(raw.first?.dedupKey)
        // Another invocation claimed it (and is still sending): its claim lives 60 s more.
        let holder = pipeline.storedFinding(raw[0], state: .pending)
        #expect(try await store.claim(holder, owner: "other", now: clock.now, expiresAt: clock.now + 60) == .claimed)

        let second = await pipeline.run(raw, owner: "me", inputID: { _ in "msg-1" })
        #expect(second.failedInputs == ["msg-1"])
        #expect(second.heldElsewhere.map(\.key) == [key])
        #expect(await sink.messages.isEmpty)

        try await store.markAlerted([key], owner: "other")
        let retry = await pipeline.run(raw, owner: "me-again", inputID: { _ in "msg-1" })
        #expect(retry.failedInputs.isEmpty)
        #expect(retry.duplicates.map(\.key) == [key])
        #expect(await sink.messages.isEmpty)
    }

    @Test("a holder that died: the retry after its claim expired takes it over and alerts exactly once")
    func takeOverAfterDeath() async throws {
        let store = InMemoryFindingStore()
        let sink = RecordingAlertSink()
        let clock = EpochClock(nowEpoch())
        let pipeline = AlertPipeline(rules: rules, store: store, sink: sink, claimMargin: 30, now: clock.epochSeconds)
        let raw = stopLoggingFinding(uniqueName("t"), at: clock.now - 60, path: "s3://b/k")
        // The first invocation (deadline 60 s away) claims, then hangs in the sink for good (as if killed there).
        let deadline = WorkDeadline(end: Deadline(epochMs: (Int64(clock.now) + 60) * 1000, clock: clock.epochMs))
        let dying = AlertPipeline(rules: rules, store: store, sink: StuckSink(), claimMargin: 30, now: clock.epochSeconds)
        let task = Task { await dying.run(raw, owner: "dead", deadline: deadline, inputID: { _ in "msg-1" }) }
        defer { task.cancel() }
        let key = try #require(raw.first?.dedupKey)
        for _ in 0..<100 where try await store.get(key: key) == nil { try await Task.sleep(for: .milliseconds(20)) }
        #expect(try await store.get(key: key)?.state == .pending)

        // Redelivered before the claim expires (deadline + 30 s margin): held, the input fails again.
        clock.advance(60 + 30)
        #expect(await pipeline.run(raw, owner: "r2", inputID: { _ in "msg-1" }).failedInputs == ["msg-1"])
        // After it: taken over and alerted, once.
        clock.advance(1)
        let retry = await pipeline.run(raw, owner: "r3", inputID: { _ in "msg-1" })
        #expect(retry.failedInputs.isEmpty)
        #expect(retry.alerted.map(\.key) == [key])
        #expect(await pipeline.run(raw, owner: "r4").duplicates.map(\.key) == [key])
        #expect(await sink.messages.count == 1)
    }

    @Test("work past the safety margin stops: nothing is claimed or sent, every input fails")
    func stopsAtMargin() async throws {
        let store = InMemoryFindingStore()
        let sink = RecordingAlertSink()
        let clock = EpochClock(nowEpoch())
        let pipeline = AlertPipeline(rules: rules, store: store, sink: sink, now: clock.epochSeconds)
        let raw = stopLoggingFinding(uniqueName("t"), at: clock.now - 60, path: "a") + stopLoggingFinding(uniqueName("t"), at: clock.now - 50, path: "b")
        // 60 s invocation: margin 3 s. With 2 s left work has stopped.
        let deadline = WorkDeadline(end: Deadline(epochMs: (Int64(clock.now) + 2) * 1000, clock: clock.epochMs), total: .seconds(60))
        #expect(deadline.stop.hasPassed)
        let outcome = await pipeline.run(raw, owner: "late", deadline: deadline, inputID: { $0.input.path })
        #expect(outcome.stoppedAtDeadline)
        #expect(outcome.failedInputs == ["a", "b"])
        #expect(await sink.messages.isEmpty)
        for f in raw { #expect(try await store.get(key: f.dedupKey) == nil) }
    }

    @Test("the safety margin is max(1 s, 5 % of the invocation's time); clean-up gets half of it")
    func margins() {
        #expect(WorkDeadline.safetyMargin(total: .seconds(3)) == .seconds(1))
        #expect(WorkDeadline.safetyMargin(total: .seconds(60)) == .seconds(3))
        #expect(WorkDeadline.safetyMargin(total: .seconds(900)) == .seconds(45))
        let end = Deadline(epochMs: 100_000, clock: { 40_000 })
        let d = WorkDeadline(end: end)
        #expect(d.stop.epochMs == 97_000)
        #expect(d.cleanup.epochMs == 98_500)
    }

    @Test("the runtime's deadline header becomes the invocation's deadline; without it, the function timeout from now")
    func deadlineFromRuntime() {
        let clock: @Sendable () -> Int64 = { 1_000_000 }
        let withHeader = Invocation(requestID: "r", deadlineMs: 1_060_000, payload: []).workDeadline(fallbackTimeoutSeconds: 900, clock: clock)
        #expect(withHeader.end.epochMs == 1_060_000)
        #expect(withHeader.stop.epochMs == 1_057_000)
        let without = Invocation(requestID: "r", payload: []).workDeadline(fallbackTimeoutSeconds: 30, clock: clock)
        #expect(without.end.epochMs == 1_030_000)
    }

    @Test("an invocation with 3 s left and a hanging SNS returns before its deadline, its input failed and its claim released (DynamoDB on moto)")
    func hangingSNSWithinDeadline() async throws {
        let server = try await MotoServer.shared()
        let table = uniqueName("tripline-deadline")
        try createFindingsTable(server, table)
        let hanging = try StallingServer(.silent)
        defer { hanging.stop() }
        let aws = motoClient(server)
        var snsClient = aws
        snsClient.endpoints.services["SNS"] = hanging.baseURL
        let store = DynamoDBFindingStore(dynamo: DynamoDBClient(aws), table: table)
        let handler = TriplineHandler(
            config: ServiceConfig(), rules: RuleLoadResult(rules: catalog.rules, diagnostics: []), store: store,
            checkpoints: InMemoryCheckpointStore(),
            sink: SNSAlertSink(sns: SNSClient(snsClient), topicArn: "arn:aws:sns:us-east-1:123456789012:alerts"),
            objects: NoObjects(), lookup: NoLookups())
        let trail = uniqueName("deadline")
        let event = eventBridgeEnvelope(stopLogging(trail: trail, at: nowEpoch() - 30)).serialized()
        let payload = lambdaSQSEvent([(id: "msg-1", body: event)], queueArn: "arn:aws:sqs:us-east-1:123456789012:q")

        let deadline = WorkDeadline(end: .after(.seconds(3)))
        var answer: [UInt8] = []
        let (took, stalled) = try await timeExcludingStalls {
            answer = try await handler.handle(payload, context: InvocationContext(
                requestID: "req-hang", log: Logger(level: .error, write: Logger.discard), deadline: deadline))
        }
        let response = try responseJSON(answer)
        print("hanging SNS, 3 s left: handler answered after \(milliseconds(took)) ms (\(milliseconds(stalled)) ms stalled), \(deadline.end.remaining) before the deadline")
        #expect(took - stalled < .seconds(3))
        #expect(failedItems(response) == ["msg-1"])

        // Released: another invocation claims it at once (not 30 s after the deadline).
        let f = try #require(findings([stopLogging(trail: trail, at: nowEpoch() - 30)]).first { $0.ruleID == stopLoggingRule })
        #expect(try await store.get(key: f.dedupKey)?.state == .pending)
        let retry = AlertPipeline(rules: catalog.rules, store: store, sink: RecordingAlertSink())
        let now = nowEpoch()
        let outcome = try await store.claim(retry.storedFinding(f, state: .pending), owner: "next", now: now, expiresAt: now + 60)
        if outcome != .claimed {
            // A process starved of CPU (other suites on two cores) can pass its cleanup budget before the release
            // goes out. Then the claim must still end at the deadline plus the margin, never later.
            #expect(stalled > .milliseconds(300), "the release should have gone out: the process did not stall (\(outcome))")
            let later = deadline.end.epochSeconds + AlertPipeline.defaultClaimMargin + 1
            #expect(try await store.claim(retry.storedFinding(f, state: .pending), owner: "next", now: later, expiresAt: later + 60) == .claimed)
        }
    }

    @Test("a refused SNS endpoint fails the input in well under a second, not 41 s")
    func refusedSNS() async throws {
        let port = try freePort()
        var snsClient = AWSClient(
            region: "us-east-1", credentials: StaticCredentialProvider(accessKeyId: "AKIDFAKE", secretAccessKey: "secret"),
            endpoint: "http://127.0.0.1:\(port)")
        snsClient.timeout = .seconds(30)
        let store = InMemoryFindingStore()
        let handler = TriplineHandler(
            config: ServiceConfig(), rules: RuleLoadResult(rules: catalog.rules, diagnostics: []), store: store,
            checkpoints: InMemoryCheckpointStore(), sink: SNSAlertSink(sns: SNSClient(snsClient), topicArn: "arn:aws:sns:us-east-1:123456789012:alerts"),
            objects: NoObjects(), lookup: NoLookups())
        // Two events, two alerts: two publishes, the second skipped by the breaker.
        let t = nowEpoch() - 30
        let bodies = [stopLogging(trail: uniqueName("a"), at: t), stopLogging(trail: uniqueName("b"), at: t + 1)]
            .enumerated().map { (id: "msg-\($0.offset)", body: eventBridgeEnvelope($0.element).serialized()) }
        let payload = lambdaSQSEvent(bodies, queueArn: "arn:aws:sqs:us-east-1:123456789012:q")
        var answer: [UInt8] = []
        let (took, stalled) = try await timeExcludingStalls {
            answer = try await handler.handle(payload, context: InvocationContext(
                requestID: "req-refused", log: Logger(level: .error, write: Logger.discard), deadline: WorkDeadline(end: .after(.seconds(60)))))
        }
        let response = try responseJSON(answer)
        print("refused SNS endpoint, 2 events (2 alerts): invocation took \(milliseconds(took)) ms (\(milliseconds(stalled)) ms stalled)")
        #expect(Set(failedItems(response)) == ["msg-0", "msg-1"])
        #expect(took - stalled < .seconds(3))
    }
}

/// Never called: these tests read no S3 objects.
struct NoObjects: ObjectSource {
    func fetch(_ object: S3ObjectRef) async throws -> [UInt8] { throw HandlerError("no S3 in this test") }
}

@Suite("SQS records without a messageId")
struct UnnamedRecordTests {
    func handler() -> TriplineHandler {
        TriplineHandler(
            config: ServiceConfig(), rules: RuleLoadResult(rules: catalog.rules, diagnostics: []), store: InMemoryFindingStore(),
            checkpoints: InMemoryCheckpointStore(), sink: RecordingAlertSink(), objects: NoObjects(), lookup: NoLookups())
    }

    /// An SQS event whose records are given as (messageId or nil, body).
    func event(_ records: [(String?, String)]) -> [UInt8] {
        let values: [JSONValue] = records.map { id, body in
            var members: [(String, JSONValue)] = [("body", .string(body)), ("eventSource", "aws:sqs"), ("awsRegion", "us-east-1")]
            if let id { members.insert(("messageId", .string(id)), at: 0) }
            return .object(members)
        }
        var out: [UInt8] = []
        JSONValue.object([("Records", .array(values))]).write(to: &out)
        return out
    }

    @Test("a failed record without messageId fails the invocation instead of answering an empty itemIdentifier")
    func unnamedFailure() async throws {
        let good = eventBridgeEnvelope(stopLogging(trail: uniqueName("t"), at: nowEpoch() - 30)).serialized()
        let error = await #expect(throws: HandlerError.self) {
            _ = try await handler().handle(event([("m-1", good), (nil, "not json {")]), context: testContext())
        }
        #expect(error?.description.contains("no messageId") == true)
    }

    @Test("records without messageId that succeed do not hide the named failures, and no identifier is empty")
    func unnamedSuccess() async throws {
        let good = eventBridgeEnvelope(stopLogging(trail: uniqueName("t"), at: nowEpoch() - 30)).serialized()
        let other = eventBridgeEnvelope(noise(at: nowEpoch() - 20, n: 3)).serialized()
        let response = try responseJSON(try await handler().handle(
            event([(nil, good), (nil, other), ("m-bad", "not json {")]), context: testContext()))
        #expect(failedItems(response) == ["m-bad"])
        #expect(response["alerted"]?.text != "0")
    }
}
