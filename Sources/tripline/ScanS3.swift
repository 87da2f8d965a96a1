import Foundation
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

    /// Scans every object under `urls` (`S3Objects` through `ScanRunner`) and adds findings, problems, stats and
    /// skipped digests to `result`.
    static func scan(
        _ urls: [String], engine: Engine, client: AWSClient, concurrency: Int = defaultConcurrency,
        into result: inout ScanResult
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

        let source = S3Objects(s3: s3, objects: work)
        result.merge(await ScanRunner.run(source, engine: engine, options: ScanOptions(workers: concurrency)))
    }

    /// Objects under S3 prefixes as a scan's source: each downloaded whole, then read like a local file. The
    /// runner's workers are the parallel downloads.
    struct S3Objects: ScanSource {
        let s3: S3Client
        let objects: [(location: Location, key: String)]

        var names: [String] { objects.map(\.key) }

        func read(_ index: Int, into w: inout ScanWorker) async {
            let (location, key) = objects[index]
            let path = location.url(key)
            do {
                let object = try await s3.getObject(bucket: location.bucket, key: key)
                object.body.withUnsafeBufferPointer { w.process($0, path: path) }
            } catch {
                w.failed(path, "cannot read: \(describe(error))")
            }
        }
    }

    /// AWS errors carry code and message in their `description`, which interpolation uses (the cast this did
    /// first always succeeded: the compiler warned).
    static func describe(_ error: any Error) -> String { "\(error)" }
}
