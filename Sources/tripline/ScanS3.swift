import Foundation
import Synchronization
import TriplineAWS
import TriplineCore
import TriplineIO

/// `tripline scan s3://bucket/prefix`: lists the objects under each prefix, downloads them a few at a time and runs
/// each through the same `EventProcessor` as local files, so findings, problems and stats merge into one result.
enum S3Scan {
    /// `s3://bucket/prefix` split in two. The prefix may be empty (the whole bucket) or a single key.
    struct Location: Equatable {
        var bucket: String
        var prefix: String

        init?(_ text: String) {
            guard text.lowercased().hasPrefix("s3://") else { return nil }
            let rest = text.dropFirst(5)
            let bucket = rest.prefix { $0 != "/" }
            guard !bucket.isEmpty else { return nil }
            self.bucket = String(bucket)
            prefix = String(rest.dropFirst(bucket.count + 1))
        }

        func url(_ key: String) -> String { "s3://\(bucket)/\(key)" }
    }

    static func isS3(_ path: String) -> Bool { path.lowercased().hasPrefix("s3://") }

    /// Enough parallel downloads to hide S3 latency without holding many large logs in memory at once.
    static let defaultConcurrency = 6

    /// Scans every object under `urls` and adds findings, problems, stats and skipped digests to `result`.
    static func scan(
        _ urls: [String], engine: Engine, client: AWSClient, concurrency: Int = defaultConcurrency,
        into result: inout LocalScanner.Result
    ) async {
        let s3 = S3Client(client)
        var work: [(location: Location, key: String)] = []
        for url in urls {
            guard let location = Location(url) else {
                result.problems.append(InputProblem(path: url, message: "not an s3://bucket/prefix URL"))
                result.stats.failedInputs += 1
                continue
            }
            do {
                let objects = try await s3.listAllObjects(bucket: location.bucket, prefix: location.prefix.isEmpty ? nil : location.prefix)
                if objects.isEmpty && !location.prefix.isEmpty {
                    result.problems.append(InputProblem(path: url, message: "no objects under this prefix"))
                    result.stats.failedInputs += 1
                }
                for object in objects {
                    let key = object.key
                    if key.hasSuffix("/") { continue }
                    // A named key is always read (a digest is then recognised by its content); a prefix walk
                    // reads log-like names only, as a folder walk does, and passes over CloudTrail's digest folders.
                    let named = key == location.prefix
                    if !named && EventProcessor.isDigestPath(key) {
                        result.stats.digests += 1
                        continue
                    }
                    guard named || LocalScanner.isInputName(key) else { continue }
                    work.append((location, key))
                }
            } catch {
                result.problems.append(InputProblem(path: url, message: "cannot list: \(describe(error))"))
                result.stats.failedInputs += 1
            }
        }

        let items = work
        let workers = min(max(1, concurrency), max(1, work.count))
        // CloudTrail keys carry their delivery time: read in that order, thresholds are let go as the scan passes.
        let order = ScanOrder(names: work.map(\.key), workers: workers)
        let partials = await withTaskGroup(of: Partial.self) { group in
            for worker in 0..<workers {
                group.addTask {
                    // Each worker owns one processor: its gunzip and parse buffers are reused object after object.
                    var processor = EventProcessor(engine: engine, tallyThresholds: true, foldFindings: true)
                    var partial = Partial()
                    var findings: [Finding] = []  // stays empty: every match is tallied
                    while let index = order.next(worker: worker) {
                        let (location, key) = items[index]
                        let path = location.url(key)
                        do {
                            let object = try await s3.getObject(bucket: location.bucket, key: key)
                            object.body.withUnsafeBufferPointer { raw in
                                processor.process(raw, path: path, findings: &findings, problems: &partial.problems, stats: &partial.stats)
                            }
                        } catch {
                            partial.stats.inputs += 1
                            partial.stats.failedInputs += 1
                            partial.problems.append(InputProblem(path: path, message: "cannot read: \(describe(error))"))
                        }
                        order.finished(worker: worker, processor: &processor, rules: engine.rules)
                    }
                    order.finish(worker: worker, processor: &processor)
                    partial.folded = processor.takeFolded()
                    partial.suppressed = processor.takeSuppressed()
                    return partial
                }
            }
            return await group.reduce(into: [Partial]()) { $0.append($1) }
        }
        for partial in partials {
            result.folded.merge(partial.folded)
            result.suppressed.merge(partial.suppressed)
            result.problems += partial.problems
            result.stats.add(partial.stats)
        }
        let thresholds = order.thresholds()
        if let late = ScanOrder.lateProblem(thresholds) { result.problems.append(late) }
        result.thresholds.merge(thresholds)
        result.problems.sort { ($0.path, $0.line ?? 0, $0.record ?? 0) < ($1.path, $1.line ?? 0, $1.record ?? 0) }
    }

    struct Partial: Sendable {
        /// Matches folded as objects are read, as in a local scan, so a large bucket does not hold every matching
        /// event (threshold matches go to `ScanOrder`).
        var folded = DedupTally()
        var suppressed = SuppressedTally()
        var problems: [InputProblem] = []
        var stats = ScanStats()
    }

    /// AWS errors carry code and message in their `description`, which interpolation uses (the cast this did
    /// first always succeeded: the compiler warned).
    static func describe(_ error: any Error) -> String { "\(error)" }
}
