import TriplineJSON

/// A rule made of other rules (Sigma's `temporal` and `temporal_ordered` correlations): it fires when every step
/// rule fired for the same group (same principal, same bucket, …) within `window` seconds, in the steps' order
/// when `ordered`. "Versioning suspended, then objects deleted in bulk" is two steps: a single-event rule, then a
/// threshold rule.
public struct RuleSequence: Sendable, Equatable {
    /// The step rules' ids, in order.
    public var steps: [String]
    public var window: Int
    public var ordered: Bool
    /// Per group field, the path to read in each step's event (`groupBy[field][step]`): the same path for every
    /// step unless the rule gave aliases (a bucket that is `requestParameters.bucketName` in one event and
    /// `resources[0].ARN` in another).
    public var groupBy: [[JSONPath]]
    /// How many different steps must occur (unordered sequences only; ordered ones need all).
    public var minimumSteps: Int

    public init(steps: [String], window: Int, ordered: Bool, groupBy: [[JSONPath]], minimumSteps: Int? = nil) {
        self.steps = steps
        self.window = window
        self.ordered = ordered
        self.groupBy = groupBy
        self.minimumSteps = ordered ? steps.count : min(minimumSteps ?? steps.count, steps.count)
    }
}

/// Finds the sequences in a set of findings. Pure and order-independent like `Aggregator`, which runs it.
///
/// What it reads is what the scan keeps: findings folded by their rule's dedup key (the first event stands for
/// the group, with the time of the last) and threshold alerts (the window's first event, and its last time). A
/// folded finding counts as its step at its first time and at its last; events in between are not kept, so a
/// sequence whose steps interleave inside one fold can be missed. Step rules without a dedup key, as Sigma's
/// building blocks are written, keep every event and are exact.
public struct SequenceCorrelator {
    struct Occurrence {
        var step: Int
        var time: Int
        var finding: Int  // index into the findings given
        /// At the finding's last time (a fold's or a threshold window's), not its first.
        var atLast = false
    }

    private let sequences: [Rule]

    /// `rules`: any rules; those with a `sequence` are evaluated.
    public init(rules: [Rule]) {
        sequences = rules.filter { $0.sequence != nil && $0.enabled }
    }

    public var isEmpty: Bool { sequences.isEmpty }

    /// The ids of the rules whose findings the sequences read.
    public var stepRuleIDs: Set<String> { Set(sequences.flatMap { $0.sequence?.steps ?? [] }) }

    /// One finding per completed sequence: the first step's event, its rule the sequence rule, `count` the events
    /// of every step, `lastEventTime` the time the last step occurred, `chain` the steps as they happened.
    public func alerts(_ findings: [Finding]) -> [Finding] {
        var out: [Finding] = []
        for rule in sequences {
            guard let sequence = rule.sequence else { continue }
            var byGroup: [[String]: [Occurrence]] = [:]
            for (i, f) in findings.enumerated() {
                for (step, id) in sequence.steps.enumerated() where id == f.ruleID {
                    guard let group = Self.group(f, sequence, step: step), let first = f.epoch else { continue }
                    let last = EventTime.epochSeconds(f.lastEventTime) ?? first
                    byGroup[group, default: []].append(Occurrence(step: step, time: first, finding: i))
                    if last != first { byGroup[group, default: []].append(Occurrence(step: step, time: last, finding: i, atLast: true)) }
                }
            }
            for group in byGroup.keys.sorted(by: { $0.lexicographicallyPrecedes($1) }) {
                let occurrences = byGroup[group]!.sorted { ($0.time, $0.finding, $0.step) < ($1.time, $1.finding, $1.step) }
                let chains = sequence.ordered
                    ? Self.ordered(occurrences, sequence) : Self.unordered(occurrences, sequence)
                for chain in chains { out.append(Self.alert(rule, chain, findings)) }
            }
        }
        return out
    }

    /// The group an event belongs to, or nil when it lacks one of the fields (it cannot be tied to the others).
    static func group(_ f: Finding, _ sequence: RuleSequence, step: Int) -> [String]? {
        guard !sequence.groupBy.isEmpty else { return [] }
        guard let document = try? JSONDocument(parsing: f.eventJSON, maxDepth: .max) else { return nil }
        return document.withView { view -> [String]? in
            var values: [String] = []
            for paths in sequence.groupBy {
                guard let node = view.first(paths[step]) else { return nil }
                switch view.kind(node) {
                case .null: return nil
                case .object, .array: values.append(CompactJSON.text(view, node))
                default:
                    guard let text = view.scalarText(node) else { return nil }
                    values.append(text)
                }
            }
            return values
        }
    }

    /// Chains of one group's occurrences (sorted by time), each step at or after the one before and the last
    /// within `window` of the first. Keeps, per step, the chain that reaches it starting latest (the one with the
    /// most time left); a completed chain is reported and counting starts again after it.
    static func ordered(_ occurrences: [Occurrence], _ sequence: RuleSequence) -> [[Occurrence]] {
        let n = sequence.steps.count
        var best = [[Occurrence]?](repeating: nil, count: n)
        var out: [[Occurrence]] = []
        for o in occurrences {
            if o.step == 0 {
                best[0] = [o]  // a later start leaves more time
            } else if let before = best[o.step - 1], o.time - before[0].time <= sequence.window,
                !before.contains(where: { $0.finding == o.finding })
            {
                let chain = before + [o]
                if best[o.step].map({ $0[0].time < chain[0].time }) ?? true { best[o.step] = chain }
            }
            // A step's chain that can no longer finish in time is dropped.
            for s in 0..<n where best[s].map({ o.time - $0[0].time > sequence.window }) ?? false { best[s] = nil }
            if let done = best[n - 1] {
                out.append(done)
                best = [[Occurrence]?](repeating: nil, count: n)
            }
        }
        return out
    }

    /// Sets of occurrences of `minimumSteps` different steps within `window`, in any order: a sliding window
    /// holding the latest occurrence of each step.
    static func unordered(_ occurrences: [Occurrence], _ sequence: RuleSequence) -> [[Occurrence]] {
        var latest: [Int: Occurrence] = [:]
        var out: [[Occurrence]] = []
        for o in occurrences {
            latest[o.step] = o
            latest = latest.filter { o.time - $0.value.time <= sequence.window }
            if latest.count >= sequence.minimumSteps {
                out.append(latest.values.sorted { ($0.time, $0.step) < ($1.time, $1.step) })
                latest = [:]
            }
        }
        return out
    }

    static func alert(_ rule: Rule, _ chain: [Occurrence], _ findings: [Finding]) -> Finding {
        let first = findings[chain[0].finding]
        var alert = (try? JSONDocument(parsing: first.eventJSON, maxDepth: .max)).map { document in
            document.withView { Finding(rule: rule, view: $0, root: 0, input: first.input) }
        } ?? first
        var counted = Set<Int>()
        alert.count = chain.reduce(0) { n, o in counted.insert(o.finding).inserted ? n + findings[o.finding].count : n }
        alert.chain = chain.map { o in
            let f = findings[o.finding]
            return Finding.ChainStep(ruleID: f.ruleID, title: f.title, eventID: f.eventID, eventTime: o.atLast ? f.lastEventTime : f.eventTime)
        }
        alert.lastEventTime = alert.chain[alert.chain.count - 1].eventTime
        return alert
    }
}
