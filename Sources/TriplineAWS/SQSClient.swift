/// A received SQS message.
public struct SQSMessage: Sendable, Equatable {
    public var messageId: String
    /// Needed to delete the message or change its visibility.
    public var receiptHandle: String
    public var body: String
    /// System attributes (`ApproximateReceiveCount`, `SentTimestamp`, …) when requested.
    public var attributes: [String: String]
    /// String-valued message attributes (binary ones are omitted).
    public var messageAttributes: [String: String]
}

/// One entry of a batch call that failed.
public struct SQSBatchFailure: Sendable, Equatable {
    public var id: String
    public var code: String
    public var message: String?
    public var senderFault: Bool
}

/// Result of a batch call: which entry ids succeeded and which failed.
public struct SQSBatchResult: Sendable, Equatable {
    public var successful: [String]
    public var failed: [SQSBatchFailure]
}

/// Amazon SQS (JSON 1.0, `AmazonSQS.<Operation>`). Calls go to the configured endpoint with `QueueUrl` in the body.
public struct SQSClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    func call(_ operation: String, _ body: AWSJSON, timeout: Duration? = nil) async throws -> AWSJSON {
        try await client.json(.sqs, operation, body, timeout: timeout)
    }

    /// Creates (or returns the existing, identically configured) queue; returns its URL.
    public func createQueue(name: String, attributes: [String: String] = [:]) async throws -> String {
        var body: [String: AWSJSON] = ["QueueName": .string(name)]
        if !attributes.isEmpty { body["Attributes"] = .object(attributes.mapValues(AWSJSON.string)) }
        return try await call("CreateQueue", .object(body)).require("QueueUrl", \.string)
    }

    /// Queue attributes by name (`["QueueArn"]`, `["All"]`).
    public func getQueueAttributes(queueUrl: String, names: [String] = ["All"]) async throws -> [String: String] {
        let response = try await call(
            "GetQueueAttributes", ["QueueUrl": .string(queueUrl), "AttributeNames": .array(names.map(AWSJSON.string))])
        return response["Attributes"]?.object?.compactMapValues(\.string) ?? [:]
    }

    /// The queue's ARN (for subscriptions, notifications and policies).
    public func queueArn(queueUrl: String) async throws -> String {
        guard let arn = try await getQueueAttributes(queueUrl: queueUrl, names: ["QueueArn"])["QueueArn"] else {
            throw AWSClientError.invalidResponse("GetQueueAttributes returned no QueueArn")
        }
        return arn
    }

    public func setQueueAttributes(queueUrl: String, attributes: [String: String]) async throws {
        _ = try await call(
            "SetQueueAttributes", ["QueueUrl": .string(queueUrl), "Attributes": .object(attributes.mapValues(AWSJSON.string))])
    }

    /// Sends a message with optional String message attributes; returns the message id.
    @discardableResult
    public func sendMessage(
        queueUrl: String, body: String, messageAttributes: [String: String] = [:], delaySeconds: Int? = nil
    ) async throws -> String {
        var request: [String: AWSJSON] = ["QueueUrl": .string(queueUrl), "MessageBody": .string(body)]
        if !messageAttributes.isEmpty {
            request["MessageAttributes"] = .object(messageAttributes.mapValues { ["DataType": "String", "StringValue": .string($0)] })
        }
        if let delaySeconds { request["DelaySeconds"] = .number(Double(delaySeconds)) }
        return try await call("SendMessage", .object(request)).require("MessageId", \.string)
    }

    /// Receives up to `maxMessages` (1…10), long-polling for `waitTimeSeconds` (0…20). Message attributes and
    /// system attributes are all requested.
    public func receiveMessage(
        queueUrl: String, maxMessages: Int = 10, waitTimeSeconds: Int = 0, visibilityTimeout: Int? = nil
    ) async throws -> [SQSMessage] {
        guard (1...10).contains(maxMessages), (0...20).contains(waitTimeSeconds) else {
            throw AWSClientError.invalidParameter("maxMessages 1…10 and waitTimeSeconds 0…20")
        }
        var request: [String: AWSJSON] = [
            "QueueUrl": .string(queueUrl), "MaxNumberOfMessages": .number(Double(maxMessages)),
            "WaitTimeSeconds": .number(Double(waitTimeSeconds)), "MessageAttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"], "AttributeNames": ["All"],
        ]
        if let visibilityTimeout { request["VisibilityTimeout"] = .number(Double(visibilityTimeout)) }
        // A long poll legitimately holds the connection for `waitTimeSeconds`.
        let response = try await call("ReceiveMessage", .object(request), timeout: .seconds(waitTimeSeconds + 20))
        return try (response["Messages"]?.array ?? []).map { m in
            SQSMessage(
                messageId: try m.require("MessageId", \.string),
                receiptHandle: try m.require("ReceiptHandle", \.string),
                body: m["Body"]?.string ?? "",
                attributes: m["Attributes"]?.object?.compactMapValues(\.string) ?? [:],
                messageAttributes: m["MessageAttributes"]?.object?.compactMapValues { $0["StringValue"]?.string } ?? [:])
        }
    }

    public func deleteMessage(queueUrl: String, receiptHandle: String) async throws {
        _ = try await call("DeleteMessage", ["QueueUrl": .string(queueUrl), "ReceiptHandle": .string(receiptHandle)])
    }

    /// Deletes up to 10 messages; `entries` pairs a caller-chosen id (unique in the batch) with a receipt handle.
    public func deleteMessageBatch(queueUrl: String, entries: [(id: String, receiptHandle: String)]) async throws -> SQSBatchResult {
        guard (1...10).contains(entries.count) else { throw AWSClientError.invalidParameter("1…10 entries per batch") }
        let response = try await call(
            "DeleteMessageBatch",
            [
                "QueueUrl": .string(queueUrl),
                "Entries": .array(entries.map { ["Id": .string($0.id), "ReceiptHandle": .string($0.receiptHandle)] }),
            ])
        return SQSBatchResult(
            successful: (response["Successful"]?.array ?? []).compactMap { $0["Id"]?.string },
            failed: (response["Failed"]?.array ?? []).map {
                SQSBatchFailure(
                    id: $0["Id"]?.string ?? "", code: $0["Code"]?.string ?? "", message: $0["Message"]?.string,
                    senderFault: $0["SenderFault"]?.bool ?? false)
            })
    }

    /// Hides (or, with 0, releases) a received message for `visibilityTimeout` seconds.
    public func changeMessageVisibility(queueUrl: String, receiptHandle: String, visibilityTimeout: Int) async throws {
        _ = try await call(
            "ChangeMessageVisibility",
            [
                "QueueUrl": .string(queueUrl), "ReceiptHandle": .string(receiptHandle),
                "VisibilityTimeout": .number(Double(visibilityTimeout)),
            ])
    }
}
