import Foundation
import Testing
import TriplineTestSupport

/// Plans (never applies) deploy/terraform/examples/moto-switches against moto_server for the switch combinations:
/// organisation trail, an existing bucket in a log-archive account, forwarding off / global / every region, the
/// fallback pattern, bring-your-own key and topic, reserved concurrency, another partition. One init, plans two at
/// a time: about a minute in all.
@Suite("Terraform switch combinations planned against moto", .serialized)
struct TerraformSwitchPlanTests {
    /// Resources in a `terraform show -json` plan, child modules included: address → planned values.
    static func resources(_ plan: [String: Any]) -> [String: [String: Any]] {
        var out: [String: [String: Any]] = [:]
        func walk(_ module: [String: Any]) {
            for r in module["resources"] as? [[String: Any]] ?? [] {
                if let address = r["address"] as? String { out[address] = r["values"] as? [String: Any] ?? [:] }
            }
            for child in module["child_modules"] as? [[String: Any]] ?? [] { walk(child) }
        }
        walk(((plan["planned_values"] as? [String: Any])?["root_module"] as? [String: Any]) ?? [:])
        return out
    }

    /// The statements of a policy JSON string, by Sid; single actions, resources and condition values as arrays.
    static func statements(_ policy: Any?) -> [String: [String: Any]] {
        guard let text = policy as? String, let doc = try? parseJSON(text) as? [String: Any] else { return [:] }
        var out: [String: [String: Any]] = [:]
        for s in doc["Statement"] as? [[String: Any]] ?? [] { out[s["Sid"] as? String ?? "?"] = s }
        return out
    }

    static func list(_ value: Any?) -> [String] { (value as? [String]) ?? (value as? String).map { [$0] } ?? [] }

    /// `Condition.<test>.<key>` of a statement, as a set.
    static func condition(_ statement: [String: Any]?, _ test: String, _ key: String) -> Set<String> {
        Set(list(((statement?["Condition"] as? [String: Any])?[test] as? [String: Any])?[key]))
    }

    static func environment(_ r: [String: [String: Any]]) -> [String: String] {
        ((r["module.tripline.aws_lambda_function.this"]?["environment"] as? [[String: Any]])?.first?["variables"] as? [String: String]) ?? [:]
    }

    static func committedPatterns() throws -> (regular: [String], fallback: [String], readOnly: Set<String>) {
        let file = try parseJSON(String(contentsOf: repositoryRoot.appendingPathComponent("deploy/eventbridge-patterns.json"), encoding: .utf8))
        let patterns = (file as? [String: Any])?["patterns"] as? [[String: Any]] ?? []
        let names = { (fallback: Bool) in patterns.filter { ($0["fallback"] as? Bool ?? false) == fallback }.compactMap { $0["name"] as? String } }
        let readOnly = patterns.filter { $0["readOnlyEvents"] as? Bool == true }.compactMap { $0["name"] as? String }
        return (names(false), names(true), Set(readOnly))
    }

    /// `prefix["name"]` resources' states by name.
    static func ruleStates(_ resources: [String: [String: Any]], _ prefix: String) -> [String: String] {
        var out: [String: String] = [:]
        for (key, r) in resources where key.hasPrefix(prefix + "[\"") {
            out[String(key.dropFirst(prefix.count + 2).dropLast(2))] = r["state"] as? String ?? "(unset)"
        }
        return out
    }

