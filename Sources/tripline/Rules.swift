import ArgumentParser
import Foundation
import TriplineCore
import TriplineJSON
import TriplineRules

struct Rules: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List, show, test and lint detection rules.",
        subcommands: [List.self, Show.self, Test.self, Lint.self, Conformance.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List rules: id, severity, title.",
            discussion: """
                --format jsonl prints one JSON object per rule and nothing else: id, title, severity, enabled, tags, \
                description, action, source (file:line), dedup (fields), dedup_window (seconds), threshold (bool), \
                related [{id, type}].
                """)
        enum Format: String, ExpressibleByArgument, CaseIterable { case text, jsonl }

        @OptionGroup var rules: RuleOptions
        @Flag(help: "Include disabled rules.") var all = false
        @Option(help: "Output format: text or jsonl (one JSON object per rule).") var format: Format = .text

        static func json(_ r: Rule) -> JSONValue {
            .object([
                ("id", .string(r.id)), ("title", .string(r.title)), ("severity", .string(r.severity.description)),
                ("enabled", .bool(r.enabled)), ("tags", .array(r.tags.map(JSONValue.string))),
                ("description", .string(r.description)), ("action", .string(r.action)), ("source", .string(r.source.description)),
                ("dedup", .array(r.dedupFields.map { .string($0.description) })),
                ("dedup_window", .number(String(r.dedupWindow))), ("threshold", .bool(r.threshold != nil)),
                ("related", .array(r.related.map { .object([("id", .string($0.id)), ("type", .string($0.type))]) })),
            ])
        }

        func run() async throws {
            let (loaded, errors) = rules.load(tests: false)
            var out = Output()
            let listed = loaded.rules.sorted(by: { ($0.severity, $1.id) > ($1.severity, $0.id) }).filter { all || $0.enabled }
            if format == .jsonl {
                for r in listed { out.line(List.json(r).serialized()) }
                out.flush()
                if errors { throw ExitCode(ExitStatus.usageOrRules) }
                return
            }
            for r in listed {
                let state = r.enabled ? "" : "  (disabled)"
                out.line("\(terminalSafe(r.id).padding(60))  \(r.severity.description.padding(8))  \(terminalSafe(r.title))\(state)")
            }
            let engine = Engine(rules: loaded.rules)
            let index = engine.indexSummary
            out.line("\(loaded.rules.count) rules (\(engine.rules.count) enabled; indexed by eventName \(index.byName), "
                + "by eventSource \(index.bySource), by errorCode \(index.byErrorCode), by userIdentity.type "
                + "\(index.byIdentityType), evaluated on every event \(index.global))")
            out.flush()
            if errors { throw ExitCode(ExitStatus.usageOrRules) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one rule as written.")
        @Argument var id: String
        @OptionGroup var rules: RuleOptions

        func run() async throws {
            let (loaded, _) = rules.load(printDiagnostics: false)
            guard let rule = loaded.rules.first(where: { $0.id == id }) else {
                printError("tripline: no rule with id '\(id)'")
                throw ExitCode(ExitStatus.usageOrRules)
            }
            var out = Output()
            out.line("# \(rule.source)")
            out.line(rule.text)
            out.flush()
        }
    }

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run every rule's embedded tests.")
        @OptionGroup var rules: RuleOptions
        @Flag(help: "Print every test, not only failures.") var verbose = false

        func run() async throws {
            let (loaded, errors) = rules.load()
            let outcomes = RuleTester.run(loaded.rules)
            var out = Output()
            for o in outcomes where verbose || !o.passed {
                let verdict = o.passed ? "ok  " : "FAIL"
                out.line(terminalSafe("\(verdict) \(o.ruleID): \(o.test) (expected \(o.expected ? "match" : "no match"), got \(o.actual ? "match" : "no match")) \(o.source):\(o.line)"))
            }
            let failed = outcomes.filter { !$0.passed }.count
            let lacking = loaded.rules.filter(RuleTester.lacksTests)
            for r in lacking { out.line(terminalSafe("warn \(r.id): needs at least one positive and one negative test (\(r.source))")) }
            out.line("\(loaded.rules.count) rules, \(outcomes.count) tests: \(outcomes.count - failed) passed, \(failed) failed")
            out.flush()
            if errors || failed > 0 { throw ExitCode(ExitStatus.usageOrRules) }
        }
    }

    struct Lint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print rule diagnostics (errors and warnings).")
        @OptionGroup var rules: RuleOptions

        func run() async throws {
            let (loaded, _) = rules.load(printDiagnostics: false)
            var diagnostics = loaded.diagnostics
            for r in loaded.rules {
                let (file, line) = (r.source.file, r.source.line)
                if r.description.isEmpty { diagnostics.append(RuleDiagnostic(.warning, file: file, line: line, ruleID: r.id, "no description")) }
                if r.action.isEmpty { diagnostics.append(RuleDiagnostic(.warning, file: file, line: line, ruleID: r.id, "no action for the responder")) }
                if RuleTester.lacksTests(r) {
                    diagnostics.append(RuleDiagnostic(.warning, file: file, line: line, ruleID: r.id, "needs at least one positive and one negative test"))
                }
            }
            var out = Output()
            for d in diagnostics { out.line(terminalSafe(d.description)) }
            let errors = diagnostics.filter { $0.level == .error }.count
            out.line("\(loaded.rules.count) rules loaded; \(errors) error(s), \(diagnostics.count - errors) warning(s)")
            out.flush()
            if errors > 0 { throw ExitCode(ExitStatus.usageOrRules) }
        }
    }
}

struct EventBridgePattern: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eventbridge-pattern",
        abstract: "Compile the enabled rules into EventBridge event patterns (one EventBridge rule each).",
        discussion: """
            json (default) is the form committed as deploy/eventbridge-patterns.json, which the Terraform module reads; \
            sam prints template-sam.yaml's generated block; list prints one pattern per line. Rules that no pattern \
            can filter for are named on stderr and get a pattern for every CloudTrail event.
            """
    )
    enum Format: String, ExpressibleByArgument, CaseIterable { case json, sam, list }

    @OptionGroup var rules: RuleOptions
    @Option(help: "Output: json, sam or list.") var format: Format = .json
    @Option(name: .customLong("max-length"), help: "Largest pattern in characters (EventBridge's default quota is 2048).")
    var maxLength: Int = EventPattern.defaultMaxLength

    func validate() throws {
        guard (256...4096).contains(maxLength) else { throw ValidationError("--max-length must be between 256 and 4096") }
    }

    func run() async throws {
        let (loaded, errors) = rules.load(tests: false)
        if errors { throw ExitCode(ExitStatus.usageOrRules) }
        let compiled = EventPattern.compile(loaded.rules, maxLength: maxLength)
        for f in compiled.fallbacks { printError("eventbridge-pattern: \(f.rule) cannot be filtered (\(f.reason)): every CloudTrail event is routed for it") }
        var out = Output()
        switch format {
        case .json: out.line(String(compiled.fileText.dropLast()))
        case .sam: out.line(String(compiled.samResources.dropLast()))
        case .list: for p in compiled.patterns { out.line(p.text) }
        }
        out.flush()
    }
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}
