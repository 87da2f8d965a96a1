import TriplineCore
import TriplineJSON
import TriplineRuleDocument

/// A problem found while loading rules, located precisely enough to fix it.
public struct RuleDiagnostic: Sendable, CustomStringConvertible, Equatable {
    public enum Level: String, Sendable { case error, warning }
    public var level: Level
    public var file: String
    public var line: Int
    public var ruleID: String?
    public var message: String

    public init(_ level: Level, file: String, line: Int, ruleID: String? = nil, _ message: String) {
        self.level = level
        self.file = file
        self.line = line
        self.ruleID = ruleID
        self.message = message
    }

    public var description: String {
        "\(file):\(line): \(level.rawValue): " + (ruleID.map { "[\($0)] " } ?? "") + message
    }
}

public struct RuleLoadResult: Sendable {
    public var rules: [Rule]
    /// Sigma filter documents found among the rule files (see `RuleFilter`).
    public var filters: [RuleFilter] = []
    /// Sigma correlation documents, until `RuleLoader.combine` turns them into rules.
    var correlations: [PendingCorrelation] = []
    public var diagnostics: [RuleDiagnostic]

    public init(rules: [Rule] = [], diagnostics: [RuleDiagnostic] = []) {
        self.rules = rules
        self.diagnostics = diagnostics
    }

    public var errors: [RuleDiagnostic] { diagnostics.filter { $0.level == .error } }
}

/// Reads rule files (YAML text, one rule per document) into compiled rules plus diagnostics. Pure: callers pass
/// the text, so the same loader serves the embedded catalog, files on disk and tests.
public enum RuleLoader {
    static let sigmaKeys: Set<String> = [
        "title", "id", "related", "name", "taxonomy", "status", "description", "license", "author", "references",
        "date", "modified", "logsource", "detection", "fields", "falsepositives", "level", "tags", "scope",
    ]
    static let triplineKeys: Set<String> = [
        "severity", "action", "dedup", "dedup_window", "threshold", "enabled", "tests",
    ]
    /// What a Sigma correlation document has besides a rule's keys.
    static let correlationKeys: Set<String> = ["correlation", "generate"]
    static let relationTypes: Set<String> = [
        "derived", "obsolete", "merged", "renamed", "similar",
        "panther", "sigma", "elastic", "cis", "streamalert", "guardduty", "falco", "datadog",
    ]

    /// Loads several files, rejecting duplicate ids (the first definition wins, so callers list built-ins first).
    public static func load(files: [(path: String, text: String)], tests: Bool = true, lists: NamedLists? = nil) -> RuleLoadResult {
        combine(files.map { ($0.path, load(text: $0.text, path: $0.path, tests: tests, lists: lists)) })
    }

    /// The rules and diagnostics of several files in order, rejecting a rule whose id an earlier one took.
    /// Correlations are resolved here, against every rule of every file.
    static func combine(_ files: [(path: String, result: RuleLoadResult)]) -> RuleLoadResult {
        var result = RuleLoadResult()
        var seen: [String: SourceLocation] = [:]
        for (path, one) in files {
            result.diagnostics += one.diagnostics
            result.filters += one.filters
            result.correlations += one.correlations
            for rule in one.rules {
                if let first = seen[rule.id] {
                    result.diagnostics.append(RuleDiagnostic(
                        .error, file: path, line: rule.source.line, ruleID: rule.id,
                        "duplicate rule id: already defined at \(first); this definition is ignored"))
                    continue
                }
                seen[rule.id] = rule.source
                result.rules.append(rule)
            }
        }
        CorrelationResolver.resolve(&result)
        return result
    }

    /// Loads one file (it may hold several YAML documents).
    public static func load(text: String, path: String, tests: Bool = true, lists: NamedLists? = nil) -> RuleLoadResult {
        let documents: [RuleNode]
        do {
            documents = try RuleNode.documents(yaml: text)
        } catch {
            return RuleLoadResult(diagnostics: [
                RuleDiagnostic(.error, file: path, line: error.line, "invalid YAML: \(error.problem)")
            ])
        }
        return load(documents: documents, text: text, path: path, tests: tests, lists: lists)
    }

