import Foundation
import Testing
import TriplineCore
import TriplineJSON
import TriplineRules

@Suite("Built-in catalog")
struct CatalogTests {
    let catalog = RuleCatalog.builtIn

    @Test("loads without diagnostics")
    func loadsClean() {
        #expect(catalog.diagnostics.isEmpty, "\(catalog.diagnostics.map(\.description).joined(separator: "\n"))")
    }

    @Test("has at least 100 rules, each with a positive and a negative test")
    func size() {
        #expect(catalog.rules.count >= 100)
        // Sequences are tested through their steps' events (`sequences` below).
        for rule in catalog.rules where rule.sequence == nil {
            #expect(rule.tests.contains { $0.expect }, "\(rule.id) has no positive test")
            #expect(rule.tests.contains { !$0.expect }, "\(rule.id) has no negative test")
        }
    }

    @Test("every sequence fires on its steps' positive test events in order, and not in reverse")
    func sequences() throws {
        let sequences = catalog.rules.filter { $0.sequence != nil }
        #expect(!sequences.isEmpty)
        for rule in sequences {
            let steps = try rule.sequence!.steps.map { id in try #require(catalog.rules.first { $0.id == id }) }
            // Each step: its first positive test event, as many times as its threshold needs, a minute after the
            // step before (well inside the sequence's window), each a different event.
            func story(_ order: [Rule]) -> [String] {
                order.enumerated().flatMap { minute, step -> [String] in
                    let test = step.tests.first { $0.expect }!
                    return (0..<max(step.threshold?.count ?? 1, 1)).map { k in
                        guard case .object(var members) = test.event else { return test.event.serialized() }
                        members.removeAll { $0.0 == "eventID" || $0.0 == "eventTime" }
                        members.append(("eventID", .string("\(step.id)-\(k)")))
                        members.append(("eventTime", .string(String(format: "2026-03-01T12:%02d:%02dZ", minute + 1, k % 60))))
                        return JSONValue.object(members).serialized()
                    }
                }
            }
            let forward = correlate(catalog.rules, story(steps))
            #expect(forward.contains { $0.ruleID == rule.id }, "\(rule.id) does not fire on its steps in order")
            let backward = correlate(catalog.rules, story(steps.reversed()))
            #expect(!backward.contains { $0.ruleID == rule.id }, "\(rule.id) fires on its steps in reverse")
        }
    }

    @Test("every embedded test passes")
    func embeddedTests() {
        let outcomes = RuleTester.run(catalog.rules)
        #expect(outcomes.count >= 200)
        for o in outcomes where !o.passed {
            Issue.record("\(o.ruleID): '\(o.test)' expected \(o.expected ? "match" : "no match") (\(o.source):\(o.line))")
        }
    }

    @Test("every title is filled on the rule's positive tests: no placeholder left empty, never 'unknown'")
    func titlesFilled() {
        for rule in catalog.rules {
            for test in rule.tests where test.expect {
                let (title, unfilled) = JSONDocument(test.event).withView {
                    (TitleTemplate.render(rule.title, view: $0), TitleTemplate.unfilled(rule.title, view: $0))
                }
                #expect(unfilled.isEmpty, "\(rule.id) '\(test.name)': \(unfilled) empty in '\(title)'")
                #expect(!title.lowercased().contains("unknown"), "\(rule.id) '\(test.name)': \(title)")
            }
        }
    }

    @Test("every rule says what happened and what to do")
    func metadata() {
        for rule in catalog.rules {
            #expect(!rule.description.isEmpty, "\(rule.id) has no description")
            #expect(!rule.action.isEmpty, "\(rule.id) has no action")
            #expect(rule.id.hasPrefix("tripline."), "\(rule.id) is not in the tripline namespace")
            #expect(rule.tags.contains { $0.hasPrefix("attack.") }, "\(rule.id) has no ATT&CK tag")
        }
    }

    @Test("the seed systems' detections are all covered", arguments: [
        "CreateUser", "CreateRole", "CreateAccessKey", "PutUserPolicy", "AttachRolePolicy", "UpdateAssumeRolePolicy",
        "StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "AuthorizeSecurityGroupIngress",
        "ConsoleLogin", "DisableKey", "ScheduleKeyDeletion", "PutBucketPolicy", "PutBucketAcl", "DeleteBucket",
        "TerminateInstances", "DeleteDBInstance", "CreateNetworkAclEntry", "CreateRoute", "CreateVpc",
        "AttachInternetGateway", "StopConfigurationRecorder", "DeleteDetector", "LeaveOrganization",
    ])
    func coverage(eventName: String) {
        let engine = Engine(rules: catalog.rules)
        let event: JSONValue = [
            "eventName": .string(eventName), "eventSource": "any.amazonaws.com",
            "userIdentity": ["type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/x"],
        ]
        // Some rule must at least be indexed under this API name (the detail test is each rule's own tests).
        let indexed = catalog.rules.contains { $0.detection.requiredValues(of: "eventName")?.contains(eventName.lowercased()) ?? false }
        #expect(indexed || !engine.matches(JSONDocument(event)).isEmpty, "no rule watches \(eventName)")
    }

    @Test("all 14 CIS CloudWatch controls are mapped")
    func cis() {
        let cis = Set(catalog.rules.flatMap { $0.related.filter { $0.type == "cis" }.map(\.id) })
        for n in 1...14 { #expect(cis.contains("CIS.CloudWatch.\(n)"), "CIS.CloudWatch.\(n) has no rule") }
    }

    @Test("rule ids are unique and files are named after them")
    func ids() {
        var seen = Set<String>()
        for rule in catalog.rules { #expect(seen.insert(rule.id).inserted, "duplicate \(rule.id)") }
    }
}

@Suite("Generated artifacts")
struct GeneratedArtifactTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("deploy/eventbridge-patterns.json and template-sam.yaml's rules are what `tripline eventbridge-pattern` generates")
    func eventPatternsHaveNotDrifted() throws {
        let compiled = EventPattern.compile(RuleCatalog.builtIn.rules)
        let committed = try String(contentsOf: Self.root.appendingPathComponent("deploy/eventbridge-patterns.json"), encoding: .utf8)
        #expect(committed == compiled.fileText, "regenerate with: tripline eventbridge-pattern > deploy/eventbridge-patterns.json")
        let sam = try String(contentsOf: Self.root.appendingPathComponent("template-sam.yaml"), encoding: .utf8)
        #expect(sam.contains(compiled.samResources), "regenerate template-sam.yaml's block with: tripline eventbridge-pattern --format sam")
        for p in compiled.patterns { #expect(p.text.utf8.count <= EventPattern.defaultMaxLength, "\(p.name): \(p.text.utf8.count) characters") }
    }
}
