import Foundation
import TriplineAlerts
import TriplineAWS

/// AWS Security Hub: one ASFF finding per alert through `BatchImportFindings`, into the hub of the client's
/// account and region; a repeat of the alert updates the same finding.
public struct SecurityHubDestination: AlertDestination {
    public var name: String
    public var securityHub: SecurityHubClient
    public var format: SecurityHubFormat
    public var now: @Sendable () -> Int

    /// `hubAccountID`: the account the client's credentials belong to (the finding's product is its default one).
    public init(name: String = "securityhub", client: AWSClient, hubAccountID: String, partition: String = "aws", now: @escaping @Sendable () -> Int = epochNow) {
        self.name = name
        self.securityHub = SecurityHubClient(client)
        self.format = SecurityHubFormat(hubAccountID: hubAccountID, hubRegion: client.region, partition: partition)
        self.now = now
    }

    public func deliver(_ alert: AlertContent) async throws(DeliveryError) {
        let finding = Array(format.render(alert, now: now()).serialized().utf8)
        let result: (successCount: Int, failed: [SecurityHubImportFailure])
        do {
            result = try await securityHub.batchImportFindings([finding])
        } catch {
            throw DeliveryError.aws(name, error)
        }
        if let failure = result.failed.first {
            throw DeliveryError(destination: name, reason: "finding refused: \(failure.errorCode)", transient: false)
        }
    }
}

/// Amazon EventBridge: `PutEvents` of a `Tripline Alert` event (source `tripline`) to a bus, so rules can route
/// alerts anywhere (Step Functions, ticketing, other accounts).
public struct EventBridgeDestination: AlertDestination {
    /// PutEvents takes at most 256 KB per entry.
    public static let maxEntryBytes = 256 * 1024

    public var name: String
    public var eventBridge: EventBridgeClient
    /// Name or ARN of the bus (`default` when nil).
    public var eventBusName: String?
    public var format = EventBridgeFormat()
    public var now: @Sendable () -> Int

    public init(name: String = "eventbridge", client: AWSClient, eventBusName: String?, now: @escaping @Sendable () -> Int = epochNow) {
        self.name = name
        self.eventBridge = EventBridgeClient(client)
        self.eventBusName = eventBusName
        self.now = now
    }

    public func deliver(_ alert: AlertContent) async throws(DeliveryError) {
        let event = format.render(alert, now: now())
        let detail = event.detail.serialized()
        guard detail.utf8.count + event.source.utf8.count + event.detailType.utf8.count < Self.maxEntryBytes else {
            throw DeliveryError(destination: name, reason: "event larger than PutEvents' 256 KB", transient: false)
        }
        let entry = EventBridgeEntry(
            source: event.source, detailType: event.detailType, detail: detail, eventBusName: eventBusName,
            time: event.time.map { Date(timeIntervalSince1970: Double($0)) })
        let results: [EventBridgeResultEntry]
        do {
            results = try await eventBridge.putEvents([entry])
        } catch {
            throw DeliveryError.aws(name, error)
        }
        guard let result = results.first else {
            throw DeliveryError(destination: name, reason: "PutEvents answered no entry", transient: true)
        }
        if let code = result.errorCode {
            throw DeliveryError(destination: name, reason: "event refused: \(code)", transient: code == "InternalFailure" || code == "ThrottlingException")
        }
    }
}

/// Amazon SNS with ``SNSFormat``: the subject names the top rule (ASCII, ≤ 100 characters, no event text), the
/// body is plain text, and `severity`, `rule_id`, `account_id` attributes serve subscription filters.
public struct SNSDestination: AlertDestination {
    public var name: String
    public var sns: SNSClient
    public var topicArn: String
    public var format = SNSFormat()
    public var now: @Sendable () -> Int

    public init(name: String = "sns", client: AWSClient, topicArn: String, now: @escaping @Sendable () -> Int = epochNow) {
        self.name = name
        self.sns = SNSClient(client)
        self.topicArn = topicArn
        self.now = now
    }

    public func deliver(_ alert: AlertContent) async throws(DeliveryError) {
        let m = format.render(alert, now: now())
        do {
            try await sns.publish(topicArn: topicArn, message: m.message, subject: m.subject, messageAttributes: m.attributes)
        } catch {
            throw DeliveryError.aws(name, error)
        }
    }
}
