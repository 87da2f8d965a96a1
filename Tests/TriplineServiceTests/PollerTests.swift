import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineTestSupport

@testable import TriplineService

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
        let pollStart = nowEpoch()
        let response = try responseJSON(try await handler.handle(payload, context: testContext()))
        let pollEnd = nowEpoch()
        #expect(response["alerted"]?.text == "1")
        #expect(await sink.messages.count == 1)
        let checkpoint = try await DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table).load("lookup-events/us-east-1")
        // Bounded by the poll's own clock: on a loaded machine the stack alone can take minutes to set up.
        #expect(checkpoint.map { (pollStart...pollEnd).contains($0) } == true)
        #expect(fake.requests.first?.start.map { (pollStart - 20 * 60...pollEnd - 20 * 60).contains($0) } == true)
    }
}

/// An IAM CreateAccessKey for another user (medium), recorded where IAM records: us-east-1.
func accessKeyForAnotherUser(at epoch: Int, user: String) -> JSONValue {
    var e = positiveEvent("tripline.iam.access-key-created-for-another-user")
    e = setting(e, "eventID", .string(UUID().uuidString.lowercased()))
    e = setting(e, "eventTime", .string(EventTime.iso8601(epoch)))
    e = setting(e, "awsRegion", "us-east-1")
    e = setting(e, "requestParameters.userName", .string(user))
    return e
}

