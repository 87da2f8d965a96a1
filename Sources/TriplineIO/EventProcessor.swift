import TriplineCore
import TriplineJSON

/// Counters for a scan (or one Lambda invocation).
public struct ScanStats: Sendable, Equatable {
    public var inputs = 0
    public var records = 0
    public var rawBytes = 0
    public var decodedBytes = 0
    public var digests = 0
    public var failedInputs = 0
    public var matches = 0
    /// Matches a suppressor took instead of an alert, per suppressor (`Engine.suppression`) index.
    public var suppressed: [Int: Int] = [:]

    public init() {}

    /// All suppressed matches.
    public var suppressedMatches: Int { suppressed.values.reduce(0, +) }

    public mutating func add(_ o: ScanStats) {
        inputs += o.inputs
        records += o.records
        rawBytes += o.rawBytes
        decodedBytes += o.decodedBytes
        digests += o.digests
        failedInputs += o.failedInputs
        matches += o.matches
        for (s, n) in o.suppressed { suppressed[s, default: 0] += n }
    }
}

/// The hot path for one input: gunzip if needed → walk records → evaluate rules → build findings for matches.
/// One per worker thread; its buffers are reused from input to input.
public struct EventProcessor {
    public let engine: Engine
    private var gunzip: Gunzip
    private var extractor: RecordExtractor? = RecordExtractor()
    private var decoded: [UInt8] = []

    /// When set, threshold rules' matches are tallied compactly (see `ThresholdTally`) instead of becoming one
    /// finding each; collect them with `takeTally()` and turn them into alerts after the scan.
    public let tallyThresholds: Bool
    private var tally = ThresholdTally()

    /// When set, the other rules' matches are folded per dedup key (see `DedupTally`) instead of becoming one
    /// finding each: what a scan over history wants, where most matches fold into a few alerts. Collect them with
    /// `takeFolded()`.
    public let foldFindings: Bool
    private var folded = DedupTally()

    /// Matches suppressed by the engine's suppressors, folded per suppressor to be counted and listed.
    private var suppressedTally = SuppressedTally()

    /// Per engine rule: whether it counts events toward a threshold (decided once, not per match).
    private let counted: [Bool]

    /// Largest event (one record, or one value of JSON Lines) read; a larger one is skipped and reported.
    public let maxEvent: Int

    /// Inputs are decoded whole up to `maxDecompressed` bytes (the fast path: nearly every CloudTrail file), and
    /// streamed beyond it, so memory follows the largest event (`maxEvent`), never the size of an input.
    public init(engine: Engine, maxDecompressed: Int = EventProcessor.defaultMaxDecompressed,
                maxEvent: Int = EventProcessor.defaultMaxEvent, tallyThresholds: Bool = false, foldFindings: Bool = false) {
        self.engine = engine
        self.counted = engine.rules.map { ($0.threshold?.count ?? 0) > 1 }
        self.maxEvent = maxEvent
        self.extractor = RecordExtractor(maxEvent: maxEvent)
        self.gunzip = Gunzip(maxOutput: max(maxDecompressed, 1 << 16))
        self.tallyThresholds = tallyThresholds
        self.foldFindings = foldFindings
    }

    /// Threshold matches held in the tally now.
    public var tallyHits: Int { tally.hitCount }

    /// The threshold matches tallied so far (and resets the tally).
    public mutating func takeTally() -> ThresholdTally {
        defer { tally = ThresholdTally() }
        return tally
    }

    /// The matches folded so far (and resets them).
    public mutating func takeFolded() -> DedupTally {
        defer { folded = DedupTally() }
        return folded
    }

    public static let defaultMaxDecompressed = 64 << 20
    public static let defaultMaxEvent = 16 << 20

    /// The suppressed matches so far (and resets them).
    public mutating func takeSuppressed() -> SuppressedTally {
        defer { suppressedTally = SuppressedTally() }
        return suppressedTally
    }

    /// True for paths CloudTrail uses for digest files, which hold no events.
    public static func isDigestPath(_ path: String) -> Bool {
        path.contains("/CloudTrail-Digest/") || path.hasPrefix("CloudTrail-Digest/")
    }

