import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineTestSupport

@testable import TriplineService

/// CloudTrail's LookupEvents, served from memory on loopback (moto does not implement it): StartTime/EndTime
/// inclusive, newest first, at most MaxResults (≤ 50) per page, an opaque NextToken, CloudTrailEvent as a string.
final class FakeLookupEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(time: Int, id: String, json: String)] = []
    private var calls: [(at: ContinuousClock.Instant, start: Int?, end: Int?)] = []
    private(set) var server: LoopbackHTTPServer!

    init() throws {
        server = try LoopbackHTTPServer { [unowned self] request in self.answer(request) }
    }

    func add(_ event: JSONValue) {
        let time = EventTime.epochSeconds(event["eventTime"]?.stringValue ?? "")!
        lock.withLock { events.append((time, event["eventID"]!.stringValue!, event.serialized())) }
    }

    var requests: [(at: ContinuousClock.Instant, start: Int?, end: Int?)] { lock.withLock { calls } }

    private func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard request.headers["x-amz-target"]?.hasSuffix("CloudTrail_20131101.LookupEvents") == true,
            let body = try? JSONValue.parse(request.body)
        else { return .init(status: 400, json: #"{"__type":"InvalidRequest","message":"not LookupEvents"}"#) }
        let start = body["StartTime"]?.doubleValue.map { Int($0) }
        let end = body["EndTime"]?.doubleValue.map { Int($0) }
        let max = Int(body["MaxResults"]?.doubleValue ?? 50)
        guard (1...50).contains(max) else {
            return .init(status: 400, json: #"{"__type":"InvalidMaxResultsException","message":"1..50"}"#)
        }
        let offset = body["NextToken"]?.stringValue.flatMap { Int($0.dropFirst(4)) } ?? 0
        let page: [(time: Int, id: String, json: String)] = lock.withLock {
            calls.append((ContinuousClock.now, start, end))
            let selected = events.filter { e in (start.map { e.time >= $0 } ?? true) && (end.map { e.time <= $0 } ?? true) }
                .sorted { ($0.time, $0.id) > ($1.time, $1.id) }
            return Array(selected.dropFirst(offset).prefix(max)) + (selected.count > offset + max ? [(0, "", "")] : [])
        }
        let more = page.last?.id == ""
        let items: [JSONValue] = page.filter { !$0.id.isEmpty }.map {
            ["EventId": .string($0.id), "EventName": "x", "EventTime": .number(String($0.time)), "CloudTrailEvent": .string($0.json)]
        }
        let response: JSONValue = ["Events": .array(items), "NextToken": more ? .string("tok-\(offset + max)") : .null]
        return .init(status: 200, headers: ["Content-Type": "text/html"], body: Array(response.serialized().utf8))
    }
}

/// A settable clock for the poller.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int
    init(_ value: Int) { self.value = value }
    var now: Int { lock.withLock { value } }
    func set(_ v: Int) { lock.withLock { value = v } }
}

