import TriplineCore
import TriplineJSON
import TriplineRuleDocument

/// A Sigma correlation document as read, before its references are resolved (they may name rules of other
/// documents and files). `CorrelationResolver` turns it into a rule:
/// - `event_count` and `value_count` over one rule become that rule's detection with a `threshold`;
/// - `temporal` and `temporal_ordered` become a rule with a `sequence` over the rules named.
struct PendingCorrelation: Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case eventCount = "event_count", valueCount = "value_count", temporal, temporalOrdered = "temporal_ordered"
    }

    /// The rule's metadata (id, title, severity, action, dedup, …); its detection is `Detection.never` for now.
    var rule: Rule
    var kind: Kind
    /// The rules referred to, by id or `name`, each with its line.
    var references: [(name: String, line: Int)]
    var groupBy: [String]
    /// Alias → (rule name or id → field path in that rule's events).
    var aliases: [String: [String: String]]
    var timespan: Int
    /// The condition's lower bound (`gte`, or `gt` + 1), when given.
    var minimum: Int?
    /// `value_count`'s field.
    var field: String?
    /// Sigma's `generate`: whether the rules referred to still alert on their own.
    var generate: Bool
    var path: String
    var line: Int

    static func isCorrelation(_ document: RuleNode) -> Bool {
        guard case .mapping(let members, _) = document else { return false }
        return members.contains { $0.key.scalarText == "correlation" }
    }
}

extension Context {
    /// A correlation document, its references unresolved; nil (with diagnostics) when it is malformed.
    mutating func correlation(from root: RuleNode, text: String) -> PendingCorrelation? {
        guard case .mapping(let map, _) = root, let top = members(of: map) else { return nil }
        func value(_ key: String) -> RuleNode? { top.first { $0.key == key }?.value }
        let errorsBefore = diagnostics.filter { $0.level == .error }.count
        let rule = rule(from: root, text: text, correlation: true)

        var generate = false
        if let g = value("generate"), let b = bool(g, what: "generate") { generate = b }
        guard let body = value("correlation"), case .mapping(let bodyMap, _) = body, let fields = members(of: bodyMap) else {
            error(value("correlation") ?? root, "correlation must be a mapping of type, rules, group-by, timespan and condition")
            return nil
        }
        func member(_ key: String) -> RuleNode? { fields.first { $0.key == key }?.value }
        for (key, _, node) in fields where !["type", "rules", "group-by", "timespan", "condition", "aliases"].contains(key) {
            error(node, "unknown correlation key '\(key)'")
        }

        var kind: PendingCorrelation.Kind?
        if let t = member("type") {
            kind = scalarString(t).flatMap(PendingCorrelation.Kind.init(rawValue:))
            if kind == nil {
                error(t, "correlation type must be one of \(PendingCorrelation.Kind.allCases.map(\.rawValue).joined(separator: ", "))"
                    + " (value_sum, value_avg and value_percentile are not supported)")
            }
        } else {
            error(body, "correlation has no type")
        }

        var references: [(name: String, line: Int)] = []
        if let r = member("rules") {
            switch r {
            case .scalar(let s, _, let line): references = [(s, line)]
            case .sequence(let items, _):
                for item in items {
                    if let s = scalarString(item) { references.append((s, item.line)) } else { error(item, "rules must be a list of rule ids or names") }
                }
            default: error(r, "rules must be a list of rule ids or names")
            }
            if references.isEmpty { error(r, "correlation names no rules") }
        } else {
            error(body, "correlation has no rules")
        }

        let groupBy = member("group-by").map { stringList($0, what: "group-by") } ?? []

        var timespan = 0
        if let t = member("timespan") {
            timespan = duration(t, what: "timespan") ?? 0
        } else {
            error(body, "correlation has no timespan")
        }

        var minimum: Int?
        var field: String?
        let errorsBeforeCondition = diagnostics.count
        if let c = member("condition") {
            if case .mapping(let cm, _) = c, let conditions = members(of: cm) {
                for (key, v, keyNode) in conditions {
                    switch key {
                    case "field": field = scalarString(v)
                    case "gte", "gt":
                        guard let n = scalarString(v).flatMap({ Int($0) }), n >= 0 else {
                            error(v, "\(key) must be a whole number")
                            continue
                        }
                        minimum = max(1, key == "gt" ? n + 1 : n)
                    case "lt", "lte", "eq":
                        error(keyNode, "condition '\(key)' is not supported: an upper bound is only known once a window "
                            + "has closed, and Tripline alerts as events arrive; use gte or gt")
                    default: error(keyNode, "unknown condition '\(key)' (gte, gt, field)")
                    }
                }
            } else {
                error(c, "condition must be a mapping such as {gte: 10}")
            }
        }
        var aliases: [String: [String: String]] = [:]
        if let a = member("aliases") {
            if case .mapping(let am, _) = a, let entries = members(of: am) {
                for (alias, v, _) in entries {
                    guard case .mapping(let fm, _) = v, let byRule = members(of: fm) else {
                        error(v, "alias '\(alias)' must map rule names to fields")
                        continue
                    }
                    for (name, f, _) in byRule {
                        if let path = scalarString(f) { aliases[alias, default: [:]][name] = path } else { error(f, "alias fields must be field names") }
                    }
                }
            } else {
                error(a, "aliases must be a mapping")
            }
        }
        switch kind {
        case .eventCount?, .valueCount?:
            if minimum == nil && diagnostics.count == errorsBeforeCondition {
                error(member("condition") ?? body, "\(kind!.rawValue) needs a condition such as {gte: 10}")
            }
            if kind == .valueCount && field == nil { error(member("condition") ?? body, "value_count needs condition.field: the field whose values are counted") }
            if kind == .eventCount && field != nil { error(member("condition") ?? body, "condition.field belongs to value_count") }
            if !aliases.isEmpty { error(member("aliases"), "aliases apply to temporal correlations only") }
        case .temporalOrdered?:
            if let minimum, minimum != references.count {
                error(member("condition"), "temporal_ordered needs every rule, in order; its condition can only be gte: \(references.count)")
            }
        default: break
        }

        guard diagnostics.filter({ $0.level == .error }).count == errorsBefore, let rule, let kind else { return nil }
        return PendingCorrelation(
            rule: rule, kind: kind, references: references, groupBy: groupBy, aliases: aliases, timespan: timespan,
            minimum: minimum, field: field, generate: generate, path: path, line: root.line)
    }
}

