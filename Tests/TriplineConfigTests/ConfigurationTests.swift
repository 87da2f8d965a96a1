import Testing
import TriplineConfig
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineRules

/// 2026-06-15T00:00:00Z: "now" for expiry, injected.
let june15 = EventTime.epochSeconds("2026-06-15T00:00:00Z")!

func rules(_ yaml: String, lists: NamedLists? = nil) -> RuleLoadResult {
    RuleLoader.load(text: yaml, path: "extra.yml", tests: false, lists: lists)
}

let deployRule = """
    id: test.lambda.code-updated
    title: Lambda code updated
    severity: high
    tags: [attack.persistence]
    detection:
      s:
        eventName: UpdateFunctionCode20150331v2
      condition: s
    ---
    id: test.iam.admin-attached
    title: Admin attached
    severity: high
    tags: [attack.privilege-escalation]
    detection:
      s:
        eventName: AttachUserPolicy
      condition: s
    """

func event(_ name: String, arn: String, ip: String = "203.0.113.9", agent: String = "aws-cli/2.15",
           account: String = "111122223333", region: String = "eu-west-1", id: String) -> String {
    #"{"eventVersion":"1.09","eventName":"\#(name)","eventSource":"x.amazonaws.com","eventID":"\#(id)","eventTime":"2026-06-01T10:00:00Z","recipientAccountId":"\#(account)","awsRegion":"\#(region)","sourceIPAddress":"\#(ip)","userAgent":"\#(agent)","userIdentity":{"type":"AssumedRole","arn":"\#(arn)","sessionContext":{"sessionIssuer":{"arn":"\#(arn.replacingOccurrences(of: "sts::", with: "iam::").replacingOccurrences(of: "assumed-role", with: "role"))"}}}}"#
}

extension String {
    func replacingOccurrences(of a: String, with b: String) -> String { split(separator: a, omittingEmptySubsequences: false).joined(separator: b) }
}

/// Runs `events` through the tuned rules as a scan does: what alerts (rule ids) and what was suppressed (by label).
func run(_ config: Configuration, _ loaded: RuleLoadResult, _ events: [String], now: Int = june15)
    -> (alerts: [String], suppressed: [String: Int], tuned: TunedRules)
{
    let tuned = config.apply(to: loaded.rules, filters: loaded.filters, now: now)
    let engine = Engine(rules: tuned.rules, suppressors: tuned.suppressors)
    var processor = EventProcessor(engine: engine)
    var findings: [Finding] = []
    var problems: [InputProblem] = []
    var stats = ScanStats()
    let text = events.joined(separator: "\n")
    Array(text.utf8).withUnsafeBufferPointer { p in
        _ = processor.process(p, path: "events.jsonl", findings: &findings, problems: &problems, stats: &stats)
    }
    var suppressed: [String: Int] = [:]
    for (s, n) in stats.suppressed { suppressed[engine.suppression.suppressors[s].label, default: 0] += n }
    let tally = processor.takeSuppressed()
    #expect(tally.matches == stats.suppressed)
    return (findings.map(\.ruleID).sorted(), suppressed, tuned)
}

func parse(_ yaml: String) -> (Configuration, [RuleDiagnostic]) { Configuration.parse(yaml: yaml, path: "tripline.yml") }

