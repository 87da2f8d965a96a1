import Dispatch
import Foundation
import Synchronization
import TriplineCore

/// Scans local files, folders and stdin on every core.
///
/// Work is handed out file by file; each worker owns its buffers (read, gunzip, tape) and reuses them, so memory
/// for input is bounded by the largest file times the number of workers, whatever the size of the corpus. Findings
/// are folded per dedup key as they come (`DedupTally`), so they grow with alerts, not with matching events.
///
/// Threshold matches are kept until no later file can add to their windows. CloudTrail names each log file after
/// the minute it was delivered; when every input is named so, files are read in that order (across accounts and
/// regions) and workers hand their matches to a shared tally that closes windows older than the files still to
/// come, less `thresholdLateness` (see `ThresholdTally.compact`). Memory for thresholds then follows the match
/// rate, not the length of the history. Inputs without such names are read in path order and kept whole.
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

    /// How much older than its file's name an event may be and still have its threshold windows counted whole.
    /// CloudTrail delivers most events within minutes of the call; this leaves room for stragglers. Matches that
    /// come later than this are still counted, and reported (`ThresholdTally.lateHits`).
    public static let thresholdLateness = 3 * 3600
    /// Threshold matches a worker holds before handing them to the shared tally to be compacted.
    static let handOff = 1 << 16

    public struct Result: Sendable {
        /// Matches of the other rules, folded per dedup key (turn into findings with `findings(rules:)`, then
        /// aggregate them). Kept as a tally, not findings, so more inputs (S3 objects) can fold into it exactly.
        public var folded = DedupTally()
        /// Matches of threshold rules, tallied (turn into alerts with `alerts(rules:)`).
        public var thresholds: ThresholdTally = ThresholdTally()
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
        let inputs = files.filter { !EventProcessor.isDigestPath($0) }
        // Delivery times from the names: read in time order, thresholds can be compacted as the scan goes.
        let named = inputs.map { CloudTrailFileName.deliveryTime(of: $0) ?? Int.min }
        let timeOrdered = !inputs.isEmpty && !named.contains(Int.min)
        let order = timeOrdered ? inputs.indices.sorted { (named[$0], inputs[$0]) < (named[$1], inputs[$1]) } : Array(inputs.indices)
        let work = order.map { inputs[$0] }
        let times = order.map { named[$0] }

        struct Shared {
            var next = 0
            var folded = DedupTally()
            var thresholds = ThresholdTally()
            var problems: [InputProblem] = []
            var stats = ScanStats()
            /// Per worker: the delivery time of the earliest file whose matches it holds (`Int.max`: none).
            var oldestHeld: [Int]
        }
        let workers = min(options.workers, max(1, work.count))
        let shared = Mutex(Shared(oldestHeld: Array(repeating: Int.max, count: workers)))
        let maxDecompressed = options.maxDecompressed
        let progress = options.progress

        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            var processor = EventProcessor(
                engine: engine, maxDecompressed: maxDecompressed, tallyThresholds: true, foldFindings: true)
            defer {
                let tally = processor.takeTally()
                let folded = processor.takeFolded()
                shared.withLock {
                    $0.thresholds.merge(tally)
                    $0.folded.merge(folded)
                }
            }
            var buffer: [UInt8] = []
            var holdingSince = Int.max  // the delivery time of the earliest file whose matches this worker holds
            while true {
                let index = shared.withLock { s -> Int in
                    defer { s.next += 1 }
                    if s.next < work.count && holdingSince == Int.max {
                        holdingSince = times[s.next]
                        s.oldestHeld[worker] = holdingSince
                    }
                    return s.next
                }
                guard index < work.count else { break }
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
                // Hand the matches over when there are many, or when they span more than the lateness (a
                // worker holding old matches would hold back compaction for all).
                let held = processor.tallyHits
                let handing = timeOrdered && held > 0 && (held >= handOff || times[index] - holdingSince >= thresholdLateness)
                let tally = handing ? processor.takeTally() : ThresholdTally()
                if held == 0 || handing { holdingSince = Int.max }
                let total = shared.withLock { s -> ScanStats in
                    s.problems += problems
                    s.stats.add(stats)
                    s.oldestHeld[worker] = holdingSince
                    if handing {
                        s.thresholds.merge(tally)
                        // No file still to come, or held by a worker, was delivered before this.
                        let pending = s.next < work.count ? times[s.next] : Int.max
                        let oldest = min(pending, s.oldestHeld.min() ?? Int.max)
                        if oldest != Int.max { s.thresholds.compact(before: oldest - thresholdLateness, rules: engine.rules) }
                    }
                    return s.stats
                }
                progress?(total)
            }
        }

        var result = shared.withLock { s in
            Result(folded: s.folded, thresholds: s.thresholds, problems: expandProblems + s.problems, stats: s.stats,
                   skippedDigests: digests)
        }
        result.stats.digests += digests.count
        if result.thresholds.lateHits > 0 {
            result.problems.append(InputProblem(path: "", message: "\(result.thresholds.lateHits) threshold matches were more "
                + "than \(thresholdLateness / 3600) h older than their log file's name; counts around them may be short"))
        }
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

/// CloudTrail's log file names: `AccountID_CloudTrail_Region_YYYYMMDDTHHmmZ_Unique.json.gz`, named after the
/// minute of delivery.
public enum CloudTrailFileName {
    /// The delivery time in epoch seconds, or nil when the file is not named like a CloudTrail log.
    public static func deliveryTime(of path: String) -> Int? {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let parts = name.split(separator: "_")
        guard parts.count >= 5, parts[1] == "CloudTrail" || parts[1] == "CloudTrail-Insight" else { return nil }
        let stamp = Array(parts[3].utf8)  // YYYYMMDDTHHmmZ
        guard stamp.count == 14, stamp[8] == UInt8(ascii: "T"), stamp[13] == UInt8(ascii: "Z"),
              stamp.enumerated().allSatisfy({ $0.offset == 8 || $0.offset == 13 || $0.element &- 0x30 < 10 })
        else { return nil }
        let d = stamp.map { Character(UnicodeScalar($0)) }
        let iso = "\(String(d[0..<4]))-\(String(d[4..<6]))-\(String(d[6..<8]))T\(String(d[9..<11])):\(String(d[11..<13])):00Z"
        return EventTime.epochSeconds(iso)
    }
}
