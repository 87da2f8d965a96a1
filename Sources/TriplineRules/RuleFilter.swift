import TriplineCore
import TriplineRuleDocument

/// Named lists of values (from the configuration's `lists:`), which `field|expand: '%name%'` refers to.
public typealias NamedLists = [String: [String]]

/// A Sigma filter document: a condition added to the rules it targets, so they fire only where it holds
/// (`rule and filter`), without editing them. Tripline applies it after matching, as a suppressor, so what it
/// removes is counted and listable instead of silently gone.
///
///     title: Deployments by CI are expected
///     id: 0d8e…
///     filter:
///       rules: [tripline.lambda.code-updated]   # rule ids (or Sigma names)
///       ci:
///         userIdentity.sessionContext.sessionIssuer.arn|expand: '%ci_roles%'
///       condition: not ci
public struct RuleFilter: Sendable {
    public var id: String?
    public var title: String
    /// The ids (or Sigma `name`s) of the rules it applies to.
    public var targets: [String]
    public var detection: Detection
    /// Why it exists: `reason`, else the description, else the title.
    public var reason: String
    /// The day after which it no longer applies (`expires`), as written, and the first epoch second past it.
    public var expires: Expiry?
    /// Where the filter was written.
    public var source: SourceLocation

    public init(id: String?, title: String, targets: [String], detection: Detection, reason: String, expires: Expiry?, source: SourceLocation) {
        self.id = id
        self.title = title
        self.targets = targets
        self.detection = detection
        self.reason = reason
        self.expires = expires
        self.source = source
    }

    /// Whether a document is a filter (it has a top-level `filter:`) rather than a rule.
    public static func isFilter(_ document: RuleNode) -> Bool {
        guard case .mapping(let members, _) = document else { return false }
        return members.contains { $0.key.scalarText == "filter" }
    }

    /// One filter from a parsed document (`path` and lines locate its diagnostics).
    public static func load(_ document: RuleNode, path: String, lists: NamedLists?) -> (RuleFilter?, [RuleDiagnostic]) {
        var context = Context(path: path, diagnostics: [], readTests: false)
        context.lists = lists
        let filter = context.filter(from: document)
        return (filter, context.diagnostics)
    }
}

/// An `expires:` date: the entry applies through that whole day (UTC) and is warned about, not applied, after.
public struct Expiry: Sendable, Equatable, CustomStringConvertible {
    /// As written (`2026-12-31`).
    public var date: String
    /// The first epoch second after that day.
    public var end: Int

    /// `YYYY-MM-DD` only: a date is what people mean by "until", and it cannot be misread across time zones.
    public init?(_ text: String) {
        let b = Array(text.utf8)
        guard b.count == 10, b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
            let start = EventTime.epochSeconds(text + "T00:00:00Z")
        else { return nil }
        // Reject dates the civil arithmetic would roll over (2026-02-30).
        guard EventTime.iso8601(start).hasPrefix(text) else { return nil }
        date = text
        end = start + 86400
    }

    public func expired(at now: Int) -> Bool { now >= end }

    public var description: String { date }
}

/// `%name%` placeholders, Sigma's `|expand`.
public enum Placeholders {
    public struct Unknown: Error, Sendable {
        public var name: String
    }

    /// Every value `text` stands for: each `%name%` replaced by each item of the list (all combinations when a value
    /// holds several). A value without placeholders stands for itself.
    public static func expand(_ text: String, lists: NamedLists) throws(Unknown) -> [String] {
        guard let open = text.firstIndex(of: "%") else { return [text] }
        let afterOpen = text.index(after: open)
        guard let close = text[afterOpen...].firstIndex(of: "%") else { return [text] }
        let name = String(text[afterOpen..<close])
        guard let items = lists[name] else { throw Unknown(name: name) }
        let head = String(text[..<open])
        let tails = try expand(String(text[text.index(after: close)...]), lists: lists)
        var out: [String] = []
        for item in items { for tail in tails { out.append(head + item + tail) } }
        return out
    }
}

