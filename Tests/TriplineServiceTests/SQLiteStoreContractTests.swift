import Foundation
import Testing
import TriplineCore
import TriplineJSON
import TriplineSQLite
import TriplineService

// The `FindingStore` / `CheckpointStore` contract (Stores.swift), written once and run against every store:
// the in-memory reference and SQLite here. To check another store, add a factory to `StoreContract.factories`
// (each call must give a fresh, empty store).

/// Makes fresh, empty stores for one contract run.
struct StoreContract: CustomTestStringConvertible, Sendable {
    let name: String
    let make: @Sendable () throws -> (findings: any FindingStore, checkpoints: any CheckpointStore)
    var testDescription: String { name }

    static let inMemory = StoreContract(name: "in-memory") { (InMemoryFindingStore(), InMemoryCheckpointStore()) }

    static let sqlite = StoreContract(name: "SQLite") {
        let database = try SQLiteDatabase(path: StoreContract.temporaryDatabasePath())
        return (SQLiteFindingStore(database), SQLiteCheckpointStore(database))
    }

    static let factories: [StoreContract] = [.inMemory, .sqlite]

    static func temporaryDatabasePath() -> String {
        NSTemporaryDirectory() + "tripline-store-\(UUID().uuidString)/tripline.sqlite"
    }
}

/// A finding for rule `rule` on event `event`, with a one-hour window from its event time.
private func storedFinding(
    key: String = "rule-a:0001", rule: String = "rule-a", event: String = "e1", time: Int = 1_000,
    window: Int = 3_600, severity: Severity = .high, state: AlertState = .pending
) -> StoredFinding {
    StoredFinding(
        key: key, ruleID: rule, severity: severity, title: "Title of \(rule)", eventID: event, eventTime: time,
        windowEnd: time + window, accountID: "123456789012", region: "us-east-1", actor: "arn:aws:iam::123456789012:user/alice",
        count: 1, state: state, json: .object([("rule_id", .string(rule)), ("event_id", .string(event))]))
}

@Suite("FindingStore contract")
struct StoreContractTests {
    @Test("an absent key is claimed, then held by its owner until alerted", arguments: StoreContract.factories)
    func absentKeyIsClaimed(factory: StoreContract) async throws {
        let store = try factory.make().findings
        #expect(try await store.claim(storedFinding(), owner: "A", now: 1_010, expiresAt: 1_010 + 60) == .claimed)
        #expect(try await store.claim(storedFinding(event: "e2"), owner: "B", now: 1_020, expiresAt: 1_020 + 60) == .heldElsewhere)
        let stored = try #require(try await store.get(key: "rule-a:0001"))
        #expect(stored.state == .pending)
        #expect(stored.ruleID == "rule-a")
        #expect(stored.eventID == "e1")
        #expect(stored.json == storedFinding().json)
    }

    @Test("inside the window a new event is folded in and the same event never counts twice", arguments: StoreContract.factories)
    func duplicatesInsideWindow(factory: StoreContract) async throws {
        let store = try factory.make().findings
        #expect(try await store.claim(storedFinding(), owner: "A", now: 1_010, expiresAt: 1_010 + 60) == .claimed)
        try await store.markAlerted(["rule-a:0001"], owner: "A")
        #expect(try await store.get(key: "rule-a:0001")?.state == .alerted)

        #expect(try await store.claim(storedFinding(), owner: "B", now: 1_100, expiresAt: 1_100 + 60) == .duplicate)
        #expect(try await store.get(key: "rule-a:0001")?.count == 1)
        #expect(try await store.claim(storedFinding(event: "e2", time: 1_050), owner: "B", now: 1_100, expiresAt: 1_100 + 60) == .duplicate)
        #expect(try await store.claim(storedFinding(event: "e2", time: 1_050), owner: "C", now: 1_200, expiresAt: 1_200 + 60) == .duplicate)
        #expect(try await store.get(key: "rule-a:0001")?.count == 2)
    }

    @Test("after the window a new event is a new alert, a replayed old one is not", arguments: StoreContract.factories)
    func windowEnds(factory: StoreContract) async throws {
        let store = try factory.make().findings
        #expect(try await store.claim(storedFinding(), owner: "A", now: 1_010, expiresAt: 1_010 + 60) == .claimed)
        try await store.markAlerted(["rule-a:0001"], owner: "A")
        let later = storedFinding(event: "e9", time: 5_000)
        #expect(try await store.claim(storedFinding(), owner: "B", now: 5_010, expiresAt: 5_010 + 60) == .duplicate)
        #expect(try await store.claim(later, owner: "B", now: 5_010, expiresAt: 5_010 + 60) == .claimed)
        #expect(try await store.get(key: "rule-a:0001")?.state == .pending)
        #expect(try await store.get(key: "rule-a:0001")?.eventID == "e9")
    }