    /// Loads one file from its parsed documents; `text` is the file's YAML (each rule keeps its own document's
    /// text for `rules show`). With `tests` false the embedded tests are not read: a running service never runs them.
    /// `lists`: the configuration's named lists, which `|expand` placeholders (`%name%`) refer to.
    public static func load(
        documents: [RuleNode], text: String, path: String, tests: Bool = true, lists: NamedLists? = nil
    ) -> RuleLoadResult {
        var result = RuleLoadResult()
        // One document without markers (every built-in file) is the whole text; splitting costs more than the parse.
        let texts = documents.count == 1 && !hasDocumentMarker(text) ? [text] : splitDocuments(text)
        for (k, document) in documents.enumerated() {
            var context = Context(path: path, diagnostics: [], readTests: tests)
            context.lists = lists
            if RuleFilter.isFilter(document) {
                if let filter = context.filter(from: document) { result.filters.append(filter) }
            } else if PendingCorrelation.isCorrelation(document) {
                if let c = context.correlation(from: document, text: k < texts.count ? texts[k] : text) { result.correlations.append(c) }
            } else if let rule = context.rule(from: document, text: k < texts.count ? texts[k] : text) {
                result.rules.append(rule)
            }
            result.diagnostics += context.diagnostics
        }
        return result
    }

    /// Whether a line of `text` starts with `---`.
    static func hasDocumentMarker(_ text: String) -> Bool {
        var dashes = 0  // leading dashes of the current line; -1 once it has anything else
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") {
                dashes = 0
            } else if dashes >= 0 {
                dashes = byte == UInt8(ascii: "-") ? dashes + 1 : -1
                if dashes == 3 { return true }
            }
        }
        return false
    }

    /// The text of each `---`-separated document (for `rules show`).
    static func splitDocuments(_ text: String) -> [String] {
        var docs: [String] = []
        var current: [Substring] = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("---") {
                if current.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }) {
                    docs.append(current.joined(separator: "\n"))
                }
                current = []
            } else {
                current.append(line)
            }
        }
        if current.contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("#") }) {
            docs.append(current.joined(separator: "\n"))
        }
        return docs
    }
}

extension Character {
    static let whitespaces: Set<Character> = [" ", "\t", "\r"]
}

extension Substring {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

/// Turns one YAML document into a rule, collecting diagnostics instead of throwing.
struct Context {
    let path: String
    var diagnostics: [RuleDiagnostic]
    var ruleID: String?
    let readTests: Bool
    /// What `|expand` placeholders refer to; nil when no configuration was given.
    var lists: NamedLists?

    init(path: String, diagnostics: [RuleDiagnostic], readTests: Bool) {
        self.path = path
        self.diagnostics = diagnostics
        self.readTests = readTests
    }

    mutating func error(_ node: RuleNode?, _ message: String) {
        diagnostics.append(RuleDiagnostic(.error, file: path, line: node?.line ?? 1, ruleID: ruleID, message))
    }

    mutating func warning(_ node: RuleNode?, _ message: String) {
        diagnostics.append(RuleDiagnostic(.warning, file: path, line: node?.line ?? 1, ruleID: ruleID, message))
    }

