import Foundation
import Testing
import TriplineCore
import TriplineJSON
import TriplineRuleDocument
import TriplineRules

/// Rule files are user input, often copied from the internet: each hostile one is refused with a located
/// diagnostic, in bounded time and memory, and the other rules still load.
@Suite("Hostile rule files")
struct HostileRuleTests {
    static let good = "id: good\ntitle: good\ndetection:\n  sel:\n    eventName: X\n  condition: sel\n"

    /// A "billion laughs": nine levels of ten aliases each would expand to 10^9 nodes.
    static let laughs: String = {
        var lines = ["id: laughs", "title: laughs", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for k in 1...9 {
            let refs = Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", ")
            lines.append("a\(k): &a\(k) [\(refs)]")
        }
        lines.append("detection: {sel: {eventName: X}, condition: sel}")
        return lines.joined(separator: "\n") + "\n"
    }()

    @Test("a billion-laughs file is refused before anything is expanded, with its line")
    func billionLaughs() {
        let start = Date()
        let result = RuleLoader.load(files: [("laughs.yml", Self.laughs), ("good.yml", Self.good)])
        #expect(Date().timeIntervalSince(start) < 5)
        #expect(result.rules.map(\.id) == ["good"])
        let d = result.errors.first
        #expect(d?.file == "laughs.yml")
        #expect(d?.message.contains("aliases expand to more than") == true, "\(result.diagnostics)")
        #expect((d?.line ?? 0) > 1)
    }

    @Test("too many aliases and deep YAML nesting are refused")
    func aliasCountAndDepth() {
        let many = "a: &x 1\nb: [" + Array(repeating: "*x", count: YAMLBounds.maxAliases + 1).joined(separator: ",") + "]\n"
        #expect(diagnostics(many).first?.message.contains("more than \(YAMLBounds.maxAliases) YAML aliases") == true)
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(diagnostics(deep).first?.message.contains("nested deeper than") == true, "\(diagnostics(deep))")
        // Deeper still, libyaml's own limit answers first: an error either way.
        let deeper = String(repeating: "[", count: 100_000)
        #expect(diagnostics(deeper).first?.level == .error)
        // A few aliases within the bounds still load as the values they stand for.
        let fine = "id: a\ntitle: a\ndetection:\n  sel:\n    eventName: &names [StopLogging, DeleteTrail]\n  other:\n    eventSource: *names\n  condition: sel or other\n"
        let loaded = RuleLoader.load(text: fine, path: "a.yml")
        #expect(loaded.rules.count == 1, "\(loaded.diagnostics)")
    }

    @Test("100,000 nots and 20,000 parentheses are a diagnostic, not a stack overflow")
    func deepConditions() throws {
        let nots = Array(repeating: "not", count: 100_000).joined(separator: " ") + " sel"
        let even = try ruleWith(condition: nots)
        #expect(even.errors.isEmpty, "\(even.diagnostics)")
        let doc = try JSONDocument(parsing: Array(#"{"eventName":"X"}"#.utf8))
        // An even number of nots is the selection itself.
        #expect(doc.withView { even.rules[0].detection.matches($0) })
        let odd = try ruleWith(condition: "not " + nots)
        #expect(doc.withView { !odd.rules[0].detection.matches($0) })

        let parens = String(repeating: "(", count: 20_000) + "sel" + String(repeating: ")", count: 20_000)
        let deep = try ruleWith(condition: parens)
        #expect(deep.rules.isEmpty)
        #expect(deep.errors.first?.message.contains("parentheses nested deeper than") == true, "\(deep.diagnostics)")
        // Parentheses a human writes still parse.
        let shallow = try ruleWith(condition: String(repeating: "(", count: 50) + "sel" + String(repeating: ")", count: 50))
        #expect(shallow.errors.isEmpty)
    }

    @Test("backreferences and lookaround are refused at load with file, line and rule id")
    func backtrackingRegexes() {
        for pattern in [#"(a+)\1"#, #"^(?=.*admin).*$"#, #"foo(?!bar)"#, #"(?<=x)y"#, #"(?<!x)y"#, #"(?<n>a)\k<n>"#] {
            let yaml = "id: bt\ntitle: bt\ndetection:\n  sel:\n    userAgent|re: '\(pattern)'\n  condition: sel\n"
            let d = diagnostics(yaml)
            #expect(d.first?.ruleID == "bt", "\(pattern): \(d)")
            #expect(d.first?.line == 4, "\(pattern): \(d)")  // the selection's line
            #expect(d.first?.message.contains("backtracking") == true, "\(pattern): \(d)")
        }
        // Escaped and bracketed look-alikes are plain regular expressions.
        for pattern in [#"\(\?=x"#, #"a(?:b)c"#, #"x[(?=]"#] {
            let yaml = "id: ok\ntitle: ok\ndetection:\n  sel:\n    userAgent|re: '\(pattern)'\n  condition: sel\n"
            #expect(diagnostics(yaml).isEmpty, "\(pattern): \(diagnostics(yaml))")
        }
    }

    @Test("values past 64 KiB are still matched by |re, in linear time")
    func longValues() throws {
        let pad = String(repeating: "A", count: 200_000)
        let wide = String(repeating: "é", count: 100_000)
        let cases: [(pattern: String, value: String, hit: Bool)] = [
            ("evil$", pad + "evil", true),
            ("^AAA", pad, true),
            ("evil$", pad + "good", false),
            ("evil$", wide + "evil", true),
            ("^é", wide, true),  // outside the byte subset: decided by Swift's Regex
            ("^x", wide, false),
            ("x.y", wide + "xéy", true),
            ("x[^a]y", wide + "x\u{1F600}y", true),
            ("x.y", wide + "xy", false),
            ("(a|aa)+$", String(repeating: "a", count: 100_000) + "é!", false),
        ]
        for c in cases {
            let start = Date()
            let d = "sel:\n  userAgent|re: '\(c.pattern)'\ncondition: sel"
            let event = "{\"userAgent\":\"\(c.value)\"}"
            let fired = try fires(d, event)
            #expect(fired == c.hit, "\(c.pattern) on \(c.value.suffix(8))")
            #expect(Date().timeIntervalSince(start) < 10, "\(c.pattern)")
        }
        // With case folding Regex takes the Kelvin sign for k, on long values as on short ones.
        for value in ["\u{212A}MS", wide + "\u{212A}MS"] {
            #expect(try fires("sel:\n  userAgent|re|i: 'kms$'\ncondition: sel", "{\"userAgent\":\"\(value)\"}"))
        }
    }

    private func ruleWith(condition: String) throws -> RuleLoadResult {
        RuleLoader.load(text: "id: c\ntitle: c\ndetection:\n  sel:\n    eventName: X\n  condition: '\(condition)'\n", path: "c.yml")
    }

    private func diagnostics(_ yaml: String) -> [RuleDiagnostic] {
        RuleLoader.load(text: yaml, path: "bad.yml").diagnostics
    }

    private func fires(_ detection: String, _ event: String) throws -> Bool {
        let yaml = "id: t\ntitle: t\ndetection:\n" + detection.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
        let result = RuleLoader.load(text: yaml, path: "test.yml")
        guard let rule = result.rules.first else {
            Issue.record("rule did not load: \(result.diagnostics)")
            return false
        }
        let doc = try JSONDocument(parsing: Array(event.utf8))
        return doc.withView { rule.detection.matches($0) }
    }
}