    @Test("an expired claim or a release makes a pending key claimable again", arguments: StoreContract.factories)
    func leaseExpiryAndRelease(factory: StoreContract) async throws {
        let store = try factory.make().findings
        #expect(try await store.claim(storedFinding(), owner: "A", now: 1_010, expiresAt: 1_010 + 60) == .claimed)
        #expect(try await store.claim(storedFinding(), owner: "B", now: 1_069, expiresAt: 1_069 + 60) == .heldElsewhere)
        // A died: its lease ran out, B retries the same input and owns the alert.
        #expect(try await store.claim(storedFinding(), owner: "B", now: 1_071, expiresAt: 1_071 + 60) == .claimed)
        // B fails to deliver and releases: C may claim at once, well inside B's lease.
        try await store.release(["rule-a:0001"], owner: "B")
        #expect(try await store.claim(storedFinding(), owner: "C", now: 1_075, expiresAt: 1_075 + 60) == .claimed)
        try await store.markAlerted(["rule-a:0001"], owner: "C")
        #expect(try await store.get(key: "rule-a:0001")?.state == .alerted)
        #expect(try await store.get(key: "rule-a:0001")?.count == 1)
        #expect(try await store.claim(storedFinding(), owner: "D", now: 1_080, expiresAt: 1_080 + 60) == .duplicate)
    }

    @Test("concurrent claims of one key: exactly one wins", arguments: StoreContract.factories)
    func concurrentClaims(factory: StoreContract) async throws {
        let store = try factory.make().findings
        let outcomes = try await withThrowingTaskGroup(of: ClaimOutcome.self) { group in
            for i in 0..<16 {
                group.addTask { try await store.claim(storedFinding(event: "e\(i % 4)"), owner: "owner-\(i)", now: 1_010, expiresAt: 1_010 + 60) }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == .claimed }.count == 1)
        #expect(outcomes.filter { $0 == .heldElsewhere }.count == 15)
    }

    @Test("list is newest first, filtered by time and severity, limited; get of an unknown key is nil", arguments: StoreContract.factories)
    func listing(factory: StoreContract) async throws {
        let store = try factory.make().findings
        let findings = [
            storedFinding(key: "k-old", rule: "r1", event: "a", time: 100, severity: .critical),
            storedFinding(key: "k-mid", rule: "r2", event: "b", time: 200, severity: .low),
            storedFinding(key: "k-new", rule: "r3", event: "c", time: 300, severity: .high),
            storedFinding(key: "k-newest", rule: "r4", event: "d", time: 400, severity: .medium, state: .recorded),
        ]
        for f in findings { #expect(try await store.claim(f, owner: "A", now: 500, expiresAt: 500 + 60) == .claimed) }
        #expect(try await store.list(since: nil, limit: 10, minimumSeverity: .info).map(\.key) == ["k-newest", "k-new", "k-mid", "k-old"])
        #expect(try await store.list(since: 150, limit: 10, minimumSeverity: .info).map(\.key) == ["k-newest", "k-new", "k-mid"])
        #expect(try await store.list(since: nil, limit: 10, minimumSeverity: .high).map(\.key) == ["k-new", "k-old"])
        #expect(try await store.list(since: nil, limit: 2, minimumSeverity: .info).map(\.key) == ["k-newest", "k-new"])
        #expect(try await store.get(key: "k-newest")?.state == .recorded)
        #expect(try await store.get(key: "nope") == nil)
    }

    @Test("checkpoints: absent, saved, only moving forward, independent by name", arguments: StoreContract.factories)
    func checkpoints(factory: StoreContract) async throws {
        let store = try factory.make().checkpoints
        #expect(try await store.load("poller") == nil)
        try await store.save("poller", 1_000)
        try await store.save("other", 7)
        try await store.save("poller", 2_000)
        try await store.save("poller", 1_500)
        #expect(try await store.load("poller") == 2_000)
        #expect(try await store.load("other") == 7)
    }
}

@Suite("SQLite stores")
struct SQLiteStoreTests {
    @Test("state survives reopening, and two connections to one file share claims")
    func reopenAndShare() async throws {
        let path = StoreContract.temporaryDatabasePath()
        let first = SQLiteFindingStore(try SQLiteDatabase(path: path))
        let second = SQLiteFindingStore(try SQLiteDatabase(path: path))
        #expect(try await first.claim(storedFinding(), owner: "A", now: 1_010, expiresAt: 1_010 + 60) == .claimed)
        #expect(try await second.claim(storedFinding(), owner: "B", now: 1_011, expiresAt: 1_011 + 60) == .heldElsewhere)
        try await first.markAlerted(["rule-a:0001"], owner: "A")
        let reopened = SQLiteFindingStore(try SQLiteDatabase(path: path))
        #expect(try await reopened.get(key: "rule-a:0001")?.state == .alerted)
        let checkpoints = SQLiteCheckpointStore(try SQLiteDatabase(path: path))
        try await checkpoints.save("poller", 42)
        #expect(try await SQLiteCheckpointStore(try SQLiteDatabase(path: path)).load("poller") == 42)
    }

    @Test("a stale owner cannot mark alerted a key someone else took over")
    func staleOwner() async throws {
        let store = SQLiteFindingStore(try SQLiteDatabase(path: StoreContract.temporaryDatabasePath()))
        #expect(try await store.claim(storedFinding(), owner: "A", now: 1_010, expiresAt: 1_010 + 60) == .claimed)
        #expect(try await store.claim(storedFinding(), owner: "B", now: 1_100, expiresAt: 1_100 + 60) == .claimed)
        try await store.markAlerted(["rule-a:0001"], owner: "A")
        #expect(try await store.get(key: "rule-a:0001")?.state == .pending)
        try await store.markAlerted(["rule-a:0001"], owner: "B")
        #expect(try await store.get(key: "rule-a:0001")?.state == .alerted)
    }

    @Test("the database is in WAL mode")
    func walMode() async throws {
        let path = StoreContract.temporaryDatabasePath()
        let database = try SQLiteDatabase(path: path)
        withExtendedLifetime(database) {
            #expect(FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }
}