@Suite("LookupEvents polling")
struct PollerTests {
    func poller(_ fake: FakeLookupEvents, stack: MotoStack, sink: any AlertSink, clock: TestClock) -> LookupPoller {
        let client = AWSClient(
            region: "us-east-1", credentials: StaticCredentialProvider(accessKeyId: "AKIDPOLL", secretAccessKey: "s"),
            endpoint: fake.server.baseURL)
        let source = CloudTrailClient(client, rateLimiter: RateLimiter(perSecond: 2))
        // High and above: StopLogging's companion medium finding is recorded, so counts here are StopLogging's.
        let pipeline = AlertPipeline(rules: catalog.rules, store: stack.store, sink: sink, minimumSeverity: .high, now: { clock.now })
        return LookupPoller(
            source: source, engine: Engine(rules: catalog.rules), pipeline: pipeline,
            checkpoints: DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table), lookback: 20 * 60,
            overlap: 10 * 60, now: { clock.now })
    }

    @Test("checkpoint, paging at ≤ 2 requests/s, an overlapping window and a failed run: every finding alerted once")
    func polling() async throws {
        let stack = try await MotoStack.make()
        let fake = try FakeLookupEvents()
        let t0 = nowEpoch() - 3600
        let clock = TestClock(t0)
        let sink = RecordingAlertSink()
        let poller = poller(fake, stack: stack, sink: sink, clock: clock)

        // Run 1: no checkpoint → the lookback window; 120 events → 3 pages.
        for i in 0..<118 { fake.add(noise(at: t0 - 1100 + i * 9, n: i)) }
        fake.add(stopLogging(trail: "a", at: t0 - 600))
        fake.add(stopLogging(trail: "b", at: t0 - 120))
        fake.add(stopLogging(trail: "too-old", at: t0 - 1300))
        let run1 = try await poller.poll(owner: "run1")
        #expect(run1.start == t0 - 1200 && run1.end == t0)
        #expect(run1.pages == 3)
        #expect(run1.events == 120)
        #expect(run1.alerts.alerted.count == 2)
        #expect(run1.checkpoint == t0)
        let gaps = zip(fake.requests.dropFirst(), fake.requests).map { $0.at - $1.at }
        #expect(gaps.count == 2 && gaps.allSatisfy { $0 >= .milliseconds(450) }, "\(gaps)")

        // Run 2, ten minutes later: overlaps run 1 by the overlap; a late-arriving event inside the overlap and a
        // new one are alerted, "b" (seen by run 1) is not.
        clock.set(t0 + 600)
        fake.add(stopLogging(trail: "late", at: t0 - 240))
        fake.add(stopLogging(trail: "c", at: t0 + 300))
        let run2 = try await poller.poll(owner: "run2")
        #expect(run2.start == t0 - 600)
        #expect(run2.alerts.alerted.count == 2)
        #expect(run2.alerts.duplicates.count >= 1)
        #expect(run2.checkpoint == t0 + 600)

        // Run 3 fails to alert: the checkpoint stays. Run 4 catches up and alerts once.
        clock.set(t0 + 1500)
        fake.add(stopLogging(trail: "d", at: t0 + 1200))
        let failing = self.poller(fake, stack: stack, sink: FailingAlertSink(), clock: clock)
        let run3 = try await failing.poll(owner: "run3")
        #expect(!run3.succeeded)
        #expect(run3.checkpoint == t0 + 600)
        #expect(try await DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table).load("lookup-events") == t0 + 600)
        clock.set(t0 + 2400)
        let run4 = try await poller.poll(owner: "run4")
        #expect(run4.start == t0)
        #expect(run4.alerts.alerted.count == 1)
        #expect(run4.checkpoint == t0 + 2400)

        let messages = await sink.messages
        // One alert per event: a, b, late, c and d.
        #expect(messages.count == 5)
        let trails = messages.flatMap { m in ["a", "b", "late", "c", "d", "too-old"].filter { m.body.contains("request  requestParameters.name = \($0)\n") } }
        #expect(trails.sorted() == ["a", "b", "c", "d", "late"])
    }

    @Test("the scheduled event runs the poller through the handler and checkpoints in DynamoDB")
    func scheduled() async throws {
        let stack = try await MotoStack.make()
        let fake = try FakeLookupEvents()
        let now = nowEpoch()
        fake.add(stopLogging(trail: uniqueName("sched"), at: now - 300))
        let client = AWSClient(
            region: "us-east-1", credentials: StaticCredentialProvider(accessKeyId: "AKIDSCHED", secretAccessKey: "s"),
            endpoint: fake.server.baseURL)
        var config = ServiceConfig()
        config.table = stack.table
        config.minimumSeverity = .high
        let sink = RecordingAlertSink()
        let handler = TriplineHandler(
            config: config, rules: catalog, store: stack.store,
            checkpoints: DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table), sink: sink,
            objects: S3ObjectSource(client: stack.client), lookup: CloudTrailClient(client))
        let payload = Array(#"{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-22T10:00:00Z","region":"us-east-1","resources":["arn:aws:events:us-east-1:123456789012:rule/poll"],"detail":{}}"#.utf8)
        let response = try responseJSON(try await handler.handle(payload, context: testContext()))
        #expect(response["alerted"]?.text == "1")
        #expect(await sink.messages.count == 1)
        let checkpoint = try await DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table).load("lookup-events/us-east-1")
        #expect(checkpoint.map { abs($0 - now) < 60 } == true)
        #expect(fake.requests.first?.start.map { abs($0 - (now - 20 * 60)) < 60 } == true)
    }
}
