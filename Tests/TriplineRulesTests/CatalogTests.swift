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
        for rule in catalog.rules {
            #expect(rule.tests.contains { $0.expect }, "\(rule.id) has no positive test")
            #expect(rule.tests.contains { !$0.expect }, "\(rule.id) has no negative test")
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
