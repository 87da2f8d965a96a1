import Foundation
import Testing
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineRules

/// Runs the extractor and returns (records' eventNames, problems, shape).
func extract(_ text: String) -> ([String], [InputProblem], InputShape) {
    extract(Array(text.utf8))
}

func extract(_ bytes: [UInt8]) -> ([String], [InputProblem], InputShape) {
    var extractor = RecordExtractor()
    var names: [String] = []
    var problems: [InputProblem] = []
    let shape = bytes.withUnsafeBufferPointer { p in
        extractor.extract(p, path: "in", onRecord: { view, root, _ in
            names.append(view.member(of: root, "eventName").flatMap(view.string) ?? "?")
        }, onProblem: { problems.append($0) })
    }
    return (names, problems, shape)
}

@Suite("Input shapes")
struct InputShapeTests {
    @Test("CloudTrail log file")
    func cloudTrailLog() {
        let (names, problems, shape) = extract(#"{"Records":[{"eventName":"A"},{"eventName":"B"}]}"#)
        #expect(names == ["A", "B"] && problems.isEmpty && shape == .cloudTrailLog)
        // Records not first, and an empty file.
        #expect(extract(#"{"x":1,"Records":[{"eventName":"C"}]}"#).0 == ["C"])
        #expect(extract(#"{"Records":[]}"#).0.isEmpty)
    }

    @Test("JSON Lines, with a bad line reported by number and the rest read")
    func jsonLines() {
        let (names, problems, shape) = extract("{\"eventName\":\"A\"}\n{\"eventName\": oops}\n\n{\"eventName\":\"C\"}\n")
        #expect(names == ["A", "C"])
        #expect(shape == .jsonLines)
        #expect(problems.count == 1 && problems[0].line == 2)
    }

    @Test("array of events, single event, EventBridge envelope, LookupEvents response")
    func otherShapes() {
        #expect(extract(#"[{"eventName":"A"},{"eventName":"B"}]"#).0 == ["A", "B"])
        #expect(extract(#"{"eventName":"Solo"}"#).2 == .event)
        let envelope = #"{"version":"0","detail-type":"AWS API Call via CloudTrail","source":"aws.iam","detail":{"eventName":"CreateUser"}}"#
        #expect(extract(envelope).0 == ["CreateUser"] && extract(envelope).2 == .eventBridge)
        let signin = #"{"detail-type":"AWS Console Signin via CloudTrail","detail":{"eventName":"ConsoleLogin"}}"#
        #expect(extract(signin).0 == ["ConsoleLogin"])
        let lookup = #"{"Events":[{"EventId":"1","CloudTrailEvent":"{\"eventName\":\"StopLogging\"}"},{"CloudTrailEvent":"{\"eventName\":\"DeleteTrail\"}"}],"NextToken":null}"#
        #expect(extract(lookup).0 == ["StopLogging", "DeleteTrail"] && extract(lookup).2 == .lookupEvents)
    }

    @Test("a non-CloudTrail EventBridge event is reported, not evaluated")
    func otherEventBridge() {
        let (names, problems, _) = extract(#"{"detail-type":"EC2 Instance State-change Notification","detail":{"state":"running"}}"#)
        #expect(names.isEmpty && problems.count == 1)
    }

    @Test("digest files are recognised, not errors")
    func digest() {
        let (names, problems, shape) = extract(#"{"awsAccountId":"1","digestStartTime":"x","digestEndTime":"y","digestS3Bucket":"b","logFiles":[],"previousDigestSignature":"z"}"#)
        #expect(names.isEmpty && problems.isEmpty && shape == .digest)
    }

    @Test("wrong types among good records: the bad ones are reported, the rest read")
    func wrongTypes() {
        let (names, problems, _) = extract(#"{"Records":[{"eventName":"A"},"oops",42,{"eventName":5,"userIdentity":"x"},{"eventName":"B"}]}"#)
        #expect(names == ["A", "?", "B"])
        #expect(problems.count == 2)
    }

    @Test("truncated and malformed files report byte offsets; records before the damage are kept")
    func truncated() {
        let (names, problems, _) = extract(#"{"Records":[{"eventName":"A"},{"eventName":"B""#)
        #expect(names == ["A"])
        #expect(problems.count == 1 && problems[0].message.contains("byte"))
        #expect(!extract("not json").1.isEmpty)
        #expect(extract("   \n").2 == .empty)
    }

    @Test("hostile input: deep nesting and invalid UTF-8 are errors, quickly")
    func hostile() {
        let deep = String(repeating: "[", count: 200_000)
        let start = Date()
        #expect(extract(deep).1.count == 1)
        #expect(extract("{\"Records\":[" + String(repeating: "{\"a\":", count: 200_000)).1.count == 1)
        var bad = Array(#"{"Records":[{"eventName":"A"},{"eventName":"B"#.utf8)
        bad += [0xFF, 0xFE]
        bad += Array(#""}]}"#.utf8)
        let (names, problems, _) = extract(bad)
        #expect(names == ["A"] && problems.first?.message.contains("UTF-8") == true)
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test("a 5 MB event is read whole")
    func hugeEvent() {
        let big = String(repeating: "x", count: 5_000_000)
        let (names, problems, _) = extract(#"{"Records":[{"eventName":"Big","requestParameters":{"blob":"\#(big)"}}]}"#)
        #expect(names == ["Big"] && problems.isEmpty)
    }
}

@Suite("gzip")
struct GzipTests {
    @Test("round trip, multi-member, truncation keeps complete records")
    func gzip() throws {
        let a = Array(#"{"Records":[{"eventName":"A"}]}"#.utf8)
        var out: [UInt8] = []
        try Gzip.compress(a).withUnsafeBufferPointer { try Gunzip().decompress($0, into: &out) }
        #expect(out == a)
        let two = Gzip.compress(Array("{\"eventName\":\"A\"}\n".utf8)) + Gzip.compress(Array("{\"eventName\":\"B\"}\n".utf8))
        try two.withUnsafeBufferPointer { try Gunzip().decompress($0, into: &out) }
        #expect(extract(out).0 == ["A", "B"])
        let big = Array(("{\"Records\":[" + (0..<2000).map { "{\"eventName\":\"E\($0)\"}" }.joined(separator: ",") + "]}").utf8)
        let gz = Gzip.compress(big)
        let cut = Array(gz.prefix(gz.count / 2))
        #expect(throws: Gunzip.Failure.self) { try cut.withUnsafeBufferPointer { try Gunzip().decompress($0, into: &out) } }
        #expect(!out.isEmpty && out.count < big.count)
        #expect(!extract(out).0.isEmpty)
    }

    @Test("decompression bombs are capped")
    func bomb() {
        let zeros = Gzip.compress([UInt8](repeating: 0x20, count: 10_000_000))
        var out: [UInt8] = []
        #expect(throws: Gunzip.Failure.self) {
            try zeros.withUnsafeBufferPointer { try Gunzip(maxOutput: 1_000_000).decompress($0, into: &out) }
        }
        #expect(out.count <= 1_000_000)  // the bytes before the cap are kept, nothing beyond it
    }
}

@Suite("Local scanner")
struct LocalScannerTests {
    @Test("scans folders on all cores with the same result as one core, skipping digests")
    func parallelDeterministic() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tripline-scan-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let logs = dir.appendingPathComponent("AWSLogs/1/CloudTrail/us-east-1")
        let digests = dir.appendingPathComponent("AWSLogs/1/CloudTrail-Digest/us-east-1")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: digests, withIntermediateDirectories: true)
        for k in 0..<8 {
            let records = (0..<50).map { i in
                #"{"eventName":"\#(i == 7 ? "StopLogging" : "DescribeInstances")","eventSource":"\#(i == 7 ? "cloudtrail" : "ec2").amazonaws.com","eventID":"\#(k)-\#(i)","eventTime":"2025-03-01T12:00:00Z","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u\#(k)"},"requestParameters":{"name":"trail\#(k)"},"recipientAccountId":"123456789012"}"#
            }
            let file = Array(("{\"Records\":[" + records.joined(separator: ",") + "]}").utf8)
            try Data(Gzip.compress(file)).write(to: logs.appendingPathComponent("f\(k).json.gz"))
        }
        try Data("{\"logFiles\":[],\"digestStartTime\":\"x\"}".utf8).write(to: digests.appendingPathComponent("d.json.gz"))
        try Data("# notes".utf8).write(to: logs.appendingPathComponent("README.md"))

        let engine = Engine(rules: RuleCatalog.builtIn.rules)
        let one = LocalScanner.scan(paths: [dir.path], engine: engine, options: .init(workers: 1))
        let many = LocalScanner.scan(paths: [dir.path], engine: engine, options: .init(workers: 4))
        #expect(one.stats.records == 400 && many.stats.records == 400)
        #expect(one.stats.digests == 1 && one.problems.isEmpty)
        let oneFindings = one.folded.findings(rules: engine.rules)
        let a = Aggregator(engine: engine).aggregate(oneFindings).map(\.dedupKey)
        let b = Aggregator(engine: engine).aggregate(many.folded.findings(rules: engine.rules)).map(\.dedupKey)
        #expect(a == b)
        #expect(oneFindings.contains { $0.eventName == "StopLogging" })
    }

    @Test("missing paths are problems, not crashes")
    func missing() {
        let result = LocalScanner.scan(paths: ["/nonexistent/tripline"], engine: Engine(rules: []))
        #expect(result.problems.count == 1)
    }
}
