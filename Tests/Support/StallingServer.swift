import Foundation

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A loopback server that never finishes an answer, for tests of timeouts: with `.silent` it accepts connections
/// (the kernel completes the handshake from the backlog) and never reads or writes; with `.stallMidBody` it reads
/// the request, sends a response head promising a body and a first few bytes, then holds the connection open.
public final class StallingServer: @unchecked Sendable {
    public enum Behaviour: Sendable { case silent, stallMidBody }

    public let port: Int
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    private let fd: Int32
    private var acceptLoop: AcceptLoop?  // only when answering (`.stallMidBody`); it then owns `fd`
    private let lock = NSLock()
    private var held: [Int32] = []
    private var stopped = false

    public init(_ behaviour: Behaviour) throws {
        fd = try boundLoopbackSocket(port: 0)
        guard listen(fd, 64) == 0 else {
            close(fd)
            throw TestSocketError("listen")
        }
        port = try localPort(of: fd)
        guard behaviour == .stallMidBody else { return }
        acceptLoop = AcceptLoop(fd: fd, name: "StallingServer:\(port)") { [self] in stall($0) }
    }

    deinit { stop() }

    /// Closes the listening socket and every held connection.
    public func stop() {
        let toClose: [Int32]? = lock.withLock {
            guard !stopped else { return nil }
            stopped = true
            return held
        }
        guard let toClose else { return }
        if let acceptLoop {
            acceptLoop.stop()
        } else {
            shutdown(fd, Int32(SHUT_RDWR))
            close(fd)
        }
        for c in toClose { close(c) }
    }

    private func stall(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 16384)
        var data: [UInt8] = []
        while parseHTTPMessage(data, isResponse: false) == nil {
            let n = read(client, &buffer, buffer.count)
            guard n > 0 else { break }
            data += buffer[0..<n]
        }
        let head = "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: 1000\r\n\r\n<PublishResponse>"
        try? writeAll(client, Array(head.utf8))
        let keep = lock.withLock { () -> Bool in
            if !stopped { held.append(client) }
            return !stopped
        }
        if !keep { close(client) }
    }
}

/// Runs `body` and returns how long it took, minus the time the process could not run tasks at all (a ticker
/// sleeping 10 ms at a time adds up how late it wakes). Tests that block threads (subprocess waits) run in the
/// same process and can stall every task for seconds on a small machine; a bound on our own code's time must not
/// count that.
public func timeExcludingStalls(_ body: () async throws -> Void) async rethrows -> (elapsed: Duration, stalled: Duration) {
    let ticker = Task {
        var stalled = Duration.zero
        while !Task.isCancelled {
            let before = ContinuousClock.now
            try? await Task.sleep(for: .milliseconds(10))
            let late = ContinuousClock.now - before - .milliseconds(10)
            if late > .milliseconds(20) { stalled += late }
        }
        return stalled
    }
    let started = ContinuousClock.now
    try await body()
    let elapsed = ContinuousClock.now - started
    ticker.cancel()
    let stalled = await ticker.value
    return (elapsed, min(stalled, elapsed))
}
