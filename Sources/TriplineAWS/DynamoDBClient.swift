/// A DynamoDB attribute value. Numbers are kept as their decimal string, exactly as DynamoDB transmits them.
public enum DynamoValue: Sendable, Equatable, Hashable, ExpressibleByStringLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByBooleanLiteral
{
    case s(String)
    case n(String)
    case bool(Bool)
    case null
    case m([String: DynamoValue])
    case l([DynamoValue])
    case ss([String])

    public init(stringLiteral value: String) { self = .s(value) }
    public init(integerLiteral value: Int) { self = .n(String(value)) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }

    /// A number from any integer.
    public static func number<I: BinaryInteger>(_ value: I) -> DynamoValue { .n(String(value)) }
    /// A number from a double (finite values only make sense to DynamoDB).
    public static func number(_ value: Double) -> DynamoValue { .n(String(value)) }

    public var string: String? { if case .s(let v) = self { return v }; return nil }
    public var numberString: String? { if case .n(let v) = self { return v }; return nil }
    public var int: Int? { numberString.flatMap { Int($0) } }
    public var int64: Int64? { numberString.flatMap { Int64($0) } }
    public var double: Double? { numberString.flatMap { Double($0) } }
    public var bool: Bool? { if case .bool(let v) = self { return v }; return nil }
    public var isNull: Bool { self == .null }
    public var map: [String: DynamoValue]? { if case .m(let v) = self { return v }; return nil }
    public var list: [DynamoValue]? { if case .l(let v) = self { return v }; return nil }
    public var stringSet: [String]? { if case .ss(let v) = self { return v }; return nil }

    var json: AWSJSON {
        switch self {
        case .s(let v): ["S": .string(v)]
        case .n(let v): ["N": .string(v)]
        case .bool(let v): ["BOOL": .bool(v)]
        case .null: ["NULL": true]
        case .m(let v): ["M": .object(v.mapValues(\.json))]
        case .l(let v): ["L": .array(v.map(\.json))]
        case .ss(let v): ["SS": .array(v.map(AWSJSON.string))]
        }
    }

    init(json: AWSJSON) throws {
        guard let object = json.object, let (type, value) = object.first(where: { $0.value != .null }) else {
            throw AWSClientError.invalidResponse("attribute value \(json)")
        }
        switch (type, value) {
        case ("S", .string(let v)): self = .s(v)
        case ("N", .string(let v)): self = .n(v)
        case ("BOOL", .bool(let v)): self = .bool(v)
        case ("NULL", _): self = .null
        case ("M", .object(let v)): self = .m(try v.mapValues(DynamoValue.init(json:)))
        case ("L", .array(let v)): self = .l(try v.map(DynamoValue.init(json:)))
        case ("SS", .array(let v)): self = .ss(v.compactMap(\.string))
        default: throw AWSClientError.invalidResponse("unsupported attribute value type \(type)")
        }
    }
}

/// An item or key: attribute name → value.
public typealias DynamoItem = [String: DynamoValue]

func itemJSON(_ item: DynamoItem) -> AWSJSON { .object(item.mapValues(\.json)) }
/// `item(from:)` where a parameter named `item` hides it.
private func decodedItem(_ json: AWSJSON?) throws -> DynamoItem? { try item(from: json) }
func item(from json: AWSJSON?) throws -> DynamoItem? {
    try json?.object.map { try $0.mapValues(DynamoValue.init(json:)) }
}

/// Placeholders used by condition, update, key-condition and filter expressions.
public struct DynamoExpressionValues: Sendable, Equatable {
    /// `#name` → attribute name (needed for reserved words such as `ttl`, `status`).
    public var names: [String: String]
    /// `:value` → value.
    public var values: DynamoItem

    public init(names: [String: String] = [:], values: DynamoItem = [:]) {
        self.names = names
        self.values = values
    }

    func apply(to body: inout [String: AWSJSON]) {
        if !names.isEmpty { body["ExpressionAttributeNames"] = .object(names.mapValues(AWSJSON.string)) }
        if !values.isEmpty { body["ExpressionAttributeValues"] = itemJSON(values) }
    }
}

/// A Query request. `keyCondition` is required; the rest narrows or pages the result.
public struct DynamoQuery: Sendable, Equatable {
    public var table: String
    public var indexName: String?
    public var keyCondition: String
    public var filter: String?
    public var expressionValues: DynamoExpressionValues
    public var limit: Int?
    public var scanIndexForward: Bool
    public var consistentRead: Bool
    /// The previous page's ``DynamoQueryPage/lastEvaluatedKey``.
    public var exclusiveStartKey: DynamoItem?

