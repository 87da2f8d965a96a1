import Foundation
import Testing
import TriplineService
import TriplineTestSupport

/// Drives the stack Terraform created, through the real handler: what a user's deployment does on day one.
@Suite("Deployed stack, driven end to end")
struct DeployedStackDriveTests {
    @Test("log object → created queue → handler → created topic's subscriber; default bus → created rule",
          .timeLimit(.minutes(12)))
    func driveTheDeployedStack() async throws {
        let moto = try await MotoServer.shared()
        try await DeployedStack.withApplied(on: moto) { stack in
            let topic = try stack.output("sns_topic_arn")
            let queueURL = try stack.output("queue_url")
            let bucket = try stack.output("trail_bucket_name")
            let prefix = try stack.output("trail_log_prefix")
            let table = try stack.output("dynamodb_table_name")
            // The compiled pattern that routes StopLogging, and its rule.
            let ruleArns = (try parseJSON(try stack.output("eventbridge_rule_arns")) as? [String: String]) ?? [:]
            let patterns = (try parseJSON(String(contentsOf: repositoryRoot.appendingPathComponent("deploy/eventbridge-patterns.json"), encoding: .utf8))
                as? [String: Any])?["patterns"] as? [[String: Any]] ?? []
            let stopLogging = try #require(patterns.first { $0["fallback"] as? Bool != true && ($0["pattern"] as? String)?.contains("\"StopLogging\"") == true })
            let ruleName = String(try #require(ruleArns[stopLogging["name"] as? String ?? ""]).split(separator: "/").last ?? "")

            // A subscriber on the created topic, as an email or pager integration would be.
            let subscriberURL = try await queue(stack, "subscriber")
            let subscriberArn = try await queueArn(stack, subscriberURL)
            try await stack.aws(["sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", subscriberArn])

            // 1. CloudTrail delivers a log file with a trail being stopped.
            let eventID = UUID().uuidString.lowercased()
            let record = """
                {"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/mallory","accountId":"123456789012","userName":"mallory"},\
                "eventTime":"2025-03-01T12:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1",\
                "sourceIPAddress":"203.0.113.66","userAgent":"aws-cli/2.15.0","requestParameters":{"name":"management-events"},"responseElements":null,\
                "eventID":"\(eventID)","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012"}
                """
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tripline-drive-\(UUID().uuidString.prefix(8))")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: dir) }
            let file = dir.appendingPathComponent("log.json")
            try Data("{\"Records\":[\(record)]}".utf8).write(to: file)
            try await runChecked(["gzip", "-n", file.path], timeout: 30)
            // The notification's prefix is the trail's own CloudTrail/ folder (AWSLogs/<account>/CloudTrail/).
            let key = "\(prefix)us-east-1/2025/03/01/123456789012_CloudTrail_us-east-1_20250301T1205Z_drive.json.gz"
            try await stack.aws(["s3api", "put-object", "--bucket", bucket, "--key", key, "--body", file.path + ".gz"])

            // 2. The created queue receives the bucket's notification.
            var notification: [String: Any]?
            for _ in 0..<10 where notification == nil {
                let answer = try await stack.aws(["sqs", "receive-message", "--queue-url", queueURL, "--max-number-of-messages", "10",
                                                  "--wait-time-seconds", "1"])
                for message in answer?["Messages"] as? [[String: Any]] ?? [] where (message["Body"] as? String)?.contains("drive.json.gz") == true {
                    notification = message
                }
            }
            let message = try #require(notification, "the created queue never received the notification for \(key)")

            // 3. The handler processes it exactly as the event source mapping would hand it over.
            let queueArnValue = try await queueArn(stack, queueURL)
            let event: [String: Any] = ["Records": [[
                "messageId": message["MessageId"] as? String ?? "m1", "receiptHandle": message["ReceiptHandle"] as? String ?? "",
                "body": message["Body"] as? String ?? "", "attributes": [String: String](), "messageAttributes": [String: String](),
                "md5OfBody": message["MD5OfBody"] as? String ?? "", "eventSource": "aws:sqs", "eventSourceARN": queueArnValue,
                "awsRegion": "us-east-1",
            ]]]
            let payload = try JSONSerialization.data(withJSONObject: event)
            let environment = stack.environment.merging([
                "ALERT_SNS_ARN": topic, "DYNAMODB_TABLE": table, "AWS_ENDPOINT_URL": moto.endpoint, "AWS_REGION": "us-east-1",
                "TRIPLINE_MIN_SEVERITY": "medium",
            ]) { _, new in new }
            let log = Logger(level: .error, write: Logger.discard)
            let handler = try TriplineHandler.live(environment: environment, log: log)
            let response = try await handler.handle([UInt8](payload), context: InvocationContext(requestID: "drive-1", log: log))
            let answer = try JSONSerialization.jsonObject(with: Data(response)) as? [String: Any]
            #expect((answer?["batchItemFailures"] as? [Any])?.isEmpty ?? true, "handler reported failures: \(String(decoding: response, as: UTF8.self))")

            // 4. The alert reaches the topic's subscriber, with the attributes subscription filters use.
            var alert: String?
            for _ in 0..<10 where alert == nil {
                let got = try await stack.aws(["sqs", "receive-message", "--queue-url", subscriberURL, "--wait-time-seconds", "1"])
                alert = (got?["Messages"] as? [[String: Any]])?.first?["Body"] as? String
            }
            let body = try #require(alert, "no alert reached the created topic's subscriber")
            #expect(body.contains("StopLogging"))
            #expect(body.contains("\"severity\""))

            // 5. A CloudTrail event on the default bus is routed by the created rule. moto cannot invoke a Lambda
            //    target (it needs Docker), fails the whole PutEvents call on one, and treats a schedule rule as
            //    matching every event; so while the event is sent, the stack's rules lose their targets and the
            //    CloudTrail rule gets a probe queue instead. Everything is put back for `terraform destroy`.
            let probeURL = try await queue(stack, "probe")
            let probeArn = try await queueArn(stack, probeURL)
            var saved: [(rule: String, targets: [[String: Any]])] = []
            let allRules = Array(ruleArns.values) + ["polling_rule_arn", "guardduty_rule_arn"].compactMap { try? stack.output($0) }
            for value in allRules {
                guard let name = value.split(separator: "/").last else { continue }
                let listed = try await stack.awsObject(["events", "list-targets-by-rule", "--rule", String(name)])
                let targets = listed["Targets"] as? [[String: Any]] ?? []
                let ids = targets.compactMap { $0["Id"] as? String }
                if name == ruleName { #expect(!ids.isEmpty, "the created CloudTrail rule has no target") }
                guard !ids.isEmpty else { continue }
                try await stack.aws(["events", "remove-targets", "--rule", String(name), "--ids"] + ids)
                saved.append((String(name), targets))
            }
            try await stack.aws(["events", "put-targets", "--rule", ruleName, "--targets", "Id=probe,Arn=\(probeArn)"])
            let entry: [String: Any] = [
                "Source": "aws.cloudtrail", "DetailType": "AWS API Call via CloudTrail", "Detail": record, "EventBusName": "default",
            ]
            let entries = String(decoding: try JSONSerialization.data(withJSONObject: [entry]), as: UTF8.self)
            try await stack.aws(["events", "put-events", "--entries", entries])
            var routed: String?
            for _ in 0..<10 where routed == nil {
                let got = try await stack.aws(["sqs", "receive-message", "--queue-url", probeURL, "--wait-time-seconds", "1"])
                routed = (got?["Messages"] as? [[String: Any]])?.first?["Body"] as? String
            }
            try await stack.aws(["events", "remove-targets", "--rule", ruleName, "--ids", "probe"])
            for (rule, targets) in saved {
                let restore = String(decoding: try JSONSerialization.data(withJSONObject: targets), as: UTF8.self)
                try await stack.aws(["events", "put-targets", "--rule", rule, "--targets", restore])
            }
            #expect(routed?.contains(eventID) == true, "the created EventBridge rule did not route the CloudTrail event")
        }
    }

    private func queue(_ stack: DeployedStack, _ name: String) async throws -> String {
        let created = try await stack.awsObject(["sqs", "create-queue", "--queue-name", "tripline-\(stack.environmentName)-\(name)"])
        return try #require(created["QueueUrl"] as? String)
    }

    private func queueArn(_ stack: DeployedStack, _ url: String) async throws -> String {
        let attributes = try await stack.awsObject(["sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "QueueArn"])
        return try #require((attributes["Attributes"] as? [String: Any])?["QueueArn"] as? String)
    }
}
