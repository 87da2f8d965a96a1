import Foundation
import Synchronization
import TriplineCore

/// Where a scan's inputs come from when reading them waits on the network: objects under S3 prefixes, the S3
/// objects and events of one Lambda invocation, a time slice of CloudTrail's event history.
///
/// A source only lists and reads; `ScanRunner` owns everything else (workers, the reading order, the event
/// processors, the tallies), so every kind of input is scanned the same way.
public protocol ScanSource: Sendable {
    /// What `read` throws: `Never` for a source that reports every failure per input.
    associatedtype ReadFailure: Error = Never

    /// One name per input, for messages and for the reading order (CloudTrail's file names carry their delivery
    /// time: see `ScanOrder`).
    var names: [String] { get }

    /// Reads input `index` through `worker` (its processor, buffer, problems and stats). An input that cannot be
    /// read is reported with `worker.failed` and the scan goes on; throwing stops the whole scan, for a source
    /// whose failure leaves nothing worth keeping (the poller's CloudTrail being unreachable).
    func read(_ index: Int, into worker: inout ScanWorker) async throws(ReadFailure)
}

/// A source whose reads block instead (local files, stdin, inputs in memory): scanned on threads of its own, off
/// Swift's cooperative pool, which a CPU-bound scan would otherwise hold for its whole length.
public protocol BlockingScanSource: Sendable {
    var names: [String] { get }
    func read(_ index: Int, into worker: inout ScanWorker)
}

/// What one of a scan's workers owns: its event processor (whose buffers are reused input after input), a read
/// buffer, and what it has found so far.
public struct ScanWorker {
    public var processor: EventProcessor
    public var buffer: [UInt8] = []
    public var problems: [InputProblem] = []
    /// Counts of the input being read.
    public var stats = ScanStats()
    /// Raw findings, one per match: empty unless the scan keeps them (`ScanOptions.foldFindings` off).
    public var findings: [Finding] = []
    fileprivate var done = ScanResult()
    /// Whether an input was handed out and not yet settled.
    fileprivate var reading = false

    init(engine: Engine, options: ScanOptions) {
        processor = EventProcessor(
            engine: engine, maxDecompressed: options.maxDecompressed, maxEvent: options.maxEvent,
            tallyThresholds: true, foldFindings: options.foldFindings)
    }

    /// Reads `raw` (an input's bytes) as input `path`.
    public mutating func process(_ raw: UnsafeBufferPointer<UInt8>, path: String) {
        _ = processor.process(raw, path: path, findings: &findings, problems: &problems, stats: &stats)
    }

    /// Counts an input that could not be read at all.
    public mutating func failed(_ path: String, _ message: String) {
        stats.inputs += 1
        stats.failedInputs += 1
        problems.append(InputProblem(path: path, message: message))
    }
}

/// What a scan found, of any number of sources.
public struct ScanResult: Sendable {
    /// Matches of the other rules, folded per dedup key (turn into findings with `findings(rules:)`, then
    /// aggregate them). Kept as a tally, not findings, so more inputs fold into it exactly.
    public var folded = DedupTally()
    /// Matches of the other rules one finding each, in input order, when the scan keeps them instead of folding
    /// (`ScanOptions.foldFindings` off).
    public var findings: [Finding] = []
    /// Matches of threshold rules, tallied (turn into alerts with `alerts(rules:)`).
    public var thresholds = ThresholdTally()
    /// Matches the engine's suppressors took, folded per suppressor (counted in summaries, listed on request).
    public var suppressed = SuppressedTally()
    public var problems: [InputProblem] = []
    public var stats = ScanStats()

    public init() {}

    /// Another scan's result folded into this one (a scan of local files and S3 prefixes at once).
    public mutating func merge(_ other: ScanResult) {
        folded.merge(other.folded)
        findings += other.findings
        thresholds.merge(other.thresholds)
        suppressed.merge(other.suppressed)
        problems += other.problems
        stats.add(other.stats)
        sortProblems()
    }

    /// The folded matches as findings, built on `workers` threads (each alert's finding is parsed from its kept
    /// event: thousands of alerts are worth the cores). Only the matches of rules `including` takes are built: a
    /// scan that shows only high findings need not build a hundred thousand low ones.
    public func foldedFindings(
        rules: [Rule], workers: Int = ScanOptions.defaultWorkers, including: @Sendable (Rule) -> Bool = { _ in true }
    ) -> [Finding] {
        let shards = max(1, workers)
        let parts = Mutex([[Finding]](repeating: [], count: shards))
        DispatchQueue.concurrentPerform(iterations: shards) { shard in
            let found = folded.findings(rules: rules, shard: shard, of: shards, including: including)
            parts.withLock { $0[shard] = found }
        }
        return parts.withLock { $0.flatMap { $0 } }
    }

    /// Deterministic order whatever the scheduling.
    mutating func sortProblems() {
        problems.sort { ($0.path, $0.line ?? 0, $0.record ?? 0) < ($1.path, $1.line ?? 0, $1.record ?? 0) }
    }

    mutating func sortFindings() {
        findings.sort { ($0.input.path, $0.input.record, $0.ruleID) < ($1.input.path, $1.input.record, $1.ruleID) }
    }
}

