import TriplineAWS
import TriplineCore

/// Publishes alert messages to an SNS topic, with the message attributes subscribers filter on:
/// `severity` (`info`…`critical`), `rule_id` and `account_id` (comma-separated when an alert spans several) and
/// `alert_id` (the same for a re-sent alert).
public struct SNSAlertSink: AlertSink {
    public let sns: SNSClient
    public let topicArn: String

    public init(sns: SNSClient, topicArn: String) {
        self.sns = sns
        self.topicArn = topicArn
    }

    /// SNS caps a message attribute value with the whole message at 256 KiB; lists are cut well before that.
    static let maxAttributeLength = 1024

    public static func attributes(_ m: AlertMessage) -> [String: String] {
        func list(_ values: [String]) -> String {
            var out = ""
            for v in values {
                let next = out.isEmpty ? v : out + "," + v
                if next.utf8.count > maxAttributeLength { break }
                out = next
            }
            return out.isEmpty ? "none" : out
        }
        var attributes = ["severity": m.severity.description, "rule_id": list(m.ruleIDs), "account_id": list(m.accountIDs)]
        if !m.alertID.isEmpty { attributes["alert_id"] = m.alertID }
        return attributes
    }

    public func send(_ messages: [AlertMessage]) async throws {
        for m in messages {
            try await sns.publish(topicArn: topicArn, message: m.body, subject: m.subject, messageAttributes: Self.attributes(m))
        }
    }
}
