import TriplineJSON

/// Matches of threshold rules, kept compact.
///
/// A threshold rule's per-event selection is often broad (every Describe* call, every failed login), so building a
/// full `Finding` per match would dominate the scan. Instead each match records 16 bytes (event time and a hash of
/// the event id) under its rule and group, and a full finding is built only for the earliest event of each group,
/// which stands for the group in the alert. A rule counting distinct values (`threshold.distinct`) records one
/// match per value instead, its id the value's hash, so a value read again adds nothing to a window's count. Merging tallies from workers and turning them into alerts is
/// order-independent, like `Aggregator`.
///
/// A long scan need not hold every match: when the caller can promise that no later match is older than some
/// time (CloudTrail files read in the order of their timestamps), `compact(before:rules:)` turns the windows that
/// can no longer change into alerts and drops the matches no later window can reach. Alerts are then exactly as
/// without compaction; matches that break the promise are counted in `lateHits`.
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
    /// Alerts of windows that compaction closed (their matches are gone).
    private var closed: [Finding] = []
    /// The latest cutoff compacted to: a match older than this arrived after the promise that none would.
    private var compactedBefore = Int.min
    /// Matches held now.
    public private(set) var hitCount = 0
    /// Matches older than a cutoff already compacted to (recorded anyway; counts around them may be short).
    public private(set) var lateHits = 0

    public init() {}

    public var isEmpty: Bool { groups.isEmpty && closed.isEmpty }


    /// Records that rule `index` of `rules` (the engine's list) matched the event at `root`. The list rather than
    /// the rule: a rule passed into a mutating method is copied whole (every string and array retained) per match.
    public mutating func record(_ index: Int, of rules: [Rule], view: JSONView, root: Int, input: InputRef) {
        guard let threshold = rules[index].threshold else { return }
        // The group's values go through Swift's `Hasher`, keyed at random per process: group-by values are often
        // the attacker's to choose (a role session name), and two groups made to share a key would be counted as
        // one and alerted under the other's event. Group keys are never ordered or kept past the process.
        var hasher = Hasher()
        for path in threshold.groupBy {
            guard let v = view.first(path, from: root) else {
                hasher.combine(-1)  // absent, unlike any length
                continue
            }
            view.withThresholdBytes(v) { bytes in
                hasher.combine(bytes.count)
                hasher.combine(bytes: UnsafeRawBufferPointer(bytes))
            }
        }
        let group = UInt64(UInt(bitPattern: hasher.finalize()))
        let epoch = TallyHit.epoch(view, root)
        let key = Key(rule: Int32(index), group: group)
        if !threshold.distinct.isEmpty {
            // Counting values, not events: one hit per different value, its id the value's hash, so the same
            // value read again is the same id (counted once in any window) and the same event seen twice adds
            // nothing new.
            let values = threshold.distinctValues(view, root)
            guard !values.isEmpty else { return }
            if epoch < compactedBefore { lateHits += values.count }
            hitCount += values.count
            var earliest = false
            for value in values {
                if Self.add(Hit(epoch: epoch, id: value), to: &groups[key, default: Group()]) { earliest = true }
            }
            if earliest { groups[key]?.representative = KeptEvent(view, root, input: input) }
            return
        }
        let id = view.first(Finding.paths.eventID, from: root)
            .map { view.kind($0) == .string ? view.withStringBytes($0) { Hashing.words($0) } : Hashing.words(view.rawBytes($0)) }
            ?? Hashing.words(JSONValue(view, root).serialized())
        let hit = Hit(epoch: epoch, id: id)
        if epoch < compactedBefore { lateHits += 1 }
        hitCount += 1
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
        closed += other.closed
        lateHits += other.lateHits
        hitCount += other.hitCount
        if compactedBefore > other.compactedBefore {
            for g in other.groups.values { lateHits += g.hits.count { $0.epoch < compactedBefore } }
        }
        compactedBefore = max(compactedBefore, other.compactedBefore)
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
        var out = closed
        for (key, group) in groups {
            let rule = rules[Int(key.rule)]
            guard let threshold = rule.threshold, let representative = group.representative?.finding(for: rule) else {
                continue
            }
            let hits = TallyHit.distinct(group.hits)
            _ = Self.windows(hits, threshold, fold: max(rule.dedupWindow, threshold.window), cutoff: nil) { start, end in
                out.append(Self.alert(representative, hits, start, end, distinct: !threshold.distinct.isEmpty))
            }
        }
        return out
    }

    /// Closes what no match at or after `cutoff` can change: alerts whose window and fold end before it, and
    /// matches too old to share a window with a later one. The caller promises that later matches are at or
    /// after `cutoff`; then `alerts` gives exactly what it would have without compacting.
    public mutating func compact(before cutoff: Int, rules: [Rule]) {
        guard cutoff > compactedBefore else { return }
        compactedBefore = cutoff
        for key in Array(groups.keys) {
            let rule = rules[Int(key.rule)]
            guard let threshold = rule.threshold, var group = groups.removeValue(forKey: key) else { continue }
            let hits = TallyHit.distinct(group.hits)
            var representative: Finding?  // built (parsed from the kept text) only when a window closes
            let keep = Self.windows(hits, threshold, fold: max(rule.dedupWindow, threshold.window), cutoff: cutoff) { start, end in
                if representative == nil { representative = group.representative?.finding(for: rule) }
                if let representative {
                    closed.append(Self.alert(representative, hits, start, end, distinct: !threshold.distinct.isEmpty))
                }
            }
            hitCount -= group.hits.count - (hits.count - keep)
            group.hits = Array(hits[keep...])
            groups[key] = group  // kept even when empty: its representative stays the earliest event
        }
    }

    /// The windows of one group's sorted, distinct hits, left to right: a window of `threshold.window` that holds
    /// `threshold.count` hits (with `threshold.distinct`, hits with `count` different ids: values) starts an alert,
    /// which takes in every hit within `fold` of its first; counting starts again after it. Calls
    /// `alert(first, last)` per alert.
    ///
    /// With a cutoff (no later hit will be older), stops before the first alert a later hit could still join, and
    /// returns the index of the first hit to keep: after the last alert, and when none is open, no earlier than
    /// the hits that a window ending at the cutoff or later can reach. Without one, returns `hits.count`.
    static func windows(
        _ hits: [Hit], _ threshold: Threshold, fold: Int, cutoff: Int?, _ alert: (Int, Int) -> Void
    ) -> Int {
        let window = max(threshold.window, 1)
        let distinct = !threshold.distinct.isEmpty
        var inWindow: [UInt64: Int] = [:]  // with `distinct`: how many hits of each id `start...k` holds
        var start = 0
        var k = 0
        var restart = 0  // just after the last alert
        while k < hits.count {
            if distinct { inWindow[hits[k].id, default: 0] += 1 }
            while hits[k].epoch - hits[start].epoch >= window {
                if distinct {
                    let id = hits[start].id
                    if inWindow[id] == 1 { inWindow[id] = nil } else { inWindow[id]! -= 1 }
                }
                start += 1
            }
            if (distinct ? inWindow.count : k - start + 1) >= threshold.count {
                // Open at the cutoff: a later hit may join it, or start an earlier window that takes in hits
                // before it. Keep everything since the last alert.
                if let cutoff, hits[start].epoch + fold > cutoff { return restart }
                var end = k
                while end + 1 < hits.count && hits[end + 1].epoch - hits[start].epoch < fold { end += 1 }
                alert(start, end)
                k = end + 1
                start = k
                restart = k
                inWindow.removeAll(keepingCapacity: true)
                continue
            }
            k += 1
        }
        guard let cutoff else { return hits.count }
        // No window ending before the cutoff reached the count; a window ending at or after it starts after
        // `cutoff - window`.
        var keep = restart
        while keep < hits.count && hits[keep].epoch <= cutoff - window { keep += 1 }
        return keep
    }

    private static func alert(_ representative: Finding, _ hits: [Hit], _ start: Int, _ end: Int, distinct: Bool) -> Finding {
        var alert = representative
        alert.count = distinct ? Set(hits[start...end].map(\.id)).count : end - start + 1
        alert.eventTime = EventTime.iso8601(hits[start].epoch)
        alert.epoch = hits[start].epoch
        alert.lastEventTime = EventTime.iso8601(hits[end].epoch)
        alert.dedupKey = representative.dedupKey + "@" + String(hits[start].epoch)
        return alert
    }
}