extension Context {
    static let filterKeys: Set<String> = [
        "title", "id", "name", "description", "author", "date", "modified", "logsource", "filter", "status",
        "license", "references", "tags", "related", "taxonomy", "falsepositives", "level", "scope", "fields",
        "reason", "expires",
    ]

    /// A filter document into a filter, collecting diagnostics.
    mutating func filter(from root: RuleNode) -> RuleFilter? {
        guard case .mapping(let map, _) = root, let top = members(of: map) else {
            error(root, "a filter must be a mapping (title, filter: {rules, selections, condition})")
            return nil
        }
        func value(_ key: String) -> RuleNode? { top.first { $0.key == key }?.value }
        ruleID = value("id").flatMap(scalarString)
        let errorsBefore = diagnostics.filter { $0.level == .error }.count
        for (key, _, node) in top where !Context.filterKeys.contains(key) {
            error(node, "unknown key '\(key)' in a filter")
        }
        if let logsource = value("logsource"), case .mapping(let ls, _) = logsource,
            let product = ls.first(where: { $0.key.scalarText == "product" })?.value.scalarText,
            product.lowercased() != "aws"
        {
            warning(logsource, "logsource product '\(product)' is not aws; filter skipped")
            return nil
        }
        let title = value("title").flatMap(scalarString) ?? ""
        if title.isEmpty { error(value("title") ?? root, "filter has no title") }
        var expires: Expiry?
        if let e = value("expires") {
            expires = scalarString(e).flatMap(Expiry.init)
            if expires == nil { error(e, "expires must be a date such as 2026-12-31") }
        }
        guard let body = value("filter"), case .mapping(let bodyMap, _) = body, let bodyMembers = members(of: bodyMap) else {
            error(value("filter") ?? root, "filter: must be a mapping of rules, selections and a condition")
            return nil
        }
        var targets: [String] = []
        var detectionMembers: [(key: RuleNode, value: RuleNode)] = []
        for (key, v, keyNode) in bodyMembers {
            if key == "rules" {
                targets = stringList(v, what: "filter rules")
                if targets.isEmpty { error(v, "filter rules: names no rule (give rule ids or names)") }
            } else {
                detectionMembers.append((keyNode, v))
            }
        }
        if bodyMembers.first(where: { $0.key == "rules" }) == nil {
            error(body, "filter has no rules: (the ids or names of the rules it applies to)")
        }
        let detection = parseDetection(.mapping(detectionMembers, line: body.line))
        guard diagnostics.filter({ $0.level == .error }).count == errorsBefore, let detection else { return nil }
        let reason = value("reason").flatMap(scalarString)?.trimmedLines
            ?? value("description").flatMap(scalarString)?.trimmedLines ?? title
        return RuleFilter(
            id: ruleID, title: title, targets: targets, detection: detection, reason: reason, expires: expires,
            source: SourceLocation(file: path, line: root.line))
    }

    /// A `field|expand` spec with its `%name%` placeholders replaced by the named lists' items.
    mutating func expand(_ spec: FieldSpec, at node: RuleNode) -> FieldSpec? {
        guard let lists else {
            error(node, "'|expand' on '\(spec.field)' refers to named lists: define them under lists: in the configuration (--config)")
            return nil
        }
        var values: [SigmaValue] = []
        for value in spec.values {
            guard case .string(let text) = value else {
                values.append(value)
                continue
            }
            do {
                values += try Placeholders.expand(text, lists: lists).map(SigmaValue.string)
            } catch {
                self.error(node, "unknown placeholder %\(error.name)% in '\(spec.field)|expand': no list named '\(error.name)' in the configuration")
                return nil
            }
        }
        guard !values.isEmpty else {
            error(node, "'\(spec.field)|expand' expands to no values (its list is empty)")
            return nil
        }
        var expanded = spec
        expanded.modifiers.removeAll { $0 == .expand }
        expanded.values = values
        return expanded
    }
}
