import TriplineJSON

/// Something that keeps a rule's match from becoming an alert: an allow-list entry of the configuration or a
/// Sigma filter. Checked only on matches (never on every event), and never silent: each suppressed match is
/// counted against the suppressor that took it, and kept to be listed.
public struct Suppressor: Sendable {
    /// Where it is defined and what it is called, for summaries ("allow 'CI deploys' (tripline.yml:14)").
    public var label: String
    /// Why it exists, as its author wrote it.
    public var reason: String
    public var detection: Detection
    /// True for allow-lists: a match of `detection` suppresses. False for Sigma filters, whose condition is added
    /// to the rule's (`rule and filter`): a match that fails `detection` is suppressed.
    public var suppressesOnMatch: Bool
    /// The ids of the rules it applies to; nil for every rule.
    public var ruleIDs: Set<String>?

    public init(label: String, reason: String, detection: Detection, suppressesOnMatch: Bool, ruleIDs: Set<String>?) {
        self.label = label
        self.reason = reason
        self.detection = detection
        self.suppressesOnMatch = suppressesOnMatch
        self.ruleIDs = ruleIDs
    }

    @inline(__always)
    func suppresses(_ view: JSONView, root: Int) -> Bool {
        detection.matches(view, root: root) == suppressesOnMatch
    }
}

/// The suppressors of an engine, filed per engine rule so a match looks only at those that apply to its rule.
public struct Suppression: Sendable {
    public let suppressors: [Suppressor]
    /// Per engine rule: indices into `suppressors`.
    private let byRule: [[Int32]]

    public init(_ suppressors: [Suppressor], rules: [Rule]) {
        self.suppressors = suppressors
        byRule = rules.map { rule in
            suppressors.indices.filter { suppressors[$0].ruleIDs?.contains(rule.id) ?? true }.map(Int32.init)
        }
    }

    public var isEmpty: Bool { suppressors.isEmpty }

    /// The first suppressor that takes engine rule `rule`'s match on the event at `root`, if any.
    @inline(__always)
    public func suppressor(of rule: Int, _ view: JSONView, root: Int) -> Int? {
        guard rule < byRule.count else { return nil }
        for s in byRule[rule] where suppressors[Int(s)].suppresses(view, root: root) { return Int(s) }
        return nil
    }
}

/// Suppressed matches, folded per suppressor as alerts are (`DedupTally`), so they can be counted as findings
/// and listed with what suppressed them.
public struct SuppressedTally: Sendable {
    /// Per suppressor index.
    public private(set) var tallies: [Int: DedupTally] = [:]
    /// Matches suppressed, per suppressor index.
    public private(set) var matches: [Int: Int] = [:]

    public init() {}

    public var isEmpty: Bool { matches.isEmpty }

    /// Records a suppressed match. A threshold rule's match is counted but not kept as a finding: alone it would
    /// not have been one, and whether its group would have crossed the threshold is not worth a second tally.
    public mutating func record(_ suppressor: Int, rule: Int, of rules: [Rule], view: JSONView, root: Int, input: InputRef) {
        matches[suppressor, default: 0] += 1
        guard (rules[rule].threshold?.count ?? 0) <= 1 else { return }
        tallies[suppressor, default: DedupTally()].record(rule, of: rules, view: view, root: root, input: input)
    }

    public mutating func merge(_ other: SuppressedTally) {
        for (s, n) in other.matches { matches[s, default: 0] += n }
        for (s, t) in other.tallies { tallies[s, default: DedupTally()].merge(t) }
    }

    /// The suppressed findings (one per dedup window, as alerts would have been) with their suppressor's index,
    /// in a stable order: suppressor, then time, then rule.
    public func findings(rules: [Rule]) -> [(finding: Finding, suppressor: Int)] {
        var out: [(finding: Finding, suppressor: Int)] = []
        for s in tallies.keys.sorted() {
            let found = tallies[s]!.findings(rules: rules).sorted {
                (($0.epoch ?? 0), $0.ruleID, $0.dedupKey) < (($1.epoch ?? 0), $1.ruleID, $1.dedupKey)
            }
            out += found.map { ($0, s) }
        }
        return out
    }
}