    public init(
        table: String, indexName: String? = nil, keyCondition: String, filter: String? = nil,
        expressionValues: DynamoExpressionValues = .init(), limit: Int? = nil, scanIndexForward: Bool = true,
        consistentRead: Bool = false, exclusiveStartKey: DynamoItem? = nil
    ) {
        self.table = table
        self.indexName = indexName
        self.keyCondition = keyCondition
        self.filter = filter
        self.expressionValues = expressionValues
        self.limit = limit
        self.scanIndexForward = scanIndexForward
        self.consistentRead = consistentRead
        self.exclusiveStartKey = exclusiveStartKey
    }
}

public struct DynamoQueryPage: Sendable, Equatable {
    public var items: [DynamoItem]
    /// Non-nil when more results may follow: pass it as ``DynamoQuery/exclusiveStartKey``.
    public var lastEvaluatedKey: DynamoItem?
}

/// One write of a BatchWriteItem.
public enum DynamoWriteRequest: Sendable, Equatable {
    case put(DynamoItem)
    case delete(key: DynamoItem)

    var json: AWSJSON {
        switch self {
        case .put(let item): ["PutRequest": ["Item": itemJSON(item)]]
        case .delete(let key): ["DeleteRequest": ["Key": itemJSON(key)]]
        }
    }

    init(json: AWSJSON) throws {
        if let item = try item(from: json["PutRequest"]?["Item"]) {
            self = .put(item)
        } else if let key = try item(from: json["DeleteRequest"]?["Key"]) {
            self = .delete(key: key)
        } else {
            throw AWSClientError.invalidResponse("unprocessed item \(json)")
        }
    }
}

/// Key attribute types.
public enum DynamoKeyType: String, Sendable {
    case string = "S", number = "N", binary = "B"
}

/// The subset of DescribeTable we use.
public struct DynamoTableDescription: Sendable, Equatable {
    public var name: String
    public var status: String
    public var arn: String?
    public var itemCount: Int?
    /// Attribute names of the partition and (optional) sort key.
    public var partitionKey: String?
    public var sortKey: String?
}

