// tripline-bench: how close the hot path (gunzip → JSON → rules) stays to gunzip alone.
//
// Every phase runs in the same process on the same in-memory compressed files, so the ratios between phases are
// meaningful on a noisy machine even when the absolute numbers move. Run from the README:
//   swift run -c release tripline-bench [--events 100000] [--json bench.json]
// For profiling: `--profile` runs only the single-core scan (PROFILE_RULE=<id> for one rule), `--rule-costs`
// prints the most frequent matches and what each rule costs per event, MICRO_RULE=<id> loops one rule over a
// few events (rule overhead without memory effects).

import CZlib
import Dispatch
import Foundation
import Synchronization
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineRules
import TriplineSynth

struct Options {
    var sizes: [Int] = [10_000, 100_000, 1_000_000]
    var jsonPath: String?
    var corpusDir = ".build-bench"
    var pythonEvents = 100_000
    var repeats = 3
    var profile = false
    var ruleCosts = false
    /// Events in the organisation-shaped corpus that `tripline scan` is timed on end to end (0: skip).
    var organisationEvents = 100_000

    init(_ args: [String]) {
        var i = 1
        while i < args.count {
            let a = args[i]
            func next() -> String { i += 1; return i < args.count ? args[i] : "" }
            switch a {
            case "--events": sizes = next().split(separator: ",").compactMap { Int($0) }
            case "--json": jsonPath = next()
            case "--corpus": corpusDir = next()
            case "--python-events": pythonEvents = Int(next()) ?? pythonEvents
            case "--repeats": repeats = max(1, Int(next()) ?? repeats)
            case "--profile": profile = true
            case "--rule-costs": ruleCosts = true
            case "--organisation-events": organisationEvents = Int(next()) ?? organisationEvents
            case "-h", "--help":
                print("usage: tripline-bench [--events 10000,100000,1000000] [--organisation-events N] [--json FILE] [--corpus DIR] [--python-events N] [--repeats N] [--profile] [--rule-costs]")
                exit(0)
            default:
                FileHandle.standardError.write(Data("tripline-bench: unknown argument \(a)\n".utf8))
                exit(2)
            }
            i += 1
        }
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Best of `repeats` runs (the least disturbed by other processes on a shared machine).
func measure(_ repeats: Int, _ body: () -> Void) -> Double {
    var best = Double.infinity
    for _ in 0..<repeats {
        let t = now()
        body()
        best = min(best, now() - t)
    }
    return best
}

/// The generated corpus for `events` events: gzipped CloudTrail log files on disk (cached between runs).
func corpus(events: Int, dir: String) -> [String] {
    let config = SynthConfig(seed: 42, eventsPerFile: 1000)
    let files = (events + config.eventsPerFile - 1) / config.eventsPerFile
    let root = "\(dir)/corpus-\(events)"
    let marker = "\(root)/.complete"
    let generator = SynthGenerator(config: config)
    let paths = (0..<files).map { "\(root)/\(generator.logFileKey(index: $0))" }
    if FileManager.default.fileExists(atPath: marker) { return paths }
    FileHandle.standardError.write(Data("generating \(events) events in \(files) files under \(root)…\n".utf8))
    try? FileManager.default.removeItem(atPath: root)
    DispatchQueue.concurrentPerform(iterations: files) { k in
        let bytes = Gzip.compress(generator.logFile(index: k))
        let path = paths[k]
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        writeCorpusFile(path, Data(bytes))
    }
    writeCorpusFile(marker, Data())
    return paths
}

/// Writes one file of a generated corpus: a corpus with a file missing would be measured as a smaller one.
func writeCorpusFile(_ path: String, _ contents: Data) {
    guard FileManager.default.createFile(atPath: path, contents: contents) else {
        fatalError("tripline-bench: could not write \(path)")
    }
}

/// A day of an organisation trail in CloudTrail's own layout, unlike the main corpus (one account, two regions,
/// 1,000 events a file): three accounts of different sizes, six regions of different activity, one file per
/// account, region and five minutes, so most files hold a few dozen events, as real ones do. Where per-file costs
/// (open, read, gunzip set-up, delivery order) show.
/// `AWSLogs/o-<org>/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_YYYYMMDDTHHmmZ_<random>.json.gz`.
func organisationCorpus(events: Int, dir: String) -> [String] {
    let accounts: [(id: String, share: Double, busy: Double)] = [
        ("111122223333", 0.5, 0.33), ("444455556666", 0.3, 0.1), ("777788889999", 0.2, 0),
    ]
    let regions: [(name: String, share: Double)] = [
        ("us-east-1", 0.40), ("eu-west-1", 0.20), ("us-west-2", 0.15), ("eu-central-1", 0.10),
        ("ap-southeast-2", 0.08), ("ap-northeast-1", 0.07),
    ]
    let filesPerDay = 86_400 / 300
    let root = "\(dir)/organisation-\(events)"
    var generators: [SynthGenerator] = []
    for (a, account) in accounts.enumerated() {
        for (r, region) in regions.enumerated() {
            let perFile = max(1, Int((Double(events) * account.share * region.share / Double(filesPerDay)).rounded()))
            var config = SynthConfig(seed: 1000 + UInt64(a * 10 + r), accountId: account.id, regions: [region.name],
                                     eventsPerFile: perFile, startTime: 1_740_787_200 /* 2025-03-01T00:00:00Z */)
            config.busyRate = account.busy
            generators.append(SynthGenerator(config: config))
        }
    }
    let work = generators.flatMap { g in (0..<filesPerDay).map { (g, $0) } }
    // An organisation trail puts the organisation's id after AWSLogs/.
    let paths = work.map { g, k in "\(root)/AWSLogs/o-a1b2c3d4e5/\(g.logFileKey(index: k).dropFirst("AWSLogs/".count))" }
    let marker = "\(root)/.complete"
    if FileManager.default.fileExists(atPath: marker) { return paths }
    FileHandle.standardError.write(Data("generating an organisation's day (\(events) events, \(paths.count) files) under \(root)…\n".utf8))
    try? FileManager.default.removeItem(atPath: root)
    DispatchQueue.concurrentPerform(iterations: work.count) { i in
        let (g, k) = work[i]
        let path = paths[i]
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        writeCorpusFile(path, Data(Gzip.compress(g.logFile(index: k))))
    }
    writeCorpusFile(marker, Data())
    return paths
}

/// The files at `paths`, read whole (an unreadable one as empty: the corpus is ours).
func readFiles(_ paths: [String]) -> [[UInt8]] {
    paths.map { (try? Data(contentsOf: URL(fileURLWithPath: $0))).map { [UInt8]($0) } ?? [] }
}

struct Phase {
    var name: String
    var seconds: Double
    var events: Int
    var bytes: Int
    var eventsPerSecond: Double { Double(events) / seconds }
    var mbPerSecond: Double { Double(bytes) / seconds / 1e6 }
}

/// The baseline: zlib's own `inflate` (with its CRC-32 check) decoding each file into a buffer reused across
/// files, as a C program using zlib would.
func zlibOnly(_ files: [[UInt8]]) -> Int {
    var out = [UInt8](repeating: 0, count: 1 << 20)
    var total = 0
    for f in files {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { continue }
        f.withUnsafeBufferPointer { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress)
            stream.avail_in = UInt32(input.count)
            while true {
                if Int(stream.total_out) == out.count { out.append(contentsOf: repeatElement(0, count: out.count)) }
                let status = out.withUnsafeMutableBufferPointer { o in
                    stream.next_out = o.baseAddress! + Int(stream.total_out)
                    stream.avail_out = UInt32(o.count - Int(stream.total_out))
                    return inflate(&stream, Z_NO_FLUSH)
                }
                if status != Z_OK { break }
            }
        }
        total += Int(stream.total_out)
        inflateEnd(&stream)
    }
    return total
}

/// Tripline's gunzip alone (`Gunzip`: its own inflate, zlib's CRC-32).
func gunzipOnly(_ files: [[UInt8]]) -> Int {
    var out: [UInt8] = []
    var total = 0
    let g = Gunzip()
    for f in files {
        f.withUnsafeBufferPointer { try? g.decompress($0, into: &out) }
        total += out.count
    }
    return total
}

func parseOnly(_ files: [[UInt8]]) -> Int {
    var out: [UInt8] = []
    var extractor = RecordExtractor()
    var records = 0
    let g = Gunzip()
    for f in files {
        f.withUnsafeBufferPointer { try? g.decompress($0, into: &out) }
        _ = out.withUnsafeBufferPointer { p in
            extractor.extract(p, path: "", onRecord: { _, _, _ in }, onProblem: { _ in })
        }
        records += extractor.records
    }
    return records
}

/// What `tripline scan` does, on files already in memory: `ScanRunner`, the runner `tripline scan` uses, with every
/// match tallied (thresholds) or folded per dedup key, the workers' tallies merged, and the alerts built at the end.
func scan(_ files: [[UInt8]], engine: Engine, workers: Int) -> (records: Int, matches: Int, alerts: Int) {
    let result = ScanRunner.run(InMemoryInputs(files.map { (name: "", bytes: $0) }), engine: engine, options: ScanOptions(workers: workers))
    let alerts = Aggregator(engine: engine).aggregate(
        result.foldedFindings(rules: engine.rules, workers: workers), thresholds: result.thresholds, engineRules: engine.rules)
    return (result.stats.records, result.stats.matches, alerts.count)
}

/// Process start → "ready" of the Lambda bootstrap: the time from spawning it until its first log line (written
/// once the catalog is compiled and the handler built). Its Runtime API points at a closed port, so it exits after.
func lambdaColdStart(_ path: String) -> Double? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.environment = [
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:9", "AWS_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
    ]
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    let t = now()
    do { try process.run() } catch { return nil }
    var line: [UInt8] = []
    while !line.contains(UInt8(ascii: "\n")) {
        let chunk = pipe.fileHandleForReading.availableData
        if chunk.isEmpty { break }
        line += chunk
    }
    let seconds = now() - t
    process.terminate()
    process.waitUntilExit()
    return String(decoding: line, as: UTF8.self).contains("\"ready\"") ? seconds : nil
}

