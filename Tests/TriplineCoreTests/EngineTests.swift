import Testing
@testable import TriplineCore
import TriplineJSON
import TriplineRules

func rule(_ id: String, _ detection: String, extra: String = "") -> Rule {
    let yaml = "id: \(id)\ntitle: \(id) by {userIdentity.arn}\n\(extra)detection:\n"
        + detection.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
    let result = RuleLoader.load(text: yaml, path: "\(id).yml")
    precondition(result.rules.count == 1, "\(result.diagnostics)")
    return result.rules[0]
}

func event(_ name: String, source: String = "iam.amazonaws.com", id: String, time: String = "2025-03-01T12:00:00Z",
           extra: String = "") -> JSONDocument {
    let json = #"{"eventName":"\#(name)","eventSource":"\#(source)","eventID":"\#(id)","eventTime":"\#(time)","userIdentity":{"arn":"arn:aws:iam::1:user/bob","type":"IAMUser"},"sourceIPAddress":"203.0.113.9"\#(extra)}"#
    return try! JSONDocument(parsing: Array(json.utf8))
}

@Suite("Engine")
struct EngineTests {
    @Test("rules are indexed by the eventName or eventSource their detection requires")
    func indexing() {
        let byName = rule("n", "s:\n  eventName: [CreateUser, DeleteUser]\ncondition: s")
        let bySource = rule("src", "s:\n  eventSource: kms.amazonaws.com\ncondition: s")
        let orRule = rule("or", "a:\n  eventName: A\nb:\n  eventName: B\ncondition: a or b")
        let root = rule("root", "s:\n  userIdentity.type: Root\ncondition: s")
        let denied = rule("denied", "s:\n  errorCode|startswith: AccessDenied\n  userIdentity.type: IAMUser\ncondition: s")
        let negated = rule("neg", "s:\n  eventName: A\ncondition: not s")
        let reads = rule("reads", "s:\n  eventName|startswith: [Describe, List]\ncondition: s")
        let engine = Engine(rules: [byName, bySource, orRule, root, negated, denied, reads])
        #expect(engine.indexSummary.byName == 3)
        #expect(engine.indexSummary.bySource == 1)
        #expect(engine.indexSummary.byErrorCode == 1)
        #expect(engine.indexSummary.byIdentityType == 1)
        #expect(engine.indexSummary.global == 1)
        // Filed by identity type or error code, still case-insensitive, and only where the field is there.
        func ids(_ json: String) -> [String] {
            engine.matches(try! JSONDocument(parsing: Array(json.utf8))).map { engine.rules[$0].id }
        }
        #expect(ids(#"{"eventName":"X","userIdentity":{"type":"root"}}"#) == ["root", "neg"])
        #expect(ids(#"{"eventName":"X","errorCode":"AccessDeniedException","userIdentity":{"type":"IAMUser"}}"#) == ["neg", "denied"])
        #expect(ids(#"{"eventName":"X","userIdentity":{"type":"IAMUser"}}"#) == ["neg"])
        #expect(ids(#"{"eventName":"describeInstances"}"#) == ["neg", "reads"])
        #expect(ids(#"{"eventName":"List"}"#) == ["neg", "reads"])
        #expect(ids(#"{"eventName":"Lis"}"#) == ["neg"])
        #expect(ids(#"{"eventName":"GetObject"}"#) == ["neg"])
        #expect(ids(#"{"eventName":"X","errorCode":"AccessDenied","userIdentity":"Root"}"#) == ["neg"])
        // Index lookups are case-insensitive like Sigma matching.
        #expect(engine.matches(event("createuser", id: "1")).map { engine.rules[$0].id } == ["n", "neg"])
        #expect(engine.matches(event("B", id: "2")).map { engine.rules[$0].id } == ["or", "neg"])
        #expect(engine.matches(event("Decrypt", source: "kms.amazonaws.com", id: "3")).map { engine.rules[$0].id } == ["src", "neg"])
    }

    @Test("the index never changes results: indexed and brute-force evaluation agree")
    func indexIsSound() {
        let rules = RuleCatalog.builtIn.rules.filter(\.enabled)
        let engine = Engine(rules: rules)
        for r in rules {
            for t in r.tests {
                let doc = JSONDocument(t.event)
                let indexed = Set(engine.matches(doc).map { engine.rules[$0].id })
                let brute = Set(rules.filter { rule in doc.withView { rule.detection.matches($0) } }.map(\.id))
                #expect(indexed == brute, "rule \(r.id) test \(t.name)")
            }
        }
    }

    @Test("disabled rules do not run")
    func disabled() {
        let r = rule("off", "s:\n  eventName: A\ncondition: s", extra: "enabled: false\n")
        #expect(Engine(rules: [r]).rules.isEmpty)
    }