    @Test("organisation trail, log-archive bucket, forwarding, fallback, own key and topic, concurrency, partition", .timeLimit(.minutes(10)))
    func switchCombinations() async throws {
        let moto = try await MotoServer.shared()
        let stack = try DeployedStack.prepareSwitches(on: moto)
        defer { stack.removeWorkDir() }
        try await stack.terraform(["init", "-input=false", "-no-color"])
        let patterns = try Self.committedPatterns()
        #expect(patterns.regular.count >= 2, "several patterns expected")

        let planned = stack
        @Sendable func plan(_ name: String, _ vars: [String]) async throws -> String {
            let file = "\(name).tfplan"
            try await planned.terraform(["plan", "-lock=false", "-input=false", "-no-color", "-out=\(file)"] + vars.flatMap { ["-var", $0] })
            return try await planned.terraform(["show", "-json", file]).stdout
        }
        func resources(_ name: String, _ json: String) throws -> [String: [String: Any]] {
            let show = try parseJSON(json) as? [String: Any] ?? [:]
            var lint = PolicyLint()
            lint.scan(show)
            #expect(lint.findings.isEmpty, "\(name): over-broad IAM:\n\(lint.findings.map(\.description).sorted().joined(separator: "\n"))")
            return Self.resources(show)
        }

        async let orgPlan = plan("org", [
            "is_organization_trail=true", "forwarding=global", "reserved_concurrent_executions=10",
            #"poll_regions=["us-east-1","eu-west-1"]"#, "config_location=s3://tripline-config-eu/prod/tripline.yml",
            "config_kms_key_arn=arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333",
        ])
        async let crossPlan = plan("cross", [
            "cross_account_bucket=true", "forwarding=all", "eventbridge_fallback_pattern=true", "eventbridge_read_only_events=true", "bring_your_own_key_and_topic=true",
            #"poll_regions=["eu-west-1","ap-southeast-2"]"#, "config_location=ssm:/tripline/switches/config",
        ])
        let org = try resources("org", try await orgPlan)
        let cross = try resources("cross", try await crossPlan)

        // Organisation trail in eu-west-1: ARNs from the provider's region, members' prefix admitted, log files
        // (never digests) announced through EventBridge, global events forwarded from us-east-1.
        let trail = try #require(org["module.tripline.aws_cloudtrail.this[0]"])
        #expect(trail["is_organization_trail"] as? Bool == true)
        let bucketPolicy = org["module.tripline.aws_s3_bucket_policy.trail[0]"]?["policy"] as? String ?? ""
        #expect(bucketPolicy.contains("AWSLogs/o-exampleorg1/*") && bucketPolicy.contains(":cloudtrail:eu-west-1:"), "\(bucketPolicy)")
        let orgRule = org["module.tripline.aws_cloudwatch_event_rule.org_log_files[0]"]?["event_pattern"] as? String ?? ""
        #expect(orgRule.contains("AWSLogs/o-exampleorg1/*/CloudTrail/*.json.gz"), "\(orgRule)")
        #expect(org["module.tripline.aws_s3_bucket_notification.trail[0]"]?["eventbridge"] as? Bool == true)
        let ingestPolicy = org["module.tripline.aws_sqs_queue.ingest[0]"]?["policy"] as? String ?? ""
        #expect(ingestPolicy.contains("events.amazonaws.com") && ingestPolicy.contains("arn:aws:sqs:eu-west-1:"), "\(ingestPolicy)")
        // (The key and role policies name the role and table ARNs: unknown until apply, linted in the apply test.)
        let forward = org.filter { $0.key.hasPrefix("module.forward_us_east_1[0].aws_cloudwatch_event_rule.forward") }
        #expect(forward.count == 1 && (forward.first?.value["event_pattern"] as? String)?.contains("iam.amazonaws.com") == true, "\(forward.keys)")
        let forwardTarget = org.first { $0.key.hasPrefix("module.forward_us_east_1[0].aws_cloudwatch_event_target.forward") }?.value
        #expect(forwardTarget?["arn"] as? String == "arn:aws:events:eu-west-1:123456789012:event-bus/default")
        #expect(org["module.tripline.aws_lambda_function.this"]?["reserved_concurrent_executions"] as? Int == 10)
        let scaling = org["module.tripline.aws_lambda_event_source_mapping.ingest[0]"]?["scaling_config"] as? [[String: Any]]
        #expect(scaling?.first?["maximum_concurrency"] as? Int == 10, "the mapping must not outrun reserved concurrency")
        #expect(org["module.tripline.aws_iam_role.lambda"]?["path"] as? String == "/security/")
        #expect(org["module.tripline.aws_iam_role_policy.trail_reader[\"incident-responders\"]"] != nil)
        let home = Set(org.keys.filter { $0.hasPrefix("module.tripline.aws_cloudwatch_event_rule.cloudtrail[") })
        #expect(home.count == patterns.regular.count, "one rule per pattern, no fallback with S3 ingestion: \(home.sorted())")
        // Polling two regions and an S3 configuration under a customer key: LookupEvents only there, exactly that
        // object, the key only through S3 in the home region. (The environment holds the topic ARN, unknown until
        // apply here: it is checked in the plan with your own topic below.)
        let orgReads = Self.statements(org["module.tripline.aws_iam_role_policy.polling_and_configuration[0]"]?["policy"])
        #expect(Set(orgReads.keys) == ["PollCloudTrail", "ReadConfiguration", "DecryptConfiguration"], "\(orgReads.keys)")
        #expect(Self.list(orgReads["PollCloudTrail"]?["Action"]) == ["cloudtrail:LookupEvents"])
        #expect(Self.condition(orgReads["PollCloudTrail"], "StringEquals", "aws:RequestedRegion") == ["us-east-1", "eu-west-1"])
        #expect(Self.list(orgReads["ReadConfiguration"]?["Action"]) == ["s3:GetObject"])
        #expect(Self.list(orgReads["ReadConfiguration"]?["Resource"]) == ["arn:aws:s3:::tripline-config-eu/prod/tripline.yml"])
        #expect(Self.list(orgReads["DecryptConfiguration"]?["Action"]) == ["kms:Decrypt"])
        #expect(Self.list(orgReads["DecryptConfiguration"]?["Resource"]) == ["arn:aws:kms:eu-west-1:123456789012:key/33333333-3333-3333-3333-333333333333"])
        #expect(Self.condition(orgReads["DecryptConfiguration"], "StringEquals", "kms:ViaService") == ["s3.eu-west-1.amazonaws.com"])
        let asyncConfig = org["module.tripline.aws_lambda_function_event_invoke_config.this[0]"]
        #expect(asyncConfig?["maximum_retry_attempts"] as? Int == 2)

        // Existing bucket in a log-archive account: the queue admits that account, the notification is the
        // submodule's (one prefix per account, so digests stay out), every region forwarded, own key and topic.
        #expect(cross["module.tripline.aws_s3_bucket_notification.trail[0]"] == nil, "a bucket in another account cannot be configured from here")
        let crossIngest = cross["module.tripline.aws_sqs_queue.ingest[0]"]?["policy"] as? String ?? ""
        #expect(crossIngest.contains("210987654321") && crossIngest.contains("arn:aws:s3:::org-log-archive-cloudtrail"), "\(crossIngest)")
        let archive = cross["module.log_archive[0].aws_s3_bucket_notification.tripline"]?["queue"] as? [[String: Any]] ?? []
        #expect(Set(archive.compactMap { $0["filter_prefix"] as? String }) == [
            "AWSLogs/o-exampleorg1/111111111111/CloudTrail/", "AWSLogs/o-exampleorg1/222222222222/CloudTrail/",
        ])
        #expect(cross.keys.filter { $0.hasPrefix("module.tripline.aws_cloudwatch_event_rule.cloudtrail[") }.count
                == patterns.regular.count + patterns.fallback.count, "the fallback pattern was asked for")
        #expect(cross.keys.filter { $0.hasPrefix("module.forward_us_east_1[0].aws_cloudwatch_event_rule.forward[") }.count
                == patterns.regular.count + patterns.fallback.count)
        #expect(!cross.keys.contains { $0.hasPrefix("module.tripline.aws_kms_key.") || $0.hasPrefix("module.tripline.aws_sns_topic.alerts") })
        // Read-only calls: only the patterns whose rules need them are opted in, when asked (here, and in the
        // forwarders of every region); by default, with the log files ingested, none.
        #expect(!patterns.readOnly.isEmpty)
        let all = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
        for (plan, rules, reads) in [
            ("org", Self.ruleStates(org, "module.tripline.aws_cloudwatch_event_rule.cloudtrail"), false),
            ("cross", Self.ruleStates(cross, "module.tripline.aws_cloudwatch_event_rule.cloudtrail"), true),
            ("cross forwarder", Self.ruleStates(cross, "module.forward_us_east_1[0].aws_cloudwatch_event_rule.forward"), true),
        ] {
            #expect(!rules.isEmpty, "\(plan)")
            for (name, state) in rules {
                #expect(state == (reads && patterns.readOnly.contains(name) ? all : "ENABLED"), "\(plan): \(name) is \(state)")
            }
        }
        let env = ((cross["module.tripline.aws_lambda_function.this"]?["environment"] as? [[String: Any]])?.first?["variables"] as? [String: String]) ?? [:]
        #expect(env["ALERT_SNS_ARN"] == "arn:aws:sns:eu-west-1:123456789012:secops-alerts")
        // Two poll regions and an SSM configuration without a customer key reach the environment and the policy.
        #expect(env["TRIPLINE_POLL_REGIONS"] == "eu-west-1,ap-southeast-2" && env["TRIPLINE_CONFIG"] == "ssm:/tripline/switches/config", "\(env)")
        let crossReads = Self.statements(cross["module.tripline.aws_iam_role_policy.polling_and_configuration[0]"]?["policy"])
        #expect(Set(crossReads.keys) == ["PollCloudTrail", "ReadConfiguration"], "\(crossReads.keys)")
        #expect(Self.condition(crossReads["PollCloudTrail"], "StringEquals", "aws:RequestedRegion") == ["eu-west-1", "ap-southeast-2"])
        #expect(Self.list(crossReads["ReadConfiguration"]?["Action"]) == ["ssm:GetParameter"])
        #expect(Self.list(crossReads["ReadConfiguration"]?["Resource"]) == ["arn:aws:ssm:eu-west-1:123456789012:parameter/tripline/switches/config"])

        // Another partition: every ARN follows the provider.
        async let govPlan = plan("gov", [
            "home_region=us-gov-west-1", "config_location=ssm:/tripline/gov",
            "config_kms_key_arn=arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/44444444-4444-4444-4444-444444444444",
        ])
        // Reserved concurrency 0 is refused with a reason.
        async let zero = runCommand(
            ["terraform", "plan", "-lock=false", "-input=false", "-no-color", "-var", "reserved_concurrent_executions=0"],
            in: planned.rootDir, environment: planned.environment, timeout: 240)
        // No poll_regions: LookupEvents in the home region alone. A configuration location the function could not be
        // granted exactly, or a region that is not one, is refused.
        async let badConfig = runCommand(
            ["terraform", "plan", "-lock=false", "-input=false", "-no-color", "-var", "config_location=s3://bucket-without-key",
             "-var", #"poll_regions=["eu-west-1","Frankfurt"]"#],
            in: planned.rootDir, environment: planned.environment, timeout: 240)
        let gov = try resources("gov", try await govPlan)
        let arns = gov.values.flatMap { values in values.values.compactMap { $0 as? String }.filter { $0.contains("arn:aws") } }
        #expect(!arns.isEmpty && arns.allSatisfy { !$0.contains("arn:aws:") }, "\(arns.filter { $0.contains("arn:aws:") }.prefix(3))")
        let govReads = Self.statements(gov["module.tripline.aws_iam_role_policy.polling_and_configuration[0]"]?["policy"])
        #expect(Self.list(govReads["ReadConfiguration"]?["Resource"]) == ["arn:aws-us-gov:ssm:us-gov-west-1:123456789012:parameter/tripline/gov"])
        #expect(Self.condition(govReads["DecryptConfiguration"], "StringEquals", "kms:ViaService") == ["ssm.us-gov-west-1.amazonaws.com"])
        #expect(Self.condition(govReads["PollCloudTrail"], "StringEquals", "aws:RequestedRegion") == ["us-gov-west-1"])
        let refused = try await zero
        #expect(!refused.succeeded && refused.stderr.contains("must be -1 (unreserved)"), "\(refused.stderr)")
        let refusedConfig = try await badConfig
        #expect(!refusedConfig.succeeded && refusedConfig.stderr.contains("config_location must be") && refusedConfig.stderr.contains("poll_regions must be"),
                "\(refusedConfig.stderr)")
    }
}
