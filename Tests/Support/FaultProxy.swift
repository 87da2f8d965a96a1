import Foundation

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// What the proxy does to one request.
public enum ProxyFault: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Forward to the upstream and return its answer.
    case pass
    /// Answer a 5xx in the service's own format; nothing reaches the upstream.
    case serverError
    /// Answer the service's own throttling error (SNS/SQS query `Throttling`, DynamoDB
    /// `ProvisionedThroughputExceededException`, S3 `SlowDown`); nothing reaches the upstream.
    case throttle
    /// Hold the request this long, then forward it (its side effect lands late) and answer (usually to nobody).
    case latency(milliseconds: Int)
    /// Forward the request (the side effect happens), then send part of the answer and reset the connection.
    case resetMidBody
    /// Reset this connection unread-through and close the listener: further connections are refused until
    /// ``FaultProxy/reopen()``.
    case refuse
    /// Reset the connection without forwarding (a process that is gone: nothing it sends lands).
    case drop
    /// Read the request and never answer nor forward it, until the client goes away or the proxy stops (a service
    /// that hangs: the caller is stuck right there, for a test to kill or freeze it at that point).
    case blackhole

    public var description: String {
        switch self {
        case .pass: "pass"
        case .serverError: "5xx"
        case .throttle: "throttle"
        case .latency(let ms): "latency(\(ms)ms)"
        case .resetMidBody: "reset-mid-body"
        case .refuse: "refused"
        case .drop: "dropped"
        case .blackhole: "blackhole"
        }
    }

    /// Kinds, for counting.
    public var kind: String {
        if case .latency = self { return "latency" }
        return description
    }
}

/// One request as the proxy saw it.
public struct ProxiedRequest: Sendable {
    /// `s3`, `sqs`, `sns`, `dynamodb`… (the SigV4 credential scope's service; else guessed from the request).
    public var service: String
    /// `PutItem`, `Publish`, `GET /bucket/key`…
    public var operation: String
    public var method: String
    public var path: String
    public var headers: [String: String]  // lower-cased names
    public var body: [UInt8]
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// What happened to one proxied request.
public struct ProxyLogEntry: Sendable {
    public var request: ProxiedRequest
    public var fault: ProxyFault
    /// Order of arrival at the proxy (shared by every proxy on the same ``ProxySequence``).
    public var arrival: Int
    /// Order of the upstream's answer (nil: never forwarded, or the upstream did not answer).
    public var completion: Int?
    /// The upstream's status when forwarded.
    public var upstreamStatus: Int?
    /// Whether the client received the whole answer (as far as the proxy could tell).
    public var delivered: Bool
}

/// A counter shared by proxies, so their logs can be ordered against each other.
public final class ProxySequence: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    public init() {}
    public func next() -> Int { lock.withLock { value += 1; return value } }
}

/// A loopback HTTP/1.1 proxy between AWS clients under test and moto_server, faulting requests as `decide` says.
///
/// Point a client at it through its endpoint configuration (`AWS_ENDPOINT_URL_<SERVICE>` = ``baseURL``). One request
/// per connection (`Connection: close`); each connection is served on its own thread, so a held (latency) request
/// does not stall the others. Everything is logged (``log``) in arrival order.
public final class FaultProxy: @unchecked Sendable {
    public let port: Int
    public let upstreamPort: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let decide: @Sendable (ProxiedRequest) -> ProxyFault
    private let sequence: ProxySequence
    private let lock = NSLock()
    private var listener: AcceptLoop?
    private var stopped = false
    private var entries: [ProxyLogEntry] = []
    private var inFlight = 0

    public init(
        upstreamPort: Int, sequence: ProxySequence = ProxySequence(), decide: @escaping @Sendable (ProxiedRequest) -> ProxyFault
    ) throws {
        self.upstreamPort = upstreamPort
        self.sequence = sequence
        self.decide = decide
        let fd = try boundLoopbackSocket(port: 0)
        port = try localPort(of: fd)
        try startListening(fd)
    }

    deinit { stop() }

    public var log: [ProxyLogEntry] { lock.withLock { entries } }

    /// Whether the listener is closed (after a `.refuse`).
    public var isRefusing: Bool { lock.withLock { listener == nil && !stopped } }

    /// Listens again on the same port after a `.refuse`.
    public func reopen() throws {
        let closed = lock.withLock { listener == nil && !stopped }
        guard closed else { return }
        try startListening(try boundLoopbackSocket(port: port))
    }