    @Test("findings carry actor, source, rendered title and input position")
    func findingFields() {
        let r = rule("f", "s:\n  eventName: CreateUser\ncondition: s")
        let doc = event("CreateUser", id: "abc", extra: #","recipientAccountId":"123456789012","awsRegion":"eu-west-1","requestParameters":{"userName":"eve"}"#)
        let finding = doc.withView { Finding(rule: r, view: $0, input: InputRef(path: "x.json", record: 3)) }
        #expect(finding.title == "f by arn:aws:iam::1:user/bob")
        #expect(finding.actor == "arn:aws:iam::1:user/bob")
        #expect(finding.accountID == "123456789012")
        #expect(finding.region == "eu-west-1")
        #expect(finding.sourceIP == "203.0.113.9")
        #expect(finding.epoch == EventTime.epochSeconds("2025-03-01T12:00:00Z"))
        #expect(finding.request.contains { $0.key == "requestParameters.userName" && $0.value == "eve" })
        #expect(finding.input.record == 3)
    }
}

@Suite("Aggregation")
struct AggregatorTests {
    func findings(_ r: Rule, _ docs: [JSONDocument]) -> [Finding] {
        docs.enumerated().map { k, d in d.withView { Finding(rule: r, view: $0, input: InputRef(path: "p", record: k)) } }
    }

    @Test("the same event twice is one finding")
    func sameEventOnce() {
        let r = rule("a", "s:\n  eventName: X\ncondition: s")
        let out = Aggregator(rules: [r]).aggregate(findings(r, [event("X", id: "1"), event("X", id: "1"), event("X", id: "2")]))
        #expect(out.count == 2)
    }

    @Test("dedup fields fold findings inside the window and open a new one after it")
    func dedupWindow() {
        let r = rule("d", "s:\n  eventName: X\ncondition: s", extra: "dedup: [userIdentity.arn]\ndedup_window: 10m\n")
        let docs = [
            event("X", id: "1", time: "2025-03-01T12:00:00Z"), event("X", id: "2", time: "2025-03-01T12:05:00Z"),
            event("X", id: "3", time: "2025-03-01T12:20:00Z"),
        ]
        let out = Aggregator(rules: [r]).aggregate(findings(r, docs.reversed()))  // order-independent
        #expect(out.count == 2)
        #expect(out.first { $0.eventID == "1" }?.count == 2)
        #expect(out.first { $0.eventID == "1" }?.lastEventTime == "2025-03-01T12:05:00Z")
    }

    @Test("thresholds alert only when enough events fall inside the window, per group")
    func thresholds() {
        let r = rule("t", "s:\n  eventName: ConsoleLogin\ncondition: s",
                     extra: "threshold: {count: 3, window: 5m, group_by: [sourceIPAddress]}\n")
        let spread = (0..<3).map { k in event("ConsoleLogin", id: "s\(k)", time: "2025-03-01T12:0\(k * 4):00Z") }
        #expect(Aggregator(rules: [r]).aggregate(findings(r, spread)).isEmpty)
        let burst = (0..<4).map { k in event("ConsoleLogin", id: "b\(k)", time: "2025-03-01T13:00:0\(k)Z") }
        let out = Aggregator(rules: [r]).aggregate(findings(r, burst))
        #expect(out.count == 1)
        #expect(out[0].count == 4)
    }
}

@Suite("Support")
struct SupportTests {
    @Test("event times parse without Foundation", arguments: [
        ("1970-01-01T00:00:00Z", 0), ("2025-03-01T12:34:56Z", 1_740_832_496), ("2024-02-29 23:59:59", 1_709_251_199),
        ("2025-03-01T12:34:56.789Z", 1_740_832_496),
    ])
    func eventTimes(text: String, epoch: Int) {
        #expect(EventTime.epochSeconds(text) == epoch)
        #expect(EventTime.epochSeconds(EventTime.iso8601(epoch)) == epoch)
    }

