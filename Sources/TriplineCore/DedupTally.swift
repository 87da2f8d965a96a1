/// Findings folded per dedup key as a scan produces them, so a scan's memory grows with the number of alerts, not
/// with the number of matching events.
///
/// Folding must give what `Aggregator` gives on every raw finding (alert windows open at the first event of a key
/// and last the rule's dedup window), whatever order files are read in. So each key keeps every hit compactly
/// (16 bytes: event time and a hash of the event id), which fixes the windows exactly once the scan is over, and
/// full findings only for the first and the last hit of each stretch of the key's time cut in dedup-window-long
/// pieces (aligned on the epoch). A window's alert is its first event when that event is the first of its piece
/// (always so for a key's first alert), otherwise the last event of that piece, which lies inside the same window.
/// Times and counts are exact either way.
///
/// Findings of rules it does not fold (thresholds, which `ThresholdTally` or `Aggregator` handles, and findings
/// without a known rule) pass through untouched.
public struct DedupTally: Sendable {
    struct Hit: Sendable, Comparable {
        var epoch: Int
        var id: UInt64
        static func < (a: Hit, b: Hit) -> Bool { (a.epoch, a.id) < (b.epoch, b.id) }
    }

    /// The first and last hit of one piece of a key's time, with their findings.
    struct Piece: Sendable {
        var first: Hit
        var firstFinding: Finding
        var last: Hit
        var lastFinding: Finding

        mutating func add(_ hit: Hit, _ finding: Finding) {
            if hit < first {
                first = hit
                firstFinding = finding
            }
            if last < hit {
                last = hit
                lastFinding = finding
            }
        }
    }

    struct Key: Sendable {
        var hits: [Hit] = []
        var pieces: [Int: Piece] = [:]
    }

    /// Dedup window (seconds) of every rule folded here, by rule id.
    private let windows: [String: Int]
    private var keys: [String: Key] = [:]
    private var unfolded: [Finding] = []

    public init(rules: [Rule]) {
        var windows: [String: Int] = [:]
        for rule in rules where rule.threshold.map({ $0.count <= 1 }) ?? true {
            windows[rule.id] = max(rule.dedupWindow, 1)
        }
        self.windows = windows
    }

    public mutating func add(_ finding: Finding) {
        guard let window = windows[finding.ruleID] else {
            unfolded.append(finding)
            return
        }
        let epoch = finding.epoch ?? 0
        let hit = Hit(epoch: epoch, id: Hashing.fnv1a(finding.eventID))
        let piece = epoch >= 0 ? epoch / window : (epoch + 1) / window - 1
        // Modified in place: copying a key out of the dictionary would copy its findings.
        keys[finding.dedupKey, default: Key()].hits.append(hit)
        if keys[finding.dedupKey]!.pieces[piece] != nil {
            keys[finding.dedupKey]!.pieces[piece]!.add(hit, finding)
        } else {
            keys[finding.dedupKey]!.pieces[piece] = Piece(first: hit, firstFinding: finding, last: hit, lastFinding: finding)
        }
    }

    /// Full findings held (two per piece of time at most, plus those passed through).
    var keptFindings: Int { unfolded.count + keys.values.reduce(0) { $0 + $1.pieces.values.reduce(0) { $0 + ($1.first == $1.last ? 1 : 2) } } }

    public mutating func add(_ findings: [Finding]) {
        for f in findings { add(f) }
    }

    public mutating func merge(_ other: DedupTally) {
        unfolded += other.unfolded
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
                    mine.pieces[index]!.add(piece.first, piece.firstFinding)
                    mine.pieces[index]!.add(piece.last, piece.lastFinding)
                }
            }
            keys[name] = mine
        }
    }

    /// One finding per alert window (its `count`, first and last times set), plus the findings passed through.
    /// `Aggregator` takes these like raw findings and gives the same alerts.
    public func findings() -> [Finding] {
        var out = unfolded
        for key in keys.values {
            guard let any = key.pieces.values.first, let window = windows[any.firstFinding.ruleID] else { continue }
            // The same event seen twice counts once.
            var hits: [Hit] = []
            for h in key.hits.sorted() where hits.last != h { hits.append(h) }
            var start = 0
            while start < hits.count {
                var end = start
                while end + 1 < hits.count && hits[end + 1].epoch - hits[start].epoch < window { end += 1 }
                let first = hits[start]
                let index = first.epoch >= 0 ? first.epoch / window : (first.epoch + 1) / window - 1
                guard let piece = key.pieces[index] else { break }  // unreachable: every hit's piece is kept
                var alert = piece.first == first ? piece.firstFinding : piece.lastFinding
                alert.count = end - start + 1
                alert.epoch = first.epoch
                if piece.first != first { alert.eventTime = EventTime.iso8601(first.epoch) }
                if end > start { alert.lastEventTime = EventTime.iso8601(hits[end].epoch) }
                out.append(alert)
                start = end + 1
            }
        }
        return out
    }
}
