/// Case-insensitive, order-preserving HTTP headers.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public private(set) var entries: [(name: String, value: String)]

    public init(_ entries: [(name: String, value: String)] = []) { self.entries = entries }
    public init(dictionaryLiteral elements: (String, String)...) { entries = elements.map { ($0.0, $0.1) } }

    /// The first value for `name` (case-insensitive).
    public subscript(name: String) -> String? {
        let lower = name.lowercased()
        return entries.first { $0.name.lowercased() == lower }?.value
    }

    /// Replaces every value of `name` with `value`.
    public mutating func set(_ name: String, _ value: String) {
        remove(name)
        entries.append((name, value))
    }

    public mutating func add(_ name: String, _ value: String) { entries.append((name, value)) }

    public mutating func remove(_ name: String) {
        let lower = name.lowercased()
        entries.removeAll { $0.name.lowercased() == lower }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> { entries.makeIterator() }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.entries.map { "\($0.name.lowercased()):\($0.value)" } == rhs.entries.map { "\($0.name.lowercased()):\($0.value)" }
    }
}

/// A fully formed HTTP request: absolute URL, headers (already signed) and a buffered body.
public struct HTTPRequest: Sendable, Equatable {
    public var method: String
    /// Absolute URL with the path and query already percent-encoded.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Deadline for the whole exchange (connect, send, response head and body). `nil`: the transport's default.
    public var timeout: Duration?

    public init(method: String, url: String, headers: HTTPHeaders = [:], body: [UInt8] = [], timeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// A buffered HTTP response.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

/// A response whose body is read chunk by chunk, so large objects are never held twice.
public struct HTTPStreamingResponse: Sendable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: HTTPBodyStream

    public init(status: Int, headers: HTTPHeaders, body: HTTPBodyStream) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Reads the whole body into one array, pre-sized from `Content-Length` when known.
    /// Throws ``AWSClientError/bodyTooLarge(limit:)`` past `limit` bytes.
    public func collect(upTo limit: Int = .max) async throws -> [UInt8] {
        var out: [UInt8] = []
        if let length = headers["content-length"].flatMap(Int.init) {
            guard length <= limit else { throw AWSClientError.bodyTooLarge(limit: limit) }
            out.reserveCapacity(length)
        }
        for try await chunk in body {
            guard out.count + chunk.count <= limit else { throw AWSClientError.bodyTooLarge(limit: limit) }
            out.append(contentsOf: chunk)
        }
        return out
    }
}

/// A single-pass asynchronous sequence of body chunks. It pulls from the connection on demand
/// (back-pressure is the transport's), so iterate it once.
public struct HTTPBodyStream: AsyncSequence, Sendable {
    public typealias Element = [UInt8]

    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextChunk: () async throws -> [UInt8]?
        public mutating func next() async throws -> [UInt8]? { try await nextChunk() }
    }

    private let makeIteratorClosure: @Sendable () -> AsyncIterator

    /// Wraps any producer of chunks: `makeNext` is called once per iteration and returns the chunk reader.
    public init(_ makeNext: @escaping @Sendable () -> (() async throws -> [UInt8]?)) {
        makeIteratorClosure = { AsyncIterator(nextChunk: makeNext()) }
    }

    /// A body already in memory, delivered in chunks of `chunkSize` bytes (fakes and buffered fallbacks).
    public init(bytes: [UInt8], chunkSize: Int = 64 * 1024) {
        self.init {
            var offset = 0
            return {
                guard offset < bytes.count else { return nil }
                let end = Swift.min(offset + chunkSize, bytes.count)
                defer { offset = end }
                return Array(bytes[offset..<end])
            }
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { makeIteratorClosure() }
}

/// The single I/O edge of the AWS client: send a request, get a response.
///
/// Conformers implement ``send(_:)``. ``stream(_:)`` has a buffered default; the real transport overrides it so
/// S3 objects are read incrementally.
public protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse
}

extension HTTPTransport {
    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        let response = try await send(request)
        return HTTPStreamingResponse(status: response.status, headers: response.headers, body: HTTPBodyStream(bytes: response.body))
    }
}

/// Failures below HTTP (no response was received). Retry policies treat all of these as transient.
public struct HTTPTransportError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case connectFailed, connectionClosed, timeout, other
    }

    public var kind: Kind
    public var detail: String

    public init(_ kind: Kind, _ detail: String) {
        self.kind = kind
        self.detail = detail
    }

    public var description: String { "HTTP transport error (\(kind)): \(detail)" }
}