/// How a scan runs: how many workers, and the limits each worker's processor keeps to.
public struct ScanOptions: Sendable {
    public var workers: Int
    /// Inputs decoded up to this size are read whole (the fast path); larger ones are streamed.
    public var maxDecompressed: Int
    /// Largest event read; a larger one is skipped and reported.
    public var maxEvent: Int
    /// Whether matches are folded per dedup key (a scan over history, where most fold into a few alerts) or kept
    /// one finding each (`ScanResult.findings`), for callers that alert per input and retry the inputs whose
    /// alerts failed: the Lambda and the poller.
    public var foldFindings: Bool
    /// Called after each input with the running totals (from worker threads).
    public var progress: (@Sendable (ScanStats) -> Void)?

    public init(workers: Int = ScanOptions.defaultWorkers,
                maxDecompressed: Int = EventProcessor.defaultMaxDecompressed,
                maxEvent: Int = EventProcessor.defaultMaxEvent, foldFindings: Bool = true,
                progress: (@Sendable (ScanStats) -> Void)? = nil) {
        self.workers = max(1, workers)
        self.maxDecompressed = maxDecompressed
        self.maxEvent = maxEvent
        self.foldFindings = foldFindings
        self.progress = progress
    }

    public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }
}

/// Scans the inputs of a source on `options.workers` workers.
///
/// Each worker owns one event processor, whose buffers (read, gunzip, tape) are reused input after input, so
/// memory for input is bounded by the largest input times the number of workers, whatever the size of the corpus.
/// Findings are folded per dedup key as they come (`DedupTally`), so they grow with alerts, not with matching
/// events. Inputs are read in CloudTrail delivery order when they are so named, and threshold matches are let go as
/// the scan passes them (`ScanOrder`).
public enum ScanRunner {
    /// Scans a blocking source on `options.workers` threads.
    public static func run(_ source: some BlockingScanSource, engine: Engine, options: ScanOptions = ScanOptions()) -> ScanResult {
        let run = Run(names: source.names, engine: engine, options: options)
        let partials = Mutex([ScanResult]())
        DispatchQueue.concurrentPerform(iterations: run.workers) { worker in
            var w = ScanWorker(engine: engine, options: options)
            while let index = run.next(worker, &w) { source.read(index, into: &w) }
            let partial = run.finish(worker, &w)
            partials.withLock { $0.append(partial) }
        }
        return run.result(partials.withLock { $0 })
    }

    /// Scans a source whose reads wait (on the network) with `options.workers` reads at a time. Throws what the
    /// source's `read` throws, once every worker has stopped.
    public static func run<Source: ScanSource>(
        _ source: Source, engine: Engine, options: ScanOptions = ScanOptions()
    ) async throws(Source.ReadFailure) -> ScanResult {
        let run = Run(names: source.names, engine: engine, options: options)
        let partials = await withTaskGroup(of: Result<ScanResult, Source.ReadFailure>.self) { group in
            for worker in 0..<run.workers {
                group.addTask {
                    var w = ScanWorker(engine: engine, options: options)
                    do throws(Source.ReadFailure) {
                        while let index = run.next(worker, &w) { try await source.read(index, into: &w) }
                    } catch {
                        run.stop()
                        return .failure(error)
                    }
                    return .success(run.finish(worker, &w))
                }
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        return run.result(try partials.map { r throws(Source.ReadFailure) in try r.get() })
    }

    /// One scan's shared state: the reading order (which also holds the threshold tally) and the running totals.
    final class Run: Sendable {
        let workers: Int
        let order: ScanOrder
        let rules: [Rule]
        let progress: (@Sendable (ScanStats) -> Void)?
        private let total = Mutex(ScanStats())
        /// Set when a read threw: the other workers take no further input.
        private let stopped = Atomic(false)

        init(names: [String], engine: Engine, options: ScanOptions) {
            workers = min(options.workers, max(1, names.count))
            order = ScanOrder(names: names, workers: workers)
            rules = engine.rules
            progress = options.progress
        }

        /// Settles the input `worker` just read (none at first) and hands it the next one.
        func next(_ worker: Int, _ w: inout ScanWorker) -> Int? {
            if w.reading {
                order.finished(worker: worker, processor: &w.processor, rules: rules)
                w.done.stats.add(w.stats)
                let stats = w.stats
                if let progress { progress(total.withLock { $0.add(stats); return $0 }) }
                w.stats = ScanStats()
            }
            let index = stopped.load(ordering: .relaxed) ? nil : order.next(worker: worker)
            w.reading = index != nil
            return index
        }

        func stop() { stopped.store(true, ordering: .relaxed) }

        /// What `worker` found, once it has no more inputs.
        func finish(_ worker: Int, _ w: inout ScanWorker) -> ScanResult {
            order.finish(worker: worker, processor: &w.processor)
            var partial = w.done
            partial.folded = w.processor.takeFolded()
            partial.findings = w.findings
            partial.suppressed = w.processor.takeSuppressed()
            partial.problems = w.problems
            return partial
        }

        func result(_ partials: [ScanResult]) -> ScanResult {
            var result = ScanResult()
            for partial in partials { result.merge(partial) }
            result.thresholds = order.thresholds()
            if let late = ScanOrder.lateProblem(result.thresholds) { result.problems.append(late) }
            result.sortProblems()
            result.sortFindings()
            return result
        }
    }
}

/// Inputs already in memory as a scan's source (the benchmark's corpus, tests).
public struct InMemoryInputs: BlockingScanSource {
    public let inputs: [(name: String, bytes: [UInt8])]

    public init(_ inputs: [(name: String, bytes: [UInt8])]) { self.inputs = inputs }

    public var names: [String] { inputs.map(\.name) }

    public func read(_ index: Int, into w: inout ScanWorker) {
        inputs[index].bytes.withUnsafeBufferPointer { w.process($0, path: inputs[index].name) }
    }
}