/// Peak RSS (KiB) and wall time of a child process.
func runChild(_ path: String, _ args: [String]) -> (seconds: Double, maxRSSKiB: Int, status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = args
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = FileHandle.nullDevice
    let t = now()
    do { try process.run() } catch { return (0, 0, -1, "") }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    // Timed at end of output (the child's exit closes it): Foundation's waitUntilExit polls every 50 ms or so.
    let seconds = now() - t
    process.waitUntilExit()
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_CHILDREN.rawValue), &usage)
    return (seconds, Int(usage.ru_maxrss), process.terminationStatus, String(decoding: data, as: UTF8.self))
}

func fmt(_ v: Double, _ digits: Int = 0) -> String { String(format: "%.\(digits)f", v) }

// MARK: Main

let options = Options(CommandLine.arguments)
let cores = ProcessInfo.processInfo.activeProcessorCount

// Cold start ingredients, as a service pays them once per container: reading the compiled catalog (without the
// rules' embedded tests), compiling every detection and building the index.
let compileStart = now()
_ = Engine(rules: RuleCatalog.load(extra: [], tests: false).rules)
let compileSeconds = now() - compileStart
let fullEngine = Engine(rules: RuleCatalog.builtIn.rules)
let catalog = RuleCatalog.builtIn.rules.filter(\.enabled)