    /// A rule from its document. With `correlation`, the document is a Sigma correlation: it has no detection
    /// of its own (`Detection.never` stands in until `CorrelationResolver` builds the rule) and its `correlation`
    /// and `generate` keys are read by the caller.
    mutating func rule(from root: RuleNode, text: String, correlation: Bool = false) -> Rule? {
        guard case .mapping(let map, _) = root else {
            error(root, "a rule file must be a mapping of keys (id, title, detection, …)")
            return nil
        }
        guard let members = members(of: map) else { return nil }
        func value(_ key: String) -> RuleNode? { members.first { $0.key == key }?.value }

        ruleID = value("id").flatMap(scalarString)
        let errorsBefore = diagnostics.filter { $0.level == .error }.count

        for (key, _, node) in members where !RuleLoader.sigmaKeys.contains(key) && !RuleLoader.triplineKeys.contains(key) {
            if correlation && RuleLoader.correlationKeys.contains(key) { continue }
            error(node, "unknown key '\(key)'")
        }
        if correlation {
            for key in ["detection", "threshold", "tests"] {
                if let node = value(key) { error(node, "a correlation rule has no \(key) of its own (its rules' detections are used)") }
            }
        }
        if let logsource = value("logsource"), case .mapping(let ls, _) = logsource,
            let product = ls.first(where: { $0.key.scalarText == "product" })?.value.scalarText,
            product.lowercased() != "aws"
        {
            warning(logsource, "logsource product '\(product)' is not aws; rule skipped")
            return nil
        }
        guard let id = ruleID, !id.isEmpty else {
            error(root, "rule has no id")
            return nil
        }
        guard let title = value("title").flatMap(scalarString), !title.isEmpty else {
            error(value("title") ?? root, "rule has no title")
            return nil
        }

        var severity = Severity.medium
        if let s = value("severity") ?? value("level") {
            if let text = scalarString(s), let parsed = Severity(text) {
                severity = parsed
            } else {
                error(s, "severity must be one of info, low, medium, high, critical")
            }
        }

        var dedupFields: [JSONPath] = []
        if let d = value("dedup") { dedupFields = stringList(d, what: "dedup").map(JSONPath.init) }
        var dedupWindow = 3600
        if let w = value("dedup_window"), let seconds = duration(w, what: "dedup_window") { dedupWindow = seconds }
        var threshold: Threshold?
        if let t = value("threshold") { threshold = parseThreshold(t) }

        var enabled = true
        if let e = value("enabled"), let b = bool(e, what: "enabled") { enabled = b }

        var related: [RelatedRule] = []
        if let r = value("related") { related = parseRelated(r) }

        var detection: Detection?
        if correlation {
            detection = .never
        } else if let d = value("detection") {
            detection = parseDetection(d)
        } else {
            error(root, "rule has no detection")
        }

        var tests: [RuleTest] = []
        if readTests, let t = value("tests") { tests = parseTests(t) }

        let errorsAfter = diagnostics.filter { $0.level == .error }.count
        guard errorsAfter == errorsBefore, let detection else { return nil }

        for placeholder in TitleTemplate.placeholders(title) where placeholder.isEmpty {
            warning(value("title"), "empty {} placeholder in title")
        }

        var rule = Rule(
            id: id,
            title: title,
            description: value("description").flatMap(scalarString)?.trimmedLines ?? "",
            severity: severity,
            action: value("action").flatMap(scalarString)?.trimmedLines ?? "",
            tags: value("tags").map { stringList($0, what: "tags") } ?? [],
            references: value("references").map { stringList($0, what: "references") } ?? [],
            related: related,
            falsePositives: value("falsepositives").map { stringList($0, what: "falsepositives") } ?? [],
            dedupFields: dedupFields,
            dedupWindow: dedupWindow,
            threshold: threshold,
            enabled: enabled,
            detection: detection,
            tests: tests,
            source: SourceLocation(file: path, line: root.line),
            text: text
        )
        rule.name = value("name").flatMap(scalarString)
        return rule
    }

    // MARK: Pieces

    /// A mapping's members with string keys; duplicate keys are errors (YAML would silently keep one).
    mutating func members(of map: [(key: RuleNode, value: RuleNode)]) -> [(key: String, value: RuleNode, keyNode: RuleNode)]? {
        var out: [(key: String, value: RuleNode, keyNode: RuleNode)] = []
        var seen = Set<String>()
        for (k, v) in map {
            guard let key = scalarString(k) else {
                error(k, "keys must be plain strings")
                return nil
            }
            if !seen.insert(key).inserted { error(k, "duplicate key '\(key)'") }
            out.append((key, v, k))
        }
        return out
    }

