import TriplineCore
import TriplineRules

/// Rules after tuning: what to compile (`rules`, disabled ones marked so the engine leaves them out), what to
/// check on matches (`suppressors`), and what was done, for summaries and `config check`.
public struct TunedRules: Sendable {
    public var rules: [Rule]
    public var suppressors: [Suppressor] = []
    public var disabled: [(ruleID: String, by: EntryOrigin)] = []
    public var severities: [(ruleID: String, from: Severity, to: Severity, by: EntryOrigin)] = []
    /// Expired entries (not applied), entries about to expire, selectors that name no loaded rule.
    public var diagnostics: [RuleDiagnostic] = []
}

extension Configuration {
    /// Entries expiring within this many days are warned about while they still apply.
    public static let expiryWarningDays = 14

    /// Applies the tuning (and the Sigma filters loaded with the rules) to `rules` as of `now` (epoch seconds):
    /// expired entries are reported and skipped.
    public func apply(to rules: [Rule], filters: [RuleFilter] = [], now: Int) -> TunedRules {
        var out = TunedRules(rules: rules)

        func warn(_ path: String, _ line: Int, _ message: String) {
            out.diagnostics.append(RuleDiagnostic(.warning, file: path, line: line, message))
        }
        /// Whether an entry still applies; warns when it has expired or is about to.
        func live(_ expires: Expiry?, _ path: String, _ line: Int, _ reason: String) -> Bool {
            guard let expires else { return true }
            if expires.expired(at: now) {
                warn(path, line, "expired on \(expires.date); not applied (\(reason))")
                return false
            }
            let days = (expires.end - now + 86399) / 86400
            if days <= Configuration.expiryWarningDays {
                warn(path, line, "expires on \(expires.date), in \(days) day(s) (\(reason))")
            }
            return true
        }
        func selected(_ selectors: [RuleSelector], _ origin: EntryOrigin) -> [Int] {
            var indices: [Int] = []
            for selector in selectors {
                let hits = rules.indices.filter { selector.matches(rules[$0]) }
                if hits.isEmpty { warn(origin.path, origin.line, "'\(selector)' names no loaded rule") }
                indices += hits
            }
            return Array(Set(indices)).sorted()
        }

        for entry in tuning.rules where live(entry.origin.expires, entry.origin.path, entry.origin.line, entry.origin.reason) {
            for i in selected(entry.rules, entry.origin) {
                if entry.disable {
                    if out.rules[i].enabled { out.disabled.append((rules[i].id, entry.origin)) }
                    out.rules[i].enabled = false
                } else if let severity = entry.severity, out.rules[i].severity != severity {
                    out.severities.append((rules[i].id, out.rules[i].severity, severity, entry.origin))
                    out.rules[i].severity = severity
                }
            }
        }

        for entry in tuning.allow where live(entry.origin.expires, entry.origin.path, entry.origin.line, entry.origin.reason) {
            var ids: Set<String>?
            if let selectors = entry.rules { ids = Set(selected(selectors, entry.origin).map { rules[$0].id }) }
            out.suppressors.append(Suppressor(
                label: entry.label, reason: entry.origin.reason, detection: entry.detection, suppressesOnMatch: true,
                ruleIDs: ids))
        }

        for filter in filters + tuning.filters {
            let (path, line) = (filter.source.file, filter.source.line)
            guard live(filter.expires, path, line, filter.reason) else { continue }
            var ids = Set<String>()
            for target in filter.targets {
                let hits = rules.filter { $0.id == target || $0.name == target }
                if hits.isEmpty { warn(path, line, "filter '\(filter.title)' targets '\(target)', which is no loaded rule") }
                ids.formUnion(hits.map(\.id))
            }
            out.suppressors.append(Suppressor(
                label: "filter '\(filter.title)' (\(filter.source))", reason: filter.reason, detection: filter.detection,
                suppressesOnMatch: false, ruleIDs: ids))
        }
        return out
    }

    /// The account's name, if the configuration names it.
    public func accountName(_ id: String) -> String? { accounts[id] }
}
