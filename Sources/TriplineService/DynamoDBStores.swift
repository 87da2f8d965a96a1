import Foundation
import TriplineAWS
import TriplineCore
import TriplineJSON

/// The findings table layout (shared with the deploy templates: `pk`/`sk`, GSI `gsi1` on `gsi1pk`/`gsi1sk`, TTL on
/// `expires_at`):
///
/// | item | pk | sk | gsi1pk | gsi1sk |
/// |---|---|---|---|---|
/// | finding (one per dedup key) | `FINDING#<key>` | `V1` | `FINDINGS#<yyyy-mm-dd>` | `<iso time>#<key>` |
///
/// A finding's `delivered` (string set) names the destinations that have its alert in the current window.
/// | event seen by a rule | `EVENT#<rule id>#<event id>` | `V1` | – | – |
/// | poll checkpoint | `CHECKPOINT#<name>` | `V1` | – | – |
///
/// Listing partitions by event day so no single index partition takes every write.
public enum FindingsTable {
    public static let sortKey = "V1"
    public static let index = "gsi1"

    static func findingPK(_ key: String) -> String { "FINDING#" + key }
    static func eventPK(rule: String, event: String) -> String { "EVENT#" + rule + "#" + event }
    static func checkpointPK(_ name: String) -> String { "CHECKPOINT#" + name }
    static func dayPartition(_ epoch: Int) -> String { "FINDINGS#" + String(EventTime.iso8601(epoch).prefix(10)) }
}

/// ``FindingStore`` on DynamoDB. The claim is one conditional PutItem, so two invocations racing on the same key
/// (a duplicate delivery, the same event by EventBridge and S3) cannot both win.
public struct DynamoDBFindingStore: FindingStore {
    public let dynamo: DynamoDBClient
    public let table: String
    /// Items expire (TTL) this long after the later of their event and now.
    public let retentionDays: Int
    private let now: @Sendable () -> Int

    public init(
        dynamo: DynamoDBClient, table: String, retentionDays: Int = 90,
        now: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.dynamo = dynamo
        self.table = table
        self.retentionDays = max(1, retentionDays)
        self.now = now
    }

    private func expiry(_ eventTime: Int) -> DynamoValue { .number(max(eventTime, now()) + retentionDays * 86400) }
    private static func key(_ pk: String) -> DynamoItem { ["pk": .s(pk), "sk": .s(FindingsTable.sortKey)] }