    /// Closes the listener for good (held requests still finish).
    public func stop() {
        lock.withLock { stopped = true }
        closeListener()
    }

    /// Waits until no request is held or being forwarded (latency faults forward late), up to `seconds`.
    public func waitIdle(seconds: Double = 10) {
        let end = Date().addingTimeInterval(seconds)
        while lock.withLock({ inFlight }) > 0 && Date() < end { usleep(20_000) }
    }

    private func startListening(_ fd: Int32) throws {
        guard listen(fd, 128) == 0 else {
            close(fd)
            throw TestSocketError("listen")
        }
        // Set under the lock, so a connection served at once (a `.refuse` on it closes the listener) finds it.
        lock.lock()
        defer { lock.unlock() }
        listener = AcceptLoop(fd: fd, name: "FaultProxy:\(port)") { [self] client in
            lock.withLock { inFlight += 1 }
            let thread = Thread { [self] in
                defer { lock.withLock { inFlight -= 1 } }
                serve(client)
            }
            thread.start()
        }
    }

    /// Closes the listener and waits until its socket is closed, so `reopen` can bind the port again.
    private func closeListener() {
        let loop = lock.withLock {
            defer { listener = nil }
            return listener
        }
        loop?.stop(wait: true)
    }

    private func serve(_ client: Int32) {
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        var message: ParsedHTTPMessage?
        while message == nil {
            let n = read(client, &buffer, buffer.count)
            guard n > 0 else {
                close(client)
                return
            }
            data += buffer[0..<n]
            message = parseHTTPMessage(data, isResponse: false)
        }
        guard let m = message, m.startLine.count >= 2 else {
            close(client)
            return
        }
        let headers = Dictionary(m.headers, uniquingKeysWith: { a, _ in a })
        let request = Self.describe(method: String(m.startLine[0]), path: String(m.startLine[1]), headers: headers, body: m.body)
        let fault = decide(request)
        let arrival = sequence.next()
        let index = lock.withLock { () -> Int in
            entries.append(ProxyLogEntry(request: request, fault: fault, arrival: arrival, completion: nil, upstreamStatus: nil, delivered: false))
            return entries.count - 1
        }
        func update(_ change: (inout ProxyLogEntry) -> Void) { lock.withLock { change(&entries[index]) } }

        switch fault {
        case .refuse:
            reset(client)
            closeListener()
            return
        case .drop:
            reset(client)
            return
        case .blackhole:
            holdUntilGone(client)
            return
        case .serverError, .throttle:
            let (status, contentType, body) = Self.errorResponse(fault, request: request)
            let ok = respond(client, status: status, headers: [("Content-Type", contentType)], body: Array(body.utf8))
            update { $0.delivered = ok }
            close(client)
            return
        case .latency(let ms):
            usleep(useconds_t(ms) * 1000)
        case .pass, .resetMidBody:
            break
        }

        // Forward (the original request, one exchange per connection).
        let upstream: ParsedHTTPMessage
        do {
            upstream = try forward(m)
        } catch {
            update { $0.completion = sequence.next() }
            reset(client)
            return
        }
        let completion = sequence.next()
        update {
            $0.completion = completion
            $0.upstreamStatus = upstream.status
        }
        let skip: Set<String> = ["content-length", "transfer-encoding", "connection"]
        let responseHeaders = upstream.headers.filter { !skip.contains($0.0) }
        let reason = upstream.startLine.count > 2 ? String(upstream.startLine[2]) : "X"
        if fault == .resetMidBody {
            var head = "HTTP/1.1 \(upstream.status) \(reason)\r\nContent-Length: \(upstream.body.count + 16)\r\nConnection: close\r\n"
            for (k, v) in responseHeaders { head += "\(k): \(v)\r\n" }
            head += "\r\n"
            let partial = Array(head.utf8) + upstream.body.prefix(upstream.body.count / 2)
            try? writeAll(client, partial)
            usleep(5_000)
            reset(client)
            return
        }
        let ok = respond(client, status: upstream.status, reason: reason, headers: responseHeaders, body: upstream.body)
        update { $0.delivered = ok }
        close(client)
    }

    /// Waits until the client closes its end (or the proxy stops), reading and discarding whatever it sends.
    private func holdUntilGone(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !lock.withLock({ stopped }) {
            var p = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            let ready = poll(&p, 1, 200)
            if ready < 0 && errno != EINTR { break }
            if ready > 0 && read(client, &buffer, buffer.count) <= 0 { break }
        }
        close(client)
    }

