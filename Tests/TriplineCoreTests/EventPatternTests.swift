import Testing
import TriplineCore
import TriplineJSON
import TriplineRules

/// The rule → EventBridge pattern compiler, operator by operator. (That the generated patterns let through every
/// positive test event of the catalog is judged by moto's EventBridge in DeployTests.)
@Suite("EventBridge pattern compiler")
struct EventPatternTests {
    func compile(_ rules: [Rule], maxLength: Int = EventPattern.defaultMaxLength) -> EventPattern.Compilation {
        EventPattern.compile(rules, maxLength: maxLength)
    }
    func text(_ detection: String) -> String {
        let c = compile([rule("r", detection)])
        #expect(c.patterns.count == 1)
        return c.patterns.first?.text ?? ""
    }

    @Test("eventSource and eventName become exact matches under detail, with the CloudTrail detail-types")
    func exactNames() {
        let t = text("s:\n  eventSource: cloudtrail.amazonaws.com\n  eventName: [StopLogging, DeleteTrail]\ncondition: s")
        #expect(t.contains(#""detail":{"eventSource":["cloudtrail.amazonaws.com"],"eventName":["DeleteTrail","StopLogging"]}"#), "\(t)")
        #expect(t.contains(#""detail-type":["AWS API Call via CloudTrail","#))
    }

    @Test("startswith, endswith and contains become prefix, suffix and wildcard on canonical fields")
    func affixes() {
        let t = text("s:\n  eventName|startswith: Delete\n  errorCode|endswith: UnauthorizedOperation\n  eventSource|contains: amazonaws\ncondition: s")
        #expect(t.contains(#""eventName":[{"prefix":"Delete"}]"#), "\(t)")
        #expect(t.contains(#""errorCode":[{"suffix":"UnauthorizedOperation"}]"#), "\(t)")
        #expect(t.contains(#""eventSource":[{"wildcard":"*amazonaws*"}]"#), "\(t)")
    }

    @Test("case-insensitive values on free-text fields use equals-ignore-case; case-insensitive contains is left out")
    func caseless() {
        let t = text("s:\n  eventName: PutBucketPolicy\n  requestParameters.bucketName|startswith: Prod\n  userAgent|contains: kali\ncondition: s")
        #expect(t.contains(#""bucketName":[{"prefix":{"equals-ignore-case":"Prod"}}]"#), "\(t)")
        #expect(!t.contains("kali"), "a case-sensitive wildcard would drop KALI: \(t)")
    }

    @Test("exists, numeric comparisons and booleans")
    func operators() {
        let t = text("s:\n  eventName: RunInstances\n  errorCode|exists: false\n  requestParameters.maxCount|lt: 10\n  requestParameters.dryRun: false\ncondition: s")
        #expect(t.contains(#""errorCode":[{"exists":false}]"#), "\(t)")
        // `<` is written as a JSON escape: the same string to EventBridge.
        #expect(t.contains(#"{"numeric":["\u003c",10]}"#), "\(t)")
        #expect(t.contains(#""dryRun":[false,{"equals-ignore-case":"false"}]"#), "\(t)")
        // exists: true only on fields that are leaves in CloudTrail (EventBridge's exists ignores objects).
        let leaf = text("s:\n  eventName: X\n  errorCode|exists: true\n  requestParameters.policy|exists: true\ncondition: s")
        #expect(leaf.contains(#""errorCode":[{"exists":true}]"#) && !leaf.contains("policy"), "\(leaf)")
        // Below the first level of request parameters (lists of objects live there) nothing is constrained.
        let deep = text("s:\n  eventName: PutEventSelectors\n  requestParameters.eventSelectors.includeManagementEvents: false\ncondition: s")
        #expect(!deep.contains("eventSelectors"), "\(deep)")
    }