    func scalarString(_ node: RuleNode) -> String? { node.scalarText }

    /// `true` or `false` (any case); nil, with an error naming `what`, otherwise.
    mutating func bool(_ node: RuleNode, what: String) -> Bool? {
        if let text = scalarString(node), let b = Bool(text.lowercased()) { return b }
        error(node, "\(what) must be true or false")
        return nil
    }

    /// A positive duration (`30s`, `15m`, `24h`, `7d`) in seconds; nil, with an error naming `what`, otherwise.
    mutating func duration(_ node: RuleNode, what: String) -> Int? {
        if let text = scalarString(node), let seconds = Duration.seconds(text), seconds > 0 { return seconds }
        error(node, "\(what) must be a duration such as 30s, 15m, 24h or 7d")
        return nil
    }

    mutating func stringList(_ node: RuleNode, what: String) -> [String] {
        switch node {
        case .scalar(let s, _, _): return [s]
        case .sequence(let seq, _):
            var out: [String] = []
            for item in seq {
                if let s = scalarString(item) { out.append(s) } else { error(item, "\(what) must be a list of strings") }
            }
            return out
        default:
            error(node, "\(what) must be a string or a list of strings")
            return []
        }
    }

    mutating func parseThreshold(_ node: RuleNode) -> Threshold? {
        guard case .mapping(let map, _) = node, let members = members(of: map) else {
            error(node, "threshold must be a mapping {count, window, group_by, distinct}")
            return nil
        }
        var count: Int?
        var window: Int?
        var groupBy: [JSONPath] = []
        var distinct: [JSONPath] = []
        for (key, value, keyNode) in members {
            switch key {
            case "count":
                count = scalarString(value).flatMap { Int($0) }
                if count == nil || count! < 1 { error(value, "threshold count must be a positive integer") }
            case "window":
                window = scalarString(value).flatMap(Duration.seconds)
                if window == nil || window! < 1 { error(value, "threshold window must be a duration such as 15m") }
            case "group_by": groupBy = stringList(value, what: "group_by").map(JSONPath.init)
            case "distinct":
                distinct = stringList(value, what: "distinct").map(JSONPath.init)
                if distinct.isEmpty { error(value, "threshold distinct must name at least one field") }
            default: error(keyNode, "unknown threshold key '\(key)'")
            }
        }
        guard let count, let window else {
            error(node, "threshold needs count and window")
            return nil
        }
        return Threshold(count: count, window: window, groupBy: groupBy, distinct: distinct)
    }

    mutating func parseRelated(_ node: RuleNode) -> [RelatedRule] {
        guard case .sequence(let seq, _) = node else {
            error(node, "related must be a list of {id, type}")
            return []
        }
        var out: [RelatedRule] = []
        for item in seq {
            guard case .mapping(let map, _) = item, let members = members(of: map) else {
                error(item, "related entries are {id, type}")
                continue
            }
            var id: String?
            var type: String?
            for (key, value, keyNode) in members {
                switch key {
                case "id": id = scalarString(value)
                case "type": type = scalarString(value)
                default: error(keyNode, "unknown key '\(key)' in related")
                }
            }
            guard let id, let type else {
                error(item, "related entries need id and type")
                continue
            }
            if !RuleLoader.relationTypes.contains(type.lowercased()) {
                error(item, "unknown related type '\(type)'")
            }
            out.append(RelatedRule(id: id, type: type.lowercased()))
        }
        return out
    }

