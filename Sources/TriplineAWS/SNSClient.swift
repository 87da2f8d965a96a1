/// Amazon SNS (query protocol, API 2010-03-31).
public struct SNSClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    /// Creates (or returns the existing) topic; returns its ARN.
    public func createTopic(name: String) async throws -> String {
        let xml = try await client.query(.sns, "CreateTopic", [("Name", name)])
        return try Self.required(xml, "TopicArn")
    }

    /// Subscribes an endpoint (`protocol` is `sqs`, `https`, `email`, `lambda`, …). `attributes` such as
    /// `RawMessageDelivery=true` are set at creation. Returns the subscription ARN.
    @discardableResult
    public func subscribe(
        topicArn: String, protocol proto: String, endpoint: String, attributes: [String: String] = [:]
    ) async throws -> String {
        var parameters = [("TopicArn", topicArn), ("Protocol", proto), ("Endpoint", endpoint), ("ReturnSubscriptionArn", "true")]
        for (n, (key, value)) in attributes.sorted(by: { $0.key < $1.key }).enumerated() {
            parameters += [("Attributes.entry.\(n + 1).key", key), ("Attributes.entry.\(n + 1).value", value)]
        }
        let xml = try await client.query(.sns, "Subscribe", parameters)
        return try Self.required(xml, "SubscriptionArn")
    }

    /// Publishes a message with optional subject and String message attributes; returns the message id.
    @discardableResult
    public func publish(
        topicArn: String, message: String, subject: String? = nil, messageAttributes: [String: String] = [:]
    ) async throws -> String {
        var parameters = [("TopicArn", topicArn), ("Message", message)]
        if let subject { parameters.append(("Subject", subject)) }
        for (n, (name, value)) in messageAttributes.sorted(by: { $0.key < $1.key }).enumerated() {
            let prefix = "MessageAttributes.entry.\(n + 1)"
            parameters += [
                ("\(prefix).Name", name), ("\(prefix).Value.DataType", "String"), ("\(prefix).Value.StringValue", value),
            ]
        }
        let xml = try await client.query(.sns, "Publish", parameters)
        return try Self.required(xml, "MessageId")
    }

    static func required(_ xml: XMLTree, _ field: String) throws -> String {
        guard let value = xml.find(field)?.text, !value.isEmpty else {
            throw AWSClientError.invalidResponse("SNS response without \(field)")
        }
        return value
    }
}