var report: [(String, JSONValue)] = [
    ("machine", .object([("cores", .number(cores))])),
    ("rules", .number(catalog.count)),
    ("catalog_compile_ms", .number(fmt(compileSeconds * 1000, 2))),
]
print("Tripline benchmark — \(catalog.count) enabled rules, \(cores) cores, best of \(options.repeats) runs per phase")
print("Catalog load + compile + index (as the Lambda loads it): \(fmt(compileSeconds * 1000, 2)) ms")

// Process start of the built binaries, measured first: spawned later, from a process holding the corpora, a child
// pays for the parent's size before it runs.
let binDir = (CommandLine.arguments[0] as NSString).deletingLastPathComponent
let tripline = "\(binDir)/tripline"
let bootstrap = "\(binDir)/tripline-lambda"
if FileManager.default.isExecutableFile(atPath: bootstrap) {
    let starts = (0..<max(3, options.repeats)).compactMap { _ in lambdaColdStart(bootstrap) }
    if let best = starts.min() {
        print("Lambda bootstrap (process start → ready, catalog compiled, handler built): \(fmt(best * 1000, 1)) ms, best of \(starts.count)")
        report.append(("lambda_cold_start_ms", .number(fmt(best * 1000, 1))))
    }
}
if FileManager.default.isExecutableFile(atPath: tripline) {
    let probes = (0..<max(3, options.repeats)).map { _ in runChild(tripline, ["rules", "list"]).seconds }
    let best = probes.min() ?? 0
    print("`tripline rules list` (process start → catalog compiled → exit): \(fmt(best * 1000, 1)) ms, best of \(probes.count)")
    report.append(("cli_cold_start_ms", .number(fmt(best * 1000, 1))))
}


