import ArgumentParser
import Foundation
import Synchronization
import TriplineAWS
import TriplineCore
import TriplineService

/// `tripline watch`: polls CloudTrail LookupEvents, runs the rules and alerts exactly once per finding, the way the
/// Lambda function's scheduled path does, with state in the local SQLite file (or DynamoDB with `--table`).
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Poll CloudTrail (LookupEvents) and alert on findings: stdout, SNS or both.",
        discussion: """
            Each cycle reads from the last checkpoint (minus an overlap, for late events) to now; the first reads \
            the --lookback window. Findings are recorded in the state store before they are alerted, so an \
            overlapping window, a restart or a second watcher never alerts the same finding twice. \
            Ctrl-C (SIGINT) or SIGTERM stops after the cycle in progress; a second signal stops at once.
            """
    )

    enum Destination: String, ExpressibleByArgument, CaseIterable { case stdout, sns, both }

    @Option(help: "Time between polls (e.g. 60s, 5m).")
    var interval: Span = Span(seconds: 60)

    @Flag(help: "Poll once and exit (for cron jobs and tests).")
    var once = false

    @Option(help: "How far back the first poll reads (no checkpoint yet).")
    var lookback: Span = Span(seconds: 20 * 60)

    @Option(help: "How far before the checkpoint each poll re-reads (CloudTrail delivers events late).")
    var overlap: Span = Span(seconds: 10 * 60)

    @Option(name: .customLong("alert-to"), help: "Where alerts go: stdout, sns or both (default: sns with --sns-topic-arn, else stdout).")
    var destination: Destination?

    @Option(name: .customLong("sns-topic-arn"), help: "SNS topic for alerts.")
    var snsTopicARN: String?

    @Option(help: "Format of alerts on stdout: text or jsonl.")
    var format: Findings.Format = .text

    @Option(name: .customLong("min-severity"), help: "Alert at or above this severity; lower findings are only recorded.")
    var minSeverity: Severity = .medium

    @OptionGroup var rules: RuleOptions
    @OptionGroup var state: StateOptions
    @OptionGroup(title: "AWS") var aws: AWSOptions

    var effectiveDestination: Destination { destination ?? (snsTopicARN == nil ? .stdout : .sns) }

    func validate() throws {
        if interval.seconds < 1 { throw ValidationError("--interval must be at least 1s") }
        if lookback.seconds < 1 { throw ValidationError("--lookback must be at least 1s") }
        if effectiveDestination != .stdout && (snsTopicARN ?? "").isEmpty {
            throw ValidationError("--alert-to \(effectiveDestination.rawValue) needs --sns-topic-arn")
        }
    }

    func run() async throws {
        let tunedLoad = rules.loadTuned()
        let loaded = tunedLoad.result
        if tunedLoad.hadErrors { throw ExitCode(ExitStatus.usageOrRules) }
        let engine = Engine(rules: loaded.rules, suppressors: tunedLoad.tuned.suppressors)
        let client = aws.client()
        let stores = try state.stores(aws: aws)

        var sinks: [any AlertSink] = []
        if effectiveDestination != .stdout, let arn = snsTopicARN { sinks.append(SNSAlertSink(sns: SNSClient(client), topicArn: arn)) }
        if effectiveDestination != .sns { sinks.append(StdoutAlertSink(format: format == .jsonl ? .jsonl : .text)) }

        var pipeline = AlertPipeline(
            rules: loaded.rules, store: stores.findings, sink: FanOutAlertSink(sinks: sinks), minimumSeverity: minSeverity)
        pipeline.accountNames = tunedLoad.configuration?.accounts ?? [:]
        // Configured destinations replace --alert-to: each gets every alert its route names, exactly once, and a
        // failing one is retried on the next poll for itself alone.
        pipeline.router = try await CLIDestinations.router(configuration: tunedLoad.configuration, aws: client)
        if let router = pipeline.router { printError("tripline: alerts go to \(router.names.joined(separator: ", "))") }
        let poller = LookupPoller(
            source: CloudTrailClient(client), engine: engine, pipeline: pipeline, checkpoints: stores.checkpoints,
            // One checkpoint per region: watching two regions from one state file must not share progress.
            checkpointName: "watch/\(client.region)", lookback: lookback.seconds, overlap: overlap.seconds)

        let stop = StopSignal()
        stop.install()
        printError("tripline: watching CloudTrail in \(client.region)"
            + (once ? " (one poll)" : " every \(interval)") + ", \(engine.ruleCount) rules, state in \(state.location)")

        var failed = false
        // Unique per process and cycle, so a crashed watcher's claims are not mistaken for ours.
        let ownerPrefix = "tripline-watch-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8))"
        var cycle = 0
        while !stop.requested {
            cycle += 1
            failed = !(await pollOnce(poller, owner: "\(ownerPrefix)-\(cycle)"))
            if once || stop.requested { break }
            await stop.sleep(seconds: interval.seconds)
        }
        if stop.requested { printError("tripline: stopped") }
        if failed && once { throw ExitCode(ExitStatus.inputErrors) }
    }

    /// One poll, summarised on stderr. Returns false when CloudTrail, the store or an alert failed.
    private func pollOnce(_ poller: LookupPoller, owner: String) async -> Bool {
        do {
            let o = try await poller.poll(owner: owner)
            let a = o.alerts
            printError("tripline: polled \(EventTime.iso8601(o.start))..\(EventTime.iso8601(o.end)): \(o.events) events, "
                + "\(o.findings) matches, \(a.alerted.count) alerted, \(a.duplicates.count) already known, "
                + "\(a.recorded.count) recorded below \(minSeverity), \(a.heldElsewhere.count) held by another watcher")
            let suppressors = poller.engine.suppression.suppressors
            for (index, events) in o.suppressed.sorted(by: { $0.key < $1.key }) {
                printError("tripline: suppressed \(events) match(es) by \(suppressors[index].label): \(suppressors[index].reason)")
            }
            for problem in o.problems { printError("tripline: \(problem)") }
            for error in a.errors { printError("tripline: \(error)") }
            return o.succeeded
        } catch {
            printError("tripline: poll failed: \(S3Scan.describe(error))")
            return false
        }
    }
}

/// SIGINT/SIGTERM handling: the first signal asks the loop to stop after the current poll (and cuts a sleep
/// short); a second one exits at once.
final class StopSignal: Sendable {
    private struct State {
        var signals = 0
        var sleeper: Task<Void, any Error>?
    }
    private let state = Mutex(State())
    /// Kept alive for the life of the process; written once, by `install`, before any signal can arrive.
    private nonisolated(unsafe) var sources: [any DispatchSourceSignal] = []

    var requested: Bool { state.withLock { $0.signals > 0 } }

    func install() {
        sources = [SIGINT, SIGTERM].map { number -> any DispatchSourceSignal in
            signal(number, SIG_IGN)  // let the dispatch source see it instead of the default handler
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            return source
        }
    }

    private func received(_ number: Int32) {
        let (count, sleeper) = state.withLock { s -> (Int, Task<Void, any Error>?) in
            s.signals += 1
            return (s.signals, s.sleeper)
        }
        if count > 1 { Foundation.exit(128 + number) }
        sleeper?.cancel()
    }

    /// Sleeps, or returns early when a stop is requested.
    func sleep(seconds: Int) async {
        let task = Task<Void, any Error> { try await Task.sleep(for: .seconds(seconds)) }
        let alreadyStopped = state.withLock { s -> Bool in
            s.sleeper = task
            return s.signals > 0
        }
        if alreadyStopped { task.cancel() }
        _ = try? await task.value
        state.withLock { $0.sleeper = nil }
    }
}
