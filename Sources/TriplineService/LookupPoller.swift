import Foundation
import TriplineAWS
import TriplineCore
import TriplineIO

/// The one call the poller needs from CloudTrail (the real client, or a fake in tests).
public protocol LookupEventsSource: Sendable {
    func lookupEvents(_ request: CloudTrailLookupRequest) async throws -> CloudTrailLookupPage
}

extension CloudTrailClient: LookupEventsSource {}

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
    private let now: @Sendable () -> Int

    public init(
        source: any LookupEventsSource, engine: Engine, pipeline: AlertPipeline, checkpoints: any CheckpointStore,
        checkpointName: String = "lookup-events", lookback: Int = 20 * 60, overlap: Int = 10 * 60,
        sliceSeconds: Int = 3600, maxCatchUp: Int = 7 * 86400, maxPages: Int = 2000,
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
            var findings: [Finding] = []
            var problems: [InputProblem] = []
            var stats = ScanStats()
            var processor = EventProcessor(engine: engine, tallyThresholds: true)
            var request = CloudTrailLookupRequest(
                startTime: Date(timeIntervalSince1970: TimeInterval(sliceStart)),
                endTime: Date(timeIntervalSince1970: TimeInterval(sliceEnd)), maxResults: 50)
            var pages = 0
            repeat {
                let page = try await source.lookupEvents(request)
                pages += 1
                for event in page.events {
                    guard var text = event.cloudTrailEvent else {
                        outcome.problems.append("event \(event.eventId) has no CloudTrailEvent")
                        continue
                    }
                    text.withUTF8 { bytes in
                        _ = processor.process(
                            bytes, path: "cloudtrail:lookup-events/\(event.eventId)", findings: &findings,
                            problems: &problems, stats: &stats)
                    }
                }
                request.nextToken = page.nextToken
            } while request.nextToken != nil && pages < maxPages
            if request.nextToken != nil {
                // Newest first: what is left are the slice's oldest events. Say so; the slice still advances, or
                // one runaway hour would stall polling for good.
                outcome.problems.append("slice \(EventTime.iso8601(sliceStart))…\(EventTime.iso8601(sliceEnd)) cut after \(maxPages) pages")
            }
            outcome.pages += pages
            outcome.events += stats.records
            outcome.findings += findings.count
            for (s, n) in stats.suppressed { outcome.suppressed[s, default: 0] += n }
            outcome.problems += problems.map(\.description)

            // One input per slice: if any alert of it fails, the slice is not checkpointed and is read again.
            let alerts = await pipeline.run(
                findings, thresholds: processor.takeTally(), engineRules: engine.rules, owner: owner, deadline: deadline,
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
