import Testing
import TriplineCore
import TriplineJSON
import TriplineRules

@testable import TriplineService

@Suite("Runtime catalog (rules without embedded tests)")
struct RuntimeCatalogTests {
    @Test("the same rules as the full catalog: metadata, detections on every embedded test event, event pattern")
    func sameRules() {
        let full = RuleCatalog.builtIn
        let lite = RuntimeCatalog.load(extra: [])
        #expect(lite.rules.map(\.id) == full.rules.map(\.id))
        #expect(lite.diagnostics.filter { $0.level == .error }.map(\.message) == full.diagnostics.filter { $0.level == .error }.map(\.message))
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
        #expect(EventPattern.generate(lite.rules) == EventPattern.generate(full.rules))
    }

    @Test("test blocks are cut wherever they sit, in every YAML layout, and nothing else is")
    func stripping() {
        let text = """
            id: x
            tests:
              - name: a
                event: {eventName: X}
            - name: zero-indented
            # a comment inside

            severity: high
            ---
            id: y
            tests: [{name: b, expect: true, event: {}}]
            detection:
              sel: {eventName: Y}
            """
        #expect(RuntimeCatalog.withoutTests(text) == """
            id: x
            severity: high
            ---
            id: y
            detection:
              sel: {eventName: Y}
            """)
    }

    @Test("an extra rule reusing a built-in id is rejected; a new one is added")
    func extra() throws {
        let existing = try #require(RuleCatalog.builtIn.rules.first)
        let files = [
            ("extra/dup.yml", "id: \(existing.id)\ntitle: dup\nseverity: low\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventName: X}\n  condition: s\n"),
            ("extra/new.yml", "id: extra.new\ntitle: new\nseverity: low\nlogsource: {product: aws, service: cloudtrail}\ndetection:\n  s: {eventName: X}\n  condition: s\ntests:\n  - name: t\n    expect: true\n    event: {eventName: X}\n"),
        ]
        let loaded = RuntimeCatalog.load(extra: files)
        #expect(loaded.rules.count == RuleCatalog.builtIn.rules.count + 1)
        #expect(loaded.rules.filter { $0.id == existing.id }.count == 1)
        #expect(loaded.rules.first { $0.id == existing.id }?.title == existing.title)
        #expect(loaded.diagnostics.contains { $0.level == .error && $0.ruleID == existing.id && $0.message.contains("duplicate rule id") })
    }
}
