import Foundation
import Synchronization
import TriplineAWS
import TriplineCore
import TriplineIO
import TriplineJSON

/// The one call the poller needs from CloudTrail (the real client, or a fake in tests).
public protocol LookupEventsSource: Sendable {
    func lookupEvents(_ request: CloudTrailLookupRequest) async throws -> CloudTrailLookupPage
    /// The same source reading another region's event history (a source bound to one history returns itself).
    func inRegion(_ region: String) -> any LookupEventsSource
}

extension LookupEventsSource {
    public func inRegion(_ region: String) -> any LookupEventsSource { self }
}

extension CloudTrailClient: LookupEventsSource {
    public func inRegion(_ region: String) -> any LookupEventsSource {
        var copy = self
        copy.client.region = region
        return copy
    }
}

/// The regions the scheduled poll reads (`TRIPLINE_POLL_REGIONS`), and which of them takes an event that more than
/// one region's history shows.
///
/// Global-service events (IAM, STS through the global endpoint, console sign-in through the global endpoint) are
/// recorded in one region of the partition (us-east-1; us-gov-west-1 in aws-us-gov, cn-north-1 in aws-cn) with that
/// region as their `awsRegion`. An event is taken by the poll of its own `awsRegion` when that region is polled, and
/// otherwise by the first region of the list alone, so an event another region's history also shows is alerted
/// and counted once, not once per region.
public struct PollRegions: Sendable, Equatable {
    /// In the order given, without repeats; never empty.
    public let regions: [String]

    /// Event sources whose events can be recorded in a region other than the one polled.
    public static let globalSources: Set<String> = ["iam.amazonaws.com", "sts.amazonaws.com", "signin.amazonaws.com"]

    public init(_ regions: [String], home: String) {
        var seen: Set<String> = []
        let kept = regions.filter { seen.insert($0).inserted }
        self.regions = kept.isEmpty ? [home] : kept
    }

    /// The region whose poll takes an event recorded with `awsRegion`.
    public func owner(ofEventIn awsRegion: String) -> String {
        regions.contains(awsRegion) ? awsRegion : regions[0]
    }

    /// Where the partition of `region` records global-service events.
    public static func globalEventRegion(partitionOf region: String) -> String {
        if region.hasPrefix("us-gov-") { return "us-gov-west-1" }
        if region.hasPrefix("cn-") { return "cn-north-1" }
        return "us-east-1"
    }

    /// Said once per scheduled poll when no polled region records global-service events.
    public var globalEventsWarning: String? {
        let global = Self.globalEventRegion(partitionOf: regions[0])
        guard !regions.contains(global) else { return nil }
        return "IAM, global STS and sign-in events are recorded in \(global), which TRIPLINE_POLL_REGIONS does not list: the poller does not see them"
    }
}

/// What one poll did.
public struct PollOutcome: Sendable {
    /// The time range read, epoch seconds (`start..<end`).
    public var start: Int
    public var end: Int
    public var pages = 0
    public var events = 0
    public var findings = 0
    /// Matches tuning suppressed, per suppressor (`engine.suppression`) index.
    public var suppressed: [Int: Int] = [:]
    /// The checkpoint after the poll (unchanged when alerting failed).
    public var checkpoint: Int?
    public var alerts = AlertOutcome()
    /// Problems with individual events (unparseable CloudTrailEvent strings): logged, not retried.
    public var problems: [String] = []
    /// Global-service events this region's history showed that another polled region's poll takes (see ``PollRegions``).
    public var leftToOtherRegion = 0

    public var succeeded: Bool { alerts.succeeded }
}