    public func claim(_ finding: StoredFinding, owner: String, now: Int, expiresAt: Int) async throws -> ClaimOutcome {
        // 1. The idempotency record for (rule, event): whether this event has been counted before.
        let eventIsNew: Bool
        do {
            try await dynamo.putItem(
                table: table,
                item: [
                    "pk": .s(FindingsTable.eventPK(rule: finding.ruleID, event: finding.eventID)),
                    "sk": .s(FindingsTable.sortKey), "finding_key": .s(finding.key), "expires_at": expiry(finding.eventTime),
                ],
                condition: "attribute_not_exists(pk)")
            eventIsNew = true
        } catch let e as AWSError where e.isConditionalCheckFailed {
            eventIsNew = false
        }

        // 2. The claim: absent, window over (relative to this event's time, so re-scanning old logs does not
        //    re-alert them), or pending with an expired claim (the previous owner died, timed out or released it).
        //    `lease_until` holds the claim's expiry: the owner's deadline plus a margin.
        var item = Self.item(finding)
        // An event not new to the table was recorded by another claim (step 1), which folds it in itself when its
        // own claim fails: two deliveries of one event racing here must not both count it. Replacing a standing
        // finding (a retry taking over) restarts its count from this claim's, as the other stores do.
        item["count"] = .number(eventIsNew ? finding.count : 0)
        item["owner"] = .s(owner)
        item["lease_until"] = .number(expiresAt)
        item["expires_at"] = expiry(finding.eventTime)
        item["created_at"] = .number(now)
        do {
            let old = try await dynamo.putItem(
                table: table, item: item,
                condition: "attribute_not_exists(pk) OR window_end <= :t OR (#state = :pending AND lease_until < :now)",
                expressionValues: .init(
                    names: ["#state": "state"],
                    values: [":t": .number(finding.eventTime), ":pending": .s(AlertState.pending.rawValue), ":now": .number(now)]),
                returnOld: true)
            // Taking over an unfinished alert (same window, claim released or expired): the destinations that
            // already have it keep having it, so the retry sends only to the others. The put replaced the item
            // atomically, and the claim is ours now, so nobody else writes between the two calls.
            if let old, (old["window_end"]?.int ?? 0) > finding.eventTime, let delivered = old["delivered"]?.stringSet, !delivered.isEmpty {
                try await markDelivered([finding.key], destinations: Set(delivered), owner: owner)
            }
            if old != nil && !eventIsNew {
                _ = try await dynamo.updateItem(
                    table: table, key: Self.key(FindingsTable.findingPK(finding.key)), update: "ADD #count :n",
                    condition: "attribute_exists(pk)",
                    expressionValues: .init(names: ["#count": "count"], values: [":n": .number(finding.count)]))
            }
            return .claimed
        } catch let e as AWSError where e.isConditionalCheckFailed {}

        // 3. Not ours: fold a new event into the standing finding; tell pending (held) from done (duplicate).
        let current: DynamoItem?
        if eventIsNew {
            current = try await dynamo.updateItem(
                table: table, key: Self.key(FindingsTable.findingPK(finding.key)),
                update: "ADD #count :n SET last_event_time = :last",
                condition: "attribute_exists(pk)",
                expressionValues: .init(
                    names: ["#count": "count"],
                    values: [":n": .number(finding.count), ":last": .number(finding.eventTime)]))
        } else {
            current = try await dynamo.getItem(table: table, key: Self.key(FindingsTable.findingPK(finding.key)), consistentRead: true)
        }
        return current?["state"]?.string == AlertState.pending.rawValue ? .heldElsewhere : .duplicate
    }

    public func markAlerted(_ keys: [String], owner: String) async throws {
        try await updateHeld(
            keys, owner: owner, update: "SET #state = :alerted, alerted_at = :now REMOVE lease_until",
            values: [":alerted": .s(AlertState.alerted.rawValue), ":now": .number(now())])
    }

    public func release(_ keys: [String], owner: String) async throws {
        try await updateHeld(keys, owner: owner, update: "SET lease_until = :zero", values: [":zero": 0])
    }

    public func deliveredDestinations(_ key: String) async throws -> Set<String> {
        let item = try await dynamo.getItem(table: table, key: Self.key(FindingsTable.findingPK(key)), consistentRead: true)
        return Set(item?["delivered"]?.stringSet ?? [])
    }

    /// `delivered` is a string set: ADD merges, so two calls never lose a name.
    public func markDelivered(_ keys: [String], destinations: Set<String>, owner: String) async throws {
        guard !destinations.isEmpty else { return }
        try await updateHeld(keys, owner: owner, update: "ADD delivered :d", values: [":d": .ss(destinations.sorted())])
    }

    /// Applies `update` to each key that `owner` still holds (pending, its claim). A key taken over after the
    /// claim expired fails the condition and is left to its new owner.
    private func updateHeld(_ keys: [String], owner: String, update: String, values: DynamoItem) async throws {
        let held: DynamoItem = [":owner": .s(owner), ":pending": .s(AlertState.pending.rawValue)]
        for key in keys {
            do {
                try await dynamo.updateItem(
                    table: table, key: Self.key(FindingsTable.findingPK(key)), update: update,
                    condition: "#owner = :owner AND #state = :pending",
                    expressionValues: .init(
                        names: ["#state": "state", "#owner": "owner"],
                        values: values.merging(held) { mine, _ in mine }))
            } catch let e as AWSError where e.isConditionalCheckFailed {}
        }
    }

