import Foundation
import SigV4

/// How buckets are addressed.
public enum S3AddressingStyle: Sendable, Equatable {
    /// Virtual-hosted on AWS's own endpoints when the bucket name allows it (DNS label, no dots), path style otherwise
    /// and on endpoint overrides (moto only understands path style).
    case auto
    /// `https://bucket.s3.region.amazonaws.com/key`
    case virtualHosted
    /// `https://s3.region.amazonaws.com/bucket/key`
    case path
}

/// An object read fully into memory.
public struct S3Object: Sendable, Equatable {
    public var body: [UInt8]
    public var contentType: String?
    public var eTag: String?
    public var lastModified: String?
}

/// An object whose body is read incrementally. Iterate ``body`` once.
public struct S3ObjectStream: Sendable {
    /// From `Content-Length`, when the server sent one.
    public var contentLength: Int?
    public var contentType: String?
    public var eTag: String?
    public var body: HTTPBodyStream
}

/// One entry of a listing.
public struct S3ObjectSummary: Sendable, Equatable {
    public var key: String
    public var size: Int
    public var eTag: String?
    public var lastModified: Date?
}

/// One page of ListObjectsV2.
public struct S3ListPage: Sendable, Equatable {
    public var objects: [S3ObjectSummary]
    public var commonPrefixes: [String]
    /// Pass to the next call; `nil` on the last page.
    public var nextContinuationToken: String?
}

/// An SQS destination for bucket events (`s3:ObjectCreated:*`), optionally filtered by key prefix/suffix.
public struct S3QueueNotification: Sendable, Equatable {
    public var id: String?
    public var queueArn: String
    public var events: [String]
    public var prefix: String?
    public var suffix: String?

    public init(id: String? = nil, queueArn: String, events: [String] = ["s3:ObjectCreated:*"], prefix: String? = nil, suffix: String? = nil) {
        self.id = id
        self.queueArn = queueArn
        self.events = events
        self.prefix = prefix
        self.suffix = suffix
    }
}

