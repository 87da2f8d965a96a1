import Foundation

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A tiny blocking HTTP/1.1 server on 127.0.0.1 for tests of HTTP clients (credential endpoints, fakes of AWS).
/// One request per connection (`Connection: close`); requests are recorded.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public struct Request: Sendable {
        public var method: String
        public var path: String
        public var headers: [String: String]  // lower-cased names
        public var body: [UInt8]
    }

    public struct Response: Sendable {
        public var status: Int
        public var headers: [String: String]
        public var body: [UInt8]
        public init(status: Int = 200, headers: [String: String] = [:], body: [UInt8] = []) {
            self.status = status
            self.headers = headers
            self.body = body
        }
        public init(status: Int = 200, json: String) {
            self.init(status: status, headers: ["Content-Type": "application/json"], body: Array(json.utf8))
        }
        public init(status: Int = 200, text: String) {
            self.init(status: status, headers: ["Content-Type": "text/plain"], body: Array(text.utf8))
        }
    }

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private var acceptLoop: AcceptLoop!
    private let handler: @Sendable (Request) -> Response
    private let lock = NSLock()
    private var recorded: [Request] = []

    /// Starts listening immediately on a kernel-chosen port.
    public init(handler: @escaping @Sendable (Request) -> Response) throws {
        let fd = try boundLoopbackSocket(port: 0)
        guard listen(fd, 64) == 0 else {
            close(fd)
            throw TestSocketError("listen")
        }
        port = try localPort(of: fd)
        self.handler = handler
        acceptLoop = AcceptLoop(fd: fd, name: "LoopbackHTTPServer:\(port)") { [self] in serve($0) }
    }

    deinit { stop() }

    /// Requests received so far.
    public var requests: [Request] { lock.withLock { recorded } }

    public func stop() { acceptLoop.stop() }

    private func serve(_ client: Int32) {
        defer { close(client) }
        var data: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        var message: ParsedHTTPMessage?
        while message == nil {
            let n = read(client, &buffer, buffer.count)
            guard n > 0 else { return }
            data += buffer[0..<n]
            message = parseHTTPMessage(data, isResponse: false)
        }
        guard let m = message, m.startLine.count >= 2 else { return }
        let request = Request(
            method: String(m.startLine[0]), path: String(m.startLine[1]),
            headers: Dictionary(m.headers, uniquingKeysWith: { a, _ in a }), body: m.body)
        lock.withLock { recorded.append(request) }
        let response = handler(request)
        var head = "HTTP/1.1 \(response.status) X\r\nContent-Length: \(response.body.count)\r\nConnection: close\r\n"
        for (k, v) in response.headers { head += "\(k): \(v)\r\n" }
        head += "\r\n"
        try? writeAll(client, Array(head.utf8) + response.body)
    }
}