    /// Processes one input. Findings are raw (one per rule per record): aggregate them afterwards.
    @discardableResult
    public mutating func process(
        _ raw: UnsafeBufferPointer<UInt8>, path: String,
        findings: inout [Finding], problems: inout [InputProblem], stats: inout ScanStats
    ) -> InputShape {
        var damage: Gunzip.Failure?
        if Gunzip.isGzip(raw) {
            do throws(Gunzip.Failure) {
                try gunzip.decompress(raw, into: &decoded)
            } catch {
                damage = error
            }
            if damage?.overLimit == true {
                // Too large to decode whole: decompressed and read as a stream instead.
                decoded.removeAll(keepingCapacity: true)
                do throws(StreamFailure) {
                    let source = try GunzipSource(MemorySource(raw))
                    return process(stream: source, path: path, findings: &findings, problems: &problems, stats: &stats,
                                   rawBytes: raw.count)
                } catch {
                    damage = Gunzip.Failure(message: error.message)
                }
            }
        }
        stats.inputs += 1
        stats.rawBytes += raw.count
        let problemsBefore = problems.count
        defer { if problems.count > problemsBefore { stats.failedInputs += 1 } }
        guard Gunzip.isGzip(raw) else {
            return evaluate(raw, path: path, findings: &findings, problems: &problems, stats: &stats)
        }
        if let damage {
            problems.append(InputProblem(path: path, message: damage.message))
            // A truncated file still yields the complete records before the cut.
            if decoded.isEmpty { return .empty }
        }
        return decoded.withUnsafeBufferPointer { evaluate($0, path: path, findings: &findings, problems: &problems, stats: &stats) }
    }

    /// Processes one input read as a stream (`RecordStream`): a pipe, a device, or a file or object too large to
    /// decode whole. `rawBytes`: its size as read, when known.
    @discardableResult
    public mutating func process<Source: ByteSource>(
        stream source: Source, path: String,
        findings: inout [Finding], problems: inout [InputProblem], stats: inout ScanStats, rawBytes: Int = 0
    ) -> InputShape {
        stats.inputs += 1
        stats.rawBytes += rawBytes
        let problemsBefore = problems.count
        defer { if problems.count > problemsBefore { stats.failedInputs += 1 } }
        var stream = RecordStream(source: source, path: path, maxEvent: maxEvent)
        defer { stream.deallocate() }
        var failure: StreamFailure?
        let shape = withRecordHandler(findings: &findings, problems: &problems, stats: &stats) { extractor, onRecord, onProblem in
            extractor.resetCount()
            do throws(StreamFailure) {
                return try stream.run(&extractor, onRecord: onRecord, onProblem: onProblem)
            } catch {
                failure = error
                return .empty
            }
        }
        if let failure { problems.append(InputProblem(path: path, message: failure.message)) }
        stats.decodedBytes += stream.bytesRead
        return shape
    }

    private mutating func evaluate(
        _ p: UnsafeBufferPointer<UInt8>, path: String,
        findings: inout [Finding], problems: inout [InputProblem], stats: inout ScanStats
    ) -> InputShape {
        stats.decodedBytes += p.count
        return withRecordHandler(findings: &findings, problems: &problems, stats: &stats) { extractor, onRecord, onProblem in
            extractor.extract(p, path: path, onRecord: onRecord, onProblem: onProblem)
        }
    }

    /// Runs `extract` with the handler every record goes through (rules evaluated, matches tallied, folded or
    /// turned into findings), then counts what it handed out.
    private mutating func withRecordHandler(
        findings: inout [Finding], problems: inout [InputProblem], stats: inout ScanStats,
        _ extract: (inout RecordExtractor, RecordExtractor.RecordHandler, (InputProblem) -> Void) -> InputShape
    ) -> InputShape {
        // Moved out (not copied: its tape stays uniquely referenced) for as long as it reads.
        var extractor = self.extractor.take()!
        defer { self.extractor = extractor }
        let engine = self.engine
        let tallyThresholds = self.tallyThresholds
        let foldFindings = self.foldFindings
        let counted = self.counted
        var matches = 0
        // Keep the tallies uniquely referenced while they grow.
        var tally = self.tally
        self.tally = ThresholdTally()
        var folded = self.folded
        self.folded = DedupTally()
        var suppressedTally = self.suppressedTally
        self.suppressedTally = SuppressedTally()
        let suppression = engine.suppression
        var suppressedHere: [Int: Int] = [:]
        let rules = engine.rules
        let shape = counted.withUnsafeBufferPointer { counted in
            extract(&extractor, { view, root, ref in
                engine.evaluate(view, root: root) { r in
                    matches += 1
                    if !suppression.isEmpty, let s = suppression.suppressor(of: r, view, root: root) {
                        suppressedTally.record(s, rule: r, of: rules, view: view, root: root, input: ref)
                        suppressedHere[s, default: 0] += 1
                    } else if counted[r] && tallyThresholds {
                        tally.record(r, of: rules, view: view, root: root, input: ref)
                    } else if !counted[r] && foldFindings {
                        folded.record(r, of: rules, view: view, root: root, input: ref)
                    } else {
                        findings.append(Finding(rule: rules[r], view: view, root: root, input: ref))
                    }
                }
            }, { problems.append($0) })
        }
        self.tally = tally
        self.folded = folded
        for (s, n) in suppressedHere { stats.suppressed[s, default: 0] += n }
        self.suppressedTally = suppressedTally
        stats.records += extractor.records
        stats.matches += matches
        if shape == .digest { stats.digests += 1 }
        return shape
    }
}
