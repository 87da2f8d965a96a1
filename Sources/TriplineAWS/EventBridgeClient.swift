import Foundation

/// An event for PutEvents. `detail` is a JSON object encoded as a string.
public struct EventBridgeEntry: Sendable, Equatable {
    public var source: String
    public var detailType: String
    public var detail: String
    public var eventBusName: String?
    public var resources: [String]
    public var time: Date?

    public init(
        source: String, detailType: String, detail: String, eventBusName: String? = nil, resources: [String] = [],
        time: Date? = nil
    ) {
        self.source = source
        self.detailType = detailType
        self.detail = detail
        self.eventBusName = eventBusName
        self.resources = resources
        self.time = time
    }
}

/// Outcome of one entry of PutEvents or PutTargets: an id, or an error code.
public struct EventBridgeResultEntry: Sendable, Equatable {
    public var id: String?
    public var errorCode: String?
    public var errorMessage: String?
}

/// A rule target: `id` unique within the rule, `arn` of the destination (SQS queue, SNS topic, Lambda, …).
public struct EventBridgeTarget: Sendable, Equatable {
    public var id: String
    public var arn: String
    public init(id: String, arn: String) {
        self.id = id
        self.arn = arn
    }
}

/// Amazon EventBridge (JSON 1.1, `AWSEvents.<Operation>`).
public struct EventBridgeClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    /// Sends up to 10 events. Entries fail individually: check each result's `errorCode`.
    public func putEvents(_ entries: [EventBridgeEntry]) async throws -> [EventBridgeResultEntry] {
        guard (1...10).contains(entries.count) else { throw AWSClientError.invalidParameter("1…10 entries per PutEvents") }
        let body: [AWSJSON] = entries.map { e in
            var o: [String: AWSJSON] = [
                "Source": .string(e.source), "DetailType": .string(e.detailType), "Detail": .string(e.detail),
            ]
            if let bus = e.eventBusName { o["EventBusName"] = .string(bus) }
            if !e.resources.isEmpty { o["Resources"] = .array(e.resources.map(AWSJSON.string)) }
            if let time = e.time { o["Time"] = .number(time.timeIntervalSince1970) }
            return .object(o)
        }
        let response = try await client.json(.eventBridge, "PutEvents", ["Entries": .array(body)])
        return (response["Entries"]?.array ?? []).map {
            EventBridgeResultEntry(id: $0["EventId"]?.string, errorCode: $0["ErrorCode"]?.string, errorMessage: $0["ErrorMessage"]?.string)
        }
    }

    /// Creates a custom event bus; returns its ARN.
    @discardableResult
    public func createEventBus(name: String) async throws -> String {
        try await client.json(.eventBridge, "CreateEventBus", ["Name": .string(name)]).require("EventBusArn", \.string)
    }

    /// Creates or updates an enabled rule with an event pattern (JSON text); returns the rule ARN.
    @discardableResult
    public func putRule(name: String, eventPattern: String, eventBusName: String? = nil, description: String? = nil) async throws -> String {
        var body: [String: AWSJSON] = ["Name": .string(name), "EventPattern": .string(eventPattern), "State": "ENABLED"]
        if let eventBusName { body["EventBusName"] = .string(eventBusName) }
        if let description { body["Description"] = .string(description) }
        return try await client.json(.eventBridge, "PutRule", .object(body)).require("RuleArn", \.string)
    }

    /// Adds targets to a rule; returns the entries that failed (empty on success).
    @discardableResult
    public func putTargets(rule: String, targets: [EventBridgeTarget], eventBusName: String? = nil) async throws -> [EventBridgeResultEntry] {
        var body: [String: AWSJSON] = [
            "Rule": .string(rule),
            "Targets": .array(targets.map { ["Id": .string($0.id), "Arn": .string($0.arn)] }),
        ]
        if let eventBusName { body["EventBusName"] = .string(eventBusName) }
        let response = try await client.json(.eventBridge, "PutTargets", .object(body))
        return (response["FailedEntries"]?.array ?? []).map {
            EventBridgeResultEntry(id: $0["TargetId"]?.string, errorCode: $0["ErrorCode"]?.string, errorMessage: $0["ErrorMessage"]?.string)
        }
    }
}
