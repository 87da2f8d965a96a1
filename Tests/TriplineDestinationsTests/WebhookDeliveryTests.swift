import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineDestinations
import TriplineJSON
import TriplineTestSupport

@Suite("Signed webhook")
struct WebhookDeliveryTests {
    static let key = "whsec-SENTINEL-7f3a9c"

    @Test("The signature matches Python's hmac and openssl over <timestamp>.<body>; a changed body does not")
    func signature() async throws {
        let server = try receiver([.init(status: 204)])
        defer { server.stop() }
        let a = alert("<!channel>")
        let hook = WebhookDestination(
            url: Secret(server.baseURL + "/hooks/tripline"), signingKey: Secret(Self.key), poster: poster(SleepRecorder()),
            now: { 1_780_000_123 })
        try await hook.deliver(a)
        let r = try #require(server.requests.first)
        #expect(r.headers["x-tripline-timestamp"] == "1780000123")
        #expect(r.headers["x-tripline-alert-id"] == a.id)
        let signature = try #require(r.headers["x-tripline-signature"])
        #expect(try await pythonSignature(key: Self.key, timestamp: "1780000123", body: r.body) == signature)

        // openssl, a second independent implementation.
        let file = try temporaryFile(Array("1780000123.".utf8) + r.body)
        defer { try? FileManager.default.removeItem(at: file) }
        let openssl = try await shell("openssl dgst -sha256 -hmac '\(Self.key)' < '\(file.path)'")
        #expect(openssl.hasSuffix(String(signature.dropFirst(3))), "\(openssl)")

        var tampered = r.body
        tampered[tampered.count / 2] ^= 0x01
        #expect(try await pythonSignature(key: Self.key, timestamp: "1780000123", body: tampered) != signature)
        #expect(try await pythonSignature(key: Self.key, timestamp: "1780000124", body: r.body) != signature)

        #expect(WebhookSignature.verify(body: r.body, timestamp: "1780000123", signature: signature, key: Secret(Self.key), now: 1_780_000_200))
        #expect(!WebhookSignature.verify(body: tampered, timestamp: "1780000123", signature: signature, key: Secret(Self.key), now: 1_780_000_200))
        #expect(!WebhookSignature.verify(body: r.body, timestamp: "1780000123", signature: signature, key: Secret(Self.key), now: 1_780_000_123 + 301))

        // The body is the alert document, values as sent.
        let body = try JSONValue.parse(r.body)
        #expect(body["id"]?.stringValue == a.id && body[path: "event.user_agent"] == "<!channel>")
    }

    @Test("Retries 5xx with exponential backoff, each attempt freshly signed, until accepted")
    func retries() async throws {
        let server = try receiver([.init(status: 503), .init(status: 500), .init(status: 200)])
        defer { server.stop() }
        let sleeps = SleepRecorder()
        let clock = TickingClock(1_780_000_000)
        try await WebhookDestination(url: Secret(server.baseURL + "/h"), signingKey: Secret(Self.key), poster: poster(sleeps), now: clock.now)
            .deliver(alert())
        let requests = server.requests
        #expect(requests.map { $0.headers["x-tripline-attempt"] } == ["1", "2", "3"])
        #expect(await sleeps.sleeps == [.milliseconds(500), .seconds(1)])
        for r in requests {
            let ts = try #require(r.headers["x-tripline-timestamp"])
            #expect(try await pythonSignature(key: Self.key, timestamp: ts, body: r.body) == r.headers["x-tripline-signature"])
        }
        #expect(Set(requests.compactMap { $0.headers["x-tripline-timestamp"] }).count == 3)
    }

    @Test("Retries stop at the attempt bound and at the wait budget; 4xx is final at once")
    func bounded() async throws {
        let failing = try receiver([.init(status: 500)])
        defer { failing.stop() }
        let sleeps = SleepRecorder()
        do throws(DeliveryError) {
            try await WebhookDestination(url: Secret(failing.baseURL + "/h"), signingKey: nil, poster: poster(sleeps)).deliver(alert())
            Issue.record("delivered to a failing receiver")
        } catch {
            #expect(error.attempts == 4 && error.status == 500 && error.transient)
        }
        #expect(failing.requests.count == 4)
        #expect(await sleeps.sleeps == [.milliseconds(500), .seconds(1), .seconds(2)])

        // Retry-After asks for 100 s: capped at 8 s, and the 20 s budget allows two waits.
        let slow = try receiver([.init(status: 503, headers: ["Retry-After": "100"], body: [])])
        defer { slow.stop() }
        let budgetSleeps = SleepRecorder()
        do throws(DeliveryError) {
            try await WebhookDestination(url: Secret(slow.baseURL + "/h"), signingKey: nil, poster: poster(budgetSleeps)).deliver(alert())
            Issue.record("delivered")
        } catch {
            #expect(error.attempts == 3 && error.reason.contains("budget"))
        }
        #expect(await budgetSleeps.sleeps == [.seconds(8), .seconds(8)])

        let refusing = try receiver([.init(status: 401, text: "bad signature")])
        defer { refusing.stop() }
        do throws(DeliveryError) {
            try await WebhookDestination(url: Secret(refusing.baseURL + "/h"), signingKey: Secret(Self.key), poster: poster(SleepRecorder())).deliver(alert())
            Issue.record("delivered")
        } catch {
            #expect(error.attempts == 1 && error.status == 401 && !error.transient)
        }
    }

    @Test("A receiver that is down or hangs fails within the bound, as transient")
    func downOrHanging() async throws {
        let sleeps = SleepRecorder()
        let closed = try closedPortURL()
        do throws(DeliveryError) {
            try await WebhookDestination(url: Secret(closed + "/h"), signingKey: nil, poster: poster(sleeps)).deliver(alert())
            Issue.record("delivered to a closed port")
        } catch {
            #expect(error.attempts == 4 && error.status == nil && error.transient)
        }

        let hanging = try LoopbackHTTPServer { _ in
            Thread.sleep(forTimeInterval: 1.5)
            return .init(status: 200)
        }
        defer { hanging.stop() }
        let start = ContinuousClock.now
        do throws(DeliveryError) {
            let p = poster(SleepRecorder(), retry: DeliveryRetry(maxAttempts: 2, random: { 0 }), timeout: .milliseconds(300))
            try await WebhookDestination(url: Secret(hanging.baseURL + "/h"), signingKey: nil, poster: p).deliver(alert())
            Issue.record("delivered despite the timeout")
        } catch {
            #expect(error.attempts == 2 && error.transient)
        }
        #expect(ContinuousClock.now - start < .seconds(5))
    }

    @Test("A non-http URL is refused before any request")
    func badURL() async throws {
        do throws(DeliveryError) {
            try await WebhookDestination(url: Secret("file:///etc/passwd"), signingKey: nil, poster: poster(SleepRecorder())).deliver(alert())
            Issue.record("accepted a file URL")
        } catch {
            #expect(error.attempts == 0 && !error.transient && !error.description.contains("passwd"))
        }
    }
}

/// Runs a shell command and returns its standard output.
func shell(_ command: String) async throws -> String {
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("tripline-sh-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: out.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: out) }
    let handle = try FileHandle(forWritingTo: out)
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    p.standardInput = FileHandle.nullDevice
    p.standardOutput = handle
    p.standardError = handle
    let finished = AsyncStream<Void>.makeStream()
    p.terminationHandler = { _ in finished.continuation.finish() }
    try p.run()
    for await _ in finished.stream {}
    try? handle.close()
    return ((try? String(contentsOf: out, encoding: .utf8)) ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
}
