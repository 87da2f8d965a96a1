import Foundation

#if canImport(Glibc)
import Glibc
private let streamSocket = Int32(SOCK_STREAM.rawValue)
#else
import Darwin
private let streamSocket = SOCK_STREAM
#endif

/// Errors from the small socket helpers.
public struct TestSocketError: Error, CustomStringConvertible {
    public let description: String
    init(_ what: String) { description = "\(what): \(String(cString: strerror(errno)))" }
    init(message: String) { description = message }
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the kernel picks it by binding port 0).
public func freePort() throws -> Int {
    let fd = try boundLoopbackSocket(port: 0)
    defer { close(fd) }
    return try localPort(of: fd)
}

func boundLoopbackSocket(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, streamSocket, 0)
    guard fd >= 0 else { throw TestSocketError("socket") }
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else {
        close(fd)
        throw TestSocketError("bind")
    }
    return fd
}

func localPort(of fd: Int32) throws -> Int {
    var addr = sockaddr_in()
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    let rc = withUnsafeMutablePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
    }
    guard rc == 0 else { throw TestSocketError("getsockname") }
    return Int(UInt16(bigEndian: addr.sin_port))
}

/// A bare HTTP/1.1 exchange over a fresh loopback connection (`Connection: close`). Used by test support to talk
/// to moto without depending on the client under test.
public func rawHTTP(
    port: Int, method: String, path: String, headers: [String: String] = [:], body: [UInt8] = [], timeoutSeconds: Int = 10
) throws -> (status: Int, body: [UInt8]) {
    var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\nContent-Length: \(body.count)\r\n"
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    head += "\r\n"
    let parsed = try loopbackExchange(port: port, request: Array(head.utf8) + body, timeoutSeconds: timeoutSeconds)
    return (parsed.status, parsed.body)
}

/// Sends one complete HTTP/1.1 request (which asks for `Connection: close`) on a fresh loopback connection and
/// reads the response to the end.
func loopbackExchange(port: Int, request: [UInt8], timeoutSeconds: Int) throws -> ParsedHTTPMessage {
    let fd = socket(AF_INET, streamSocket, 0)
    guard fd >= 0 else { throw TestSocketError("socket") }
    defer { close(fd) }
    var tv = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard rc == 0 else { throw TestSocketError("connect 127.0.0.1:\(port)") }
    try writeAll(fd, request)
    var response: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = read(fd, &buffer, buffer.count)
        if n < 0 { throw TestSocketError("read from 127.0.0.1:\(port)") }
        if n == 0 { break }
        response.append(contentsOf: buffer[0..<n])
    }
    guard let parsed = parseHTTPMessage(response, isResponse: true) else {
        throw TestSocketError(message: "unparseable HTTP response from port \(port)")
    }
    return parsed
}

func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
    var offset = 0
    while offset < bytes.count {
        let n = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n > 0 else { throw TestSocketError("write") }
        offset += n
    }
}

/// A parsed HTTP/1.1 message (request or response) with a Content-Length or chunked body.
struct ParsedHTTPMessage {
    var startLine: [Substring]
    var headers: [(String, String)]
    var body: [UInt8]
    var status: Int { startLine.count > 1 ? Int(startLine[1]) ?? 0 : 0 }
    /// Bytes of the input consumed (for requests on a keep-alive connection).
    var consumed: Int
}

/// Returns nil while the message is incomplete.
func parseHTTPMessage(_ data: [UInt8], isResponse: Bool) -> ParsedHTTPMessage? {
    let separator: [UInt8] = [13, 10, 13, 10]
    guard let headEnd = data.indices.first(where: { data[$0...].starts(with: separator) }) else { return nil }
    let head = String(decoding: data[..<headEnd], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let startLine = lines.removeFirst().split(separator: " ", maxSplits: 2)
    let headers = lines.compactMap { line -> (String, String)? in
        guard let colon = line.firstIndex(of: ":") else { return nil }
        return (line[..<colon].lowercased(), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
    }
    let bodyStart = headEnd + 4
    if let length = headers.first(where: { $0.0 == "content-length" }).flatMap({ Int($0.1) }) {
        guard data.count >= bodyStart + length else { return nil }
        return ParsedHTTPMessage(startLine: startLine, headers: headers, body: Array(data[bodyStart..<(bodyStart + length)]), consumed: bodyStart + length)
    }
    if headers.contains(where: { $0.0 == "transfer-encoding" && $0.1.lowercased().contains("chunked") }) {
        var body: [UInt8] = []
        var i = bodyStart
        while true {
            guard let lineEnd = data[i...].indices.first(where: { data[$0...].starts(with: [13, 10]) }) else { return nil }
            guard let size = Int(String(decoding: data[i..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16) else { return nil }
            let chunkStart = lineEnd + 2
            guard data.count >= chunkStart + size + 2 else { return nil }
            if size == 0 { return ParsedHTTPMessage(startLine: startLine, headers: headers, body: body, consumed: chunkStart + 2) }
            body += data[chunkStart..<(chunkStart + size)]
            i = chunkStart + size + 2
        }
    }
    // Responses without a length run to the end of the connection; requests without one have no body.
    return ParsedHTTPMessage(startLine: startLine, headers: headers, body: isResponse ? Array(data[bodyStart...]) : [], consumed: isResponse ? data.count : bodyStart)
}

/// Accepts connections on a listening socket, on a thread of its own, until stopped.
///
/// The loop, never `stop`, closes the socket. Closing it from another thread frees the descriptor number while the
/// loop may be about to call accept(2) on it again; the next listener in the process, given the same number, then
/// has its connections taken and answered by the old server (seen as a test whose receiver recorded nothing while
/// the client got an answer).
final class AcceptLoop: @unchecked Sendable {
    private let fd: Int32
    private let lock = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// Starts accepting on `fd` (already listening); `serve` gets each connection and owns it.
    init(fd: Int32, name: String, serve: @escaping @Sendable (Int32) -> Void) {
        self.fd = fd
        let thread = Thread { [self] in
            run(serve)
            close(fd)
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Wakes the loop and, with `wait`, returns once the socket is closed (so its port can be bound again).
    func stop(wait: Bool = false) {
        let first = lock.withLock { () -> Bool in
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        shutdown(fd, Int32(SHUT_RDWR))
        if wait { finished.wait() }
    }

    private func run(_ serve: (Int32) -> Void) {
        while true {
            let client = accept(fd, nil, nil)
            if lock.withLock({ stopping }) {
                if client >= 0 { close(client) }
                return
            }
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            serve(client)
        }
    }
}