    mutating func parseDetection(_ node: RuleNode) -> Detection? {
        guard case .mapping(let map, _) = node, let members = members(of: map) else {
            error(node, "detection must be a mapping of selections and a condition")
            return nil
        }
        var selections: [(name: String, selection: SelectionSpec)] = []
        var selectionNodes: [String: RuleNode] = [:]
        var conditions: [String] = []
        var conditionNode: RuleNode = node
        for (key, value, keyNode) in members {
            switch key {
            case "condition":
                conditionNode = value
                conditions = stringList(value, what: "condition")
            case "timeframe":
                continue  // only meaningful with the old aggregation syntax, which the condition check reports
            default:
                selectionNodes[key] = keyNode
                if let s = parseSelection(value, name: key) { selections.append((key, s)) }
            }
        }
        if conditions.isEmpty {
            error(node, "detection has no condition")
            return nil
        }
        do {
            return try Detection.compile(DetectionSpec(selections: selections, conditions: conditions))
        } catch {
            let at = error.selection.flatMap { selectionNodes[$0] } ?? conditionNode
            self.error(at, error.message)
            return nil
        }
    }

    mutating func parseSelection(_ node: RuleNode, name: String) -> SelectionSpec? {
        switch node {
        case .mapping(let map, _):
            if !map.isEmpty, map.allSatisfy({ $0.key.scalarText?.hasPrefix("|") == true }) {
                return keywordMapping(map, name: name)
            }
            guard let fields = fieldSpecs(map) else { return nil }
            return .fieldGroups([fields])
        case .sequence(let items, _):
            if items.allSatisfy({ if case .mapping = $0 { return true } else { return false } }) {
                var groups: [[FieldSpec]] = []
                for item in items {
                    if case .mapping(let map, _) = item, let fields = fieldSpecs(map) { groups.append(fields) }
                }
                return .fieldGroups(groups)
            }
            if items.allSatisfy({ if case .scalar = $0 { return true } else { return false } }) {
                return .keywords(items.compactMap(sigmaValue))
            }
            error(node, "selection '\(name)' mixes maps and plain values")
            return nil
        case .scalar:
            if let v = sigmaValue(node) { return .keywords([v]) }
            return nil
        }
    }

    /// The specification's keyword form with modifiers and no field name: `'|all': [a, b]` (every keyword is
    /// found) or `'|contains': [a, b]` (any, as a plain keyword list).
    mutating func keywordMapping(_ map: [(key: RuleNode, value: RuleNode)], name: String) -> SelectionSpec? {
        guard map.count == 1, let key = map[0].key.scalarText else {
            error(map.first?.key, "selection '\(name)': a keyword mapping takes one key ('|all')")
            return nil
        }
        let names = key.split(separator: "|").map(String.init)
        if let bad = names.first(where: { SigmaModifier(name: $0) != .all && SigmaModifier(name: $0) != .contains }) {
            error(map[0].key, "selection '\(name)': keywords take only the 'all' modifier, not '\(bad.lowercased())'")
            return nil
        }
        var values: [SigmaValue] = []
        switch map[0].value {
        case .scalar: values = sigmaValue(map[0].value).map { [$0] } ?? []
        case .sequence(let items, _):
            for item in items {
                if let v = sigmaValue(item) { values.append(v) } else { error(item, "keywords must be scalars") }
            }
        case .mapping:
            error(map[0].value, "keywords must be scalars")
        }
        guard !values.isEmpty else {
            error(map[0].key, "selection '\(name)' has no keywords")
            return nil
        }
        return names.contains { SigmaModifier(name: $0) == .all } ? .allKeywords(values) : .keywords(values)
    }