/// Turns correlation documents into rules once every rule is known (see `PendingCorrelation`).
enum CorrelationResolver {
    /// Resolves `result.correlations` against `result.rules` (and each other, in order: a temporal correlation may
    /// name a count correlation defined before or after it), appending the rules built and diagnostics for what
    /// cannot be resolved. Rules that a correlation names stop alerting on their own unless it says
    /// `generate: true` — only rules of the correlation's own file: a correlation never silences a rule that
    /// someone else owns (the built-in catalog, another team's file); tuning does that.
    static func resolve(_ result: inout RuleLoadResult) {
        guard !result.correlations.isEmpty else { return }
        let pending = result.correlations
        result.correlations = []
        var ids = Set(result.rules.map(\.id))
        // Count correlations first: temporal ones may refer to them.
        let ordered = pending.filter { $0.kind == .eventCount || $0.kind == .valueCount }
            + pending.filter { $0.kind == .temporal || $0.kind == .temporalOrdered }
        for c in ordered {
            func problem(_ line: Int, _ message: String) {
                result.diagnostics.append(RuleDiagnostic(.error, file: c.path, line: line, ruleID: c.rule.id, message))
            }
            guard !ids.contains(c.rule.id) else {
                problem(c.line, "duplicate rule id: already defined; this correlation is ignored")
                continue
            }
            var indices: [Int] = []
            for reference in c.references {
                guard let i = result.rules.firstIndex(where: { $0.id == reference.name || $0.name == reference.name }) else {
                    problem(reference.line, "correlation refers to '\(reference.name)', which is no rule loaded (by id or name)")
                    continue
                }
                indices.append(i)
            }
            guard indices.count == c.references.count else { continue }
            var rule = c.rule
            switch c.kind {
            case .eventCount, .valueCount:
                guard indices.count == 1 else {
                    problem(c.references[1].line, "\(c.kind.rawValue) over several rules is not supported; name one rule")
                    continue
                }
                let base = result.rules[indices[0]]
                guard base.sequence == nil, base.threshold == nil else {
                    problem(c.references[0].line, "\(c.kind.rawValue) must count a rule that matches single events; '\(base.id)' is a correlation or threshold rule")
                    continue
                }
                rule.detection = base.detection
                rule.threshold = Threshold(
                    count: c.minimum ?? 1, window: c.timespan, groupBy: c.groupBy.map(JSONPath.init),
                    distinct: c.field.map { [JSONPath($0)] } ?? [])
            case .temporal, .temporalOrdered:
                var groupBy: [[JSONPath]] = []
                var usable = true
                for field in c.groupBy {
                    guard let alias = c.aliases[field] else {
                        groupBy.append(Array(repeating: JSONPath(field), count: indices.count))
                        continue
                    }
                    var paths: [JSONPath] = []
                    for (k, i) in indices.enumerated() {
                        let step = result.rules[i]
                        guard let path = alias[step.name ?? ""] ?? alias[step.id] ?? alias[c.references[k].name] else {
                            problem(c.references[k].line, "alias '\(field)' has no field for rule '\(c.references[k].name)'")
                            usable = false
                            break
                        }
                        paths.append(JSONPath(path))
                    }
                    groupBy.append(paths)
                }
                if let i = indices.first(where: { result.rules[$0].sequence != nil }) {
                    problem(c.line, "a temporal correlation cannot refer to another one ('\(result.rules[i].id)')")
                    usable = false
                }
                guard usable else { continue }
                rule.sequence = RuleSequence(
                    steps: indices.map { result.rules[$0].id }, window: c.timespan, ordered: c.kind == .temporalOrdered,
                    groupBy: groupBy, minimumSteps: c.minimum)
            }
            if !c.generate {
                for i in indices where result.rules[i].source.file == c.path { result.rules[i].generatesAlerts = false }
            }
            ids.insert(rule.id)
            result.rules.append(rule)
        }
    }
}