/// The largest corpus of the run (at most 100,000 events), loaded into memory.
func profilingFiles() -> [[UInt8]] {
    let size = options.sizes.filter { $0 <= 100_000 }.max() ?? 100_000
    return readFiles(corpus(events: size, dir: options.corpusDir))
}

/// The events of `files` (up to `limit`), each parsed into a document of its own: rules timed on these are
/// timed apart from gunzip and parsing.
func parsedEvents(_ files: ArraySlice<[UInt8]>, limit: Int = .max) -> [JSONDocument] {
    var out: [UInt8] = []
    var extractor = RecordExtractor()
    let g = Gunzip()
    var documents: [JSONDocument] = []
    for f in files where documents.count < limit {
        f.withUnsafeBufferPointer { try? g.decompress($0, into: &out) }
        _ = out.withUnsafeBufferPointer { p in
            extractor.extract(p, path: "", onRecord: { view, root, _ in
                var text: [UInt8] = []
                view.write(root, to: &text)
                if documents.count < limit, let d = try? JSONDocument(parsing: text) { documents.append(d) }
            }, onProblem: { _ in })
        }
    }
    return documents
}

/// Document `d` as a scan hands it to the engine: its members indexed, as `RecordExtractor` does.
func withScanView(_ d: JSONDocument, _ body: (JSONView) -> Void) {
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: JSONView.memberSlotCount) { slots in
        d.withView { body($0.indexingMembers(of: JSONView.root, slots: slots)) }
    }
}

// MICRO_RULE=<id>: one rule (or "none") on the first 16 events of the corpus, 200,000 times over: the rule's own
// cost without memory effects.
if let micro = ProcessInfo.processInfo.environment["MICRO_RULE"] {
    let documents = parsedEvents(profilingFiles()[...], limit: 16)
    let engine = Engine(rules: catalog.filter { $0.id == micro })
    let rounds = 200_000
    var hits = 0
    let t = now()
    for _ in 0..<rounds { for d in documents { withScanView(d) { engine.evaluate($0) { _ in hits += 1 } } } }
    print("MICRO \(micro): \(fmt((now() - t) / Double(rounds * documents.count) * 1e9)) ns/event, hits \(hits)")
    exit(0)
}

// --profile: only the single-core scan, five times, for a profiler (`perf record`, `valgrind --tool=callgrind`).
// PROFILE_RULE=<rule id> narrows the engine to that one rule.
if options.profile {
    let files = profilingFiles()
    let only = ProcessInfo.processInfo.environment["PROFILE_RULE"]
    let engine = only.map { id in Engine(rules: catalog.filter { $0.id == id }) } ?? fullEngine
    for _ in 0..<5 { _ = scan(files, engine: engine, workers: 1) }
    exit(0)
}

