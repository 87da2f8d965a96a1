import TriplineCore
import TriplineRules

/// The rule set as the function runs it: the built-in catalog and extra files, without their embedded tests.
///
/// Embedded tests are two thirds of the catalog's YAML and most of its parse time, and a running function never
/// executes them (CI and `tripline rules test` do). Dropping their text before parsing cuts cold start several
/// fold. `RuntimeCatalogTests` proves the result is the same rule set, rule for rule.
public enum RuntimeCatalog {
    /// Built-ins plus `extra`, with the same duplicate-id rule as ``RuleCatalog/load(includeBuiltIn:extra:)``:
    /// an extra rule reusing a built-in id is rejected with a diagnostic.
    public static func load(extra: [(path: String, text: String)]) -> RuleLoadResult {
        var result = RuleLoader.load(files: RuleCatalog.builtInFiles.map { ($0.path, withoutTests($0.text)) })
        guard !extra.isEmpty else { return result }
        var ids = Dictionary(result.rules.map { ($0.id, $0.source) }, uniquingKeysWith: { a, _ in a })
        let more = RuleLoader.load(files: extra.map { ($0.path, withoutTests($0.text)) })
        result.diagnostics += more.diagnostics
        for rule in more.rules {
            if let existing = ids[rule.id] {
                result.diagnostics.append(RuleDiagnostic(
                    .error, file: String(rule.source.split(separator: ":").dropLast().joined(separator: ":")), line: 1,
                    ruleID: rule.id, "duplicate rule id: already defined at \(existing); this definition is ignored"))
                continue
            }
            ids[rule.id] = rule.source
            result.rules.append(rule)
        }
        return result
    }

    /// Removes every top-level `tests:` block (the key line and everything indented, list-dashed, blank or comment
    /// below it, up to the next top-level key or document marker). Other lines, and so line numbers of everything
    /// before the block, are untouched.
    public static func withoutTests(_ text: String) -> String {
        var out: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("tests:") {
                skipping = true
                continue
            }
            if skipping {
                let first = line.first
                let continues = first == nil || first == " " || first == "\t" || first == "-" && !line.hasPrefix("---")
                    || first == "#"
                if continues { continue }
                skipping = false
            }
            out.append(line)
        }
        return out.joined(separator: "\n")
    }
}