    @Test("`and not` a filter becomes anything-but, or the field absent")
    func negation() {
        let t = text("s:\n  eventSource: iam.amazonaws.com\nf:\n  userIdentity.invokedBy: cloudformation.amazonaws.com\ncondition: s and not f")
        #expect(t.contains(#"{"anything-but":{"equals-ignore-case":["cloudformation.amazonaws.com"]}}"#), "\(t)")
        #expect(t.contains(#""$or":"#) && t.contains(#""invokedBy":[{"exists":false}]"#), "\(t)")
    }

    @Test("or-conditions and identity-type rules become $or branches; a branch covered by another is dropped")
    func alternatives() {
        let a = rule("a", "s:\n  userIdentity.type: Root\nt:\n  errorCode: AccessDenied\ncondition: s or t")
        let b = rule("b", "s:\n  userIdentity.type: Root\n  eventName: ConsoleLogin\ncondition: s")
        let c = compile([a, b])
        #expect(c.patterns.count == 1)
        let t = c.patterns[0].text
        #expect(t.contains(#""$or":[{"errorCode":["AccessDenied"]},{"userIdentity":{"type":["Root"]}}]"#), "\(t)")
        #expect(!t.contains("ConsoleLogin"), "b is covered by a's Root branch: \(t)")
        #expect(c.patterns[0].rules == ["a", "b"])
    }

    @Test("rules of one event source share a pattern; names merge")
    func grouping() {
        let a = rule("a", "s:\n  eventSource: iam.amazonaws.com\n  eventName: CreateUser\ncondition: s")
        let b = rule("b", "s:\n  eventSource: iam.amazonaws.com\n  eventName: [CreateAccessKey, CreateUser]\ncondition: s")
        let c = compile([a, b])
        #expect(c.patterns.map(\.name) == ["iam"])
        #expect(c.patterns[0].text.contains(#""eventName":["CreateAccessKey","CreateUser"]"#), "\(c.patterns[0].text)")
    }

