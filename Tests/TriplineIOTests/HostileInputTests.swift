import Foundation
import Glibc
import Testing
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineRules

/// Inputs an attacker (or an accident) shapes: each is read in bounded memory, what cannot be read is reported
/// with its path (and line or record), and the rest of the input is still read. Limits are scaled down here
/// (`maxDecompressed`, `maxEvent`) so the streaming paths run on inputs of a few MB.
@Suite("Hostile inputs")
struct HostileInputTests {
    static let stop = #"{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"stop"}"#

    struct Outcome {
        var names: [String] = []
        var problems: [InputProblem] = []
        var stats = ScanStats()
        var shape: InputShape = .empty
    }

    /// Names of the records handed out, with a processor whose whole-input limit is `whole` bytes.
    static func run(_ bytes: [UInt8], whole: Int = 1 << 20, maxEvent: Int = 64 << 10) -> Outcome {
        var out = Outcome()
        var processor = EventProcessor(engine: Engine(rules: []), maxDecompressed: whole, maxEvent: maxEvent)
        var findings: [Finding] = []
        out.shape = bytes.withUnsafeBufferPointer {
            processor.process($0, path: "in", findings: &findings, problems: &out.problems, stats: &out.stats)
        }
        out.names = names(bytes, whole: whole, maxEvent: maxEvent)
        return out
    }

    /// The same, streamed (as stdin or a large file is).
    static func stream(_ bytes: [UInt8], maxEvent: Int = 64 << 10) -> Outcome {
        var out = Outcome()
        var processor = EventProcessor(engine: Engine(rules: RuleCatalog.builtIn.rules), maxEvent: maxEvent)
        var findings: [Finding] = []
        bytes.withUnsafeBufferPointer { raw in
            if Gunzip.isGzip(raw) {
                let source = try! GunzipSource(MemorySource(raw))
                out.shape = processor.process(stream: source, path: "in", findings: &findings, problems: &out.problems, stats: &out.stats)
            } else {
                out.shape = processor.process(stream: MemorySource(raw), path: "in", findings: &findings, problems: &out.problems, stats: &out.stats)
            }
        }
        out.names = findings.map(\.eventName)
        return out
    }

    /// eventNames seen, through a rule that matches every event.
    static func names(_ bytes: [UInt8], whole: Int, maxEvent: Int) -> [String] {
        let rule = RuleLoader.load(text: "id: all\ntitle: all\ndetection:\n  sel:\n    eventName|exists: true\n  condition: sel\n", path: "all.yml").rules
        var processor = EventProcessor(engine: Engine(rules: rule), maxDecompressed: whole, maxEvent: maxEvent)
        var findings: [Finding] = []
        var problems: [InputProblem] = []
        var stats = ScanStats()
        bytes.withUnsafeBufferPointer { _ = processor.process($0, path: "in", findings: &findings, problems: &problems, stats: &stats) }
        return findings.map(\.eventName)
    }

    static func log(_ names: [String], padding: Int = 0) -> String {
        let pad = String(repeating: "x", count: padding)
        return "{\"Records\":[" + names.map { "{\"eventName\":\"\($0)\",\"p\":\"\(pad)\"}" }.joined(separator: ",") + "]}"
    }

    @Test("a gzip holding one huge string: the event is skipped and reported, its neighbours read")
    func gzipBomb() {
        let huge = "{\"Records\":[{\"eventName\":\"A\"},{\"eventName\":\"Huge\",\"x\":\"" + String(repeating: "A", count: 8 << 20)
            + "\"},{\"eventName\":\"B\"}]}"
        let gz = Gzip.compress(Array(huge.utf8))
        #expect(gz.count < 100_000)
        for out in [Self.run(gz), Self.stream(Array(huge.utf8))] {
            #expect(out.problems.count == 1)
            #expect(out.problems.first?.record == 1)
            #expect(out.problems.first?.message.contains("per-event limit") == true, "\(out.problems)")
            #expect(out.stats.records == 3)
        }
        #expect(Self.run(gz).names == ["A", "B"])
    }

    @Test("a gzip of 8 MB of spaces is read through in bounded memory: no events, no problem")
    func spaces() {
        let gz = Gzip.compress([UInt8](repeating: 0x20, count: 8 << 20))
        let out = Self.run(gz)
        #expect(out.problems.isEmpty && out.stats.records == 0)
    }

