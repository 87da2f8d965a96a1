import Foundation
import Testing
import TriplineTestSupport

/// The destination variables of deploy/terraform planned against moto: the function's environment carries one
/// TRIPLINE_DESTINATION_<NAME> per destination (secret ARNs, never values), and its role may read exactly the
/// secret ARNs given, decrypt with exactly the given key, import into this account's hub and put on that bus.
@Suite("Terraform destinations planned against moto", .serialized)
struct TerraformDestinationsPlanTests {
    @Test("environment and IAM scoped to the secrets given; nothing without them", .timeLimit(.minutes(10)))
    func destinations() async throws {
        let moto = try await MotoServer.shared()
        let stack = try DeployedStack.prepareSwitches(on: moto)
        defer { stack.removeWorkDir() }
        try await stack.terraform(["init", "-input=false", "-no-color"])
        let planned = stack
        @Sendable func plan(_ name: String, _ vars: [String]) async throws -> [String: [String: Any]] {
            let file = "\(name).tfplan"
            try await planned.terraform(["plan", "-lock=false", "-input=false", "-no-color", "-out=\(file)"] + vars.flatMap { ["-var", $0] })
            let show = try parseJSON(try await planned.terraform(["show", "-json", file]).stdout) as? [String: Any] ?? [:]
            var lint = PolicyLint()
            lint.scan(show)
            #expect(lint.findings.isEmpty, "\(name): over-broad IAM:\n\(lint.findings.map(\.description).sorted().joined(separator: "\n"))")
            return TerraformSwitchPlanTests.resources(show)
        }
        // Own key and topic: every value is known at plan time.
        let with = try await plan("with", ["with_destinations=true", "bring_your_own_key_and_topic=true"])
        let without = try await plan("without", ["bring_your_own_key_and_topic=true"])

        let env = ((with["module.tripline.aws_lambda_function.this"]?["environment"] as? [[String: Any]])?.first?["variables"] as? [String: String]) ?? [:]
        let names = env.keys.filter { $0.hasPrefix("TRIPLINE_DESTINATION_") }.sorted()
        #expect(names == ["TRIPLINE_DESTINATION_EVENTBRIDGE", "TRIPLINE_DESTINATION_PAGERDUTY", "TRIPLINE_DESTINATION_SECURITYHUB",
                          "TRIPLINE_DESTINATION_SLACK", "TRIPLINE_DESTINATION_SNS", "TRIPLINE_DESTINATION_WEBHOOK"])
        let pager = try parseJSON(env["TRIPLINE_DESTINATION_PAGERDUTY"] ?? "") as? [String: Any] ?? [:]
        #expect(pager["routing_key"] as? String == "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tripline/pagerduty-AbCdEf")
        #expect((pager["route"] as? [String: Any])?["min_severity"] as? String == "critical")
        let sns = try parseJSON(env["TRIPLINE_DESTINATION_SNS"] ?? "") as? [String: Any] ?? [:]
        #expect(sns["topic_arn"] as? String == "arn:aws:sns:eu-west-1:123456789012:secops-alerts", "the topic stays a destination")

        let policyText = with["module.tripline.aws_iam_role_policy.destinations[0]"]?["policy"] as? String ?? ""
        let policy = try parseJSON(policyText) as? [String: Any] ?? [:]
        var grants: [String: Set<String>] = [:]
        for statement in policy["Statement"] as? [[String: Any]] ?? [] {
            let actions = (statement["Action"] as? [String]) ?? [(statement["Action"] as? String) ?? ""]
            let resources = (statement["Resource"] as? [String]) ?? [(statement["Resource"] as? String) ?? ""]
            for a in actions { grants[a, default: []].formUnion(resources) }
        }
        #expect(grants == [
            "ssm:GetParameter": ["arn:aws:ssm:eu-west-1:123456789012:parameter/tripline/slack-url", "arn:aws:ssm:eu-west-1:123456789012:parameter/tripline/siem-key"],
            "secretsmanager:GetSecretValue": [
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tripline/pagerduty-AbCdEf",
                "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tripline/siem-url-GhIjKl",
            ],
            "kms:Decrypt": ["arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"],
            "securityhub:BatchImportFindings": ["arn:aws:securityhub:eu-west-1:123456789012:product/123456789012/default"],
            "events:PutEvents": ["arn:aws:events:eu-west-1:123456789012:event-bus/security"],
        ], "\(policyText)")

        #expect(without["module.tripline.aws_iam_role_policy.destinations[0]"] == nil)
        let plain = ((without["module.tripline.aws_lambda_function.this"]?["environment"] as? [[String: Any]])?.first?["variables"] as? [String: String]) ?? [:]
        #expect(!plain.keys.contains { $0.hasPrefix("TRIPLINE_DESTINATION") } && plain["ALERT_SNS_ARN"] != nil)
    }
}