    @Test("patterns stay within the size limit: long name lists split, sources pack together")
    func sizeLimit() {
        let names = (0..<200).map { "SomeRatherLongApiName\($0)" }.joined(separator: ", ")
        let big = rule("big", "s:\n  eventSource: ec2.amazonaws.com\n  eventName: [\(names)]\ncondition: s")
        let small = (0..<5).map { rule("s\($0)", "s:\n  eventSource: svc\($0).amazonaws.com\n  eventName: Op\ncondition: s") }
        let c = compile([big] + small, maxLength: 1024)
        for p in c.patterns { #expect(p.text.utf8.count <= 1024, "\(p.name): \(p.text.utf8.count)") }
        #expect(c.patterns.filter { $0.text.contains("SomeRatherLongApiName") }.count >= 4)
        let all = c.patterns.map(\.text).joined()
        for i in 0..<200 { #expect(all.contains("\"SomeRatherLongApiName\(i)\"")) }
        // The five small sources share patterns rather than one rule each.
        #expect(c.patterns.count < 5 + 8, "\(c.patterns.map(\.name))")
        #expect(Set(c.patterns.map(\.name)).count == c.patterns.count, "names must be unique")
        for p in c.patterns { #expect(p.name.count <= 23, "\(p.name) makes too long an EventBridge rule name") }
    }

    @Test("a rule no pattern can filter for is named and gets the fallback pattern alone")
    func fallback() {
        let keyword = rule("kw", "keywords: [mimikatz]\ncondition: keywords")
        let named = rule("named", "s:\n  eventName: CreateUser\ncondition: s")
        let c = compile([keyword, named])
        #expect(c.fallbacks.map(\.rule) == ["kw"])
        let fallback = c.patterns.filter(\.fallback)
        #expect(fallback.count == 1 && fallback[0].rules == ["kw"])
        #expect(fallback[0].text == #"{"detail-type":["AWS API Call via CloudTrail","AWS Console Signin via CloudTrail","AWS Console Action via CloudTrail","AWS Service Event via CloudTrail"]}"#)
        #expect(c.patterns.filter { !$0.fallback }.map(\.rules) == [["named"]])
        #expect(c.fileText.contains(#""rule":"kw""#))
    }

    @Test("a regex on a string field becomes the wildcard of its literal runs; one that keeps no literal, or is caseless on letters, is left out")
    func regexWildcard() {
        let t = text("s:\n  userIdentity.type: AssumedRole\n  userIdentity.arn|re: ':assumed-role/[^/]+/i-[0-9a-f]{8,17}$'\ncondition: s")
        #expect(t.contains(#""arn":[{"wildcard":"*:assumed-role/*/i-*"}]"#), "\(t)")
        let anchored = text("s:\n  eventName: X\n  userAgent|re: '^aws-cli/2\\.[0-9]+ a\\*b'\ncondition: s")
        #expect(anchored.contains(#""userAgent":[{"wildcard":"aws-cli/2.* a\\*b*"}]"#), "\(anchored)")
        let alternation = text("s:\n  eventName: X\n  userAgent|re: 'kali|parrot'\ncondition: s")
        #expect(!alternation.contains("userAgent"), "\(alternation)")
        // On a request parameter (which may hold a number or an object) no wildcard is written.
        let param = text("s:\n  eventName: X\n  requestParameters.name|re: 'prod-.*'\ncondition: s")
        #expect(!param.contains("prod-"), "\(param)")
    }

    @Test("branches that can match Describe/Get/List calls are packed into their own patterns, marked for read-only events")
    func readOnlyEvents() {
        let read = rule("read", "s:\n  eventSource: secretsmanager.amazonaws.com\n  eventName: GetSecretValue\ncondition: s")
        let write = rule("write", "s:\n  eventSource: secretsmanager.amazonaws.com\n  eventName: DeleteSecret\ncondition: s")
        let root = rule("root", "s:\n  userIdentity.type: Root\ncondition: s")
        let prefix = rule("enum", "s:\n  eventName|startswith: [Desc, List]\ncondition: s")
        let notRead = rule("writes-only", "s:\n  userIdentity.type: AWSAccount\n  readOnly: false\ncondition: s")
        let c = compile([read, write, root, prefix, notRead])
        let reads = c.patterns.filter(\.readOnlyEvents)
        #expect(Set(reads.flatMap(\.rules)) == ["read", "root", "enum"], "\(c.patterns.map { ($0.name, $0.rules, $0.readOnlyEvents) })")
        #expect(reads.allSatisfy { $0.name.hasPrefix("r-") })
        #expect(Set(c.patterns.filter { !$0.readOnlyEvents }.flatMap(\.rules)) == ["write", "writes-only"])
        #expect(c.fileText.contains(#""readOnlyEvents": true"#))
        #expect(c.samResources.contains("State: !If [ReceiveReadOnlyEvents, ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS, ENABLED]"))
    }

    @Test("disabled rules are left out")
    func disabled() {
        var r = rule("off", "s:\n  eventName: CreateUser\ncondition: s")
        r.enabled = false
        #expect(compile([r]).patterns.isEmpty)
    }

    @Test("the built-in catalog compiles to valid patterns within 2,048 characters")
    func catalog() throws {
        let c = compile(RuleCatalog.builtIn.rules)
        #expect(!c.patterns.isEmpty)
        for p in c.patterns {
            #expect(p.text.utf8.count <= 2048, "\(p.name)")
            #expect((try? JSONValue.parse(p.text)) != nil)
        }
        let covered = Set(c.patterns.flatMap(\.rules))
        // A sequence matches no event itself: its steps must be covered, and it must be in no pattern.
        for r in RuleCatalog.builtIn.rules where r.enabled {
            if let sequence = r.sequence {
                #expect(!covered.contains(r.id))
                for step in sequence.steps { #expect(covered.contains(step), "\(r.id)'s step \(step) is in no pattern") }
            } else {
                #expect(covered.contains(r.id), "\(r.id) is in no pattern")
            }
        }
    }
}