    @Test("concatenated CloudTrail logs and multi-member gzip are read whole, decoded whole or streamed")
    func concatenated() {
        let a = Self.log(["A1", "A2"]), b = Self.log(["B1"])
        let plain = Array((a + b + "\n" + a).utf8)
        #expect(Self.run(plain).names == ["A1", "A2", "B1", "A1", "A2"])
        #expect(Self.run(plain).problems.isEmpty)
        let gz = Gzip.compress(Array(a.utf8)) + Gzip.compress(Array(b.utf8))
        #expect(Self.run(gz).names == ["A1", "A2", "B1"])
        // Past the whole-input limit, the same files are streamed.
        let bigA = Self.log((0..<300).map { "A\($0)" }, padding: 4000), bigB = Self.log(["B"], padding: 10)
        let bigGz = Gzip.compress(Array(bigA.utf8)) + Gzip.compress(Array(bigB.utf8))
        let streamed = Self.run(bigGz)
        #expect(streamed.problems.isEmpty, "\(streamed.problems)")
        #expect(streamed.stats.records == 301)
        #expect(Self.names(bigGz, whole: 1 << 20, maxEvent: 64 << 10).last == "B")
    }

    @Test("JSON Lines with a bad first line keep the rest, with the line number, decoded whole or streamed")
    func badFirstLine() {
        let text = Array("not json at all\n{\"eventName\":\"A\"}\n{\"eventName\": oops}\n{\"eventName\":\"B\"}\n".utf8)
        let whole = Self.run(text)
        #expect(Self.names(text, whole: 1 << 20, maxEvent: 1 << 20) == ["A", "B"])
        #expect(whole.problems.map(\.line) == [1, 3])
        let streamed = Self.stream(text)
        #expect(streamed.problems.map(\.line) == [1, 3], "\(streamed.problems)")
        #expect(streamed.stats.records == 2)
    }

    @Test("Records that is not an array is a problem, not an event")
    func recordsNotArray() {
        for text in [#"{"Records":{"eventName":"A"}}"#, #"{"x":1,"Records":"A"}"#] {
            let out = Self.run(Array(text.utf8))
            #expect(out.stats.records == 0)
            #expect(out.problems.first?.message.contains("not an array") == true, "\(out.problems)")
        }
    }