/// Polls CloudTrail `LookupEvents` and alerts on what the rules find: the fallback ingestion path for accounts
/// without a trail to S3 or EventBridge, and what `tripline watch` runs.
///
/// Each poll reads from the checkpoint minus `overlap` (LookupEvents shows events minutes after they happen, so a
/// window ending at "now" can miss late arrivals) to now, or the last `lookback` seconds when there is no
/// checkpoint. The range is read in slices of at most `sliceSeconds`, oldest first; each slice is paged to the end,
/// alerted, and only then checkpointed, so a failed or timed-out run resumes where it stopped and the overlap never
/// double-reports (the finding store dedups by event).
public struct LookupPoller: Sendable {
    public let source: any LookupEventsSource
    public let engine: Engine
    public let pipeline: AlertPipeline
    public let checkpoints: any CheckpointStore
    public let checkpointName: String
    public let lookback: Int
    public let overlap: Int
    public let sliceSeconds: Int
    /// Oldest start a poll will go back to (LookupEvents keeps 90 days).
    public let maxCatchUp: Int
    /// Pages per slice before giving up on it (50 events each; guards a runaway account against the timeout).
    public let maxPages: Int
    /// The region this poller reads and the set it is one of: events another region takes are left to it.
    /// `nil`: every event the source returns is taken (one region, `tripline watch`).
    public let region: String?
    public let regions: PollRegions?
    private let now: @Sendable () -> Int

    public init(
        source: any LookupEventsSource, engine: Engine, pipeline: AlertPipeline, checkpoints: any CheckpointStore,
        checkpointName: String = "lookup-events", lookback: Int = 20 * 60, overlap: Int = 10 * 60,
        sliceSeconds: Int = 3600, maxCatchUp: Int = 7 * 86400, maxPages: Int = 2000,
        region: String? = nil, regions: PollRegions? = nil,
        now: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.source = source
        self.engine = engine
        self.pipeline = pipeline
        self.checkpoints = checkpoints
        self.checkpointName = checkpointName
        self.lookback = lookback
        self.overlap = overlap
        self.sliceSeconds = max(60, sliceSeconds)
        self.maxCatchUp = maxCatchUp
        self.maxPages = maxPages
        self.region = region
        self.regions = regions
        self.now = now
    }

    /// One poll. Throws only when CloudTrail or the checkpoint store fails before anything could be alerted;
    /// alert failures are in the outcome (and leave the checkpoint where it was).
    /// With a `deadline`, no slice starts after its safety margin (the checkpoint stays at the last finished one).
    public func poll(owner: String, deadline: WorkDeadline? = nil) async throws -> PollOutcome {
        let end = now()
        let checkpoint = try await checkpoints.load(checkpointName)
        var start = checkpoint.map { $0 - overlap } ?? (end - lookback)
        start = max(start, end - maxCatchUp)
        var outcome = PollOutcome(start: start, end: end, checkpoint: checkpoint)

        var sliceStart = start
        while sliceStart < end {
            if let deadline, deadline.stop.hasPassed {
                outcome.alerts.stoppedAtDeadline = true
                outcome.alerts.errors.append("stopped at the deadline's safety margin before \(EventTime.iso8601(sliceStart))")
                return outcome
            }
            let sliceEnd = min(end, sliceStart + sliceSeconds)
            let slice = LookupSlice(
                source: source, start: sliceStart, end: sliceEnd, maxPages: maxPages, region: region, regions: regions)
            let scanned = try await ScanRunner.run(slice, engine: engine, options: ScanOptions(workers: 1, foldFindings: false))
            let counts = slice.counts.withLock { $0 }
            outcome.pages += counts.pages
            outcome.leftToOtherRegion += counts.leftToOtherRegion
            outcome.events += scanned.stats.records
            outcome.findings += scanned.findings.count
            for (s, n) in scanned.stats.suppressed { outcome.suppressed[s, default: 0] += n }
            outcome.problems += scanned.problems.map(\.description)

            // One input per slice: if any alert of it fails, the slice is not checkpointed and is read again.
            let alerts = await pipeline.run(
                scanned.findings, thresholds: scanned.thresholds, engineRules: engine.rules, owner: owner, deadline: deadline,
                inputID: { _ in "slice" })
            merge(alerts, into: &outcome.alerts)
            guard alerts.succeeded else { return outcome }
            try await checkpoints.save(checkpointName, sliceEnd)
            outcome.checkpoint = sliceEnd
            sliceStart = sliceEnd
        }
        return outcome
    }

