import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineTestSupport

@testable import TriplineService

/// The FindingStore contract, run with the same bodies against the in-memory store and DynamoDB on moto, so the
/// fake the unit tests rely on cannot drift from the real thing.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, dynamodb
    var testDescription: String { rawValue }

    /// `serializeRequests`: moto's DynamoDB checks a put's condition and then writes with no lock, on a threaded
    /// server, so under CPU load two concurrent conditional puts can both pass. DynamoDB itself applies a
    /// conditional write atomically per item. Tests of concurrent callers therefore put the requests on the wire
    /// one at a time (callers still interleave freely between requests), which is the atomicity DynamoDB gives.
    func make(serializeRequests: Bool = false) async throws -> any FindingStore {
        switch self {
        case .memory: return InMemoryFindingStore()
        case .dynamodb:
            let server = try await MotoServer.shared()
            let table = uniqueName("tripline-contract")
            try createFindingsTable(server, table)
            var client = motoClient(server)
            if serializeRequests {
                client = AWSClient(
                    region: MotoServer.region,
                    credentials: StaticCredentialProvider(accessKeyId: MotoServer.accessKeyId, secretAccessKey: MotoServer.secretAccessKey),
                    transport: SerializingTransport(AsyncHTTPClientTransport.shared),
                    // Time spent queued counts toward an attempt: a timed-out attempt whose request still goes out
                    // later, retried, would count an event twice. Long enough that none times out on a busy moto.
                    endpoint: server.endpoint, timeout: .seconds(300))
            }
            return DynamoDBFindingStore(dynamo: .init(client), table: table)
        }
    }
}

/// Holds the first request whose body contains `marker` until `release()`; everything else goes straight through.
actor HoldingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private let marker: [UInt8]
    private var held: CheckedContinuation<Void, Never>?
    private var holding: CheckedContinuation<Void, Never>?
    private var done = false

    init(_ inner: any HTTPTransport, holding marker: String) {
        self.inner = inner
        self.marker = Array(marker.utf8)
    }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        if !done, request.body.firstRange(of: marker) != nil {
            done = true
            await withCheckedContinuation { held = $0; holding?.resume(); holding = nil }
        }
        return try await inner.send(request)
    }

    func waitUntilHolding() async throws {
        if held != nil { return }
        await withCheckedContinuation { holding = $0 }
    }

    func release() {
        held?.resume()
        held = nil
    }
}

/// Sends one request at a time through `inner` (see `StoreKind.make(serializeRequests:)`).
actor SerializingTransport: HTTPTransport {
    private let inner: any HTTPTransport
    private var busy = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(_ inner: any HTTPTransport) { self.inner = inner }

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        while busy { await withCheckedContinuation { waiting.append($0) } }
        busy = true
        defer {
            busy = false
            if !waiting.isEmpty { waiting.removeFirst().resume() }
        }
        return try await inner.send(request)
    }
}

func stored(
    _ key: String, event: String, at time: Int, window: Int = 3600, severity: Severity = .high, state: AlertState = .pending,
    count: Int = 1
) -> StoredFinding {
    StoredFinding(
        key: key, ruleID: "rule.\(key)", severity: severity, title: "title of \(key)", eventID: event, eventTime: time,
        windowEnd: time + window, accountID: "123456789012", region: "us-east-1", actor: "arn:aws:iam::123456789012:user/x",
        count: count, state: state, json: ["key": .string(key), "event": .string(event)])
}

@Suite("FindingStore contract on DynamoDB and in memory")
struct DynamoDBStoreContractTests {
    let t = nowEpoch() - 600