    /// Newest first: the day partitions of `gsi1`, from today back to `since` (or the retention period).
    public func list(since: Int?, limit: Int, minimumSeverity: Severity) async throws -> [StoredFinding] {
        guard limit > 0 else { return [] }
        let today = now() / 86400
        let firstDay = max((since ?? (now() - retentionDays * 86400)) / 86400, today - retentionDays - 1)
        var out: [StoredFinding] = []
        var day = today + 1  // events stamped slightly in the future (clock skew)
        while day >= firstDay && out.count < limit {
            var query = DynamoQuery(
                table: table, indexName: FindingsTable.index, keyCondition: "gsi1pk = :p",
                filter: "severity_rank >= :min", expressionValues: .init(values: [
                    ":p": .s(FindingsTable.dayPartition(day * 86400)), ":min": .number(minimumSeverity.rawValue),
                ]), limit: 100, scanIndexForward: false)
            if let since {
                query.keyCondition += " AND gsi1sk >= :since"
                query.expressionValues.values[":since"] = .s(EventTime.iso8601(since))
            }
            repeat {
                let page = try await dynamo.query(query)
                out += page.items.compactMap(Self.finding)
                query.exclusiveStartKey = page.lastEvaluatedKey
            } while query.exclusiveStartKey != nil && out.count < limit
            day -= 1
        }
        return Array(out.prefix(limit))
    }

    public func get(key: String) async throws -> StoredFinding? {
        try await dynamo.getItem(table: table, key: Self.key(FindingsTable.findingPK(key)), consistentRead: true).flatMap(Self.finding)
    }

    // MARK: - Item mapping

    static func item(_ f: StoredFinding) -> DynamoItem {
        [
            "pk": .s(FindingsTable.findingPK(f.key)), "sk": .s(FindingsTable.sortKey),
            "gsi1pk": .s(FindingsTable.dayPartition(f.eventTime)), "gsi1sk": .s(EventTime.iso8601(f.eventTime) + "#" + f.key),
            "finding_key": .s(f.key), "rule_id": .s(f.ruleID), "severity": .s(f.severity.description),
            "severity_rank": .number(f.severity.rawValue), "title": .s(f.title), "event_id": .s(f.eventID),
            "event_time": .number(f.eventTime), "last_event_time": .number(f.eventTime), "window_end": .number(f.windowEnd),
            "account_id": .s(f.accountID), "region": .s(f.region), "actor": .s(f.actor), "count": .number(f.count),
            "state": .s(f.state.rawValue), "finding": .s(f.json.serialized()),
        ]
    }

    static func finding(_ item: DynamoItem) -> StoredFinding? {
        guard let key = item["finding_key"]?.string, let rule = item["rule_id"]?.string,
            let severity = item["severity"]?.string.flatMap(Severity.init), let state = item["state"]?.string.flatMap(AlertState.init)
        else { return nil }
        return StoredFinding(
            key: key, ruleID: rule, severity: severity, title: item["title"]?.string ?? "",
            eventID: item["event_id"]?.string ?? "", eventTime: item["event_time"]?.int ?? 0,
            windowEnd: item["window_end"]?.int ?? 0, accountID: item["account_id"]?.string ?? "",
            region: item["region"]?.string ?? "", actor: item["actor"]?.string ?? "", count: item["count"]?.int ?? 1,
            state: state, json: item["finding"]?.string.flatMap { try? JSONValue.parse($0) } ?? .null)
    }
}

/// ``CheckpointStore`` on the findings table. Saves only move forward, so a slow run cannot rewind a faster one.
public struct DynamoDBCheckpointStore: CheckpointStore {
    public let dynamo: DynamoDBClient
    public let table: String

    public init(dynamo: DynamoDBClient, table: String) {
        self.dynamo = dynamo
        self.table = table
    }

    public func load(_ name: String) async throws -> Int? {
        try await dynamo.getItem(
            table: table, key: ["pk": .s(FindingsTable.checkpointPK(name)), "sk": .s(FindingsTable.sortKey)], consistentRead: true
        )?["epoch"]?.int
    }

    public func save(_ name: String, _ epoch: Int) async throws {
        do {
            try await dynamo.updateItem(
                table: table, key: ["pk": .s(FindingsTable.checkpointPK(name)), "sk": .s(FindingsTable.sortKey)],
                update: "SET #epoch = :e", condition: "attribute_not_exists(#epoch) OR #epoch < :e",
                expressionValues: .init(names: ["#epoch": "epoch"], values: [":e": .number(epoch)]))
        } catch let e as AWSError where e.isConditionalCheckFailed {}
    }
}