/// Amazon DynamoDB (JSON 1.0, `DynamoDB_20120810.<Operation>`).
///
/// Conditional writes that fail throw ``AWSError`` with `code == "ConditionalCheckFailed"`
/// (see ``AWSError/isConditionalCheckFailed``).
public struct DynamoDBClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    func call(_ operation: String, _ body: [String: AWSJSON]) async throws -> AWSJSON {
        try await client.json(.dynamoDB, operation, .object(body))
    }

    /// Writes an item, optionally only if `condition` holds (`attribute_not_exists(pk)` for insert-once). With
    /// `returnOld`, answers the item it replaced (`ReturnValues = ALL_OLD`; nil when there was none).
    @discardableResult
    public func putItem(
        table: String, item: DynamoItem, condition: String? = nil, expressionValues: DynamoExpressionValues = .init(),
        returnOld: Bool = false
    ) async throws -> DynamoItem? {
        var body: [String: AWSJSON] = ["TableName": .string(table), "Item": itemJSON(item)]
        if let condition { body["ConditionExpression"] = .string(condition) }
        if returnOld { body["ReturnValues"] = "ALL_OLD" }
        expressionValues.apply(to: &body)
        let response = try await call("PutItem", body)
        return returnOld ? try decodedItem(response["Attributes"]) : nil
    }

    /// Reads an item by its full key; `nil` when absent.
    public func getItem(table: String, key: DynamoItem, consistentRead: Bool = false) async throws -> DynamoItem? {
        let response = try await call(
            "GetItem", ["TableName": .string(table), "Key": itemJSON(key), "ConsistentRead": .bool(consistentRead)])
        return try item(from: response["Item"])
    }

    /// Applies an update expression (`SET #c = if_not_exists(#c, :zero) + :one`), optionally conditional.
    /// Returns the item after the update (`ReturnValues = ALL_NEW`).
    @discardableResult
    public func updateItem(
        table: String, key: DynamoItem, update: String, condition: String? = nil,
        expressionValues: DynamoExpressionValues = .init()
    ) async throws -> DynamoItem? {
        var body: [String: AWSJSON] = [
            "TableName": .string(table), "Key": itemJSON(key), "UpdateExpression": .string(update), "ReturnValues": "ALL_NEW",
        ]
        if let condition { body["ConditionExpression"] = .string(condition) }
        expressionValues.apply(to: &body)
        return try item(from: try await call("UpdateItem", body)["Attributes"])
    }

    /// One page of a query.
    public func query(_ query: DynamoQuery) async throws -> DynamoQueryPage {
        var body: [String: AWSJSON] = [
            "TableName": .string(query.table), "KeyConditionExpression": .string(query.keyCondition),
            "ScanIndexForward": .bool(query.scanIndexForward), "ConsistentRead": .bool(query.consistentRead),
        ]
        if let index = query.indexName { body["IndexName"] = .string(index) }
        if let filter = query.filter { body["FilterExpression"] = .string(filter) }
        if let limit = query.limit { body["Limit"] = .number(Double(limit)) }
        if let start = query.exclusiveStartKey { body["ExclusiveStartKey"] = itemJSON(start) }
        query.expressionValues.apply(to: &body)
        let response = try await call("Query", body)
        let last = try item(from: response["LastEvaluatedKey"])
        return DynamoQueryPage(
            items: try (response["Items"]?.array ?? []).compactMap { try item(from: $0) },
            lastEvaluatedKey: last?.isEmpty == true ? nil : last)
    }

    /// Every item matching `query`, following `LastEvaluatedKey` (`limit` is the page size).
    public func queryAll(_ query: DynamoQuery) async throws -> [DynamoItem] {
        var request = query
        var items: [DynamoItem] = []
        repeat {
            let page = try await self.query(request)
            items += page.items
            request.exclusiveStartKey = page.lastEvaluatedKey
        } while request.exclusiveStartKey != nil
        return items
    }

    /// Writes any number of items to one table: batches of 25, with `UnprocessedItems` resubmitted after the
    /// client's retry-policy backoff (unprocessed items are DynamoDB throttling). Returns what the policy gave up on
    /// (normally empty).
    @discardableResult
    public func batchWriteItem(table: String, requests: [DynamoWriteRequest]) async throws -> [DynamoWriteRequest] {
        var leftover: [DynamoWriteRequest] = []
        for start in stride(from: 0, to: requests.count, by: 25) {
            var pending = Array(requests[start..<min(start + 25, requests.count)])
            var round = 0
            while !pending.isEmpty {
                round += 1
                let response = try await call(
                    "BatchWriteItem", ["RequestItems": .object([table: .array(pending.map(\.json))])])
                pending = try (response["UnprocessedItems"]?[table]?.array ?? []).map(DynamoWriteRequest.init(json:))
                if pending.isEmpty { break }
                let throttled = AWSError(
                    rawCode: "ProvisionedThroughputExceededException", message: "unprocessed items", statusCode: 400,
                    service: "dynamodb", operation: "BatchWriteItem")
                guard case .retry(let wait) = client.retryPolicy.decision(after: throttled, attempt: round) else {
                    leftover += pending
                    break
                }
                try await client.sleep(wait)
            }
        }
        return leftover
    }

    /// Creates an on-demand table with a partition key and optional sort key.
    public func createTable(
        table: String, partitionKey: (name: String, type: DynamoKeyType),
        sortKey: (name: String, type: DynamoKeyType)? = nil
    ) async throws {
        var keys: [AWSJSON] = [["AttributeName": .string(partitionKey.name), "KeyType": "HASH"]]
        var attributes: [AWSJSON] = [["AttributeName": .string(partitionKey.name), "AttributeType": .string(partitionKey.type.rawValue)]]
        if let sortKey {
            keys.append(["AttributeName": .string(sortKey.name), "KeyType": "RANGE"])
            attributes.append(["AttributeName": .string(sortKey.name), "AttributeType": .string(sortKey.type.rawValue)])
        }
        _ = try await call(
            "CreateTable",
            [
                "TableName": .string(table), "KeySchema": .array(keys), "AttributeDefinitions": .array(attributes),
                "BillingMode": "PAY_PER_REQUEST",
            ])
    }

    /// Enables (or disables) expiry on an epoch-seconds attribute.
    public func updateTimeToLive(table: String, attributeName: String, enabled: Bool = true) async throws {
        _ = try await call(
            "UpdateTimeToLive",
            [
                "TableName": .string(table),
                "TimeToLiveSpecification": ["AttributeName": .string(attributeName), "Enabled": .bool(enabled)],
            ])
    }

    public func describeTable(table: String) async throws -> DynamoTableDescription {
        let t = try await call("DescribeTable", ["TableName": .string(table)])["Table"] ?? [:]
        let schema = t["KeySchema"]?.array ?? []
        func key(_ type: String) -> String? { schema.first { $0["KeyType"]?.string == type }?["AttributeName"]?.string }
        return DynamoTableDescription(
            name: try t.require("TableName", \.string), status: t["TableStatus"]?.string ?? "", arn: t["TableArn"]?.string,
            itemCount: t["ItemCount"]?.int, partitionKey: key("HASH"), sortKey: key("RANGE"))
    }
}

extension AWSError {
    /// A DynamoDB condition expression evaluated to false.
    public var isConditionalCheckFailed: Bool { `is`("ConditionalCheckFailed") }
}