// --rule-costs: which rules fire most, and what each rule adds to a scan on its own (ns per event over an
// engine with no rules). Where to look first when the scan gets slower.
if options.ruleCosts {
    let files = profilingFiles()
    var counts = [Int](repeating: 0, count: fullEngine.rules.count)
    var events = 0
    var out: [UInt8] = []
    var extractor = RecordExtractor()
    let g = Gunzip()
    for f in files {
        f.withUnsafeBufferPointer { try? g.decompress($0, into: &out) }
        _ = out.withUnsafeBufferPointer { p in
            extractor.extract(p, path: "", onRecord: { view, root, _ in fullEngine.evaluate(view, root: root) { counts[$0] += 1 } }, onProblem: { _ in })
        }
        events += extractor.records
    }
    print("\nMost frequent matches (\(events) events):")
    for (i, c) in counts.enumerated().sorted(by: { $0.1 > $1.1 }).prefix(15) where c > 0 {
        print("  \(String(c).leftPad(8))  \(fullEngine.rules[i].id)\(fullEngine.rules[i].threshold != nil ? " (threshold)" : "")")
    }
    // Rules alone: the sample is parsed once, then each engine evaluates the parsed events, so the figures are
    // not buried in the noise of gunzip and parsing. The cost of turning matches into findings is not included.
    let documents = parsedEvents(files.prefix(30))
    // Events are evaluated in batches small enough to stay in cache, every engine on a batch in turn: in a
    // scan a rule meets an event that was just parsed, so cold-cache figures would blame rules for memory.
    let engines = [Engine(rules: []), fullEngine] + catalog.map { Engine(rules: [$0]) }
    var seconds = [Double](repeating: .infinity, count: engines.count)
    for _ in 0..<options.repeats {
        var round = [Double](repeating: 0, count: engines.count)
        var hits = 0
        for start in stride(from: 0, to: documents.count, by: 64) {
            let batch = documents[start..<min(start + 64, documents.count)]
            for d in batch { withScanView(d) { fullEngine.evaluate($0) { _ in hits += 1 } } }  // warm the batch
            for (k, engine) in engines.enumerated() {
                let t = now()
                for d in batch { withScanView(d) { engine.evaluate($0) { _ in hits += 1 } } }
                round[k] += now() - t
            }
        }
        for k in engines.indices { seconds[k] = min(seconds[k], round[k]) }
        if hits < 0 { print(hits) }  // keep the work observable
    }
    let sampleEvents = Double(documents.count)
    let base = seconds[0]
    let all = seconds[1]
    var costs: [(ns: Double, id: String)] = []
    for (k, rule) in catalog.enumerated() { costs.append(((seconds[k + 2] - base) / sampleEvents * 1e9, rule.id)) }
    print("\nRule evaluation per event, \(Int(sampleEvents)) parsed events: all rules \(fmt((all - base) / sampleEvents * 1e9)) ns; each rule alone:")
    for c in costs.sorted(by: { $0.ns > $1.ns }).prefix(20) { print("  \(fmt(c.ns).leftPad(8)) ns  \(c.id)") }
    print("  sum over all rules: \(fmt(costs.reduce(0) { $0 + $1.ns })) ns/event")
    exit(0)
}

