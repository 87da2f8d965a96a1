import TriplineCore

// In-memory edges: the reference behaviour of the contracts in Stores.swift (the DynamoDB store must agree with
// them; the claim tests run the same body against both), and what unit tests and `--dry-run` style callers use.

/// ``FindingStore`` in memory. One actor, so each claim is atomic as the contract requires.
public actor InMemoryFindingStore: FindingStore {
    private struct Entry {
        var finding: StoredFinding
        var owner: String
        /// When the claim expires (epoch seconds); 0 once released.
        var expiresAt: Int
        /// Destinations that have this window's alert.
        var delivered: Set<String> = []
    }

    private var entries: [String: Entry] = [:]
    private var events: Set<Finding.RuleEvent> = []

    public init() {}

    public func claim(_ finding: StoredFinding, owner: String, now: Int, expiresAt: Int) async throws -> ClaimOutcome {
        // The idempotency record: an event already counted never counts again (retries, overlapping polls).
        let eventIsNew = events.insert(Finding.RuleEvent(ruleID: finding.ruleID, eventID: finding.eventID)).inserted
        var delivered: Set<String> = []
        if let existing = entries[finding.key] {
            let windowEnded = existing.finding.windowEnd <= finding.eventTime
            let abandoned = existing.finding.state == .pending && existing.expiresAt < now
            if !windowEnded && !abandoned {
                if eventIsNew { entries[finding.key]!.finding.count += finding.count }
                return existing.finding.state == .pending ? .heldElsewhere : .duplicate
            }
            // Taking over an unfinished alert: what its destinations already have stays had.
            if !windowEnded { delivered = existing.delivered }
        }
        entries[finding.key] = Entry(finding: finding, owner: owner, expiresAt: expiresAt, delivered: delivered)
        return .claimed
    }

    public func markAlerted(_ keys: [String], owner: String) async throws {
        for key in keys where entries[key]?.owner == owner && entries[key]?.finding.state == .pending {
            entries[key]!.finding.state = .alerted
        }
    }

    public func release(_ keys: [String], owner: String) async throws {
        for key in keys where entries[key]?.owner == owner && entries[key]?.finding.state == .pending {
            entries[key]!.expiresAt = 0
        }
    }

    public func deliveredDestinations(_ key: String) async throws -> Set<String> { entries[key]?.delivered ?? [] }

    public func markDelivered(_ keys: [String], destinations: Set<String>, owner: String) async throws {
        for key in keys where entries[key]?.owner == owner && entries[key]?.finding.state == .pending {
            entries[key]!.delivered.formUnion(destinations)
        }
    }

    public func list(since: Int?, limit: Int, minimumSeverity: Severity) async throws -> [StoredFinding] {
        let matching = entries.values.map(\.finding).filter { f in
            f.severity >= minimumSeverity && f.eventTime >= (since ?? Int.min)
        }
        return Array(matching.sorted { ($0.eventTime, $0.key) > ($1.eventTime, $1.key) }.prefix(max(0, limit)))
    }

    public func get(key: String) async throws -> StoredFinding? { entries[key]?.finding }
}

/// ``CheckpointStore`` in memory. Like the DynamoDB one, a checkpoint only moves forward.
public actor InMemoryCheckpointStore: CheckpointStore {
    private var values: [String: Int]

    public init(_ initial: [String: Int] = [:]) { values = initial }

    public func load(_ name: String) async throws -> Int? { values[name] }

    public func save(_ name: String, _ epoch: Int) async throws {
        values[name] = max(values[name] ?? epoch, epoch)
    }
}

/// Keeps every message it is given (tests, `--dry-run`).
public actor RecordingAlertSink: AlertSink {
    public private(set) var messages: [AlertMessage] = []

    public init() {}

    public func send(_ messages: [AlertMessage]) async throws { self.messages += messages }
}

/// Fails every delivery (tests of the failure path).
public struct FailingAlertSink: AlertSink {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public var reason: String

    public init(reason: String = "alert sink unavailable") { self.reason = reason }

    public func send(_ messages: [AlertMessage]) async throws { throw Failure(description: reason) }
}
