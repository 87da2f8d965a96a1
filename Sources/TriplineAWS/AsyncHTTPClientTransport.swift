import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import NIOPosix

#if canImport(Glibc)
import Glibc
#endif

/// ``HTTPTransport`` over AsyncHTTPClient. One `HTTPClient` (and its connection pool) serves every request.
///
/// Use ``shared`` unless you need different timeouts; an instance you create yourself must be ended with
/// ``shutdown()``.
public final class AsyncHTTPClientTransport: HTTPTransport {
    public struct Timeouts: Sendable {
        /// Time allowed to establish a TCP/TLS connection (AWS endpoints answer in milliseconds; a request's own
        /// timeout, cut to an invocation's time left, bounds it further).
        public var connect: Duration
        /// Maximum silence while waiting for response bytes.
        public var read: Duration
        /// Deadline for a whole exchange when the request sets none.
        public var request: Duration

        public init(connect: Duration = .seconds(2), read: Duration = .seconds(30), request: Duration = .seconds(60)) {
            self.connect = connect
            self.read = read
            self.request = request
        }
    }

    /// Process-wide transport with default timeouts. Never shut down (it lives as long as the process).
    public static let shared = AsyncHTTPClientTransport()

    private let client: HTTPClient
    public let timeouts: Timeouts

    public init(timeouts: Timeouts = Timeouts()) {
        self.timeouts = timeouts
        var configuration = HTTPClient.Configuration(
            timeout: .init(connect: .init(timeouts.connect), read: .init(timeouts.read)))
        // Signed requests must not be followed to another host; AWS never redirects a correct request.
        configuration.redirectConfiguration = .disallow
        // A refused connection fails the attempt at once instead of being re-dialled until the connect timeout:
        // the AWS client's retry policy (short waits for connection failures) and an invocation's call budget
        // decide what happens next, within the time the invocation has.
        configuration.connectionPool.retryConnectionEstablishment = false
        // One transport serves every caller in the process (a scan's parallel S3 reads, the destinations' fan-out, a
        // test process's suites against one moto). AsyncHTTPClient's default of 8 connections per host makes callers
        // queue, and a queued request fails with getConnectionFromPoolTimeout once it has waited the connect timeout.
        configuration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    /// Closes pooled connections. Required before releasing an instance you created.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let response = try await stream(request)
        let body = try await response.collect()
        return HTTPResponse(status: response.status, headers: response.headers, body: body)
    }

    public func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if !request.body.isEmpty || ["POST", "PUT", "PATCH"].contains(request.method) {
            outgoing.body = .bytes(ByteBuffer(bytes: request.body))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(outgoing, timeout: .init(request.timeout ?? timeouts.request))
        } catch {
            throw Self.classify(error)
        }
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name, value) }
        let body = response.body
        return HTTPStreamingResponse(
            status: Int(response.status.code), headers: headers,
            body: HTTPBodyStream {
                var iterator = body.makeAsyncIterator()
                return {
                    do {
                        guard var buffer = try await iterator.next() else { return nil }
                        return buffer.readBytes(length: buffer.readableBytes) ?? []
                    } catch {
                        throw Self.classify(error)
                    }
                }
            })
    }

    /// Maps connection-level failures to ``HTTPTransportError`` so retry policies need not know NIO.
    static func classify(_ error: any Error) -> any Error {
        if let e = error as? HTTPClientError {
            switch e {
            case .connectTimeout, .getConnectionFromPoolTimeout:
                return HTTPTransportError(.connectFailed, "\(e)")
            case .readTimeout, .deadlineExceeded, .writeTimeout:
                return HTTPTransportError(.timeout, "\(e)")
            case .remoteConnectionClosed:
                return HTTPTransportError(.connectionClosed, "\(e)")
            default:
                return error
            }
        }
        if error is NIOConnectionError { return HTTPTransportError(.connectFailed, "\(error)") }
        if let e = error as? ChannelError, case .connectTimeout = e {
            return HTTPTransportError(.connectFailed, "\(e)")
        }
        if let e = error as? IOError {
            // Without connection retries in the pool a refused dial surfaces as the socket's own error.
            let refused = [ECONNREFUSED, ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL].contains(e.errnoCode)
            return HTTPTransportError(refused ? .connectFailed : .connectionClosed, "\(error)")
        }
        return error
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
