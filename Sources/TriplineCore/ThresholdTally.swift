import TriplineJSON

/// Matches of threshold rules, kept compact.
///
/// A threshold rule's per-event selection is often broad (every Describe* call, every failed login), so building a
/// full `Finding` per match would dominate the scan. Instead each match records 16 bytes (event time and a hash of
/// the event id) under its rule and group, and a full finding is built only for the earliest event of each group,
/// which stands for the group in the alert. Merging tallies from workers and turning them into alerts is
/// order-independent, like `Aggregator`.
public struct ThresholdTally: Sendable {
    struct Key: Hashable, Sendable {
        var rule: Int32
        var group: UInt64
    }

    typealias Hit = TallyHit

    struct Group: Sendable {
        var hits: [Hit] = []
        /// The group's earliest event so far: it changes many times in a scan, and only the last one becomes a
        /// finding (in `alerts`).
        var representative: KeptEvent?
        var representativeHit: Hit?
    }

    private var groups: [Key: Group] = [:]

    public init() {}

    public var isEmpty: Bool { groups.isEmpty }


    /// Records that rule `index` of `rules` (the engine's list) matched the event at `root`. The list rather than
    /// the rule: a rule passed into a mutating method is copied whole (every string and array retained) per match.
    public mutating func record(_ index: Int, of rules: [Rule], view: JSONView, root: Int, input: InputRef) {
        guard let threshold = rules[index].threshold else { return }
        var group: UInt64 = 0xcbf2_9ce4_8422_2325
        for path in threshold.groupBy {
            if let v = view.first(path, from: root) {
                let h: UInt64
                switch view.kind(v) {
                case .string: h = view.withStringBytes(v) { Hashing.words($0) }
                case .number, .true, .false, .null: h = Hashing.words(view.rawBytes(v))
                case .object, .array: h = Hashing.words(JSONValue(view, v).serialized())
                }
                group = (group ^ h) &* 0x100_0000_01b3
            }
            group = (group ^ 0x1F) &* 0x100_0000_01b3  // field separator
        }
        let epoch = TallyHit.epoch(view, root)
        let id = view.first(Finding.paths.eventID, from: root)
            .map { view.kind($0) == .string ? view.withStringBytes($0) { Hashing.words($0) } : Hashing.words(view.rawBytes($0)) }
            ?? Hashing.words(JSONValue(view, root).serialized())
        let hit = Hit(epoch: epoch, id: id)
        let key = Key(rule: Int32(index), group: group)
        // The group is modified in place: copying it out of the dictionary would copy its finding.
        if Self.add(hit, to: &groups[key, default: Group()]) {
            groups[key]?.representative = KeptEvent(view, root, input: input)
        }
    }

    /// Adds a hit to a group. True when it is the group's earliest so far (its event then represents the group).
    private static func add(_ hit: Hit, to group: inout Group) -> Bool {
        group.hits.append(hit)
        if let current = group.representativeHit, !(hit < current) { return false }
        group.representativeHit = hit
        return true
    }

    public mutating func merge(_ other: ThresholdTally) {
        for (key, g) in other.groups {
            var mine = groups[key, default: Group()]
            mine.hits += g.hits
            if let h = g.representativeHit, mine.representativeHit.map({ h < $0 }) ?? true {
                mine.representativeHit = h
                mine.representative = g.representative
            }
            groups[key] = mine
        }
    }

    /// One finding per window in which a group reached its rule's count. The finding is the group's
    /// representative event, with the window's first and last times and the number of events in it.
    public func alerts(rules: [Rule]) -> [Finding] {
        var out: [Finding] = []
        for (key, group) in groups {
            let rule = rules[Int(key.rule)]
            guard let threshold = rule.threshold, let representative = group.representative?.finding(for: rule) else {
                continue
            }
            let hits = TallyHit.distinct(group.hits)
            var start = 0
            var k = 0
            let window = max(threshold.window, 1)
            let fold = max(rule.dedupWindow, threshold.window)
            while k < hits.count {
                while hits[k].epoch - hits[start].epoch >= window { start += 1 }
                if k - start + 1 >= threshold.count {
                    // Alert; every later hit within the fold window belongs to this alert.
                    var end = k
                    while end + 1 < hits.count && hits[end + 1].epoch - hits[start].epoch < fold { end += 1 }
                    var alert = representative
                    alert.count = end - start + 1
                    alert.eventTime = EventTime.iso8601(hits[start].epoch)
                    alert.epoch = hits[start].epoch
                    alert.lastEventTime = EventTime.iso8601(hits[end].epoch)
                    alert.dedupKey = representative.dedupKey + "@" + String(hits[start].epoch)
                    out.append(alert)
                    k = end + 1
                    start = k
                    continue
                }
                k += 1
            }
        }
        return out
    }
}

