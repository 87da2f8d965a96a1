import Testing
import TriplineConfig
import TriplineCore

@Suite("Configuration: destinations and routes")
struct DestinationConfigTests {
    func read(_ yaml: String) -> (Configuration, [String]) {
        let (c, d) = Configuration.parse(yaml: yaml, path: "tripline.yml")
        return (c, d.map(\.description))
    }

    @Test("every type reads its settings, secret references and route")
    func reads() {
        let (c, problems) = read("""
            destinations:
              - name: oncall
                type: pagerduty
                routing_key: ssm:/tripline/pagerduty
                auto_resolve: false
                route:
                  min_severity: high
                  rules: [tripline.iam.*, tag:attack.persistence]
                  accounts: ["111122223333"]
              - name: chat
                type: slack
                webhook_url: env:SLACK_WEBHOOK_URL
              - type: teams
                webhook_url: secretsmanager:tripline/teams#url
              - name: siem
                type: webhook
                url: arn:aws:secretsmanager:eu-west-1:111122223333:secret:hook-AbCdEf
                signing_key: arn:aws:ssm:eu-west-1:111122223333:parameter/tripline/hook-key
              - type: securityhub
                account_id: "111122223333"
              - type: eventbridge
                event_bus: security
              - type: sns
                topic_arn: arn:aws:sns:us-east-1:111122223333:alerts
            """)
        #expect(problems == [])
        #expect(c.destinations.map(\.name) == ["oncall", "chat", "teams", "siem", "securityhub", "eventbridge", "sns"])
        let oncall = c.destinations[0]
        #expect(oncall.kind == .pagerduty && oncall.secrets == ["routing_key": "ssm:/tripline/pagerduty"])
        #expect(oncall.settings == ["auto_resolve": "false"] && oncall.location == "tripline.yml:2")
        #expect(oncall.route.minimumSeverity == .high && oncall.route.accounts == ["111122223333"])
        #expect(c.destinations[3].secrets["signing_key"] == "arn:aws:ssm:eu-west-1:111122223333:parameter/tripline/hook-key")
        #expect(c.destinations[5].settings == ["event_bus": "security"])
    }

    @Test("routes: minimum severity, rule ids, globs and tags, accounts; empty matches everything")
    func routes() {
        let route = DestinationRoute(
            minimumSeverity: .high, rules: [RuleSelector("tripline.iam.*"), RuleSelector("tag:attack.t1078*")],
            accounts: ["111122223333"])
        #expect(route.matches(ruleID: "tripline.iam.root-login", tags: [], severity: .high, accountID: "111122223333"))
        #expect(route.matches(ruleID: "tripline.s3.x", tags: ["attack.t1078.004"], severity: .critical, accountID: "111122223333"))
        #expect(!route.matches(ruleID: "tripline.iam.root-login", tags: [], severity: .medium, accountID: "111122223333"))
        #expect(!route.matches(ruleID: "tripline.s3.x", tags: ["attack.discovery"], severity: .high, accountID: "111122223333"))
        #expect(!route.matches(ruleID: "tripline.iam.root-login", tags: [], severity: .high, accountID: "444455556666"))
        #expect(DestinationRoute().matches(ruleID: "any", tags: [], severity: .info, accountID: ""))
    }

    @Test("errors name file and line; a secret written as a value is refused without being echoed")
    func errors() {
        let (c, problems) = read("""
            destinations:
              - name: chat
                type: slack
                webhook_url: https://hooks.slack.com/services/T000/B000/SENTINEL-SECRET
              - name: chat
                type: teams
                webhook_url: env:TEAMS
              - type: carrier-pigeon
              - name: bad name
                type: pagerduty
              - type: sns
                topic_arn: arn:aws:sns:us-east-1:111122223333:t
                colour: red
                route:
                  min_severity: urgent
                  accounts: ["12345"]
                  channels: x
              - type: securityhub
            """)
        #expect(c.destinations.map(\.name) == ["chat"])
        #expect(problems == [
            "tripline.yml:4: error: webhook_url must be a secret reference (env:NAME, ssm:/parameter/name, secretsmanager:name[#key] or an SSM / Secrets Manager ARN), not a value; the 58 characters given are not shown",
            "tripline.yml:8: error: unknown destination type 'carrier-pigeon' (slack, teams, pagerduty, webhook, securityhub, eventbridge, sns)",
            "tripline.yml:9: error: destination name 'bad name' must be 1 to 64 letters, digits, '-' or '_'",
            "tripline.yml:9: error: a pagerduty destination needs routing_key: (a secret reference)",
            "tripline.yml:13: error: unknown key 'colour' in a sns destination (name, type, route, topic_arn, region)",
            "tripline.yml:15: error: min_severity must be one of info, low, medium, high, critical",
            "tripline.yml:16: error: account '12345' is not a 12-digit AWS account id (quote ids that start with 0)",
            "tripline.yml:17: error: unknown key 'channels' in route (min_severity, rules, accounts)",
            "tripline.yml:18: error: a securityhub destination needs account_id:",
        ])
        #expect(!problems.joined().contains("SENTINEL"))
    }

    @Test("duplicate names are an error at the second entry")
    func duplicates() {
        let (c, problems) = read("""
            destinations:
              - {name: a, type: slack, webhook_url: "env:A"}
              - {name: a, type: teams, webhook_url: "env:B"}
            """)
        #expect(c.destinations.map(\.kind) == [.slack])
        #expect(problems == ["tripline.yml:3: error: duplicate destination name 'a': each destination needs its own name"])
    }

    @Test("TRIPLINE_DESTINATIONS: the list alone, as JSON")
    func environmentForm() {
        let (list, problems) = Configuration.parseDestinations(yaml: """
            [{"name":"chat","type":"slack","webhook_url":"ssm:/tripline/slack","route":{"min_severity":"high"}},
             {"name":"bus","type":"eventbridge"}]
            """)
        #expect(problems.isEmpty)
        #expect(list.map(\.name) == ["chat", "bus"] && list[0].route.minimumSeverity == .high)
        let (_, bad) = Configuration.parseDestinations(yaml: #"[{"type":"slack","webhook_url":"xoxb-SENTINEL"}]"#)
        #expect(bad.map(\.description).first?.hasPrefix("TRIPLINE_DESTINATIONS:1: error: webhook_url must be a secret reference") == true)
        #expect(!bad.map(\.description).joined().contains("SENTINEL"))
    }
}