    private func respond(_ client: Int32, status: Int, reason: String = "X", headers: [(String, String)], body: [UInt8]) -> Bool {
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        do {
            try writeAll(client, Array(head.utf8) + body)
            return true
        } catch {
            return false
        }
    }

    /// Closes with RST (SO_LINGER 0): the client sees "connection reset by peer".
    private func reset(_ fd: Int32) {
        var l = linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, socklen_t(MemoryLayout<linger>.size))
        close(fd)
    }

    private func forward(_ m: ParsedHTTPMessage) throws -> ParsedHTTPMessage {
        var head = m.startLine.joined(separator: " ") + "\r\n"
        for (k, v) in m.headers where k != "connection" && k != "content-length" && k != "transfer-encoding" {
            head += "\(k): \(v)\r\n"
        }
        head += "content-length: \(m.body.count)\r\nconnection: close\r\n\r\n"
        return try loopbackExchange(port: upstreamPort, request: Array(head.utf8) + m.body, timeoutSeconds: 30)
    }

    // MARK: - Requests and errors by service

    static func describe(method: String, path: String, headers: [String: String], body: [UInt8]) -> ProxiedRequest {
        var service = ""
        // SigV4: Credential=AKID/20260101/us-east-1/<service>/aws4_request
        if let auth = headers["authorization"], let range = auth.range(of: "Credential=") {
            let scope = auth[range.upperBound...].prefix { $0 != "," && $0 != " " }.split(separator: "/")
            if scope.count >= 5 { service = String(scope[3]) }
        }
        let target = headers["x-amz-target"]
        let form = headers["content-type"]?.hasPrefix("application/x-www-form-urlencoded") == true
        let text = String(decoding: body, as: UTF8.self)
        let action = form ? Self.formValue(text, "Action") : nil
        if service.isEmpty {
            if let target {
                service = target.hasPrefix("DynamoDB") ? "dynamodb" : target.hasPrefix("AmazonSQS") ? "sqs" : "json"
            } else if let action {
                service = ["Publish", "Subscribe", "CreateTopic"].contains(action) ? "sns" : "sqs"
            } else {
                service = "s3"
            }
        }
        let operation = target.map { String($0.split(separator: ".").last ?? "") } ?? action ?? "\(method) \(path)"
        return ProxiedRequest(service: service, operation: operation, method: method, path: path, headers: headers, body: body)
    }

    public static func formValue(_ form: String, _ name: String) -> String? {
        for pair in form.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1)
            if kv.count == 2, kv[0] == name {
                return String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
        }
        return nil
    }

    /// The service's own error for `.serverError` / `.throttle`: (status, content type, body).
    static func errorResponse(_ fault: ProxyFault, request: ProxiedRequest) -> (Int, String, String) {
        let throttle = fault == .throttle
        let id = UUID().uuidString
        let jsonProtocol = request.headers["x-amz-target"] != nil
        switch request.service {
        case "dynamodb":
            return throttle
                ? (400, "application/x-amz-json-1.0",
                   #"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}"#)
                : (500, "application/x-amz-json-1.0", #"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}"#)
        case "s3":
            return throttle
                ? (503, "application/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message><RequestId>\(id)</RequestId></Error>")
                : (500, "application/xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message><RequestId>\(id)</RequestId></Error>")
        case "sqs" where jsonProtocol:
            return throttle
                ? (400, "application/x-amz-json-1.0", #"{"__type":"com.amazonaws.sqs#ThrottlingException","message":"Rate exceeded"}"#)
                : (500, "application/x-amz-json-1.0", #"{"__type":"com.amazonaws.sqs#InternalError","message":"Internal error"}"#)
        default:
            // Query protocol (SNS, SQS query): ErrorResponse/Error/Code.
            let ns = request.service == "sns" ? "http://sns.amazonaws.com/doc/2010-03-31/" : "http://queue.amazonaws.com/doc/2012-11-05/"
            let (status, type, code, text) = throttle
                ? (400, "Sender", "Throttling", "Rate exceeded")
                : (500, "Receiver", "InternalError", "An internal error occurred")
            return (status, "text/xml",
                    "<ErrorResponse xmlns=\"\(ns)\"><Error><Type>\(type)</Type><Code>\(code)</Code><Message>\(text)</Message></Error><RequestId>\(id)</RequestId></ErrorResponse>")
        }
    }
}