    mutating func fieldSpecs(_ map: [(key: RuleNode, value: RuleNode)]) -> [FieldSpec]? {
        guard let members = members(of: map) else { return nil }
        var out: [FieldSpec] = []
        for (key, value, keyNode) in members {
            var values: [SigmaValue] = []
            switch value {
            case .scalar: values = sigmaValue(value).map { [$0] } ?? []
            case .sequence(let seq, _):
                for item in seq {
                    if let v = sigmaValue(item) { values.append(v) } else { error(item, "values of '\(key)' must be scalars") }
                }
            default:
                error(value, "the value of '\(key)' must be a scalar or a list of scalars")
                continue
            }
            var spec = FieldSpec(key: key, values: values)
            if spec.has(.expand) {
                guard let expanded = expand(spec, at: value) else { continue }
                spec = expanded
            }
            if let problem = CloudTrailShapes.problem(spec) { warning(keyNode, problem) }
            out.append(spec)
        }
        return out
    }

    /// YAML 1.2 core-schema typing for plain scalars; quoted scalars are always strings.
    func sigmaValue(_ node: RuleNode) -> SigmaValue? {
        guard case .scalar(let text, let plain, _) = node else { return nil }
        switch YAMLScalar.type(text, plain: plain) {
        case .null: return .null
        case .bool(let b): return .bool(b)
        case .number(let n): return .number(n)
        case .string(let t): return .string(t)
        }
    }

    mutating func parseTests(_ node: RuleNode) -> [RuleTest] {
        guard case .sequence(let seq, _) = node else {
            error(node, "tests must be a list of {name, expect, event}")
            return []
        }
        var out: [RuleTest] = []
        for item in seq {
            guard case .mapping(let map, _) = item, let members = members(of: map) else {
                error(item, "a test is a mapping {name, expect, event}")
                continue
            }
            var name = "test at line \(item.line)"
            var expect: Bool?
            var event: JSONValue?
            for (key, value, keyNode) in members {
                switch key {
                case "name": name = scalarString(value) ?? name
                case "expect": expect = bool(value, what: "expect")
                case "event":
                    if case .scalar(let s, _, _) = value {
                        do {
                            event = try JSONValue.parse(s)
                        } catch {
                            self.error(value, "test event is not valid JSON: \(error)")
                        }
                    } else {
                        event = YAMLScalar.json(value)
                    }
                default: error(keyNode, "unknown test key '\(key)'")
                }
            }
            if let expect, let event {
                out.append(RuleTest(name: name, expect: expect, event: event, line: item.line))
            } else if expect != nil || event != nil {
                error(item, "a test needs both expect and event")
            }
        }
        return out
    }
}

enum YAMLScalar {
    enum Typed { case null, bool(Bool), number(String), string(String) }

    static func type(_ t: String, plain: Bool) -> Typed {
        guard plain else { return .string(t) }
        switch t {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        default: break
        }
        if isNumber(t) { return .number(t) }
        return .string(t)
    }

    /// JSON-compatible numbers only (so `0x1F`, `1_000` or `.5` stay strings, and the value round-trips into JSON).
    static func isNumber(_ t: String) -> Bool {
        var bytes = Array(t.utf8)
        guard !bytes.isEmpty else { return false }
        return bytes.withUnsafeMutableBufferPointer { p in
            guard p[0] == UInt8(ascii: "-") || (p[0] >= 0x30 && p[0] <= 0x39) else { return false }
            guard let end = try? JSONScan.scanNumber(UnsafeBufferPointer(p), 0) else { return false }
            return end == p.count
        }
    }

    /// YAML → JSON for test events.
    static func json(_ node: RuleNode) -> JSONValue {
        switch node {
        case .scalar(let text, let plain, _):
            switch type(text, plain: plain) {
            case .null: return .null
            case .bool(let b): return .bool(b)
            case .number(let n): return .number(n)
            case .string(let t): return .string(t)
            }
        case .sequence(let items, _): return .array(items.map(json))
        case .mapping(let members, _): return .object(members.map { ($0.key.scalarText ?? "", json($0.value)) })
        }
    }
}

extension String {
    /// Folded YAML blocks end with a newline; alerts want clean text.
    var trimmedLines: String {
        var s = Substring(self)
        while let l = s.last, l == "\n" || l == " " { s = s.dropLast() }
        return String(s)
    }
}
