import Testing
import TriplineCore
import TriplineJSON
import TriplineRuleDocument

@testable import TriplineRules

/// The built-in catalog is read from the form the build compiled it to, and services read it without the rules'
/// embedded tests. Both must give exactly the rules that parsing the YAML gives.
@Suite("Compiled catalog")
struct CompiledCatalogTests {
    @Test("the compiled form gives the same rules, tests and diagnostics as parsing the YAML files")
    func compiledEqualsYAML() {
        let compiled = RuleCatalog.loadBuiltIn(tests: true)
        let parsed = RuleLoader.load(files: RuleCatalog.builtInFiles)
        #expect(compiled.rules.count == parsed.rules.count && !parsed.rules.isEmpty)
        #expect(compiled.diagnostics == parsed.diagnostics)
        for (a, b) in zip(parsed.rules, compiled.rules) {
            #expect(a.id == b.id && a.source == b.source && a.text == b.text, "\(a.id)")
            #expect(a.title == b.title && a.description == b.description && a.action == b.action, "\(a.id)")
            #expect(a.tests.map(\.event) == b.tests.map(\.event) && a.tests.map(\.line) == b.tests.map(\.line), "\(a.id)")
            #expect(a.tests.map(\.name) == b.tests.map(\.name) && a.tests.map(\.expect) == b.tests.map(\.expect), "\(a.id)")
        }
    }

    @Test("every built-in file was compiled, and its compiled form reads back as the YAML's nodes")
    func everyFileCompiled() throws {
        for file in embeddedCatalog {
            let compiled = try #require(file.compiled, "\(file.path)")
            let fromYAML = try RuleNode.documents(yaml: file.text)
            #expect(RuleNode.documents(compiled: compiled) == fromYAML, "\(file.path)")
        }
    }

    @Test("nodes survive the compiled form: quoting, lines, escapes, nesting, several documents")
    func roundTrip() throws {
        let yaml = """
            id: "quoted"
            plain: true
            text: 'it''s <b>"x"</b> \\ tab\there é 🚀'
            list: [1, '2', {a: [b, ~]}]
            block: |
              line one
              line two
            ---
            id: second
            """
        let documents = try RuleNode.documents(yaml: yaml)
        #expect(documents.count == 2)
        #expect(RuleNode.documents(compiled: RuleNode.compiled(documents)) == documents)
        guard case .mapping(let members, let line) = documents[0] else {
            Issue.record("not a mapping")
            return
        }
        #expect(line == 1)
        #expect(members[0].value == .scalar("quoted", plain: false, line: 1))
        #expect(members[1].value == .scalar("true", plain: true, line: 2))
        #expect(members[4].value.line == 5)
        #expect(documents[1].line == 9)

        // Skipped members of a top-level mapping are left out; nested ones of the same name are kept.
        let skipped = try #require(RuleNode.documents(compiled: RuleNode.compiled(documents), skipping: ["list", "a"]))
        guard case .mapping(let kept, _) = skipped[0] else { return }
        #expect(kept.map(\.key.scalarText) == ["id", "plain", "text", "block"])
        #expect(skipped[1] == documents[1])
        let nested = try RuleNode.documents(yaml: "x: {list: 1}")
        #expect(RuleNode.documents(compiled: RuleNode.compiled(nested), skipping: ["list"]) == nested)
    }

    @Test("a damaged compiled form is refused, not half read")
    func damaged() {
        for text in ["", "{}", "[[0,1]]", "[[9,1,\"x\"]]", "[[3,1,[[0,1,\"k\"]]]]", "[[2,1,[[0,1,\"a\"],[7]]]]", "[[0,1,\"x\""] {
            #expect(RuleNode.documents(compiled: text) == nil, "\(text)")
        }
    }

    @Test("without tests: the same rules as the full catalog, on every embedded test event and in the event pattern")
    func withoutTests() {
        let full = RuleCatalog.builtIn
        let lite = RuleCatalog.load(extra: [], tests: false)
        #expect(lite.rules.map(\.id) == full.rules.map(\.id))
        #expect(lite.diagnostics == full.diagnostics)
        for (a, b) in zip(full.rules, lite.rules) {
            #expect(a.title == b.title && a.severity == b.severity && a.description == b.description && a.action == b.action, "\(a.id)")
            #expect(a.dedupFields == b.dedupFields && a.dedupWindow == b.dedupWindow && a.threshold == b.threshold, "\(a.id)")
            #expect(a.enabled == b.enabled && a.tags == b.tags && a.source == b.source, "\(a.id)")
            #expect(b.tests.isEmpty)
        }
        let events = full.rules.flatMap { $0.tests.map(\.event) }
        #expect(events.count > full.rules.count)
        let fullEngine = Engine(rules: full.rules)
        let liteEngine = Engine(rules: lite.rules)
        for event in events {
            let document = JSONDocument(event)
            #expect(liteEngine.matches(document).map { liteEngine.rules[$0].id } == fullEngine.matches(document).map { fullEngine.rules[$0].id })
        }
        #expect(EventPattern.compile(lite.rules).fileText == EventPattern.compile(full.rules).fileText)
    }

    @Test("an extra rule reusing a built-in id is rejected; a new one is added, its tests unread")
    func extra() throws {
        let existing = try #require(RuleCatalog.builtIn.rules.first)
        let files = [
            ("extra/dup.yml", "id: \(existing.id)\ntitle: dup\nseverity: low\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventName: X}\n  condition: s\n"),
            ("extra/new.yml", "id: extra.new\ntitle: new\nseverity: low\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventName: X}\n  condition: s\ntests:\n  - name: t\n    expect: true\n    event: {eventName: X}\n"),
        ]
        let loaded = RuleCatalog.load(extra: files, tests: false)
        #expect(loaded.rules.count == RuleCatalog.builtIn.rules.count + 1)
        #expect(loaded.rules.filter { $0.id == existing.id }.count == 1)
        #expect(loaded.rules.first { $0.id == existing.id }?.title == existing.title)
        #expect(loaded.rules.first { $0.id == "extra.new" }?.tests.isEmpty == true)
        #expect(loaded.diagnostics.contains { $0.level == .error && $0.ruleID == existing.id && $0.message.contains("duplicate rule id") })
    }

    @Test("a rule's location is its file and line, also when the path holds colons")
    func locations() throws {
        let path = "C:/team:a/rules/x.yml"
        let text = "id: first\ntitle: t\ndetection: {s: {eventName: X}, condition: s}\n---\nid: second\ntitle: t\n"
            + "detection: {s: {eventName: Y}, condition: s}\ntests:\n  - {name: wrong, expect: true, event: {eventName: X}}\n"
        let loaded = RuleCatalog.load(includeBuiltIn: false, extra: [(path, text)], tests: true)
        let second = try #require(loaded.rules.first { $0.id == "second" })
        #expect(second.source == SourceLocation(file: path, line: 5), "\(second.source)")
        #expect(second.source.description == "C:/team:a/rules/x.yml:5")
        let outcome = try #require(RuleTester.run(loaded.rules).first { $0.ruleID == "second" })
        #expect(!outcome.passed && outcome.source == path && outcome.line == 9)
    }
}
