import GRDB
import TriplineCore
import TriplineJSON
import TriplineService

/// `FindingStore` over the local SQLite file: the default state of `tripline watch` and `tripline findings`.
///
/// Same semantics as the reference `InMemoryFindingStore` and the DynamoDB store. Each `claim` is one IMMEDIATE
/// transaction (read the row, decide, write), so two processes claiming the same key serialise on SQLite's write
/// lock and exactly one of them gets `.claimed`.
public struct SQLiteFindingStore: FindingStore {
    public let database: SQLiteDatabase

    public init(_ database: SQLiteDatabase) { self.database = database }

    public func claim(_ finding: StoredFinding, owner: String, now: Int, expiresAt: Int) async throws -> ClaimOutcome {
        try await database.immediate { db in
            // Has this very event already been counted for this rule (by any earlier claim)?
            let isNewEvent = try Row.fetchOne(
                db, sql: "SELECT 1 FROM finding_event WHERE rule_id = ? AND event_id = ?",
                arguments: [finding.ruleID, finding.eventID]) == nil
            let rememberEvent = {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO finding_event (rule_id, event_id, key) VALUES (?, ?, ?)",
                    arguments: [finding.ruleID, finding.eventID, finding.key])
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT state, lease_until, window_end, delivered FROM finding WHERE key = ?", arguments: [finding.key]) else {
                try insertOrReplace(db, finding, count: finding.count, owner: owner, expiresAt: expiresAt, now: now, delivered: "")
                try rememberEvent()
                return .claimed
            }
            let state = AlertState(rawValue: row["state"]) ?? .pending
            // `lease_until` holds the claim's expiry (the owner's deadline plus a margin).
            let heldUntil: Int = row["lease_until"]
            let windowEnd: Int = row["window_end"]
            // The window is measured in event time, so re-reading old logs (or an overlapping poll) never re-alerts.
            let windowEnded = windowEnd <= finding.eventTime
            // The owner died, timed out or released it: the alert was never sent, so the claimant sends it.
            let abandoned = state == .pending && heldUntil < now

            if windowEnded || abandoned {
                // Taking over an unfinished alert keeps what its destinations already have; a new window starts afresh.
                let delivered: String = windowEnded ? "" : row["delivered"]
                try insertOrReplace(db, finding, count: finding.count, owner: owner, expiresAt: expiresAt, now: now, delivered: delivered)
                try rememberEvent()
                return .claimed
            }
            // Someone holds it or has alerted it: fold a new event into the standing finding, send nothing.
            if isNewEvent {
                try db.execute(
                    sql: "UPDATE finding SET count = count + ?, updated_at = ? WHERE key = ?",
                    arguments: [finding.count, now, finding.key])
                try rememberEvent()
            }
            return state == .pending ? .heldElsewhere : .duplicate
        }
    }

    public func markAlerted(_ keys: [String], owner: String) async throws {
        try await setState(keys, owner: owner, sql: "UPDATE finding SET state = 'alerted', owner = NULL, lease_until = 0 WHERE key = ? AND owner = ? AND state = 'pending'")
    }

    public func release(_ keys: [String], owner: String) async throws {
        // Still pending, but with an expired claim: the next claim (the retry) takes it and alerts.
        try await setState(keys, owner: owner, sql: "UPDATE finding SET owner = NULL, lease_until = 0 WHERE key = ? AND owner = ? AND state = 'pending'")
    }

    public func deliveredDestinations(_ key: String) async throws -> Set<String> {
        try await database.read { db in
            let text = try String.fetchOne(db, sql: "SELECT delivered FROM finding WHERE key = ?", arguments: [key]) ?? ""
            return Self.names(text)
        }
    }

    public func markDelivered(_ keys: [String], destinations: Set<String>, owner: String) async throws {
        guard !keys.isEmpty, !destinations.isEmpty else { return }
        try await database.immediate { db in
            for key in keys {
                guard let text = try String.fetchOne(
                    db, sql: "SELECT delivered FROM finding WHERE key = ? AND owner = ? AND state = 'pending'", arguments: [key, owner])
                else { continue }
                let merged = Self.names(text).union(destinations).sorted().joined(separator: "\n")
                try db.execute(sql: "UPDATE finding SET delivered = ? WHERE key = ?", arguments: [merged, key])
            }
        }
    }

    static func names(_ text: String) -> Set<String> { Set(text.split(separator: "\n").map(String.init)) }

    public func list(since: Int?, limit: Int, minimumSeverity: Severity) async throws -> [StoredFinding] {
        try await database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT * FROM finding WHERE severity >= ? AND event_time >= ?
                    ORDER BY event_time DESC, key LIMIT ?
                    """,
                arguments: [minimumSeverity.rawValue, since ?? Int.min, max(0, limit)]
            ).map(Self.decode)
        }
    }

    public func get(key: String) async throws -> StoredFinding? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM finding WHERE key = ?", arguments: [key]).map(Self.decode)
        }
    }

    // MARK: - Rows

    private func setState(_ keys: [String], owner: String, sql: String) async throws {
        guard !keys.isEmpty else { return }
        try await database.immediate { db in
            for key in keys { try db.execute(sql: sql, arguments: [key, owner]) }
        }
    }

    private func insertOrReplace(
        _ db: Database, _ f: StoredFinding, count: Int, owner: String, expiresAt: Int, now: Int, delivered: String
    ) throws {
        // A finding below the alert threshold is recorded for audit only; everything else waits for its alert.
        let state: AlertState = f.state == .recorded ? .recorded : .pending
        try db.execute(
            sql: """
                INSERT OR REPLACE INTO finding (key, rule_id, severity, title, event_id, event_time, window_end,
                    account_id, region, actor, count, state, owner, lease_until, json, updated_at, delivered)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                f.key, f.ruleID, f.severity.rawValue, f.title, f.eventID, f.eventTime, f.windowEnd, f.accountID,
                f.region, f.actor, count, state.rawValue, state == .pending ? owner : nil,
                state == .pending ? expiresAt : 0, f.json.serialized(), now, delivered,
            ])
    }

    static func decode(_ row: Row) -> StoredFinding {
        let jsonText: String = row["json"]
        return StoredFinding(
            key: row["key"], ruleID: row["rule_id"], severity: Severity(rawValue: row["severity"]) ?? .info,
            title: row["title"], eventID: row["event_id"], eventTime: row["event_time"], windowEnd: row["window_end"],
            accountID: row["account_id"], region: row["region"], actor: row["actor"], count: row["count"],
            state: AlertState(rawValue: row["state"]) ?? .pending,
            json: (try? JSONValue.parse(jsonText)) ?? .string(jsonText))
    }
}
