import TriplineCore
import TriplineIO
import TriplineRules

/// One log object through the whole per-input path: gzip detection and decoding, shape detection, record
/// extraction and every built-in rule. Any bytes: findings or reported problems, never a crash. Output capped
/// at 4 MiB so a bomb costs the fuzzer little.
enum RecordsFuzz {
    static let engine = Engine(rules: RuleCatalog.builtIn.rules)

    static func run(_ p: UnsafeBufferPointer<UInt8>) throws {
        var processor = EventProcessor(engine: engine, maxDecompressed: 4 << 20)
        var findings: [Finding] = []
        var problems: [InputProblem] = []
        var stats = ScanStats()
        processor.process(p, path: "fuzz/input.json.gz", findings: &findings, problems: &problems, stats: &stats)
        guard stats.records >= 0, stats.inputs == 1 else { throw FuzzFailure("stats out of range: \(stats)") }
        // The same object again with threshold tallies and folding, as `scan` runs it.
        var folding = EventProcessor(engine: engine, maxDecompressed: 4 << 20, tallyThresholds: true, foldFindings: true)
        var again = ScanStats()
        folding.process(p, path: "fuzz/input.json", findings: &findings, problems: &problems, stats: &again)
        guard again.records == stats.records else {
            throw FuzzFailure("records counted \(stats.records) then \(again.records) for the same bytes")
        }
    }
}
