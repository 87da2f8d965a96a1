import Foundation

/// The one attribute LookupEvents can filter on.
public struct CloudTrailLookupAttribute: Sendable, Equatable {
    public enum Key: String, Sendable {
        case eventId = "EventId", eventName = "EventName", readOnly = "ReadOnly", username = "Username"
        case resourceType = "ResourceType", resourceName = "ResourceName", eventSource = "EventSource"
        case accessKeyId = "AccessKeyId"
    }

    public var key: Key
    public var value: String

    public init(_ key: Key, _ value: String) {
        self.key = key
        self.value = value
    }
}

/// Parameters of LookupEvents.
public struct CloudTrailLookupRequest: Sendable, Equatable {
    public var attribute: CloudTrailLookupAttribute?
    public var startTime: Date?
    public var endTime: Date?
    /// 1…50 (the API maximum).
    public var maxResults: Int
    public var nextToken: String?

    public init(
        attribute: CloudTrailLookupAttribute? = nil, startTime: Date? = nil, endTime: Date? = nil, maxResults: Int = 50,
        nextToken: String? = nil
    ) {
        self.attribute = attribute
        self.startTime = startTime
        self.endTime = endTime
        self.maxResults = maxResults
        self.nextToken = nextToken
    }
}

/// One event as LookupEvents returns it. `cloudTrailEvent` is the full record as a JSON string.
public struct CloudTrailEventSummary: Sendable, Equatable {
    public var eventId: String
    public var eventName: String?
    public var eventSource: String?
    public var eventTime: Date?
    public var username: String?
    public var accessKeyId: String?
    public var readOnly: Bool?
    public var cloudTrailEvent: String?
}

public struct CloudTrailLookupPage: Sendable, Equatable {
    public var events: [CloudTrailEventSummary]
    /// `nil` on the last page.
    public var nextToken: String?
}

/// AWS CloudTrail LookupEvents (JSON 1.1), rate-limited client-side.
///
/// AWS allows 2 LookupEvents calls per second per account and region; every call first waits on `rateLimiter`
/// under the key `<account>/<region>` so parallel pollers sharing a limiter stay under the quota.
public struct CloudTrailClient: Sendable {
    public var client: AWSClient
    public var rateLimiter: any RequestRateLimiting
    /// Account id (or any stable label) for the limiter key; defaults to the access key id.
    public var account: String?

    /// The limiter shared by every client that does not bring its own.
    public static let sharedRateLimiter: any RequestRateLimiting = RateLimiter(perSecond: 2)

    public init(_ client: AWSClient, rateLimiter: any RequestRateLimiting = CloudTrailClient.sharedRateLimiter, account: String? = nil) {
        self.client = client
        self.rateLimiter = rateLimiter
        self.account = account
    }

    /// One page of events, newest first.
    public func lookupEvents(_ request: CloudTrailLookupRequest) async throws -> CloudTrailLookupPage {
        guard (1...50).contains(request.maxResults) else { throw AWSClientError.invalidParameter("MaxResults must be 1…50") }
        var body: [String: AWSJSON] = ["MaxResults": .number(Double(request.maxResults))]
        if let a = request.attribute {
            body["LookupAttributes"] = [["AttributeKey": .string(a.key.rawValue), "AttributeValue": .string(a.value)]]
        }
        if let start = request.startTime { body["StartTime"] = .number(start.timeIntervalSince1970) }
        if let end = request.endTime { body["EndTime"] = .number(end.timeIntervalSince1970) }
        if let token = request.nextToken { body["NextToken"] = .string(token) }

        let label: String
        if let account { label = account } else { label = try await client.credentials.credentials().accessKeyId }
        let key = "\(label)/\(client.region)"
        try await rateLimiter.acquire(key)
        let response: AWSJSON
        do {
            response = try await client.json(.cloudTrail, "LookupEvents", .object(body))
        } catch {
            await rateLimiter.finished(key)
            throw error
        }
        await rateLimiter.finished(key)
        let events = try (response["Events"]?.array ?? []).map { e in
            CloudTrailEventSummary(
                eventId: try e.require("EventId", \.string), eventName: e["EventName"]?.string,
                eventSource: e["EventSource"]?.string,
                eventTime: e["EventTime"]?.double.map(Date.init(timeIntervalSince1970:)),
                username: e["Username"]?.string, accessKeyId: e["AccessKeyId"]?.string,
                readOnly: e["ReadOnly"]?.string.map { $0 == "true" }, cloudTrailEvent: e["CloudTrailEvent"]?.string)
        }
        let next = response["NextToken"]?.string
        return CloudTrailLookupPage(events: events, nextToken: next?.isEmpty == true ? nil : next)
    }

    /// Follows `NextToken` for up to `maxPages` pages and returns all events in order.
    public func lookupAllEvents(_ request: CloudTrailLookupRequest, maxPages: Int = 100) async throws -> [CloudTrailEventSummary] {
        var request = request
        var events: [CloudTrailEventSummary] = []
        for _ in 0..<maxPages {
            let page = try await lookupEvents(request)
            events += page.events
            guard let token = page.nextToken else { break }
            request.nextToken = token
        }
        return events
    }
}