@Suite("Configuration")
struct ConfigurationTests {
    @Test("allow-lists suppress only matches that fit every criterion, counted by entry")
    func allowList() {
        let (config, diagnostics) = parse("""
            lists:
              ci_roles: ["arn:aws:iam::*:role/ci-*"]
            tuning:
              allow:
                - name: CI deploys
                  rules: [test.lambda.*]
                  principals: ["%ci_roles%"]
                  source_addresses: [203.0.113.0/24, codebuild.amazonaws.com]
                  reason: the pipeline deploys Lambda code
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let loaded = rules(deployRule)
        let ci = "arn:aws:sts::111122223333:assumed-role/ci-deploy/build-42"
        let r = run(config, loaded, [
            event("UpdateFunctionCode20150331v2", arn: ci, id: "1"),  // suppressed (role via session issuer, CIDR)
            event("UpdateFunctionCode20150331v2", arn: ci, ip: "codebuild.amazonaws.com", id: "2"),  // suppressed (name)
            event("UpdateFunctionCode20150331v2", arn: ci, ip: "198.51.100.7", id: "3"),  // other address: alerts
            event("UpdateFunctionCode20150331v2", arn: "arn:aws:sts::111122223333:assumed-role/admin/x", id: "4"),  // alerts
            event("AttachUserPolicy", arn: ci, id: "5"),  // another rule: alerts
        ])
        #expect(r.alerts == ["test.iam.admin-attached", "test.lambda.code-updated", "test.lambda.code-updated"])
        #expect(r.suppressed == ["allow 'CI deploys' (tripline.yml:5)": 2])
    }

    @Test("accounts, user agent globs and regions; an entry without rules applies to every rule")
    func otherCriteria() {
        let (config, diagnostics) = parse("""
            tuning:
              allow:
                - accounts: ["444455556666"]
                  reason: sandbox account
                - user_agents: ["*Terraform/*"]
                  regions: [eu-west-1]
                  reason: terraform in our home region
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let arn = "arn:aws:sts::1:assumed-role/admin/x"
        let r = run(config, rules(deployRule), [
            event("AttachUserPolicy", arn: arn, account: "444455556666", id: "1"),
            event("AttachUserPolicy", arn: arn, agent: "APN/1.0 HashiCorp/1.0 Terraform/1.7.4", id: "2"),
            event("AttachUserPolicy", arn: arn, agent: "APN/1.0 HashiCorp/1.0 Terraform/1.7.4", region: "us-east-1", id: "3"),
            event("AttachUserPolicy", arn: arn, id: "4"),
        ])
        #expect(r.alerts == ["test.iam.admin-attached", "test.iam.admin-attached"])
        #expect(r.suppressed.values.sorted() == [1, 1])
    }

    @Test("disable and severity by id, glob and tag; a disabled rule is not compiled")
    func ruleTuning() {
        let (config, diagnostics) = parse("""
            tuning:
              rules:
                - rule: test.lambda.code-updated
                  disable: true
                  reason: we deploy all day
                - rule: tag:attack.privilege-*
                  severity: low
                  reason: reviewed weekly instead
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let r = run(config, rules(deployRule), [
            event("UpdateFunctionCode20150331v2", arn: "a", id: "1"), event("AttachUserPolicy", arn: "a", id: "2"),
        ])
        #expect(r.alerts == ["test.iam.admin-attached"])
        #expect(r.tuned.disabled.map(\.ruleID) == ["test.lambda.code-updated"])
        #expect(r.tuned.rules.first { $0.id == "test.iam.admin-attached" }?.severity == .low)
        #expect(Engine(rules: r.tuned.rules).rules.map(\.id) == ["test.iam.admin-attached"])
    }

    @Test("expired entries are warned about and not applied; soon-expiring ones warned and applied")
    func expiry() {
        let (config, diagnostics) = parse("""
            tuning:
              rules:
                - rule: test.lambda.code-updated
                  disable: true
                  reason: migration week
                  expires: 2026-06-14
                - rule: test.iam.admin-attached
                  disable: true
                  reason: onboarding
                  expires: 2026-06-20
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let loaded = rules(deployRule)
        let r = run(config, loaded, [event("UpdateFunctionCode20150331v2", arn: "a", id: "1"), event("AttachUserPolicy", arn: "a", id: "2")])
        #expect(r.alerts == ["test.lambda.code-updated"])
        #expect(r.tuned.diagnostics.map(\.description) == [
            "tripline.yml:3: warning: expired on 2026-06-14; not applied (migration week)",
            "tripline.yml:7: warning: expires on 2026-06-20, in 6 day(s) (onboarding)",
        ])
        // The last day still applies; the next second it does not.
        let lastSecond = EventTime.epochSeconds("2026-06-14T23:59:59Z")!
        #expect(run(config, loaded, [event("UpdateFunctionCode20150331v2", arn: "a", id: "1")], now: lastSecond).alerts.isEmpty)
        #expect(run(config, loaded, [event("UpdateFunctionCode20150331v2", arn: "a", id: "1")], now: lastSecond + 1).alerts.count == 1)
    }