    private func merge(_ a: AlertOutcome, into o: inout AlertOutcome) {
        o.alerted += a.alerted
        o.recorded += a.recorded
        o.duplicates += a.duplicates
        o.heldElsewhere += a.heldElsewhere
        o.stoppedAtDeadline = o.stoppedAtDeadline || a.stoppedAtDeadline
        o.messages += a.messages
        o.failedInputs.formUnion(a.failedInputs)
        o.errors += a.errors
    }
}

/// One time slice of CloudTrail's event history as a scan's source: one input, read page by page, each event's
/// `CloudTrailEvent` text evaluated on its own. A failed page fails the whole poll (`read` throws): a slice is
/// alerted and checkpointed whole or not at all.
final class LookupSlice: ScanSource {
    typealias ReadFailure = any Error

    struct Counts {
        var pages = 0
        /// Global-service events this region's history showed that another polled region's poll takes.
        var leftToOtherRegion = 0
    }

    let source: any LookupEventsSource
    let start: Int
    let end: Int
    let maxPages: Int
    let region: String?
    let regions: PollRegions?
    let counts = Mutex(Counts())

    init(source: any LookupEventsSource, start: Int, end: Int, maxPages: Int, region: String?, regions: PollRegions?) {
        self.source = source
        self.start = start
        self.end = end
        self.maxPages = maxPages
        self.region = region
        self.regions = regions
    }

    var name: String { "cloudtrail:lookup-events \(EventTime.iso8601(start))…\(EventTime.iso8601(end))" }
    var names: [String] { [name] }

    func read(_ index: Int, into w: inout ScanWorker) async throws {
        var request = CloudTrailLookupRequest(
            startTime: Date(timeIntervalSince1970: TimeInterval(start)),
            endTime: Date(timeIntervalSince1970: TimeInterval(end)), maxResults: 50)
        var pages = 0
        var left = 0
        defer { counts.withLock { $0.pages += pages; $0.leftToOtherRegion += left } }
        repeat {
            let page = try await source.lookupEvents(request)
            pages += 1
            for event in page.events {
                let path = "cloudtrail:lookup-events/\(event.eventId)"
                guard var text = event.cloudTrailEvent else {
                    w.problems.append(InputProblem(path: path, message: "no CloudTrailEvent"))
                    continue
                }
                if leftToAnotherRegion(event, text) {
                    left += 1
                    continue
                }
                text.withUTF8 { w.process($0, path: path) }
            }
            request.nextToken = page.nextToken
        } while request.nextToken != nil && pages < maxPages
        if request.nextToken != nil {
            // Newest first: what is left are the slice's oldest events. Say so; the slice still advances, or one
            // runaway hour would stall polling for good.
            w.problems.append(InputProblem(path: name, message: "cut after \(maxPages) pages"))
        }
    }

    /// Whether another region's poll takes this event: only global-service sources are looked at (their record is
    /// parsed for `awsRegion`); everything else a region's history shows belongs to that region.
    private func leftToAnotherRegion(_ event: CloudTrailEventSummary, _ text: String) -> Bool {
        guard let region, let regions, regions.regions.count > 1 || regions.regions[0] != region else { return false }
        if let source = event.eventSource, !PollRegions.globalSources.contains(source) { return false }
        guard let record = try? JSONValue.parse(Array(text.utf8)),
            let source = record["eventSource"]?.stringValue, PollRegions.globalSources.contains(source),
            let recorded = record["awsRegion"]?.stringValue
        else { return false }
        return regions.owner(ofEventIn: recorded) != region
    }
}
