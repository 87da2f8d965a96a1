import Foundation
import Testing

@testable import TriplineAWS

/// A clock that only moves when someone sleeps on it: sleeping jumps straight to the deadline.
final class ManualClock: Clock, @unchecked Sendable {
    struct Instant: InstantProtocol {
        var offset: Duration
        func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }
        func duration(to other: Instant) -> Duration { other.offset - offset }
        static func < (a: Instant, b: Instant) -> Bool { a.offset < b.offset }
    }

    private let lock = NSLock()
    private var current = Instant(offset: .zero)
    var now: Instant { lock.withLock { current } }
    var minimumResolution: Duration { .zero }

    func sleep(until deadline: Instant, tolerance: Duration?) async throws {
        lock.withLock { if deadline > current { current = deadline } }
    }
}

private func event(_ id: String, name: String, time: Double) -> String {
    #"{"EventId":"\#(id)","EventName":"\#(name)","ReadOnly":"false","AccessKeyId":"AKIA1","EventTime":\#(time),"# +
        #""EventSource":"iam.amazonaws.com","Username":"alice","Resources":[],"# +
        #""CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"eventID\":\"\#(id)\"}"}"#
}

@Suite("CloudTrail LookupEvents")
struct CloudTrailTests {
    @Test("Pages are followed through NextToken with the same filters; events decode")
    func paging() async throws {
        let transport = InMemoryHTTPTransport { request in
            let body = try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any] ?? [:]
            switch body["NextToken"] as? String {
            case nil:
                return jsonResponse(200, #"{"Events":[\#(event("e1", name: "CreateUser", time: 1_700_000_300)),\#(event("e2", name: "CreateUser", time: 1_700_000_200))],"NextToken":"t1"}"#)
            case "t1":
                return jsonResponse(200, #"{"Events":[\#(event("e3", name: "CreateUser", time: 1_700_000_100))],"NextToken":"t2"}"#)
            case "t2":
                return jsonResponse(200, #"{"Events":[],"NextToken":null}"#)
            default:
                return jsonResponse(400, #"{"__type":"InvalidNextTokenException","message":"bad"}"#)
            }
        }
        let trail = CloudTrailClient(
            fakeClient(transport), rateLimiter: RateLimiter(perSecond: 2, clock: ManualClock()), account: "123456789012")
        let events = try await trail.lookupAllEvents(CloudTrailLookupRequest(
            attribute: .init(.eventName, "CreateUser"), startTime: Date(timeIntervalSince1970: 1_700_000_000),
            endTime: Date(timeIntervalSince1970: 1_700_000_900)))
        #expect(events.map(\.eventId) == ["e1", "e2", "e3"])
        #expect(events[0].eventTime == Date(timeIntervalSince1970: 1_700_000_300))
        #expect(events[0].readOnly == false)
        #expect(events[0].username == "alice")
        #expect(events[0].cloudTrailEvent == #"{"eventVersion":"1.08","eventID":"e1"}"#)

        let requests = await transport.requests
        #expect(requests.count == 3)
        #expect(requests[0].headers["x-amz-target"] == "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents")
        #expect(requests[0].headers["content-type"] == "application/x-amz-json-1.1")
        #expect(String(decoding: requests[0].body, as: UTF8.self) == #"{"EndTime":1700000900,"LookupAttributes":[{"AttributeKey":"EventName","AttributeValue":"CreateUser"}],"MaxResults":50,"StartTime":1700000000}"#)
        #expect(try bodyJSON(requests[2])["NextToken"] as? String == "t2")
        #expect((try bodyJSON(requests[2])["StartTime"] as? NSNumber)?.doubleValue == 1_700_000_000)
    }

    @Test("maxPages bounds the walk, and MaxResults above 50 is rejected before sending")
    func limits() async throws {
        let transport = InMemoryHTTPTransport { _ in jsonResponse(200, #"{"Events":[\#(event("e", name: "X", time: 1))],"NextToken":"again"}"#) }
        let trail = CloudTrailClient(fakeClient(transport), rateLimiter: RateLimiter(perSecond: 2, clock: ManualClock()))
        #expect(try await trail.lookupAllEvents(CloudTrailLookupRequest(), maxPages: 3).count == 3)
        #expect(await transport.requests.count == 3)
        await #expect(throws: AWSClientError.self) { try await trail.lookupEvents(CloudTrailLookupRequest(maxResults: 51)) }
        #expect(await transport.requests.count == 3)
    }

    @Test("At most 2 calls per second per account and region; other keys are not delayed")
    func rateLimit() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(perSecond: 2, clock: clock)
        let (transport, seen) = timedService(clock)
        let east = CloudTrailClient(fakeClient(transport), rateLimiter: limiter, account: "111")
        let west = CloudTrailClient(fakeClient(transport, region: "us-west-2"), rateLimiter: limiter, account: "111")
        for _ in 0..<5 { _ = try await east.lookupEvents(CloudTrailLookupRequest()) }
        _ = try await west.lookupEvents(CloudTrailLookupRequest())
        let entries = seen.entries
        #expect(entries.prefix(5).map(\.1) == [.zero, .milliseconds(500), .seconds(1), .milliseconds(1500), .seconds(2)])
        // The other region has its own quota: it goes at once (the clock stands at 2 s, where east left it).
        #expect(entries[5].0.contains("us-west-2"))
        #expect(entries[5].1 == .seconds(2))
    }

    @Test("A slow answer pushes the next call back: calls reach the service spaced, not only start spaced")
    func slowAnswers() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(perSecond: 2, clock: clock)
        let (transport, seen) = timedService(clock, answerTakes: .milliseconds(800))
        let trail = CloudTrailClient(fakeClient(transport), rateLimiter: limiter, account: "111")
        for _ in 0..<3 { _ = try await trail.lookupEvents(CloudTrailLookupRequest()) }
        #expect(seen.entries.map(\.1) == [.zero, .milliseconds(1300), .milliseconds(2600)])
    }

    @Test("Concurrent callers queue behind each other instead of sharing a slot")
    func concurrentCallers() async throws {
        let clock = ManualClock()
        let limiter = RateLimiter(perSecond: 2, clock: clock)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 { group.addTask { try? await limiter.acquire("k") } }
        }
        // Four reservations: the last slot starts at 1.5 s, so the clock reached it.
        #expect(clock.now.offset == .milliseconds(1500))
    }
}

/// A LookupEvents service that notes when each call arrives (on `clock`) and answers `answerTakes` later.
func timedService(_ clock: ManualClock, answerTakes: Duration = .zero) -> (InMemoryHTTPTransport, TimeLog) {
    let seen = TimeLog()
    let transport = InMemoryHTTPTransport { request in
        seen.append(request.url, clock.now.offset)
        if answerTakes > .zero { try await clock.sleep(until: clock.now.advanced(by: answerTakes), tolerance: nil) }
        return jsonResponse(200, #"{"Events":[]}"#)
    }
    return (transport, seen)
}

final class TimeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [(String, Duration)] = []
    func append(_ url: String, _ d: Duration) { lock.withLock { stored.append((url, d)) } }
    var entries: [(String, Duration)] { lock.withLock { stored } }
}