    @Test("problem messages name the record once")
    func noRepeatedRecord() {
        let out = Self.run(Array(#"{"Records":[{"eventName":"A"},[1],{"eventName":"B"}]}"#.utf8))
        let text = out.problems.first?.description ?? ""
        #expect(text == "in record 1: an array, not an object; skipped", "\(text)")
    }

    @Test("per-event limit in the whole-input path too, with the rest read")
    func perEventLimitWhole() {
        let text = Self.log(["A", "Big", "B"]).replacingOccurrences(of: "\"Big\",\"p\":\"", with: "\"Big\",\"p\":\"" + String(repeating: "y", count: 100_000))
        let out = Self.run(Array(text.utf8))
        #expect(Self.names(Array(text.utf8), whole: 1 << 20, maxEvent: 64 << 10) == ["A", "B"])
        #expect(out.problems.first?.record == 1)
    }

    @Test("a large JSON Lines stream is read in a bounded window, every line")
    func largeStream() {
        let line = "{\"eventName\":\"StopLogging\",\"eventSource\":\"cloudtrail.amazonaws.com\",\"p\":\"" + String(repeating: "z", count: 1000) + "\"}\n"
        let text = Array(String(repeating: line, count: 5000).utf8)  // 5 MB, past the 1 MiB window
        let out = Self.stream(text)
        #expect(out.problems.isEmpty)
        #expect(out.stats.records == 5000)
        #expect(out.stats.decodedBytes == text.count)
    }

    @Test("a stream of zeros or of binary is 'not JSON' at once, whatever its length")
    func zeros() {
        let out = Self.stream([UInt8](repeating: 0, count: 4 << 20))
        #expect(out.problems.count == 1)
        #expect(out.problems.first?.message.contains("not JSON") == true)
        #expect(out.stats.decodedBytes < 4 << 20)  // stopped at the first window
    }

    @Test("truncated and corrupt streamed gzip: the records before the damage, then a problem")
    func streamedDamage() {
        let gz = Gzip.compress(Array(Self.log((0..<2000).map { "E\($0)" }).utf8))
        let cut = Array(gz.prefix(gz.count / 2))
        let out = Self.stream(cut)
        #expect(out.problems.contains { $0.message.contains("truncated gzip") }, "\(out.problems)")
        var bad = gz
        bad[bad.count - 6] ^= 0xFF  // the CRC
        let corrupt = Self.stream(bad)
        #expect(corrupt.problems.contains { $0.message.contains("corrupt gzip") }, "\(corrupt.problems)")
        #expect(corrupt.stats.records == 2000)
    }
}

@Suite("Hostile local inputs")
struct HostileLocalInputTests {
    static func folder() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tripline-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }

    static let engine = Engine(rules: RuleCatalog.builtIn.rules)
    static let stopLog = Array(#"{"Records":[{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"s1","requestParameters":{"name":"t"}}]}"#.utf8)

    @Test("a FIFO inside a scanned folder is skipped with a note; the scan does not hang")
    func fifo() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/pipe.json", 0o600) == 0)
        try Data(Self.stopLog).write(to: URL(fileURLWithPath: dir + "/a.json"))
        let start = Date()
        let result = LocalScanner.scan(paths: [dir], engine: Self.engine, options: .init(workers: 2))
        #expect(Date().timeIntervalSince(start) < 30)
        #expect(result.stats.records == 1)
        #expect(result.problems.map(\.path) == [dir + "/pipe.json"])
        #expect(result.problems.first?.message.contains("not a regular file") == true)
    }

    @Test("file and folder names that are not UTF-8 are scanned")
    func nonUTF8Names() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sub = Array(dir.utf8) + [0x2F, 0x66, 0xFF, 0x6F]  // "f\xFFo"
        #expect(mkdir(sub.map { CChar(bitPattern: $0) } + [0], 0o700) == 0)
        let file = sub + Array("/l".utf8) + [0xFE] + Array(".json".utf8)
        let fd = open(file.map { CChar(bitPattern: $0) } + [0], O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        _ = Self.stopLog.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        let result = LocalScanner.scan(paths: [dir], engine: Self.engine, options: .init(workers: 1))
        #expect(result.problems.isEmpty, "\(result.problems)")
        #expect(result.stats.records == 1)
        #expect(result.stats.inputs == 1)
    }

    @Test("a large sparse file is streamed: 'not JSON' at once, in bounded memory")
    func sparse() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/sparse.json"
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        #expect(ftruncate(fd, 2 << 30) == 0)
        close(fd)
        let start = Date()
        let result = LocalScanner.scan(paths: [path], engine: Self.engine, options: .init(workers: 1))
        #expect(Date().timeIntervalSince(start) < 10)
        #expect(result.problems.first?.message.contains("not JSON") == true, "\(result.problems)")
        #expect(result.stats.decodedBytes < 64 << 20)
    }

    @Test("/dev/zero named explicitly is streamed and refused at once")
    func devZero() {
        let result = LocalScanner.scan(paths: ["/dev/zero"], engine: Self.engine, options: .init(workers: 1))
        #expect(result.problems.first?.message.contains("not JSON") == true, "\(result.problems)")
    }

    @Test("a file larger than the whole-input limit is streamed with the same result")
    func largeFileStreamed() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let records = (0..<3000).map { #"{"eventName":"DescribeInstances","eventSource":"ec2.amazonaws.com","eventID":"e\#($0)","p":"\#(String(repeating: "q", count: 500))"}"# }
        let text = "{\"Records\":[" + records.joined(separator: ",") + "," + String(decoding: Self.stopLog.dropFirst(12).dropLast(2), as: UTF8.self) + "]}"
        try Data(text.utf8).write(to: URL(fileURLWithPath: dir + "/big.json"))
        try Data(Gzip.compress(Array(text.utf8))).write(to: URL(fileURLWithPath: dir + "/big.json.gz"))
        for name in ["big.json", "big.json.gz"] {
            let small = LocalScanner.scan(paths: [dir + "/" + name], engine: Self.engine,
                                          options: .init(workers: 1, maxDecompressed: 1 << 16))
            let whole = LocalScanner.scan(paths: [dir + "/" + name], engine: Self.engine, options: .init(workers: 1))
            #expect(small.problems.isEmpty && whole.problems.isEmpty, "\(small.problems)")
            #expect(small.stats.records == 3001 && whole.stats.records == 3001)
            let keys = Set(small.folded.findings(rules: Self.engine.rules).map(\.dedupKey))
            #expect(keys == Set(whole.folded.findings(rules: Self.engine.rules).map(\.dedupKey)))
            #expect(keys.count == 2)
        }
    }
}
