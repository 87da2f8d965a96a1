import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineConfig
import TriplineCore
import TriplineDestinations
import TriplineSQLite
import TriplineTestSupport

@testable import TriplineService

/// What each fake destination was asked to do: every attempt, and the alerts it accepted.
actor DestinationLedger {
    private(set) var attempts: [String: Int] = [:]
    private(set) var accepted: [String: [String]] = [:]
    private var failing: Set<String> = []

    func setFailing(_ names: Set<String>) { failing = names }

    func attempt(_ name: String, _ alertID: String) -> Bool {
        attempts[name, default: 0] += 1
        guard !failing.contains(name) else { return false }
        accepted[name, default: []].append(alertID)
        return true
    }
}

/// A destination whose failures a test switches on and off.
struct LedgerDestination: AlertDestination {
    let name: String
    let ledger: DestinationLedger

    func deliver(_ alert: AlertContent) async throws(DeliveryError) {
        guard await ledger.attempt(name, alert.id) else {
            throw DeliveryError(destination: name, status: 503, reason: "test outage", transient: true)
        }
    }
}

/// The stores that record deliveries: in memory, SQLite, and DynamoDB on moto.
enum DeliveryStoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory, sqlite, dynamodb
    var testDescription: String { rawValue }

    func make() async throws -> any FindingStore {
        switch self {
        case .memory: return InMemoryFindingStore()
        case .sqlite:
            let path = NSTemporaryDirectory() + "tripline-delivery-\(UUID().uuidString)/tripline.sqlite"
            return SQLiteFindingStore(try SQLiteDatabase(path: path))
        case .dynamodb: return try await StoreKind.dynamodb.make()
        }
    }
}

@Suite("Per-destination delivery: failures retried only where they happened")
struct PerDestinationDeliveryTests {
    func pipeline(_ store: any FindingStore, _ entries: [DestinationRouter.Entry]) -> AlertPipeline {
        // The sink fails: with destinations configured it must never be used.
        var p = AlertPipeline(rules: catalog.rules, store: store, sink: FailingAlertSink(), minimumSeverity: .high)
        p.router = DestinationRouter(entries)
        return p
    }

    @Test("a failing destination does not block a working one; the retry sends only to the one that failed; then nothing",
          arguments: DeliveryStoreKind.allCases)
    func retryOnlyTheFailed(kind: DeliveryStoreKind) async throws {
        let store = try await kind.make()
        let ledger = DestinationLedger()
        let p = pipeline(store, [.init(LedgerDestination(name: "chat", ledger: ledger)), .init(LedgerDestination(name: "pager", ledger: ledger))])
        let raw = findings([stopLogging(trail: "prod", at: nowEpoch() - 60, id: UUID().uuidString)], path: "input-1")

        await ledger.setFailing(["pager"])
        let first = await p.run(raw, owner: "run-1")
        #expect(first.failedInputs == ["input-1"])
        #expect(first.deliveries.map(\.delivered) == [["chat"]] && first.deliveries.map(\.failed) == [["pager"]])
        #expect(first.errors.contains { $0.contains("delivery to pager failed") && $0.contains("HTTP 503") })
        #expect(await ledger.accepted["chat"]?.count == 1)
        let key = try #require(first.deliveries.first?.findingKeys.first)
        #expect(try await store.deliveredDestinations(key) == ["chat"])
        #expect(try await store.get(key: key)?.state == .pending)

        // The input comes back (SQS redelivery, the next poll): only the pager is sent to.
        await ledger.setFailing([])
        let second = await p.run(raw, owner: "run-2")
        #expect(second.succeeded, "\(second.errors)")
        #expect(second.deliveries.map(\.skipped) == [["chat"]] && second.deliveries.map(\.delivered) == [["pager"]])
        #expect(try await store.deliveredDestinations(key) == ["chat", "pager"])
        #expect(try await store.get(key: key)?.state == .alerted)

        // A third delivery of the same input is a duplicate: nothing anywhere.
        let third = await p.run(raw, owner: "run-3")
        #expect(third.succeeded && third.deliveries.isEmpty && third.alerted.isEmpty)
        #expect(await ledger.accepted["chat"]?.count == 1)
        #expect(await ledger.accepted["pager"]?.count == 1)
        #expect(await ledger.attempts == ["chat": 1, "pager": 2])
        // Exactly once per destination, and both had the same alert.
        let accepted = await ledger.accepted
        #expect(accepted["chat"] == accepted["pager"])
    }