    @Test("bad times are nil", arguments: ["", "yesterday", "2025-13-01T00:00:00Z", "2025-03-01T25:00:00Z"])
    func badTimes(text: String) { #expect(EventTime.epochSeconds(text) == nil) }

    @Test("CIDR containment for v4, v6 and mapped addresses")
    func cidr() {
        #expect(IPNetwork("0.0.0.0/0")!.contains(IPAddress("8.8.8.8")!))
        #expect(!IPNetwork("0.0.0.0/0")!.contains(IPAddress("::1")!))
        #expect(IPNetwork("::/0")!.contains(IPAddress("2001:db8::1")!))
        #expect(IPNetwork("10.0.0.0/8")!.contains(IPAddress("::ffff:10.1.2.3")!))
        #expect(IPNetwork("192.168.1.0/24")!.contains(IPAddress("192.168.1.255")!))
        #expect(!IPNetwork("192.168.1.0/24")!.contains(IPAddress("192.168.2.0")!))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPAddress("256.1.1.1") == nil)
        #expect(IPAddress("1:2:3:4:5:6:7:8:9") == nil)
    }

    @Test("address text: every accepted form, and the near misses rejected", arguments: [
        ("1.2.3.4", "v4 01020304"), ("255.255.255.255", "v4 ffffffff"), ("010.0.0.1", "v4 0a000001"),
        ("::", "v6 0000000000000000 0000000000000000"), ("::1", "v6 0000000000000000 0000000000000001"),
        ("2001:db8::1", "v6 20010db800000000 0000000000000001"),
        ("1:2:3:4:5:6:7:8", "v6 0001000200030004 0005000600070008"),
        ("1:2:3:4:5:6:7::", "v6 0001000200030004 0005000600070000"),
        ("fe80::1%eth0", "v6 fe80000000000000 0000000000000001"), ("::ffff:10.1.2.3", "v4 0a010203"),
        ("64:ff9b::192.0.2.33", "v6 0064ff9b00000000 00000000c0000221"), ("ABCD::", "v6 abcd000000000000 0000000000000000"),
        ("", "nil"), ("AWS Internal", "nil"), ("1.2.3", "nil"), ("1.2.3.4.5", "nil"), ("1..2.3", "nil"),
        ("1.2.3.4.", "nil"), ("1234.1.1.1", "nil"), ("256.0.0.1", "nil"), ("1::2::3", "nil"), (":::", "nil"),
        (":1::", "nil"), ("12345::", "nil"), ("g::", "nil"), ("1:2:3:4:5:6:7:8::", "nil"), ("1:2:3:4:5:6:7", "nil"),
        ("ec2.amazonaws.com", "nil"), ("1.2.3.4:80", "nil"),
    ])
    func addressText(text: String, expected: String) {
        let described = IPAddress(text).map { a in
            func hex(_ v: UInt64, _ width: Int) -> String {
                let digits = String(v, radix: 16)
                return String(repeating: "0", count: width - digits.count) + digits
            }
            return a.isV6 ? "v6 \(hex(a.high, 16)) \(hex(a.low, 16))" : "v4 \(hex(a.low, 8))"
        } ?? "nil"
        #expect(described == expected)
    }

    @Test("title templates fill placeholders and keep literal braces")
    func titles() throws {
        let doc = try JSONDocument(parsing: Array(#"{"a":{"b":"x"}}"#.utf8))
        #expect(doc.withView { TitleTemplate.render("v={a.b} {{lit}} {missing}", view: $0) } == "v=x {lit}")
    }

    @Test("title placeholders take alternatives and a default, and leave out what is absent")
    func titleAlternatives() throws {
        let doc = try JSONDocument(parsing: Array(#"""
            {"requestParameters":{"roleName":"ops","userName":""},"userIdentity":{"type":"Root","accountId":"111122223333"}}
            """#.utf8))
        func render(_ t: String) -> String { doc.withView { TitleTemplate.render(t, view: $0) } }
        // An empty value counts as absent: the next alternative is taken.
        #expect(render("attached to {requestParameters.userName|requestParameters.roleName|requestParameters.groupName}")
            == "attached to ops")
        #expect(render("for {requestParameters.groupName|'a group'} by {@principal}")
            == "for a group by the root account of 111122223333")
        #expect(render("Key {requestParameters.keyId} deleted ({requestParameters.x})") == "Key deleted")
        #expect(!render("{a}unknown{b}").contains("{"))
        #expect(doc.withView { TitleTemplate.unfilled("{a|b} {requestParameters.roleName} {c|'d'}", view: $0) } == ["a|b"])
        #expect(TitleTemplate.placeholders("{a|b|'x'} {{lit}} {c}") == ["a", "b", "c"])
    }

    @Test("@principal names each kind of identity")
    func principalWords() throws {
        func describe(_ json: String) throws -> String? {
            try JSONDocument(parsing: Array(json.utf8)).withView { Principal.describe(view: $0, root: 0) }
        }
        #expect(try describe(#"{"userIdentity":{"type":"IAMUser","userName":"ci","arn":"arn:aws:iam::1:user/ci"}}"#) == "ci")
        #expect(try describe(#"{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s"}}"#) == "R/s")
        #expect(try describe(#"{"userIdentity":{"type":"AWSService","invokedBy":"backup.amazonaws.com"}}"#)
            == "backup.amazonaws.com")
        #expect(try describe(#"{"userIdentity":{"type":"Root"}}"#) == "the root account")
        #expect(try describe(#"{"eventName":"x"}"#) == nil)
    }
}

@Suite("Regex prefilter")
struct RegexPrefilterTests {
    @Test("required literals are found only where every match must contain them", arguments: [
        (":assumed-role/[^/]+/i-[0-9a-f]{8,17}$", [":assumed-role/", "/i-"]),
        ("^arn:aws:iam::[0-9]{12}:root$", ["arn:aws:iam::", ":root"]),
        ("abc?d", ["ab"]),
        ("(foo|bar)baz", ["baz"]),
        ("foo|bar", []),
        ("a\\.b\\d+cd", ["a.b", "cd"]),
        ("x(ab)*yz", ["yz"]),
        ("\\x41b", []),
        ("ab\\p{L}cd", []),
        // Inline options change what the rest means; non-ASCII characters also match their canonical equivalents.
        ("(?i)abc", []),
        ("(?x) a b c", []),
        ("(?:ab)cd", ["cd"]),
        ("caf\u{E9}s", ["caf"]),
        // A brace that opens no counted repeat is a literal: the alternation after it still counts.
        ("abcd{1x|c", []),
        ("ab{2}cd", ["cd"]),
        // Classes nest: the class ends at its own bracket.
        ("[[a]b]cd", ["cd"]),
        ("x[[:alpha:]]yz", ["yz"]),
    ])
    func literals(pattern: String, expected: [String]) throws {
        #expect(requiredRegexLiterals(pattern) == expected)
    }

    @Test("with case folding a k ends a run: it also matches the Kelvin sign")
    func kelvin() {
        #expect(requiredRegexLiterals("bucketkms", ignoreCase: true) == ["buc", "et", "ms"])
        #expect(requiredRegexLiterals("bucketkms") == ["bucketkms"])
    }

    @Test("values the prefilter's bytes would miss still match, as Swift's Regex says", arguments: [
        ("kms:Decrypt", true, "\u{212A}MS:DECRYPT"),
        ("(?i)stoplogging", false, "StopLogging"),
        ("caf\u{E9}", false, "cafe\u{301}"),
        ("\u{FFFD}k", true, "\u{FFFD}\u{212A}"),
        ("baba]bawba]{1\"|c", true, "bb?aba\u{1C}babac"),
        ("[[a]b]", false, "b"),
    ])
    func equivalents(pattern: String, ignoreCase: Bool, value: String) throws {
        var reference = try Regex(pattern)
        if ignoreCase { reference = reference.ignoresCase() }
        #expect((try reference.firstMatch(in: value)) != nil)
        #expect(try RegexBox(pattern, ignoreCase: ignoreCase, multiline: false, dotAll: false).matches(value))
    }

    @Test("a prefiltered regex still matches and still rejects")
    func behaviour() throws {
        let d = "s:\n  userIdentity.arn|re: ':assumed-role/[^/]+/i-[0-9a-f]{8,17}$'\ncondition: s"
        #expect(try fires(d, #"{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/web/i-0123456789abcdef0"}}"#))
        #expect(try !fires(d, #"{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/web/alice"}}"#))
        #expect(try !fires(d, #"{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/web/i-xyz"}}"#))
    }
}

@Suite("Threshold tally")
struct ThresholdTallyTests {
    @Test("tallied threshold matches give the same alerts as per-event findings")
    func sameAsFindings() {
        let r = rule("t", "s:\n  eventName: ConsoleLogin\ncondition: s",
                     extra: "threshold: {count: 3, window: 5m, group_by: [sourceIPAddress]}\n")
        let burst = (0..<4).map { k in event("ConsoleLogin", id: "b\(k)", time: "2025-03-01T13:00:0\(k)Z") }
            + [event("ConsoleLogin", id: "b1", time: "2025-03-01T13:00:01Z")]  // a duplicate delivery
            + (0..<2).map { k in event("ConsoleLogin", id: "late\(k)", time: "2025-03-01T15:00:0\(k)Z") }
        var tally = ThresholdTally()
        var other = ThresholdTally()
        for (k, d) in burst.enumerated() {
            d.withView { view in
                if k % 2 == 0 { tally.record(0, of: [r], view: view, root: 0, input: InputRef(path: "p", record: k)) }
                else { other.record(0, of: [r], view: view, root: 0, input: InputRef(path: "p", record: k)) }
            }
        }
        tally.merge(other)
        let alerts = tally.alerts(rules: [r])
        #expect(alerts.count == 1)
        #expect(alerts.first?.count == 4)
        #expect(alerts.first?.eventTime == "2025-03-01T13:00:00Z")
        #expect(alerts.first?.lastEventTime == "2025-03-01T13:00:03Z")
        let viaFindings = Aggregator(rules: [r]).aggregate(burst.enumerated().map { k, d in
            d.withView { Finding(rule: r, view: $0, input: InputRef(path: "p", record: k)) }
        })
        #expect(viaFindings.count == 1 && viaFindings.first?.count == 4)
    }
}
