import TriplineJSON

/// Turns raw matches into alerts: drops repeats of the same event, applies rule thresholds, and folds findings
/// with the same dedup key inside the rule's window into one finding with a count.
///
/// Pure and order-independent: findings are sorted by event time first, so scanning files in any order (or on
/// any number of cores) gives the same result.
public struct Aggregator {
    private let rules: [String: Rule]
    private let sequences: SequenceCorrelator
    private let sequenceSteps: Set<String>

    /// For what `engine` runs: its rules and its sequences (which its `rules` leave out).
    public init(engine: Engine) {
        self.init(rules: engine.rules + engine.sequences)
    }

    public init(rules: [Rule]) {
        var byID: [String: Rule] = [:]
        for r in rules { byID[r.id] = r }
        self.rules = byID
        sequences = SequenceCorrelator(rules: rules)
        sequenceSteps = sequences.stepRuleIDs
    }

    /// Alerts from raw findings plus tallied threshold matches (`engineRules` is the rule list the tally's
    /// indices refer to: `Engine.rules`).
    public func aggregate(_ findings: [Finding], thresholds: ThresholdTally, engineRules: [Rule]) -> [Finding] {
        let thresholdAlerts = thresholds.alerts(rules: engineRules)
        var unique = uniqueFindings(findings)
        // Sequences read every step's findings (building blocks' too) before folding; their own alerts then fold
        // by their dedup key like any other. A sequence is no step rule, so its alerts repeat no finding here.
        if !sequences.isEmpty { unique += uniqueFindings(sequences.alerts(unique + thresholdAlerts)) }
        return (fold(unique) + thresholdAlerts).filter(generatesAlerts).sorted(by: Aggregator.alertOrder)
    }

    /// Whether `aggregate` needs the findings of `rule` to give every alert at or above `minimum`: an alert has
    /// its rule's severity, but a sequence reads its steps' findings whatever their severity.
    public func needsFindings(of rule: Rule, toAlertAtOrAbove minimum: Severity) -> Bool {
        rule.severity >= minimum || sequenceSteps.contains(rule.id)
    }

    /// Building blocks' findings feed sequences only.
    private func generatesAlerts(_ f: Finding) -> Bool { rules[f.ruleID]?.generatesAlerts ?? true }

    /// Most severe first, then oldest first; ties broken by rule and key so output is stable.
    static func alertOrder(_ a: Finding, _ b: Finding) -> Bool {
        if a.severity != b.severity { return a.severity > b.severity }
        if (a.epoch ?? 0) != (b.epoch ?? 0) { return (a.epoch ?? 0) < (b.epoch ?? 0) }
        return (a.ruleID, a.dedupKey) < (b.ruleID, b.dedupKey)
    }

    /// The same event delivered twice (overlapping files, two ingestion paths): one finding per rule.
    private func uniqueFindings(_ findings: [Finding]) -> [Finding] {
        var seen = Set<Finding.RuleEvent>()
        var unique: [Finding] = []
        unique.reserveCapacity(findings.count)
        for f in findings where seen.insert(f.ruleEvent).inserted { unique.append(f) }
        return unique
    }

    public func aggregate(_ findings: [Finding]) -> [Finding] {
        fold(uniqueFindings(findings)).sorted(by: Aggregator.alertOrder)
    }

    /// Thresholds and dedup windows over findings already one per rule and event; the alerts in time order (the
    /// callers sort them once, in alert order, with whatever they add).
    private func fold(_ findings: [Finding]) -> [Finding] {
        // Stable order: time, then input position.
        let unique = findings.sorted { a, b in
            let ta = a.epoch ?? Int.min, tb = b.epoch ?? Int.min
            if ta != tb { return ta < tb }
            if a.input.path != b.input.path { return a.input.path < b.input.path }
            return a.input.record < b.input.record
        }

        // Thresholds, then dedup windows.
        // group key → (epoch, value) of the matches inside the current window (value: 0, or with
        // `threshold.distinct` the hash of one distinct value)
        var thresholdGroups: [ThresholdGroup: [(Int, UInt64)]] = [:]
        var open: [String: Int] = [:]  // dedup key → index in `alerts`
        var openGroups: [ThresholdGroup: Int] = [:]  // threshold group → index of its open alert in `alerts`
        var openValues: [ThresholdGroup: Set<UInt64>] = [:]  // distinct values folded into an open threshold alert
        var alerts: [Finding] = []
        for f in unique {
            guard let rule = rules[f.ruleID] else {
                alerts.append(f)
                continue
            }
            let t = f.epoch ?? 0
            if let threshold = rule.threshold, threshold.count > 1 {
                let distinct = !threshold.distinct.isEmpty
                let values = distinct ? distinctValues(f, threshold) : [0]
                if values.isEmpty { continue }  // counting values, and this match holds none
                let key = ThresholdGroup(ruleID: f.ruleID, values: groupValues(f, threshold))
                // An alert for this group already open: fold into it.
                if let idx = openGroups[key], let start = alerts[idx].epoch, t - start < max(rule.dedupWindow, threshold.window) {
                    if distinct {
                        openValues[key, default: []].formUnion(values)
                        alerts[idx].count = openValues[key]!.count
                        alerts[idx].lastEventTime = f.lastEventTime
                    } else {
                        merge(&alerts[idx], f)
                    }
                    continue
                }
                var window = thresholdGroups[key, default: []].filter { t - $0.0 < threshold.window }
                window += values.map { (t, $0) }
                let size = distinct ? Set(window.map(\.1)).count : window.count
                if size >= threshold.count {
                    var alert = f
                    alert.count = size
                    openGroups[key] = alerts.count
                    if distinct { openValues[key] = Set(window.map(\.1)) }
                    alerts.append(alert)
                    thresholdGroups[key] = []
                } else {
                    thresholdGroups[key] = window
                }
                continue
            }
            if let idx = open[f.dedupKey], let start = alerts[idx].epoch, t - start < rule.dedupWindow {
                merge(&alerts[idx], f)
            } else {
                open[f.dedupKey] = alerts.count
                alerts.append(f)
            }
        }
        return alerts
    }

    /// A threshold rule's group: the rule and the event's values of its `group_by` fields.
    private struct ThresholdGroup: Hashable {
        var ruleID: String
        var values: [String]
    }

    private func groupValues(_ f: Finding, _ threshold: Threshold) -> [String] {
        guard !threshold.groupBy.isEmpty else { return [] }
        guard let document = try? JSONDocument(parsing: f.eventJSON, maxDepth: .max) else { return [] }
        return document.withView { view in threshold.groupBy.map { view.first($0).flatMap(view.scalarText) ?? "" } }
    }

    private func distinctValues(_ f: Finding, _ threshold: Threshold) -> [UInt64] {
        guard let document = try? JSONDocument(parsing: f.eventJSON, maxDepth: .max) else { return [] }
        return document.withView { threshold.distinctValues($0, 0) }
    }

    /// Folds `f` (a raw finding, or one `DedupTally` already folded) into the alert it belongs to.
    private func merge(_ alert: inout Finding, _ f: Finding) {
        alert.count += f.count
        alert.lastEventTime = f.lastEventTime
    }
}