    @Test("routes choose destinations; an alert routed nowhere else is done once its routed destinations have it",
          arguments: [DeliveryStoreKind.memory, .sqlite])
    func routing(kind: DeliveryStoreKind) async throws {
        let store = try await kind.make()
        let ledger = DestinationLedger()
        let p = pipeline(store, [
            .init(LedgerDestination(name: "critical-only", ledger: ledger), route: DestinationRoute(minimumSeverity: .critical)),
            .init(LedgerDestination(name: "cloudtrail", ledger: ledger), route: DestinationRoute(rules: [RuleSelector("tripline.cloudtrail.*")])),
            .init(LedgerDestination(name: "other-account", ledger: ledger), route: DestinationRoute(accounts: ["444455556666"])),
            .init(LedgerDestination(name: "this-account", ledger: ledger), route: DestinationRoute(accounts: ["123456789012"])),
        ])
        let raw = findings([stopLogging(trail: "prod", at: nowEpoch() - 60, id: UUID().uuidString)], path: "input-1")
        let outcome = await p.run(raw, owner: "run-1")
        #expect(outcome.succeeded, "\(outcome.errors)")
        #expect(outcome.deliveries.map(\.delivered) == [["cloudtrail", "this-account"]])
        #expect(await ledger.attempts == ["cloudtrail": 1, "this-account": 1])
        #expect(outcome.alerted.allSatisfy { $0.state == .alerted } && !outcome.alerted.isEmpty)
    }

    @Test("a claim that opens a new window starts with no deliveries; a takeover of a released claim keeps them",
          arguments: DeliveryStoreKind.allCases)
    func storeContract(kind: DeliveryStoreKind) async throws {
        let store = try await kind.make()
        let t = nowEpoch() - 600
        let k = uniqueName("k")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "A", now: t, expiresAt: t + 300) == .claimed)
        try await store.markDelivered([k], destinations: ["slack"], owner: "A")
        try await store.markDelivered([k], destinations: ["teams"], owner: "someone-else")  // not the owner: ignored
        try await store.release([k], owner: "A")
        #expect(try await store.claim(stored(k, event: "e1", at: t), owner: "B", now: t + 10, expiresAt: t + 310) == .claimed)
        #expect(try await store.deliveredDestinations(k) == ["slack"])
        try await store.markDelivered([k], destinations: ["pagerduty"], owner: "B")
        try await store.markAlerted([k], owner: "B")
        #expect(try await store.deliveredDestinations(k) == ["slack", "pagerduty"])
        // After the window, the same key is a new alert: nobody has it yet.
        #expect(try await store.claim(stored(k, event: "e9", at: t + 4000), owner: "C", now: t + 4000, expiresAt: t + 4300) == .claimed)
        #expect(try await store.deliveredDestinations(k) == [])
    }

    @Test("SQLite: a database written before per-destination deliveries is migrated in place")
    func sqliteMigration() async throws {
        let folder = NSTemporaryDirectory() + "tripline-migrate-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/tripline.sqlite"
        // The v1 schema and its migration record, as an older Tripline left them, with one alerted finding.
        let v1 = """
            CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
            INSERT INTO grdb_migrations VALUES ('v1: findings, finding events, checkpoints');
            CREATE TABLE finding (key TEXT PRIMARY KEY NOT NULL, rule_id TEXT NOT NULL, severity INTEGER NOT NULL,
              title TEXT NOT NULL, event_id TEXT NOT NULL, event_time INTEGER NOT NULL, window_end INTEGER NOT NULL,
              account_id TEXT NOT NULL, region TEXT NOT NULL, actor TEXT NOT NULL, count INTEGER NOT NULL,
              state TEXT NOT NULL, owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL,
              updated_at INTEGER NOT NULL);
            CREATE INDEX finding_by_time ON finding(event_time DESC);
            CREATE TABLE finding_event (rule_id TEXT NOT NULL, event_id TEXT NOT NULL, key TEXT NOT NULL, PRIMARY KEY (rule_id, event_id));
            CREATE TABLE checkpoint (name TEXT PRIMARY KEY NOT NULL, epoch INTEGER NOT NULL);
            INSERT INTO finding VALUES ('old', 'r', 3, 't', 'e', 100, 5000, '123456789012', 'us-east-1', 'a', 1, 'alerted', NULL, 0, '{}', 100);
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        process.arguments = [path, v1]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let store = SQLiteFindingStore(try SQLiteDatabase(path: path))
        #expect(try await store.get(key: "old")?.state == .alerted)
        #expect(try await store.deliveredDestinations("old") == [])
        #expect(try await store.claim(stored("old", event: "e2", at: 200), owner: "A", now: 200, expiresAt: 500) == .duplicate)
    }
}