    @Test("Sigma filters from rule files and from the configuration, with |expand")
    func filters() {
        let (config, diagnostics) = parse("""
            lists:
              admins: ["arn:aws:sts::*:assumed-role/break-glass/*"]
            tuning:
              filters:
                - title: Break-glass sessions attach policies
                  reason: the break-glass procedure attaches admin on purpose
                  filter:
                    rules: [test.iam.admin-attached]
                    glass:
                      userIdentity.arn|expand: '%admins%'
                    condition: not glass
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics)")
        let file = deployRule + """

            ---
            title: Deploys from the build network
            id: 5c0e2a4e-0000-4000-8000-000000000001
            logsource: {product: aws, service: cloudtrail}
            filter:
              rules: [test.lambda.code-updated]
              net:
                sourceIPAddress|cidr: 10.0.0.0/8
              condition: not net
            """
        let loaded = rules(file, lists: config.lists)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        #expect(loaded.filters.count == 1)
        let r = run(config, loaded, [
            event("UpdateFunctionCode20150331v2", arn: "a", ip: "10.1.2.3", id: "1"),
            event("UpdateFunctionCode20150331v2", arn: "a", ip: "198.51.100.1", id: "2"),
            event("AttachUserPolicy", arn: "arn:aws:sts::1:assumed-role/break-glass/alice", id: "3"),
            event("AttachUserPolicy", arn: "arn:aws:sts::1:assumed-role/dev/alice", id: "4"),
        ])
        #expect(r.alerts == ["test.iam.admin-attached", "test.lambda.code-updated"])
        #expect(r.suppressed == [
            "filter 'Deploys from the build network' (extra.yml:19)": 1,
            "filter 'Break-glass sessions attach policies' (tripline.yml:5)": 1,
        ])
    }

    @Test("|expand in rules: every item of the list, also inside a value; unknown lists are located errors")
    func expand() {
        let rule = """
            id: test.expand
            title: t
            detection:
              s:
                eventName: GetObject
                userIdentity.arn|expand: 'arn:aws:iam::%accounts%:root'
              condition: s
            """
        let ok = rules(rule, lists: ["accounts": ["111122223333", "444455556666"]])
        #expect(ok.diagnostics.isEmpty)
        let engine = Engine(rules: ok.rules)
        func fires(_ arn: String) -> Bool {
            !engine.matches(try! JSONDocument(parsing: Array(#"{"eventName":"GetObject","userIdentity":{"arn":"\#(arn)"}}"#.utf8))).isEmpty
        }
        #expect(fires("arn:aws:iam::444455556666:root"))
        #expect(fires("arn:aws:iam::111122223333:root"))
        #expect(!fires("arn:aws:iam::999999999999:root"))
        #expect(rules(rule, lists: ["other": []]).diagnostics.map(\.description) == [
            "extra.yml:6: error: [test.expand] unknown placeholder %accounts% in 'userIdentity.arn|expand': no list named 'accounts' in the configuration",
        ])
        #expect(rules(rule).errors.first?.line == 6)
    }

    @Test("every problem has file and line")
    func problems() {
        let (_, diagnostics) = parse("""
            accounts:
              "12345": short
            tuning:
              rules:
                - rule: x
                  disable: maybe
                  reason: r
                - rule: y
                  severity: low
              allow:
                - principals: ["%nolist%"]
                  reason: r
                - reason: nothing to compare
                  expires: next week
              bogus: 1
            routes:
              - sns: arn
            extra: 1
            """)
        #expect(diagnostics.map(\.description) == [
            "tripline.yml:2: error: account '12345' is not a 12-digit AWS account id (quote ids that start with 0)",
            "tripline.yml:6: error: disable must be true or false",
            "tripline.yml:5: error: a tuning.rules entry must disable the rule or set its severity",
            "tripline.yml:8: error: every tuning entry needs a reason: why is this expected?",
            "tripline.yml:11: error: unknown placeholder %nolist% in principals: no list named 'nolist'",
            "tripline.yml:11: error: principals is empty: an allow-list entry with nothing to compare allows nothing",
            "tripline.yml:13: error: an allow-list entry needs at least one of accounts, principals, source_addresses, user_agents, regions (to turn a rule off, use tuning.rules with disable: true)",
            "tripline.yml:14: error: expires must be a date such as 2026-12-31",
            "tripline.yml:15: error: unknown key 'bogus' in tuning (rules, allow, filters)",
            "tripline.yml:16: warning: section 'routes' is reserved for a later version of Tripline and is not read by this one",
            "tripline.yml:18: error: unknown section 'extra' (sections: accounts, destinations, lists, tuning, version)",
        ])
        #expect(parse("tuning: [\n").1.first?.line ?? 0 >= 1)
    }

    @Test("selectors that name no rule are warned about")
    func unmatched() {
        let (config, _) = parse("""
            tuning:
              rules:
                - rule: test.lambda.code-udpated
                  severity: low
                  reason: typo
            """)
        let tuned = config.apply(to: rules(deployRule).rules, now: june15)
        #expect(tuned.diagnostics.map(\.description) == ["tripline.yml:3: warning: 'test.lambda.code-udpated' names no loaded rule"])
    }

    @Test("filters target rules by Sigma name too; a filter whose target is missing is warned about")
    func filterTargets() {
        let file = """
            id: 8f1c3a52-0000-4000-8000-000000000002
            name: lambda_code_updated
            title: Lambda code updated
            detection:
              s:
                eventName: UpdateFunctionCode20150331v2
              condition: s
            ---
            title: Only outside the build account
            filter:
              rules: [lambda_code_updated, no_such_rule]
              build:
                recipientAccountId: '999988887777'
              condition: not build
            """
        let loaded = rules(file)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let r = run(Configuration(path: ""), loaded, [
            event("UpdateFunctionCode20150331v2", arn: "a", account: "999988887777", id: "1"),
            event("UpdateFunctionCode20150331v2", arn: "a", account: "111122223333", id: "2"),
        ])
        #expect(r.alerts == ["8f1c3a52-0000-4000-8000-000000000002"])
        #expect(r.suppressed.values.sorted() == [1])
        #expect(r.tuned.diagnostics.map(\.description) == [
            "extra.yml:9: warning: filter 'Only outside the build account' targets 'no_such_rule', which is no loaded rule",
        ])
    }

    @Test("rule selector globs")
    func globs() {
        #expect(Glob.matches("tripline.iam.*", "tripline.iam.user-created"))
        #expect(Glob.matches("*.iam.*", "tripline.IAM.x"))
        #expect(Glob.matches("tripline.?am.x", "tripline.iam.x"))
        #expect(!Glob.matches("tripline.iam.*", "tripline.s3.x"))
        #expect(!Glob.matches("tripline.iam", "tripline.iam.x"))
        #expect(Glob.matches("a*b*c", "aXXbYYc") && !Glob.matches("a*b*c", "aXXbYY"))
    }

    @Test("expiry dates are real dates")
    func dates() {
        #expect(Expiry("2026-02-28") != nil)
        #expect(Expiry("2026-02-30") == nil)
        #expect(Expiry("2026-2-3") == nil)
        #expect(Expiry("tomorrow") == nil)
        #expect(Expiry("2026-12-31")!.end == EventTime.epochSeconds("2027-01-01T00:00:00Z")!)
    }
}
