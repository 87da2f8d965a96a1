import TriplineJSON

/// Matches of rules without a threshold, folded per dedup key as a scan finds them, so a scan's memory and work
/// grow with the number of alerts, not with the number of matching events.
///
/// Folding must give what `Aggregator` gives on one finding per match (alert windows open at the first event of a
/// key and last the rule's dedup window), whatever order files are read in. So each key keeps every hit compactly
/// (16 bytes: event time and a hash of the event id), which fixes the windows exactly once the scan is over, and
/// events only for the first and the last hit of each stretch of the key's time cut in dedup-window-long pieces
/// (aligned on the epoch), as JSON text: findings are built from them at the end, for the alerts only. A window's
/// alert is its first event when that event is the first of its piece (always so for a key's first alert),
/// otherwise the last event of that piece, which lies inside the same window. Times and counts are exact either way.
public struct DedupTally: Sendable {
    typealias Hit = TallyHit

    /// An event kept to stand for an alert, with its hit.
    struct Kept: Sendable {
        var hit: Hit
        var event: KeptEvent
    }

    /// The first and last hit of one piece of a key's time.
    struct Piece: Sendable {
        var first: Kept
        var last: Kept

        mutating func add(_ kept: Kept) {
            if kept.hit < first.hit { first = kept }
            if last.hit < kept.hit { last = kept }
        }
    }

    /// What a dedup key is made of, kept whole: the key itself (a digest) is computed for the alerts only, not
    /// for every match.
    struct Name: Hashable, Sendable {
        var rule: Int
        var values: [String]
    }

    struct Key: Sendable {
        var hits: [Hit] = []
        var pieces: [Int: Piece] = [:]
    }

    private var keys: [Name: Key] = [:]

    public init() {}

    public var isEmpty: Bool { keys.isEmpty }

    /// Events held (two per piece of time at most).
    var keptEvents: Int { keys.values.reduce(0) { $0 + $1.pieces.values.reduce(0) { $0 + ($1.first.hit == $1.last.hit ? 1 : 2) } } }

    /// Records that rule `index` of `rules` (the engine's list) matched the event at `root` (the list rather than
    /// the rule: see `ThresholdTally.record`).
    public mutating func record(_ index: Int, of rules: [Rule], view: JSONView, root: Int, input: InputRef) {
        let (eventID, values) = Finding.identity(rule: rules[index], view: view, root: root)
        let dedupKey = Name(rule: index, values: values)
        let epoch = TallyHit.epoch(view, root)
        let hit = Hit(epoch: epoch, id: Hashing.words(eventID))
        let piece = Self.piece(epoch, window: rules[index].dedupWindow)
        // Modified in place: copying a key out of the dictionary would copy its events.
        keys[dedupKey, default: Key()].hits.append(hit)
        let current = keys[dedupKey]!.pieces[piece]
        guard current == nil || hit < current!.first.hit || current!.last.hit < hit else { return }
        let kept = Kept(hit: hit, event: KeptEvent(view, root, input: input))
        if current == nil {
            keys[dedupKey]!.pieces[piece] = Piece(first: kept, last: kept)
        } else {
            keys[dedupKey]!.pieces[piece]!.add(kept)
        }
    }

    static func piece(_ epoch: Int, window: Int) -> Int {
        let w = max(window, 1)
        return epoch >= 0 ? epoch / w : (epoch + 1) / w - 1
    }

    public mutating func merge(_ other: DedupTally) {
        for (name, theirs) in other.keys {
            guard var mine = keys.removeValue(forKey: name) else {
                keys[name] = theirs
                continue
            }
            mine.hits += theirs.hits
            for (index, piece) in theirs.pieces {
                if mine.pieces[index] == nil {
                    mine.pieces[index] = piece
                } else {
                    mine.pieces[index]!.add(piece.first)
                    mine.pieces[index]!.add(piece.last)
                }
            }
            keys[name] = mine
        }
    }

    /// One finding per alert window, its `count` and first and last times set (`rules` is the rule list the
    /// recorded indices refer to: `Engine.rules`). `Aggregator` takes these like raw findings and gives the same
    /// alerts.
    public func findings(rules: [Rule]) -> [Finding] { findings(rules: rules, shard: 0, of: 1) }

    /// The findings of every `shards`-th key from `shard` on: shards can be built on several threads at once (each
    /// parses its keys' kept events), and together give `findings(rules:)`.
    public func findings(
        rules: [Rule], shard: Int, of shards: Int, including: (Rule) -> Bool = { _ in true }
    ) -> [Finding] {
        var out: [Finding] = []
        for (k, (name, key)) in keys.enumerated() where k % shards == shard {
            let rule = rules[name.rule]
            guard including(rule) else { continue }
            let window = max(rule.dedupWindow, 1)
            let hits = TallyHit.distinct(key.hits)
            var start = 0
            while start < hits.count {
                var end = start
                while end + 1 < hits.count && hits[end + 1].epoch - hits[start].epoch < window { end += 1 }
                let first = hits[start]
                defer { start = end + 1 }
                guard let piece = key.pieces[Self.piece(first.epoch, window: window)] else { continue }  // never
                let kept = piece.first.hit == first ? piece.first : piece.last
                guard var alert = kept.event.finding(for: rule) else { continue }
                alert.count = end - start + 1
                alert.epoch = first.epoch
                if kept.hit != first { alert.eventTime = EventTime.iso8601(first.epoch) }
                if end > start { alert.lastEventTime = EventTime.iso8601(hits[end].epoch) }
                out.append(alert)
            }
        }
        return out
    }
}