@Suite("LookupEvents polling in several regions")
struct MultiRegionPollerTests {
    func handler(regions: [String], fake: FakeLookupEvents, stack: MotoStack, sink: RecordingAlertSink, secret: String = "s") -> TriplineHandler {
        let client = AWSClient(
            region: "eu-west-1", credentials: StaticCredentialProvider(accessKeyId: "AKIDREGIONS", secretAccessKey: secret),
            endpoint: fake.server.baseURL)
        var config = ServiceConfig()
        config.region = "eu-west-1"
        config.table = stack.table
        config.minimumSeverity = .medium
        config.pollRegions = regions
        return TriplineHandler(
            config: config, rules: catalog, store: stack.store,
            checkpoints: DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table), sink: sink,
            objects: S3ObjectSource(client: stack.client), lookup: CloudTrailClient(client, rateLimiter: RateLimiter(perSecond: 50)))
    }

    let scheduled = Array(#"{"version":"0","id":"1","detail-type":"Scheduled Event","source":"aws.events","account":"123456789012","time":"2026-11-22T10:00:00Z","region":"eu-west-1","resources":["arn:aws:events:eu-west-1:123456789012:rule/poll"],"detail":{}}"#.utf8)

    @Test("each listed region is read with requests signed for it and checkpointed on its own; an IAM event two histories show is taken once, by us-east-1")
    func regions() async throws {
        let stack = try await MotoStack.make()
        let fake = try FakeLookupEvents()
        let now = nowEpoch()
        let user = uniqueName("victim")
        let iam = accessKeyForAnotherUser(at: now - 400, user: user)
        fake.add(iam, region: "us-east-1")
        fake.add(iam, region: "eu-west-1")  // the same global event in a second history: taken once
        var stop = stopLogging(trail: uniqueName("eu"), at: now - 300)
        stop = setting(stop, "awsRegion", "eu-west-1")
        fake.add(stop)
        fake.add(noise(at: now - 200, n: 1), region: "us-east-1")
        // A regional STS call in eu-west-1 is eu-west-1's own, not a global event.
        var sts = noise(at: now - 100, n: 2)
        sts = setting(sts, "eventSource", "sts.amazonaws.com")
        sts = setting(sts, "eventName", "GetCallerIdentity")
        sts = setting(sts, "awsRegion", "eu-west-1")
        fake.add(sts)

        let sink = RecordingAlertSink()
        let handler = handler(regions: ["eu-west-1", "us-east-1"], fake: fake, stack: stack, sink: sink)
        #expect(handler.pollers.map(\.checkpointName) == ["lookup-events/eu-west-1", "lookup-events/us-east-1"])
        #expect(handler.pollRegions.globalEventsWarning == nil)
        let pollStart = nowEpoch()
        let response = try responseJSON(try await handler.handle(scheduled, context: testContext()))
        let pollEnd = nowEpoch()

        #expect(fake.refusals.isEmpty, "\(fake.refusals)")
        #expect(Set(fake.answered.map(\.region)) == ["eu-west-1", "us-east-1"])
        // eu-west-1: StopLogging and the STS call (the IAM event is left to us-east-1); us-east-1: IAM and noise.
        #expect(response["events"]?.text == "4")
        #expect(response["left_to_other_region"]?.text == "1")
        // Findings alerted: StopLogging's two (logging stopped, trail changed) travel in one message, the IAM event's in another.
        #expect(response["alerted"]?.text == "3")
        let messages = await sink.messages
        #expect(messages.count == 2, "\(messages.map(\.subject))")
        #expect(messages.filter { $0.body.contains(user) }.count == 1)
        let checkpoints = DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table)
        for region in ["eu-west-1", "us-east-1"] {
            let saved = try await checkpoints.load("lookup-events/\(region)")
            // Checkpointed at the poll's own clock: on a loaded machine the stack alone can take minutes to set up.
            #expect(saved.map { (pollStart...pollEnd).contains($0) } == true, "\(region): \(String(describing: saved)), poll \(pollStart)…\(pollEnd)")
        }
        #expect(try await checkpoints.load("lookup-events/eu-central-1") == nil)
    }

    @Test("without us-east-1 in the list the first region takes global events once and the poll says what it misses")
    func withoutUSEast1() async throws {
        let stack = try await MotoStack.make()
        let fake = try FakeLookupEvents()
        let now = nowEpoch()
        let iam = accessKeyForAnotherUser(at: now - 400, user: uniqueName("victim"))
        fake.add(iam, region: "eu-west-1")
        fake.add(iam, region: "eu-central-1")
        let sink = RecordingAlertSink()
        let handler = handler(regions: ["eu-west-1", "eu-central-1"], fake: fake, stack: stack, sink: sink)
        #expect(handler.pollRegions.globalEventsWarning?.contains("us-east-1") == true)
        let response = try responseJSON(try await handler.handle(scheduled, context: testContext()))
        #expect(Set(fake.answered.map(\.region)) == ["eu-west-1", "eu-central-1"])
        #expect(response["events"]?.text == "1")
        #expect(response["left_to_other_region"]?.text == "1")
        #expect(await sink.messages.count == 1)
    }

    @Test("a request signed with the wrong secret is refused by the fake, and the poll fails without a checkpoint")
    func badSignature() async throws {
        let stack = try await MotoStack.make()
        let fake = try FakeLookupEvents()
        fake.add(stopLogging(trail: uniqueName("x"), at: nowEpoch() - 60))
        let handler = handler(regions: ["us-east-1"], fake: fake, stack: stack, sink: RecordingAlertSink(), secret: "wrong")
        await #expect(throws: HandlerError.self) { try await handler.handle(scheduled, context: testContext()) }
        #expect(fake.refusals.first == "signature does not match")
        #expect(fake.answered.isEmpty)
        #expect(try await DynamoDBCheckpointStore(dynamo: stack.dynamo, table: stack.table).load("lookup-events/us-east-1") == nil)
    }

    @Test("TRIPLINE_POLL_REGIONS: a comma list, trimmed and without repeats; a bad name is refused; unset is the function's region")
    func environment() throws {
        let c = try ServiceConfig.fromEnvironment(["AWS_REGION": "eu-west-1", "TRIPLINE_POLL_REGIONS": " us-east-1, eu-west-1,,us-east-1 ,us-gov-west-1"])
        #expect(c.pollRegions == ["us-east-1", "eu-west-1", "us-gov-west-1"])
        #expect(throws: ServiceConfig.Invalid.self) { try ServiceConfig.fromEnvironment(["TRIPLINE_POLL_REGIONS": "us-east-1,EU-WEST-1"]) }
        #expect(throws: ServiceConfig.Invalid.self) { try ServiceConfig.fromEnvironment(["TRIPLINE_POLL_REGIONS": "us-east"]) }
        #expect(try ServiceConfig.fromEnvironment(["AWS_REGION": "ap-south-1"]).pollRegions.isEmpty)
        #expect(PollRegions([], home: "ap-south-1").regions == ["ap-south-1"])
        #expect(PollRegions(["us-gov-east-1"], home: "x").globalEventsWarning?.contains("us-gov-west-1") == true)
        #expect(PollRegions(["cn-north-1", "cn-northwest-1"], home: "x").globalEventsWarning == nil)
    }
}