/// Amazon S3 (REST-XML).
public struct S3Client: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    /// Reads an object fully. The body is accumulated once, pre-sized from `Content-Length`; objects larger than
    /// `maxBytes` fail with ``AWSClientError/bodyTooLarge(limit:)`` instead of exhausting memory.
    public func getObject(bucket: String, key: String, maxBytes: Int = 512 << 20) async throws -> S3Object {
        let stream = try await getObjectStream(bucket: bucket, key: key)
        let response = HTTPStreamingResponse(
            status: 200, headers: stream.contentLength.map { ["content-length": String($0)] } ?? [:], body: stream.body)
        let body = try await response.collect(upTo: maxBytes)
        return S3Object(body: body, contentType: stream.contentType, eTag: stream.eTag, lastModified: nil)
    }

    /// Starts reading an object and returns as soon as the headers arrive; chunks are pulled from the connection as
    /// `body` is iterated.
    public func getObjectStream(bucket: String, key: String) async throws -> S3ObjectStream {
        let response = try await client.executeStreaming(try request("GetObject", "GET", bucket: bucket, key: key))
        return S3ObjectStream(
            contentLength: response.headers["content-length"].flatMap(Int.init),
            contentType: response.headers["content-type"], eTag: response.headers["etag"], body: response.body)
    }

    /// Stores an object. Returns its ETag. (Send `application/octet-stream` or a real type: some servers store
    /// form-typed bodies as empty.)
    @discardableResult
    public func putObject(
        bucket: String, key: String, body: [UInt8], contentType: String = "application/octet-stream"
    ) async throws -> String? {
        var r = try request("PutObject", "PUT", bucket: bucket, key: key)
        r.headers.set("content-type", contentType)
        r.body = body
        return try await client.execute(r).headers["etag"]
    }

    /// One page of keys under `prefix`. Use ``listAllObjects(bucket:prefix:)`` to follow continuation tokens.
    public func listObjectsV2(
        bucket: String, prefix: String? = nil, delimiter: String? = nil, continuationToken: String? = nil,
        startAfter: String? = nil, maxKeys: Int? = nil
    ) async throws -> S3ListPage {
        var r = try request("ListObjectsV2", "GET", bucket: bucket, key: nil)
        r.query = [SigV4QueryItem("list-type", "2")]
        if let prefix { r.query.append(.init("prefix", prefix)) }
        if let delimiter { r.query.append(.init("delimiter", delimiter)) }
        if let continuationToken { r.query.append(.init("continuation-token", continuationToken)) }
        if let startAfter { r.query.append(.init("start-after", startAfter)) }
        if let maxKeys { r.query.append(.init("max-keys", String(maxKeys))) }
        let xml = try XMLTree.parse(try await client.execute(r).body)
        let objects = try xml.all("Contents").map { item -> S3ObjectSummary in
            guard let key = item.text("Key") else { throw AWSClientError.invalidResponse("ListObjectsV2 entry without Key") }
            return S3ObjectSummary(
                key: key, size: item.text("Size").flatMap(Int.init) ?? 0, eTag: item.text("ETag"),
                lastModified: item.text("LastModified").flatMap(parseISO8601))
        }
        let truncated = xml.text("IsTruncated") == "true"
        return S3ListPage(
            objects: objects, commonPrefixes: xml.all("CommonPrefixes").compactMap { $0.text("Prefix") },
            nextContinuationToken: truncated ? xml.text("NextContinuationToken") : nil)
    }

    /// Every object under `prefix`, following continuation tokens.
    public func listAllObjects(bucket: String, prefix: String? = nil, pageSize: Int? = nil) async throws -> [S3ObjectSummary] {
        var all: [S3ObjectSummary] = []
        var token: String?
        repeat {
            let page = try await listObjectsV2(bucket: bucket, prefix: prefix, continuationToken: token, maxKeys: pageSize)
            all += page.objects
            token = page.nextContinuationToken
        } while token != nil
        return all
    }

    /// Creates a bucket in the client's region.
    public func createBucket(_ bucket: String) async throws {
        var r = try request("CreateBucket", "PUT", bucket: bucket, key: nil)
        if client.region != "us-east-1" {
            r.body = Array(
                ("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                    + "<LocationConstraint>\(xmlEscape(client.region))</LocationConstraint></CreateBucketConfiguration>").utf8)
            r.headers.set("content-type", "application/xml")
        }
        _ = try await client.execute(r)
    }

    /// Replaces the bucket's notification configuration with these SQS destinations.
    public func putBucketNotificationConfiguration(bucket: String, queues: [S3QueueNotification]) async throws {
        var xml = "<NotificationConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for q in queues {
            xml += "<QueueConfiguration>"
            if let id = q.id { xml += "<Id>\(xmlEscape(id))</Id>" }
            xml += "<Queue>\(xmlEscape(q.queueArn))</Queue>"
            for event in q.events { xml += "<Event>\(xmlEscape(event))</Event>" }
            let rules = [("prefix", q.prefix), ("suffix", q.suffix)].compactMap { name, value in
                value.map { "<FilterRule><Name>\(name)</Name><Value>\(xmlEscape($0))</Value></FilterRule>" }
            }
            if !rules.isEmpty { xml += "<Filter><S3Key>\(rules.joined())</S3Key></Filter>" }
            xml += "</QueueConfiguration>"
        }
        xml += "</NotificationConfiguration>"
        var r = try request("PutBucketNotificationConfiguration", "PUT", bucket: bucket, key: nil)
        r.query = [SigV4QueryItem("notification", "")]
        r.headers.set("content-type", "application/xml")
        r.body = Array(xml.utf8)
        _ = try await client.execute(r)
    }

    /// Decodes an object key as it appears in S3 event notifications, which form-encode it (`+` for space,
    /// `%2F` for `/`): `+` first, then percent escapes. Returns the input unchanged if an escape is malformed.
    public static func decodeNotificationKey(_ key: String) -> String {
        let spaced = key.replacingOccurrences(of: "+", with: " ")
        return spaced.removingPercentEncoding ?? spaced
    }

    // MARK: - Addressing

    func request(_ operation: String, _ method: String, bucket: String, key: String?) throws -> AWSRequest {
        guard !bucket.isEmpty, !bucket.contains("/") else { throw AWSClientError.invalidParameter("bucket name \(bucket)") }
        let keyPath = key.map { "/" + SigV4Encoding.encodePath($0) } ?? ""
        let (_, isDefault) = try client.endpoints.resolve(.s3, region: client.region)
        let virtual: Bool
        switch client.s3AddressingStyle {
        case .path: virtual = false
        case .virtualHosted: virtual = true
        case .auto: virtual = isDefault && Self.isVirtualHostable(bucket)
        }
        return AWSRequest(
            service: .s3, operation: operation, method: method,
            path: virtual ? (keyPath.isEmpty ? "/" : keyPath) : "/\(SigV4Encoding.encode(bucket))\(keyPath)",
            hostPrefix: virtual ? bucket : nil,
            unsignedPayload: method == "GET")
    }

    /// A bucket can be a host label when it is lower-case letters, digits and hyphens (dots would break TLS).
    static func isVirtualHostable(_ bucket: String) -> Bool {
        (3...63).contains(bucket.count) && bucket.first != "-" && bucket.last != "-"
            && bucket.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}