var sizeReports: [JSONValue] = []
var largestFiles: [String] = []
for size in options.sizes {
    let paths = corpus(events: size, dir: options.corpusDir)
    largestFiles = paths
    let files = readFiles(paths)
    let compressed = files.reduce(0) { $0 + $1.count }
    var decoded = 0
    let tZlib = measure(options.repeats) { decoded = zlibOnly(files) }
    var gunzipped = 0
    let tGunzip = measure(options.repeats) { gunzipped = gunzipOnly(files) }
    if gunzipped != decoded { FileHandle.standardError.write(Data("tripline-bench: Gunzip decoded \(gunzipped) bytes, zlib \(decoded)\n".utf8)) }
    var events = 0
    let tParse = measure(options.repeats) { events = parseOnly(files) }
    var matches = 0
    let tScan1 = measure(options.repeats) { let r = scan(files, engine: fullEngine, workers: 1); (events, matches) = (r.records, r.matches) }
    let tScanN = measure(options.repeats) { _ = scan(files, engine: fullEngine, workers: cores) }
    let phases = [
        Phase(name: "zlib only (1 core)", seconds: tZlib, events: events, bytes: decoded),
        Phase(name: "Tripline gunzip (1 core)", seconds: tGunzip, events: events, bytes: decoded),
        Phase(name: "gunzip+parse (1 core)", seconds: tParse, events: events, bytes: decoded),
        Phase(name: "full scan (1 core)", seconds: tScan1, events: events, bytes: decoded),
        Phase(name: "full scan (\(cores) cores)", seconds: tScanN, events: events, bytes: decoded),
    ]
    print("\n\(size) events: \(files.count) files, \(fmt(Double(compressed) / 1e6, 1)) MB gzip, \(fmt(Double(decoded) / 1e6, 1)) MB JSON, \(matches) rule matches")
    print("  phase                         events/s      MB/s   × zlib-1-core")
    for p in phases {
        print("  \(p.name.padding(toLength: 28, withPad: " ", startingAt: 0))\(fmt(p.eventsPerSecond).leftPad(10))\(fmt(p.mbPerSecond).leftPad(10))\(fmt(tZlib / p.seconds, 2).leftPad(14))")
    }
    sizeReports.append(.object([
        ("events", .number(events)), ("files", .number(files.count)), ("gzip_bytes", .number(compressed)),
        ("json_bytes", .number(decoded)), ("matches", .number(matches)),
        ("phases", .array(phases.map { p in
            .object([("name", .string(p.name)), ("seconds", .number(fmt(p.seconds, 4))),
                     ("events_per_s", .number(fmt(p.eventsPerSecond))), ("mb_per_s", .number(fmt(p.mbPerSecond, 1))),
                     ("ratio_to_zlib_1core", .number(fmt(tZlib / p.seconds, 3)))])
        })),
        ("ratio_scan_1core_to_zlib", .number(fmt(tZlib / tScan1, 3))),
        ("ratio_scan_allcores_to_zlib", .number(fmt(tZlib / tScanN, 3))),
    ]))
}
report.append(("sizes", .array(sizeReports)))

// Rule-count scaling: the index keeps per-event cost flat as rules are added.
if let size = options.sizes.first(where: { $0 >= 100_000 }) ?? options.sizes.last {
    let files = readFiles(corpus(events: size, dir: options.corpusDir))
    print("\nRule scaling (\(size) events, 1 core):")
    var scaling: [JSONValue] = []
    for count in [0, 10, 100, catalog.count] where count <= catalog.count {
        let engine = Engine(rules: Array(catalog.prefix(count)))
        var events = 0
        let t = measure(options.repeats) { events = scan(files, engine: engine, workers: 1).records }
        print("  \(String(count).leftPad(4)) rules: \(fmt(Double(events) / t).leftPad(10)) events/s")
        scaling.append(.object([("rules", .number(count)), ("events_per_s", .number(fmt(Double(events) / t)))]))
    }
    report.append(("rule_scaling", .array(scaling)))
}

