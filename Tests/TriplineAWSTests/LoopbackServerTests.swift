import Foundation
import Testing
import TriplineTestSupport

/// The loopback servers are the receivers most client tests check against, so their own faults would read as
/// the client's.
@Suite("Loopback test servers")
struct LoopbackServerTests {
    @Test("a server stopped while serving never takes the connections of the next one, which reuses its descriptor")
    func stoppedServerKeepsToItself() async throws {
        let release = DispatchSemaphore(value: 0)
        let first = try LoopbackHTTPServer { _ in
            release.wait()
            return .init(status: 201)
        }
        // The first server is busy answering when it is stopped, so its accept loop runs again after the stop.
        let answered = DispatchSemaphore(value: 0)
        let port = first.port
        Thread { _ = try? rawHTTP(port: port, method: "GET", path: "/first"); answered.signal() }.start()
        while first.requests.isEmpty { try await Task.sleep(for: .milliseconds(5)) }
        first.stop()
        let second = try LoopbackHTTPServer { _ in .init(status: 200) }
        defer { second.stop() }
        release.signal()
        answered.wait()
        try await Task.sleep(for: .milliseconds(50))  // the first server's loop, if it went on, is back in accept(2)

        for i in 0..<3 {
            let answer = try rawHTTP(port: second.port, method: "GET", path: "/second/\(i)")
            #expect(answer.status == 200)
        }
        #expect(second.requests.map(\.path) == ["/second/0", "/second/1", "/second/2"])
        #expect(first.requests.map(\.path) == ["/first"])
    }
}
