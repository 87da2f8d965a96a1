import Foundation
import Testing
import TriplineTestSupport

/// Deploys the Terraform module onto moto_server (the process-wide `MotoServer.shared()`, resource names made unique
/// per run) and checks what it built.
@Suite("Terraform module against moto", .serialized)
struct TerraformMotoTests {
    @Test("fmt, init, validate, plan (least-privilege lint), apply, resources exist in moto, S3->SQS filter, destroy",
          .timeLimit(.minutes(20)))
    func terraformDeploysOntoMoto() async throws {
        // Formatting is checked on the repository itself (read-only), while moto starts.
        async let fmtRun = runCommand(
            ["terraform", "fmt", "-check", "-recursive", "-diff", "deploy/terraform"], in: repositoryRoot, timeout: 60)
        // Throws (the test fails, never skips) if moto cannot start. The shared server lives until the test process
        // exits; resource names are unique to this run, so no reset is needed.
        let moto = try await MotoServer.shared()
        let fmt = try await fmtRun
        #expect(fmt.succeeded, "terraform fmt -check found unformatted files:\n\(fmt.stdout)\(fmt.stderr)")

        // One applied stack at a time (see `DeployedStack.withApplied`); the time limit covers the wait.
        await StackLock.shared.acquire()
        defer { Task { await StackLock.shared.release() } }
        var stack = try DeployedStack.prepare(on: moto)
        defer { stack.removeWorkDir() }

        // Plan, and lint every policy document the plan already knows.
        let planJSON = try await stack.plan()
        var planLint = PolicyLint()
        planLint.scan(try parseJSON(planJSON))
        #expect(planLint.findings.isEmpty, "over-broad IAM in plan:\n\(planLint.findings.map(\.description).sorted().joined(separator: "\n"))")

        try await stack.applyPlan()
        var destroyed = false
        defer {
            if !destroyed { print("DeployTests: stack in \(stack.workDir.path) was not destroyed (moto is discarded anyway)") }
        }

        // Policies that depended on not-yet-created ARNs are only known now: lint the state as well.
        var stateLint = PolicyLint()
        stateLint.scan(try parseJSON(stack.stateJSON))
        #expect(stateLint.findings.isEmpty, "over-broad IAM in state:\n\(stateLint.findings.map(\.description).sorted().joined(separator: "\n"))")
        let lintedLambdaPolicy = stateLint.policies.keys.contains { $0.contains("aws_iam_role_policy.lambda") }
        #expect(lintedLambdaPolicy, "the function's role policy was not found in state; linted: \(stateLint.policies.keys.sorted())")
        #expect(stateLint.policies.count >= 6, "expected the role, key, bucket, queue and topic policies; linted: \(stateLint.policies.keys.sorted())")

        try await Self.checkResources(stack)

        try await stack.destroy()
        destroyed = true

        // After destroy the function is gone from moto.
        let after = try await runCommand(
            ["aws", "--endpoint-url", moto.endpoint, "lambda", "get-function", "--function-name", try stack.output("lambda_function_name")],
            environment: stack.environment, timeout: 60)
        #expect(!after.succeeded, "function still exists after destroy")

        print(
            "DeployTests: \(stack.resourceCount) resources; "
                + stack.timings.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.0f", $0.value))s" }.joined(separator: ", "))
    }

    /// Checks, through the aws CLI, that moto holds what the module promises.
    static func checkResources(_ stack: DeployedStack) async throws {
        let account = MotoServer.accountId
        let functionName = try stack.output("lambda_function_name")
        let functionArn = try stack.output("lambda_function_arn")
        let topicArn = try stack.output("sns_topic_arn")
        let table = try stack.output("dynamodb_table_name")
        let queueURL = try stack.output("queue_url")
        let dlqURL = try stack.output("dlq_url")
        let bucket = try stack.output("trail_bucket_name")
        let trail = try stack.output("trail_name")
        let keyArn = try stack.output("kms_key_arn")
        let prefix = try stack.output("trail_log_prefix")
        #expect(prefix == "AWSLogs/\(account)/CloudTrail/")

        // The independent look-ups run concurrently (each aws CLI start costs a second or two).
        async let function = stack.awsObject(["lambda", "get-function-configuration", "--function-name", functionName])
        async let mappings = stack.awsObject(["lambda", "list-event-source-mappings"])
        async let queue = stack.awsObject(["sqs", "get-queue-attributes", "--queue-url", queueURL, "--attribute-names", "All"])
        async let notification = stack.awsObject(["s3api", "get-bucket-notification-configuration", "--bucket", bucket])
        async let encryption = stack.awsObject(["s3api", "get-bucket-encryption", "--bucket", bucket])
        async let versioning = stack.awsObject(["s3api", "get-bucket-versioning", "--bucket", bucket])
        async let publicAccess = stack.awsObject(["s3api", "get-public-access-block", "--bucket", bucket])
        async let trails = stack.awsObject(["cloudtrail", "describe-trails", "--trail-name-list", trail])
        async let tableInfo = stack.awsObject(["dynamodb", "describe-table", "--table-name", table])
        async let ttl = stack.awsObject(["dynamodb", "describe-time-to-live", "--table-name", table])
        async let backups = stack.awsObject(["dynamodb", "describe-continuous-backups", "--table-name", table])
        async let topic = stack.awsObject(["sns", "get-topic-attributes", "--topic-arn", topicArn])
        async let subscriptions = stack.awsObject(["sns", "list-subscriptions-by-topic", "--topic-arn", topicArn])
        async let alarms = stack.awsObject(["cloudwatch", "describe-alarms", "--alarm-name-prefix", "\(functionName)-"])
        async let logGroups = stack.awsObject(["logs", "describe-log-groups", "--log-group-name-prefix", "/aws/lambda/\(functionName)"])
        async let lambdaPolicy = stack.awsObject(["lambda", "get-policy", "--function-name", functionName])
        async let rules = stack.awsObject(["events", "list-rules", "--name-prefix", "\(functionName)-"])
        async let invokeConfig = stack.awsObject(["lambda", "get-function-event-invoke-config", "--function-name", functionName])

        // Function.
        let fn = try await function
        #expect(fn["Runtime"] as? String == "provided.al2023")
        #expect(fn["Handler"] as? String == "bootstrap")
        #expect(fn["Architectures"] as? [String] == ["x86_64"])
        let env = ((fn["Environment"] as? [String: Any])?["Variables"] as? [String: String]) ?? [:]
        for key in ["ALERT_SNS_ARN", "DYNAMODB_TABLE", "LOG_LEVEL", "TRIPLINE_MIN_SEVERITY", "TRIPLINE_LOOKBACK_MINUTES", "TRIPLINE_ENVIRONMENT", "TRIPLINE_RETENTION_DAYS"] {
            #expect(env[key] != nil, "function environment lacks \(key): \(env)")
        }
        #expect(env["ALERT_SNS_ARN"] == topicArn)
        #expect(env["DYNAMODB_TABLE"] == table)
        #expect(env["TRIPLINE_MIN_SEVERITY"] == "medium")
        #expect(env["TRIPLINE_LOOKBACK_MINUTES"] == "20")
        #expect(env["TRIPLINE_RETENTION_DAYS"] == "90")
        let timeout = fn["Timeout"] as? Int ?? 0
        // Failed asynchronous invocations (EventBridge, schedule, GuardDuty) are kept in the DLQ, bounded.
        let asyncConfig = try await invokeConfig
        #expect(asyncConfig["MaximumRetryAttempts"] as? Int == 2)
        #expect(asyncConfig["MaximumEventAgeInSeconds"] as? Int == 3600)
        let onFailure = ((asyncConfig["DestinationConfig"] as? [String: Any])?["OnFailure"] as? [String: Any])?["Destination"] as? String
        #expect(onFailure == (try stack.output("dlq_arn")), "async on-failure destination: \(asyncConfig)")
        for name in ["lambda_role_arn", "queue_arn", "dlq_arn", "trail_arn", "trail_bucket_arn", "dynamodb_table_arn"] {
            #expect((try? stack.output(name))?.hasPrefix("arn:aws:") == true, "output \(name)")
        }

        // SQS ingestion: event source mapping with partial batch failures, visibility >= 6x timeout, redrive.
        let queueAttributes = (try await queue)["Attributes"] as? [String: String] ?? [:]
        let queueArn = queueAttributes["QueueArn"] ?? ""
        let esm = ((try await mappings)["EventSourceMappings"] as? [[String: Any]] ?? []).filter { $0["EventSourceArn"] as? String == queueArn }
        #expect(esm.count == 1, "expected one event source mapping on \(queueArn)")
        #expect(esm.first?["FunctionArn"] as? String == functionArn)
        #expect((esm.first?["FunctionResponseTypes"] as? [String]) == ["ReportBatchItemFailures"])
        #expect(Int(queueAttributes["VisibilityTimeout"] ?? "") ?? 0 >= 6 * timeout, "visibility \(queueAttributes["VisibilityTimeout"] ?? "?") < 6 x \(timeout)")
        let redrive = (try? parseJSON(queueAttributes["RedrivePolicy"] ?? "")) as? [String: Any] ?? [:]
        #expect((redrive["deadLetterTargetArn"] as? String)?.hasSuffix(":\(functionName)-dlq") == true, "redrive: \(redrive)")

        // Trail bucket: notification filter, SSE-KMS, versioning, public access block.
        let queueConfigs = (try await notification)["QueueConfigurations"] as? [[String: Any]] ?? []
        #expect(queueConfigs.count == 1)
        let rulesInFilter = ((queueConfigs.first?["Filter"] as? [String: Any])?["Key"] as? [String: Any])?["FilterRules"] as? [[String: String]] ?? []
        let filter = Dictionary(rulesInFilter.map { ($0["Name"]?.lowercased() ?? "", $0["Value"] ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(filter["prefix"] == prefix)
        #expect(filter["suffix"] == ".json.gz")
        #expect(queueConfigs.first?["Events"] as? [String] == ["s3:ObjectCreated:*"])
        let sse = "\(try await encryption)"
        #expect(sse.contains("aws:kms") && sse.contains(keyArn), "bucket encryption: \(sse)")
        #expect((try await versioning)["Status"] as? String == "Enabled")
        let pab = (try await publicAccess)["PublicAccessBlockConfiguration"] as? [String: Bool] ?? [:]
        #expect(pab.count == 4 && pab.values.allSatisfy { $0 }, "public access block: \(pab)")

        // Trail.
        let trailInfo = ((try await trails)["trailList"] as? [[String: Any]])?.first ?? [:]
        #expect(trailInfo["IsMultiRegionTrail"] as? Bool == true)
        #expect(trailInfo["IncludeGlobalServiceEvents"] as? Bool == true)
        #expect(trailInfo["LogFileValidationEnabled"] as? Bool == true)
        #expect(trailInfo["KmsKeyId"] as? String == keyArn)
        #expect(trailInfo["S3BucketName"] as? String == bucket)

        // Findings table.
        let tableDescription = (try await tableInfo)["Table"] as? [String: Any] ?? [:]
        let keySchema = (tableDescription["KeySchema"] as? [[String: String]] ?? []).map { "\($0["AttributeName"] ?? ""):\($0["KeyType"] ?? "")" }
        #expect(Set(keySchema) == ["pk:HASH", "sk:RANGE"])
        #expect((tableDescription["BillingModeSummary"] as? [String: Any])?["BillingMode"] as? String == "PAY_PER_REQUEST")
        let gsis = tableDescription["GlobalSecondaryIndexes"] as? [[String: Any]] ?? []
        let gsi1 = gsis.first { $0["IndexName"] as? String == "gsi1" }
        let gsiKeys = (gsi1?["KeySchema"] as? [[String: String]] ?? []).map { "\($0["AttributeName"] ?? ""):\($0["KeyType"] ?? "")" }
        #expect(Set(gsiKeys) == ["gsi1pk:HASH", "gsi1sk:RANGE"], "gsi1: \(String(describing: gsi1))")
        let ttlDescription = (try await ttl)["TimeToLiveDescription"] as? [String: Any] ?? [:]
        #expect(ttlDescription["AttributeName"] as? String == "expires_at")
        #expect(ttlDescription["TimeToLiveStatus"] as? String == "ENABLED")
        let pitr = ((try await backups)["ContinuousBackupsDescription"] as? [String: Any])?["PointInTimeRecoveryDescription"] as? [String: Any]
        #expect(pitr?["PointInTimeRecoveryStatus"] as? String == "ENABLED")

        // Alerting.
        let topicAttributes = (try await topic)["Attributes"] as? [String: String] ?? [:]
        #expect(topicAttributes["KmsMasterKeyId"] == keyArn)
        let subs = (try await subscriptions)["Subscriptions"] as? [[String: Any]] ?? []
        #expect(subs.contains { $0["Protocol"] as? String == "email" && $0["Endpoint"] as? String == "secops@example.com" })
        let alarmList = (try await alarms)["MetricAlarms"] as? [[String: Any]] ?? []
        let alarmMetrics = Set(alarmList.compactMap { $0["MetricName"] as? String })
        #expect(alarmMetrics == ["Errors", "Throttles", "ApproximateNumberOfMessagesVisible"], "alarms: \(alarmMetrics)")
        for alarm in alarmList {
            #expect(alarm["AlarmActions"] as? [String] == [topicArn], "alarm \(alarm["AlarmName"] ?? "?") does not notify the topic")
        }
        let groups = (try await logGroups)["logGroups"] as? [[String: Any]] ?? []
        #expect(groups.first?["retentionInDays"] as? Int == 30)

        // EventBridge: one rule per compiled pattern (the fallback pattern left out: the log files are ingested),
        // the schedule and GuardDuty; each targets the function with the DLQ, each may invoke it.
        let ruleList = (try await rules)["Rules"] as? [[String: Any]] ?? []
        let ruleByName = Dictionary(ruleList.compactMap { r in (r["Name"] as? String).map { ($0, r) } }, uniquingKeysWith: { a, _ in a })
        let committed = try parseJSON(String(contentsOf: repositoryRoot.appendingPathComponent("deploy/eventbridge-patterns.json"), encoding: .utf8)) as? [String: Any] ?? [:]
        let committedPatterns = (committed["patterns"] as? [[String: Any]] ?? []).filter { $0["fallback"] as? Bool != true }
        #expect(committedPatterns.count >= 2)
        let ruleArns = (try parseJSON(try stack.output("eventbridge_rule_arns")) as? [String: String]) ?? [:]
        #expect(Set(ruleArns.keys) == Set(committedPatterns.compactMap { $0["name"] as? String }), "eventbridge_rule_arns: \(ruleArns.keys.sorted())")
        for p in committedPatterns {
            let name = p["name"] as? String ?? "?"
            let deployed = ruleByName["\(functionName)-ct-\(name)"]
            #expect(deployed?["Arn"] as? String == ruleArns[name], "rule for pattern \(name)")
            let deployedPattern = (deployed?["EventPattern"] as? String).flatMap { try? parseJSON($0) as? NSDictionary }
            let committedPattern = (p["pattern"] as? String).flatMap { try? parseJSON($0) as? NSDictionary }
            #expect(deployedPattern != nil && deployedPattern == committedPattern, "deployed pattern \(name) differs from deploy/eventbridge-patterns.json")
        }
        #expect(ruleByName["\(functionName)-poll"]?["ScheduleExpression"] as? String == "rate(15 minutes)")
        let guardDutyPattern = (ruleByName["\(functionName)-guardduty"]?["EventPattern"] as? String).flatMap { try? parseJSON($0) as? [String: [String]] }
        #expect(guardDutyPattern == ["source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"]])
        try await withThrowingTaskGroup(of: (String, JSONObject).self) { group in
            for name in ruleByName.keys {
                group.addTask { (name, try await stack.awsObject(["events", "list-targets-by-rule", "--rule", name])) }
            }
            for try await (name, answer) in group {
                let targets = answer["Targets"] as? [[String: Any]] ?? []
                #expect(targets.count == 1 && targets.first?["Arn"] as? String == functionArn, "rule \(name) targets \(targets)")
                let dlq = (targets.first?["DeadLetterConfig"] as? [String: String])?["Arn"]
                #expect(dlq?.hasSuffix(":\(functionName)-dlq") == true, "rule \(name) has no dead-letter queue")
            }
        }
        #expect(ruleByName.count == committedPatterns.count + 2, "rules: \(ruleByName.keys.sorted())")
        let permissionText = ((try await lambdaPolicy)["Policy"] as? String) ?? ""
        let permissions = ((try? parseJSON(permissionText)) as? [String: Any])?["Statement"] as? [[String: Any]] ?? []
        let eventSources = Set(permissions.compactMap { (($0["Condition"] as? [String: Any])?["ArnLike"] as? [String: String])?["AWS:SourceArn"] })
        #expect(eventSources == Set(ruleList.compactMap { $0["Arn"] as? String }), "invoke permissions: \(permissionText)")

        // S3 -> SQS for real: a log file is announced, a digest file is not.
        try await checkS3Notifications(stack, bucket: bucket, prefix: prefix, queueURL: queueURL)
        // The DLQ exists and is empty.
        let dlqAttributes = (try await stack.awsObject(["sqs", "get-queue-attributes", "--queue-url", dlqURL, "--attribute-names", "ApproximateNumberOfMessages"]))["Attributes"] as? [String: String]
        #expect(dlqAttributes?["ApproximateNumberOfMessages"] == "0")
    }

    static func checkS3Notifications(_ stack: DeployedStack, bucket: String, prefix: String, queueURL: String) async throws {
        let body = stack.workDir.appendingPathComponent("log.json.gz")
        // gzip of `{"Records":[]}`; the content does not matter to S3 notifications.
        try Data([0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0x0a, 0x4a, 0x4d, 0xce, 0x2f, 0x4a, 0x29, 0x56, 0xb2, 0x8a, 0x8e, 0xad, 0x05, 0x00, 0x22, 0x0a, 0xe2, 0x96, 0x0e, 0x00, 0x00, 0x00]).write(to: body)
        let account = MotoServer.accountId
        let logKey = "\(prefix)us-east-1/2026/01/02/\(account)_CloudTrail_us-east-1_20260102T0305Z_deploytest.json.gz"
        let digestKey = "AWSLogs/\(account)/CloudTrail-Digest/us-east-1/2026/01/02/\(account)_CloudTrail-Digest_us-east-1_deploytest_20260102T030500Z.json.gz"
        async let putLog = stack.aws(["s3api", "put-object", "--bucket", bucket, "--key", logKey, "--body", body.path, "--content-type", "application/octet-stream"])
        async let putDigest = stack.aws(["s3api", "put-object", "--bucket", bucket, "--key", digestKey, "--body", body.path, "--content-type", "application/octet-stream"])
        _ = try await putLog
        _ = try await putDigest

        var keys: [String] = []
        var receipts: [String] = []
        for _ in 0..<3 {
            let answer = try await stack.aws([
                "sqs", "receive-message", "--queue-url", queueURL, "--max-number-of-messages", "10", "--wait-time-seconds", "1",
                "--visibility-timeout", "30",
            ])
            let messages = answer?["Messages"] as? [[String: Any]] ?? []
            if messages.isEmpty && !keys.isEmpty { break }
            for message in messages {
                if let receipt = message["ReceiptHandle"] as? String { receipts.append(receipt) }
                guard let text = message["Body"] as? String, let event = try? parseJSON(text) as? [String: Any] else { continue }
                for record in event["Records"] as? [[String: Any]] ?? [] {
                    let key = ((record["s3"] as? [String: Any])?["object"] as? [String: Any])?["key"] as? String ?? ""
                    let decoded = key.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? key
                    keys.append(decoded)
                }
            }
        }
        #expect(keys == [logKey], "S3 notifications delivered \(keys); expected only the log file, never the digest")
        // Leave the queue empty for whoever uses the stack next.
        for receipt in receipts {
            try await stack.aws(["sqs", "delete-message", "--queue-url", queueURL, "--receipt-handle", receipt])
        }
    }
}
