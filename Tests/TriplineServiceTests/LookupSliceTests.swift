import Foundation
import Testing
@testable import TriplineAWS
import TriplineCore
import TriplineJSON

@testable import TriplineService

/// CloudTrail's event history in memory, 50 events a page, newest first (as LookupEvents pages); can be told to
/// fail from some page on.
final class PagedHistory: LookupEventsSource, @unchecked Sendable {
    private let lock = NSLock()
    private let events: [CloudTrailEventSummary]
    private let failFromPage: Int?
    private var served = 0

    init(_ events: [CloudTrailEventSummary], failFromPage: Int? = nil) {
        self.events = events.reversed()
        self.failFromPage = failFromPage
    }

    var pagesServed: Int { lock.withLock { served } }

    struct Unreachable: Error {}

    func lookupEvents(_ request: CloudTrailLookupRequest) async throws -> CloudTrailLookupPage {
        let page = lock.withLock { () -> Int? in
            if let failFromPage, served >= failFromPage { return nil }
            served += 1
            return served - 1
        }
        guard let page else { throw Unreachable() }
        let start = Int(request.nextToken ?? "0")!
        let end = min(events.count, start + 50)
        return CloudTrailLookupPage(events: Array(events[start..<end]), nextToken: end < events.count ? String(end) : nil)
    }

    static func summary(_ record: JSONValue?, id: String) -> CloudTrailEventSummary {
        CloudTrailEventSummary(
            eventId: id, eventName: nil, eventSource: record?["eventSource"]?.stringValue, eventTime: nil, username: nil,
            accessKeyId: nil, readOnly: nil, cloudTrailEvent: record.map { $0.serialized() })
    }
}

@Suite("LookupEvents pages through the scan runner")
struct LookupSliceTests {
    let t0 = 1_790_000_000

    func poller(_ history: PagedHistory, sink: any AlertSink, checkpoints: InMemoryCheckpointStore, maxPages: Int = 2000) -> LookupPoller {
        let pipeline = AlertPipeline(rules: catalog.rules, store: InMemoryFindingStore(), sink: sink, minimumSeverity: .high, now: { [t0] in t0 })
        return LookupPoller(
            source: history, engine: Engine(rules: catalog.rules), pipeline: pipeline, checkpoints: checkpoints,
            lookback: 20 * 60, maxPages: maxPages, now: { [t0] in t0 })
    }

    @Test("an event without its record and an unparseable one are problems by event id; the rest alerts and the slice is checkpointed")
    func problemsNamed() async throws {
        var events = (0..<60).map { PagedHistory.summary(noise(at: t0 - 900 + $0, n: $0), id: "noise-\($0)") }
        events.append(PagedHistory.summary(nil, id: "no-record"))
        events.append(CloudTrailEventSummary(
            eventId: "broken", eventName: nil, eventSource: nil, eventTime: nil, username: nil, accessKeyId: nil,
            readOnly: nil, cloudTrailEvent: "{\"eventName\": "))
        events.append(PagedHistory.summary(stopLogging(trail: "x", at: t0 - 60), id: "stop"))
        let sink = RecordingAlertSink()
        let checkpoints = InMemoryCheckpointStore()
        let outcome = try await poller(PagedHistory(events), sink: sink, checkpoints: checkpoints).poll(owner: "p")
        #expect(outcome.pages == 2)
        #expect(outcome.events == 61)
        #expect(outcome.alerts.alerted.count == 1)
        #expect(outcome.problems.contains { $0.hasPrefix("cloudtrail:lookup-events/no-record: ") && $0.contains("no CloudTrailEvent") }, "\(outcome.problems)")
        #expect(outcome.problems.contains { $0.hasPrefix("cloudtrail:lookup-events/broken") }, "\(outcome.problems)")
        #expect(outcome.problems.count == 2)
        #expect(try await checkpoints.load("lookup-events") == t0)
        #expect(await sink.messages.count == 1)
    }

    @Test("a slice longer than the page limit is cut, said so, and still checkpointed")
    func cutSlice() async throws {
        let events = (0..<130).map { PagedHistory.summary(noise(at: t0 - 1000 + $0, n: $0), id: "e\($0)") }
        let checkpoints = InMemoryCheckpointStore()
        let outcome = try await poller(PagedHistory(events), sink: RecordingAlertSink(), checkpoints: checkpoints, maxPages: 2).poll(owner: "p")
        #expect(outcome.pages == 2)
        #expect(outcome.events == 100)
        #expect(outcome.problems.count == 1 && outcome.problems[0].contains("cut after 2 pages"), "\(outcome.problems)")
        #expect(try await checkpoints.load("lookup-events") == t0)
    }

    @Test("a page that fails mid-slice fails the poll: nothing alerted, no checkpoint")
    func failedPage() async throws {
        var events = (0..<80).map { PagedHistory.summary(noise(at: t0 - 1000 + $0, n: $0), id: "e\($0)") }
        // Newest first: this StopLogging is on the first page, read before the failure.
        events.append(PagedHistory.summary(stopLogging(trail: "x", at: t0 - 60), id: "stop"))
        let sink = RecordingAlertSink()
        let checkpoints = InMemoryCheckpointStore()
        let history = PagedHistory(events, failFromPage: 1)
        await #expect(throws: PagedHistory.Unreachable.self) {
            try await poller(history, sink: sink, checkpoints: checkpoints).poll(owner: "p")
        }
        #expect(history.pagesServed == 1)
        #expect(await sink.messages.isEmpty)
        #expect(try await checkpoints.load("lookup-events") == nil)
    }
}
