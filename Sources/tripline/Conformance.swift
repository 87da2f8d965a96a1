import ArgumentParser
import Foundation
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineRules

/// Runs Tripline against other projects' test data (never bundled: pass the paths).
struct Conformance: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check agreement with Panther's labelled tests, load SigmaHQ rules, replay a dataset.",
        discussion: "Example: tripline rules conformance --panther ../shared/corpus/panther-analysis/panther_cloudtrail_tests.jsonl --sigma ../shared/corpus/sigma/rules --replay ../shared/corpus/invictus-aws-dataset"
    )

    @Option(help: "Panther labelled tests (JSON Lines: rule_id, expected, event, mocks).") var panther: String?
    @Option(help: "Folder of SigmaHQ rules to load and evaluate.") var sigma: String?
    @Option(help: "Folder of CloudTrail logs to replay with the built-in rules.") var replay: String?
    @OptionGroup var rules: RuleOptions

    func run() async throws {
        let (loaded, _) = rules.load(tests: false)
        var out = Output()
        var failed = false
        if let panther { failed = try pantherReport(loaded.rules, path: panther, out: &out) || failed }
        if let sigma { failed = sigmaReport(path: sigma, corpus: panther, out: &out) || failed }
        if let replay { replayReport(loaded.rules, path: replay, out: &out) }
        out.flush()
        if failed { throw ExitCode(ExitStatus.usageOrRules) }
    }

    struct PantherTest {
        var ruleID: String
        var name: String
        var expected: Bool
        var event: JSONValue
        var excludedBecause: String?
    }

    static func pantherTests(_ path: String) throws -> [PantherTest] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var tests: [PantherTest] = []
        for line in text.split(separator: "\n") where !line.isEmpty {
            let v = try JSONValue.parse(String(line))
            guard let id = v["rule_id"]?.stringValue, let event = v["event"] else { continue }
            var reason: String?
            if let mocks = v["mocks"], mocks != .null, mocks != .array([]), mocks != .object([]) {
                reason = "depends on Panther mocks"
            } else if event["p_enrichment"] != nil {
                reason = "depends on Panther enrichment (p_enrichment)"
            }
            tests.append(PantherTest(ruleID: id, name: v["test_name"]?.stringValue ?? "", expected: v["expected"]?.boolValue ?? false,
                                     event: event, excludedBecause: reason))
        }
        return tests
    }

    func pantherReport(_ rules: [Rule], path: String, out: inout Output) throws -> Bool {
        let tests = try Conformance.pantherTests(path)
        var byPanther: [String: [Rule]] = [:]
        for r in rules { for rel in r.related where rel.type == "panther" { byPanther[rel.id, default: []].append(r) } }
        var agreeRules = 0, totalAgree = 0, totalDisagree = 0, totalExcluded = 0
        var failed = false
        out.line("== Panther agreement (\(byPanther.count) Panther rules claimed by Tripline rules)")
        for (pantherID, claiming) in byPanther.sorted(by: { $0.key < $1.key }) {
            let mine = tests.filter { $0.ruleID == pantherID }
            if mine.isEmpty {
                out.line("  ?    \(pantherID): no Panther tests in the corpus")
                continue
            }
            var agree = 0, disagree: [String] = [], excluded = 0
            for t in mine {
                if t.excludedBecause != nil { excluded += 1; continue }
                let fired = JSONDocument(t.event).withView { view in claiming.contains { $0.detection.matches(view) } }
                if fired == t.expected { agree += 1 } else { disagree.append("\(t.name) (expected \(t.expected))") }
            }
            totalAgree += agree; totalDisagree += disagree.count; totalExcluded += excluded
            if disagree.isEmpty { agreeRules += 1 } else { failed = true }
            let ids = claiming.map(\.id).joined(separator: ", ")
            out.line("  \(disagree.isEmpty ? "ok  " : "FAIL") \(pantherID) ← \(ids): \(agree) agree, \(disagree.count) disagree, \(excluded) excluded")
            for d in disagree { out.line("         disagrees: \(d)") }
        }
        out.line("Panther: \(agreeRules)/\(byPanther.count) rules in full agreement; tests: \(totalAgree) agree, \(totalDisagree) disagree, \(totalExcluded) excluded (mocks/enrichment)")
        return failed
    }

    func sigmaReport(path: String, corpus: String?, out: inout Output) -> Bool {
        let files = RuleFiles.paths(at: path)
        var loadedRules: [Rule] = []
        var failures: [String] = []
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                failures.append("\(file): unreadable")
                continue
            }
            let result = RuleLoader.load(text: text, path: file)
            if !result.errors.isEmpty || result.rules.isEmpty {
                failures.append(result.diagnostics.map(\.description).joined(separator: "; "))
            }
            loadedRules += result.rules
        }
        out.line("== SigmaHQ: \(loadedRules.count)/\(files.count) rules loaded")
        for f in failures { out.line("  FAIL \(f)") }
        // Evaluate every Sigma rule over every corpus event: no crash, and say what fires.
        if let corpus, let tests = try? Conformance.pantherTests(corpus) {
            let engine = Engine(rules: loadedRules)
            var fired: [String: Int] = [:]
            for t in tests {
                for r in engine.matches(JSONDocument(t.event)) { fired[engine.rules[r].title, default: 0] += 1 }
            }
            out.line("  evaluated \(loadedRules.count) Sigma rules over \(tests.count) Panther test events: \(fired.count) rules fired")
            for (title, n) in fired.sorted(by: { $0.key < $1.key }) { out.line("    \(n)× \(title)") }
        }
        return !failures.isEmpty
    }

    func replayReport(_ rules: [Rule], path: String, out: inout Output) {
        let engine = Engine(rules: rules)
        let result = LocalScanner.scan(paths: [path], engine: engine)
        let alerts = Aggregator(rules: rules).aggregate(
            result.foldedFindings(rules: engine.rules), thresholds: result.thresholds, engineRules: engine.rules)
        out.line("== Replay of \(path): \(result.stats.inputs) files, \(result.stats.records) events, \(result.stats.matches) matches, \(alerts.count) findings after dedup")
        var byRule: [String: (Severity, Int)] = [:]
        for a in alerts { byRule[a.ruleID] = (a.severity, (byRule[a.ruleID]?.1 ?? 0) + 1) }
        for (id, (sev, n)) in byRule.sorted(by: { ($0.value.0, $1.key) > ($1.value.0, $0.key) }) {
            out.line("  \(sev.description.padding(8)) \(n)× \(id)")
        }
        for p in result.problems { out.line("  problem: \(p)") }
    }
}