    @Test("a new key is claimed once; while the claim lives others are held off and their new events still count", arguments: StoreKind.allCases)
    func claimOnce(kind: StoreKind) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 300) == .claimed)
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 1, expiresAt: (t + 1) + 300) == .heldElsewhere)
        #expect(try await store.claim(stored(k, event: "e2", at: t + 5), owner: "B", now: t + 6, expiresAt: (t + 6) + 300) == .heldElsewhere)
        let f = try #require(try await store.get(key: k))
        #expect(f.state == .pending)
        #expect(f.count == 2)
        #expect(f.eventID == "e1")
    }

    @Test("concurrent claims of one key (duplicate deliveries, two paths): exactly one wins", arguments: StoreKind.allCases)
    func concurrent(kind: StoreKind) async throws {
        let store = try await kind.make(serializeRequests: true)
        let k = uniqueName("k")
        let t = self.t
        let outcomes = try await withThrowingTaskGroup(of: ClaimOutcome.self) { group in
            for i in 0..<8 {
                group.addTask { try await store.claim(stored(k, event: "e\(i % 3)", at: t), owner: "o\(i)", now: t, expiresAt: t + 300) }
            }
            return try await group.reduce(into: [ClaimOutcome]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .claimed }.count == 1)
        #expect(outcomes.filter { $0 == .heldElsewhere }.count == 7)
        #expect(try await store.get(key: k)?.count == 3)
    }

    @Test("two deliveries of one event: the one that did not record it claims first; the event still counts once")
    func raceOfOneEvent() async throws {
        // A records the event (its idempotency put goes through), then its claim is held on the wire until C,
        // a second delivery of the same event, has claimed the key. A's claim then fails and A folds the event
        // in: C's claim must not have counted it already.
        let server = try await MotoServer.shared()
        let table = uniqueName("tripline-race")
        try createFindingsTable(server, table)
        let gate = HoldingTransport(AsyncHTTPClientTransport.shared, holding: #"{"S":"A"}"#)
        let client = AWSClient(
            region: MotoServer.region,
            credentials: StaticCredentialProvider(accessKeyId: MotoServer.accessKeyId, secretAccessKey: MotoServer.secretAccessKey),
            transport: gate, endpoint: server.endpoint, timeout: .seconds(60))
        let store = DynamoDBFindingStore(dynamo: .init(client), table: table)
        let k = uniqueName("k")
        let t = self.t
        let a = Task { try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 300) }
        try await gate.waitUntilHolding()
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "C", now: t, expiresAt: t + 300) == .claimed)
        await gate.release()
        #expect(try await a.value == .heldElsewhere)
        #expect(try await store.get(key: k)?.count == 1)
        // A retry of the same event taking over the released claim counts it once still.
        try await store.release([k], owner: "C")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "D", now: t + 1, expiresAt: t + 301) == .claimed)
        #expect(try await store.get(key: k)?.count == 1)
    }

    @Test("after markAlerted repeats in the window are duplicates, and a retried event never counts twice", arguments: StoreKind.allCases)
    func duplicates(kind: StoreKind) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 300) == .claimed)
        try await store.markAlerted([k], owner: "A")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 10, expiresAt: (t + 10) + 300) == .duplicate)
        #expect(try await store.get(key: k)?.count == 1)
        #expect(try await store.claim(stored(k, event: "e2", at: t + 60), owner: "B", now: t + 70, expiresAt: (t + 70) + 300) == .duplicate)
        #expect(try await store.claim(stored(k, event: "e2", at: t + 60), owner: "C", now: t + 80, expiresAt: (t + 80) + 300) == .duplicate)
        let f = try #require(try await store.get(key: k))
        #expect(f.count == 2)
        #expect(f.state == .alerted)
    }

    @Test("release makes the key claimable at once and the retry alerts exactly once", arguments: StoreKind.allCases)
    func release(kind: StoreKind) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 300) == .claimed)
        try await store.release([k], owner: "A")
        #expect(try await store.get(key: k)?.state == .pending)
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 1, expiresAt: (t + 1) + 300) == .claimed)
        try await store.markAlerted([k], owner: "B")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "C", now: t + 2, expiresAt: (t + 2) + 300) == .duplicate)
        #expect(try await store.get(key: k)?.state == .alerted)
        #expect(try await store.get(key: k)?.count == 1)
    }

    @Test("an expired claim can be taken over, and the old owner can no longer mark or release it", arguments: StoreKind.allCases)
    func lease(kind: StoreKind) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 300) == .claimed)
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 299, expiresAt: (t + 299) + 300) == .heldElsewhere)
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 301, expiresAt: (t + 301) + 300) == .claimed)
        try await store.markAlerted([k], owner: "A")
        try await store.release([k], owner: "A")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "C", now: t + 302, expiresAt: (t + 302) + 300) == .heldElsewhere)
        try await store.markAlerted([k], owner: "B")
        #expect(try await store.get(key: k)?.state == .alerted)
    }

    @Test("an event after the window ends is a new alert; one inside it is not", arguments: StoreKind.allCases)
    func window(kind: StoreKind) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t - 7200), owner: "A", now: t, expiresAt: t + 300) == .claimed)
        try await store.markAlerted([k], owner: "A")
        #expect(try await store.claim(stored(k, event: "e2", at: t - 3601), owner: "B", now: t, expiresAt: t + 300) == .duplicate)
        #expect(try await store.claim(stored(k, event: "e3", at: t - 3600), owner: "B", now: t, expiresAt: t + 300) == .claimed)
        let f = try #require(try await store.get(key: k))
        #expect(f.eventID == "e3")
        #expect(f.count == 1)
    }

    @Test("findings below the alert threshold are recorded, and dedup like alerted ones", arguments: StoreKind.allCases)
    func recorded(kind: StoreKind) async throws {
        let store = try await kind.make()
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t, severity: .low, state: .recorded), owner: "A", now: t, expiresAt: t + 300) == .claimed)
        #expect(try await store.claim(stored(k, event: "e2", at: t + 1, severity: .low, state: .recorded), owner: "B", now: t + 1, expiresAt: (t + 1) + 300) == .duplicate)
        #expect(try await store.get(key: k)?.state == .recorded)
    }

    @Test("list is newest first across days, filtered by severity and time; get round-trips the finding", arguments: StoreKind.allCases)
    func list(kind: StoreKind) async throws {
        let store = try await kind.make()
        let now = nowEpoch()
        let items = [
            stored(uniqueName("old"), event: "a", at: now - 2 * 86400, severity: .critical),
            stored(uniqueName("low"), event: "b", at: now - 3600, severity: .low, state: .recorded),
            stored(uniqueName("mid"), event: "c", at: now - 1800, severity: .medium),
            stored(uniqueName("new"), event: "d", at: now - 60, severity: .high),
        ]
        for f in items { _ = try await store.claim(f, owner: "A", now: now, expiresAt: now + 300) }
        try await store.markAlerted(items.map(\.key), owner: "A")

        let all = try await store.list(since: nil, limit: 10, minimumSeverity: .info)
        #expect(all.map(\.key) == [items[3].key, items[2].key, items[1].key, items[0].key])
        let medium = try await store.list(since: nil, limit: 10, minimumSeverity: .medium)
        #expect(medium.map(\.key) == [items[3].key, items[2].key, items[0].key])
        let recent = try await store.list(since: now - 7200, limit: 10, minimumSeverity: .info)
        #expect(recent.map(\.key) == [items[3].key, items[2].key, items[1].key])
        #expect(try await store.list(since: nil, limit: 1, minimumSeverity: .info).map(\.key) == [items[3].key])

        var expected = items[3]
        expected.state = .alerted
        #expect(try await store.get(key: items[3].key) == expected)
        #expect(try await store.get(key: "missing-\(UUID())") == nil)
    }
}