// Lambda: one EventBridge event, engine time only (the envelope is parsed and evaluated each time).
do {
    let envelope = Array(#"{"version":"0","id":"1","detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","account":"123456789012","time":"2025-03-01T12:00:00Z","region":"us-east-1","resources":[],"detail":{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","userName":"alice"},"eventTime":"2025-03-01T12:00:00Z","eventSource":"cloudtrail.amazonaws.com","eventName":"StopLogging","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2.15.0","requestParameters":{"name":"management-events"},"responseElements":null,"eventID":"6f8c1a2b-0000-4000-8000-000000000001","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012"}}"#.utf8)
    var processor = EventProcessor(engine: fullEngine)
    var findings: [Finding] = []
    var problems: [InputProblem] = []
    var stats = ScanStats()
    let iterations = 20_000
    let t = measure(options.repeats) {
        for _ in 0..<iterations {
            _ = envelope.withUnsafeBufferPointer { processor.process($0, path: "", findings: &findings, problems: &problems, stats: &stats) }
            findings.removeAll(keepingCapacity: true)
        }
    }
    let micros = t / Double(iterations) * 1e6
    print("\nLambda: one EventBridge event (parse + all rules + finding): \(fmt(micros, 1)) µs")
    report.append(("eventbridge_event_us", .number(fmt(micros, 2))))
}

// The real CLI on the largest corpus: end-to-end throughput from disk and peak memory.
if FileManager.default.isExecutableFile(atPath: tripline), let size = options.sizes.last {
    let dir = "\(options.corpusDir)/corpus-\(size)"
    let run = runChild(tripline, ["scan", dir, "--format", "json"])
    let events = Double(size)
    // The scan reports its own peak memory: the kernel's figure for a child includes this process's memory,
    // which the child shared until it exec'd.
    let summary = (try? JSONValue.parse(Array(run.output.utf8)))?["summary"]
    let peak = summary?["peak_rss_mib"]?.doubleValue.map { Int($0) } ?? -1
    let alerts = summary?["findings"]?.doubleValue.map { Int($0) } ?? -1
    print("\n`tripline scan` on \(size) events from disk: \(fmt(run.seconds, 2)) s (\(fmt(events / run.seconds)) events/s), \(alerts) alerts, peak RSS \(peak) MiB, exit \(run.status)")
    report.append(("cli_scan", .object([("events", .number(size)), ("seconds", .number(fmt(run.seconds, 3))),
                                        ("alerts", .number(alerts)), ("peak_rss_mib", .number(peak)),
                                        ("exit", .number(Int(run.status)))])))
} else {
    print("\n(build the tripline product to measure the CLI end to end: swift build -c release)")
}

// `tripline scan` as users run it, process start to exit, on a corpus of another shape than the one above (an
// organisation's day: many small files, three accounts, six regions), against zlib alone on the same files, the
// benchmark's own in-memory loop, and the seed-style Python. The speed promised is the command's, not the loop's.
if options.organisationEvents > 0, FileManager.default.isExecutableFile(atPath: tripline) {
    let paths = organisationCorpus(events: options.organisationEvents, dir: options.corpusDir)
    let root = "\(options.corpusDir)/organisation-\(options.organisationEvents)"
    let files = readFiles(paths)
    let compressed = files.reduce(0) { $0 + $1.count }
    var decoded = 0
    let tZlib = measure(options.repeats) { decoded = zlibOnly(files) }
    var events = 0
    let tLoop1 = measure(options.repeats) { events = scan(files, engine: fullEngine, workers: 1).records }
    let tLoopN = measure(options.repeats) { _ = scan(files, engine: fullEngine, workers: cores) }
    // The command as the README shows it (text to a pipe), and once as JSON for its counts and peak memory.
    let runs = (0..<options.repeats).map { _ in runChild(tripline, ["scan", root]) }
    let tCLI = runs.map(\.seconds).min() ?? 0
    let tCLI1 = (0..<options.repeats).map { _ in runChild(tripline, ["scan", root, "--workers", "1"]).seconds }.min() ?? 0
    let summary = (try? JSONValue.parse(Array(runChild(tripline, ["scan", root, "--format", "json"]).output.utf8)))?["summary"]
    let peak = summary?["peak_rss_mib"]?.doubleValue.map { Int($0) } ?? -1
    let alerts = summary?["findings"]?.doubleValue.map { Int($0) } ?? -1
    let scanned = summary?["events"]?.doubleValue.map { Int($0) } ?? -1
    let python = runChild("/usr/bin/env", ["python3", "scripts/bench-python-baseline.py"] + paths)
    let pyRate = (try? JSONValue.parse(python.output.trimmingCharacters(in: .whitespacesAndNewlines)))?["events_per_s"]?.doubleValue ?? 0
    let rate = { (t: Double) in Double(events) / t }
    print("\nAn organisation's day, end to end: \(events) events in \(files.count) files (3 accounts, 6 regions), \(fmt(Double(compressed) / 1e6, 1)) MB gzip, \(fmt(Double(decoded) / 1e6, 1)) MB JSON")
    print("  what                                        events/s   × zlib-1-core   × Python")
    let rows: [(String, Double)] = [
        ("zlib only (1 core, in memory)", tZlib), ("benchmark loop (1 core, in memory)", tLoop1),
        ("benchmark loop (\(cores) cores, in memory)", tLoopN),
        ("`tripline scan --workers 1` (start → exit)", tCLI1), ("`tripline scan` (start → exit)", tCLI),
    ]
    for (name, t) in rows {
        let py = pyRate > 0 ? fmt(rate(t) / pyRate, 1) : "?"
        print("  \(name.padding(toLength: 42, withPad: " ", startingAt: 0))\(fmt(rate(t)).leftPad(10))\(fmt(tZlib / t, 2).leftPad(16))\(py.leftPad(11))")
    }
    print("  seed-style Python: \(fmt(pyRate)) events/s; `tripline scan`: \(scanned) events, \(alerts) alerts, peak RSS \(peak) MiB")
    if scanned != events { print("  (the scan read \(scanned) events, the loop \(events): they should agree)") }
    report.append(("organisation_scan", .object([
        ("events", .number(events)), ("files", .number(files.count)), ("gzip_bytes", .number(compressed)),
        ("zlib_1core_s", .number(fmt(tZlib, 4))), ("loop_1core_s", .number(fmt(tLoop1, 4))),
        ("loop_allcores_s", .number(fmt(tLoopN, 4))), ("cli_1worker_s", .number(fmt(tCLI1, 4))),
        ("cli_s", .number(fmt(tCLI, 4))), ("ratio_cli_to_zlib", .number(fmt(tZlib / tCLI, 3))),
        ("ratio_cli_1worker_to_zlib", .number(fmt(tZlib / tCLI1, 3))),
        ("ratio_loop_allcores_to_zlib", .number(fmt(tZlib / tLoopN, 3))),
        ("python_events_per_s", .number(fmt(pyRate))),
        ("ratio_cli_to_python", .number(pyRate > 0 ? fmt(rate(tCLI) / pyRate, 2) : "0")),
        ("alerts", .number(alerts)), ("peak_rss_mib", .number(peak)),
    ])))
}

// The seed-style Python approach on the same files.
let script = "scripts/bench-python-baseline.py"
if FileManager.default.fileExists(atPath: script), !largestFiles.isEmpty {
    let subset = Array(largestFiles.prefix(max(1, options.pythonEvents / 1000)))
    let run = runChild("/usr/bin/env", ["python3", script] + subset)
    if let json = try? JSONValue.parse(run.output.trimmingCharacters(in: .whitespacesAndNewlines)),
        let pyRate = json["events_per_s"]?.doubleValue, pyRate > 0
    {
        let files = readFiles(subset)
        var events = 0
        let t1 = measure(options.repeats) { events = scan(files, engine: fullEngine, workers: 1).records }
        let tN = measure(options.repeats) { _ = scan(files, engine: fullEngine, workers: cores) }
        let ours1 = Double(events) / t1, oursN = Double(events) / tN
        print("\nSeed-style Python (gzip + json + \(json["rules"]?.text ?? "?") predicates), \(events) events: \(fmt(pyRate)) events/s")
        print("  Tripline 1 core: \(fmt(ours1)) events/s = \(fmt(ours1 / pyRate, 1))×;  \(cores) cores: \(fmt(oursN)) events/s = \(fmt(oursN / pyRate, 1))×")
        report.append(("python_baseline", .object([
            ("events_per_s", .number(fmt(pyRate))), ("tripline_1core_ratio", .number(fmt(ours1 / pyRate, 2))),
            ("tripline_allcores_ratio", .number(fmt(oursN / pyRate, 2))),
        ])))
    }
}

if let path = options.jsonPath {
    if FileManager.default.createFile(atPath: path, contents: Data(JSONValue.object(report).serialized().utf8)) {
        print("\nJSON report: \(path)")
    } else {
        FileHandle.standardError.write(Data("tripline-bench: could not write \(path)\n".utf8))
        exit(1)
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
