import Foundation
import Testing
import TriplineCore
import TriplineIO
import TriplineRules
import TriplineSynth

/// Scanning CloudTrail-named files in delivery order lets thresholds be compacted as the scan goes; the alerts
/// must be those of a scan that keeps every match.
@Suite("Time-ordered scan")
struct TimeOrderedScanTests {
    @Test("CloudTrail file names give delivery times; other names none")
    func fileNames() {
        let t = CloudTrailFileName.deliveryTime(
            of: "AWSLogs/111122223333/CloudTrail/us-east-1/2025/03/01/111122223333_CloudTrail_us-east-1_20250301T1205Z_abcdEFGH12345678.json.gz")
        #expect(t == EventTime.epochSeconds("2025-03-01T12:05:00Z"))
        #expect(CloudTrailFileName.deliveryTime(of: "111122223333_CloudTrail_eu-west-1_20250302T2359Z_x.json") == EventTime.epochSeconds("2025-03-02T23:59:00Z"))
        for other in ["events.jsonl", "111122223333_CloudTrail-Digest_us-east-1_20250301T1205Z_x.json.gz",
                      "111122223333_CloudTrail_us-east-1_20250301X1205Z_x.json.gz", "a_CloudTrail_b_2025030T1205Z_c.json",
                      "111122223333_CloudTrail_us-east-1_2025030112055_x.json.gz", ""] {
            #expect(CloudTrailFileName.deliveryTime(of: other) == nil, "\(other)")
        }
    }

    @Test("a day of logs from two regions: compacted as it is read, the same alerts as keeping every match")
    func sameAlertsAsKeepingEverything() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("tripline-ordered-\(getpid())").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let generator = SynthGenerator(config: SynthConfig(seed: 11, eventsPerFile: 100))
        var named: [String] = []
        var flat: [String] = []
        // Written in reverse so that neither folder order nor file creation order happens to be time order.
        for k in (0..<240).reversed() {
            let bytes = Data(Gzip.compress(generator.logFile(index: k)))
            let path = "\(root)/named/\(generator.logFileKey(index: k))"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: path, contents: bytes)
            named.append(path)
            let plain = "\(root)/flat/log-\(String(format: "%03d", 239 - k)).json.gz"
            try FileManager.default.createDirectory(atPath: "\(root)/flat", withIntermediateDirectories: true)
            FileManager.default.createFile(atPath: plain, contents: bytes)
            flat.append(plain)
        }
        let times = named.compactMap { CloudTrailFileName.deliveryTime(of: $0) }
        #expect(times.count == named.count)
        #expect((times.max() ?? 0) - (times.min() ?? 0) > 2 * ScanOrder.lateness)  // room to compact

        let engine = Engine(rules: RuleCatalog.builtIn.rules)
        func alerts(_ result: ScanResult) -> [String] {
            Aggregator(engine: engine).aggregate(result.folded.findings(rules: engine.rules), thresholds: result.thresholds,
                                                     engineRules: engine.rules)
                .map { "\($0.ruleID) \($0.dedupKey) \($0.eventTime) \($0.lastEventTime ?? "-") ×\($0.count)" }.sorted()
        }
        for workers in [1, 2] {
            let ordered = LocalScanner.scan(paths: ["\(root)/named"], engine: engine, options: .init(workers: workers))
            let whole = LocalScanner.scan(paths: ["\(root)/flat"], engine: engine, options: .init(workers: workers))
            #expect(ordered.stats.records == whole.stats.records && ordered.stats.records == 240 * 100)
            let expected = alerts(whole)
            let thresholdRules = engine.rules.filter { $0.threshold != nil }.map(\.id)
            #expect(expected.count { line in thresholdRules.contains { line.hasPrefix($0 + " ") } } >= 3)
            #expect(alerts(ordered) == expected, "\(workers) workers")
            #expect(ordered.thresholds.lateHits == 0 && ordered.problems.isEmpty)
            // The flat scan holds every threshold match to the end; the ordered one lets a match go once its window
            // has passed. Judged on the rules whose window is short against the day (a 24 h window rightly holds all).
            let short = Engine(rules: engine.rules.filter { ($0.threshold?.window ?? 0) <= 3600 })
            let orderedShort = LocalScanner.scan(paths: ["\(root)/named"], engine: short, options: .init(workers: workers))
            let wholeShort = LocalScanner.scan(paths: ["\(root)/flat"], engine: short, options: .init(workers: workers))
            #expect(wholeShort.thresholds.hitCount > 1000)
            // What stays held is about the last lateness + window (3 h + 1 h) of the logs plus what workers have not
            // handed off yet: about half here (4,700 to 6,300 of some 12,000 across runs). At least a quarter must go.
            #expect(orderedShort.thresholds.hitCount * 4 < wholeShort.thresholds.hitCount * 3,
                    "\(orderedShort.thresholds.hitCount) of \(wholeShort.thresholds.hitCount)")
        }
    }
}
