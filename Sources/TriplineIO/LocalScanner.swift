import Dispatch
import Foundation
import Synchronization
import TriplineCore

/// Scans local files, folders and stdin on every core.
///
/// Work is handed out file by file; each worker owns its buffers (read, gunzip, tape) and reuses them, so memory
/// for input is bounded by the largest file times the number of workers, whatever the size of the corpus. Findings
/// are folded per dedup key as they come (`DedupTally`), so they grow with alerts, not with matching events.
/// Files are read in CloudTrail delivery order when they are so named, and threshold matches are let go as the
/// scan passes them (`ScanOrder`).
public enum LocalScanner {
    public struct Options: Sendable {
        public var workers: Int
        public var maxDecompressed: Int
        /// Called after each input with the running totals (from worker threads).
        public var progress: (@Sendable (ScanStats) -> Void)?

        public init(workers: Int = LocalScanner.defaultWorkers, maxDecompressed: Int = 4 << 30,
                    progress: (@Sendable (ScanStats) -> Void)? = nil) {
            self.workers = max(1, workers)
            self.maxDecompressed = maxDecompressed
            self.progress = progress
        }
    }

    public static var defaultWorkers: Int { ProcessInfo.processInfo.activeProcessorCount }

    public struct Result: Sendable {
        /// Matches of the other rules, folded per dedup key (turn into findings with `findings(rules:)`, then
        /// aggregate them). Kept as a tally, not findings, so more inputs (S3 objects) can fold into it exactly.
        public var folded = DedupTally()
        /// Matches of threshold rules, tallied (turn into alerts with `alerts(rules:)`).
        public var thresholds: ThresholdTally = ThresholdTally()
        /// Matches the engine's suppressors took, folded per suppressor (counted in summaries, listed on request).
        public var suppressed = SuppressedTally()
        public var problems: [InputProblem]
        public var stats: ScanStats
        /// Digest files that were recognised and skipped.
        public var skippedDigests: [String]
    }

    /// File extensions read when walking a folder (explicitly named files are always read).
    static let folderExtensions = [".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz", ".gz", ".log"]

    /// Expands folders (recursively, sorted) into files. `-` stands for stdin.
    public static func expand(_ paths: [String]) -> (files: [String], problems: [InputProblem]) {
        var files: [String] = []
        var problems: [InputProblem] = []
        let fm = FileManager.default
        for path in paths {
            if path == "-" {
                files.append(path)
                continue
            }
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
                problems.append(InputProblem(path: path, message: "no such file or folder"))
                continue
            }
            guard isDir.boolValue else {
                files.append(path)
                continue
            }
            var found: [String] = []
            if let walker = fm.enumerator(atPath: path) {
                for case let relative as String in walker {
                    let full = (path as NSString).appendingPathComponent(relative)
                    var sub: ObjCBool = false
                    let name = relative.lowercased()
                    if fm.fileExists(atPath: full, isDirectory: &sub), !sub.boolValue,
                        !((relative as NSString).lastPathComponent.hasPrefix(".")),
                        folderExtensions.contains(where: { name.hasSuffix($0) })
                    {
                        found.append(full)
                    }
                }
            }
            files += found.sorted()
        }
        return (files, problems)
    }

    public static func scan(paths: [String], engine: Engine, options: Options = Options()) -> Result {
        let (files, expandProblems) = expand(paths)
        let digests = files.filter(EventProcessor.isDigestPath)
        let work = files.filter { !EventProcessor.isDigestPath($0) }

        struct Shared {
            var folded = DedupTally()
            var suppressed = SuppressedTally()
            var problems: [InputProblem] = []
            var stats = ScanStats()
        }
        let shared = Mutex(Shared())
        let workers = min(options.workers, max(1, work.count))
        let order = ScanOrder(names: work, workers: workers)
        let maxDecompressed = options.maxDecompressed
        let progress = options.progress

        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var processor = EventProcessor(
                engine: engine, maxDecompressed: maxDecompressed, tallyThresholds: true, foldFindings: true)
            defer {
                order.finish(worker: worker, processor: &processor)
                let folded = processor.takeFolded()
                let suppressed = processor.takeSuppressed()
                shared.withLock {
                    $0.folded.merge(folded)
                    $0.suppressed.merge(suppressed)
                }
            }
            var buffer: [UInt8] = []
            while let index = order.next(worker: worker) {
                let path = work[index]
                var findings: [Finding] = []  // stays empty: every match is tallied
                var problems: [InputProblem] = []
                var stats = ScanStats()
                do {
                    try FileInput.read(path, into: &buffer)
                    buffer.withUnsafeBufferPointer { raw in
                        processor.process(raw, path: path, findings: &findings, problems: &problems, stats: &stats)
                    }
                } catch {
                    stats.inputs += 1
                    stats.failedInputs += 1
                    problems.append(InputProblem(path: path, message: "\(error)"))
                }
                order.finished(worker: worker, processor: &processor, rules: engine.rules)
                let total = shared.withLock { s -> ScanStats in
                    s.problems += problems
                    s.stats.add(stats)
                    return s.stats
                }
                progress?(total)
            }
        }

        var result = shared.withLock { s in
            Result(folded: s.folded, thresholds: order.thresholds(), suppressed: s.suppressed, problems: expandProblems + s.problems, stats: s.stats,
                   skippedDigests: digests)
        }
        result.stats.digests += digests.count
        if let late = ScanOrder.lateProblem(result.thresholds) { result.problems.append(late) }
        // Deterministic order whatever the scheduling.
        result.problems.sort { ($0.path, $0.line ?? 0, $0.record ?? 0) < ($1.path, $1.line ?? 0, $1.record ?? 0) }
        return result
    }
}

/// Whole-file reads with POSIX calls into a reused buffer (no Foundation `Data` on the hot path).
public enum FileInput {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public static func read(_ path: String, into buffer: inout [UInt8]) throws {
        let fd = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw Failure(description: "cannot open: \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        buffer.removeAll(keepingCapacity: true)
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            throw Failure(description: "is a folder")
        }
        var chunk = max(1 << 16, Int(st.st_size) + 1)
        var used = 0
        while true {
            if buffer.count - used < chunk / 2 || buffer.count == used {
                buffer.append(contentsOf: repeatElement(0, count: chunk))
            }
            let n = buffer.withUnsafeMutableBytes { raw in
                Foundation.read(fd, raw.baseAddress! + used, raw.count - used)
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            used += n
            chunk = max(chunk, used)
        }
        buffer.removeSubrange(used...)
    }
}
