import TriplineCore
import TriplineJSON
import TriplineRuleDocument

/// The built-in rules (compiled into the binary from `rules/`) and the loading of extra rule files on top.
public enum RuleCatalog {
    /// The embedded catalog files, `rules/…` paths with their text.
    public static var builtInFiles: [(path: String, text: String)] { embeddedCatalog.map { ($0.path, $0.text) } }

    /// The built-in catalog with the rules' embedded tests, loaded once per process.
    public static let builtIn: RuleLoadResult = loadBuiltIn(tests: true)

    /// The built-in catalog from the form the build compiled it to (YAML already parsed). Without `tests` the rules'
    /// embedded test events are not read: they are two thirds of the catalog and a running service never needs them.
    public static func loadBuiltIn(tests: Bool) -> RuleLoadResult {
        RuleLoader.combine(embeddedCatalog.map { file in
            if let compiled = file.compiled, let documents = RuleNode.documents(compiled: compiled, skipping: tests ? [] : ["tests"]) {
                (file.path, RuleLoader.load(documents: documents, text: file.text, path: file.path, tests: tests))
            } else {
                (file.path, RuleLoader.load(text: file.text, path: file.path, tests: tests))
            }
        })
    }

    /// Built-ins (unless `includeBuiltIn` is false) plus extra files. An extra rule that reuses a built-in id is
    /// rejected with a diagnostic; a broken extra file never disables a built-in. Without `tests`, as a running
    /// service loads them, no rule reads its embedded tests.
    /// `lists`: the configuration's named lists, for `|expand` in extra files.
    public static func load(
        includeBuiltIn: Bool = true, extra: [(path: String, text: String)], tests: Bool = true, lists: NamedLists? = nil
    ) -> RuleLoadResult {
        let more = extra.map { ($0.path, RuleLoader.load(text: $0.text, path: $0.path, tests: tests, lists: lists)) }
        guard includeBuiltIn else { return RuleLoader.combine(more) }
        return RuleLoader.combine([("rules", tests ? builtIn : loadBuiltIn(tests: false))] + more)
    }
}

/// Runs rules' embedded tests.
public enum RuleTester {
    /// Whether a rule lacks the embedded tests every rule owes: at least one positive and one negative. A sequence
    /// owes none: it has no events of its own, and its steps' tests cover it.
    public static func lacksTests(_ rule: Rule) -> Bool {
        rule.sequence == nil && !(rule.tests.contains { $0.expect } && rule.tests.contains { !$0.expect })
    }

    public struct Outcome: Sendable {
        public var ruleID: String
        public var test: String
        public var expected: Bool
        public var actual: Bool
        public var source: String
        public var line: Int
        public var passed: Bool { expected == actual }
    }

    /// Every embedded test of every rule (disabled rules too: their tests must still hold).
    public static func run(_ rules: [Rule]) -> [Outcome] {
        var outcomes: [Outcome] = []
        for rule in rules {
            for test in rule.tests {
                let fired = JSONDocument(test.event).withView { rule.detection.matches($0) }
                outcomes.append(Outcome(
                    ruleID: rule.id, test: test.name, expected: test.expect, actual: fired, source: rule.source.file, line: test.line))
            }
        }
        return outcomes
    }
}
