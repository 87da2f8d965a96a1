import Foundation
import Testing
import TriplineJSON

/// Issue 16's smaller items, end to end: exit statuses that keep every signal, escaping of file names and rule text
/// on stderr and in text output, `rules list --format jsonl`, and what `scan --help` shows.
@Suite("tripline: exit statuses, escaping, rules list jsonl, help (issue 16)")
struct HardeningCLITests {
    /// The characters that must never reach a terminal raw.
    static let hostile = ["\u{1B}", "\u{0}", "\u{200F}", "\u{202E}", "\r"]

    static func rawHostile(_ text: String) -> [String] { hostile.filter { text.contains($0) }.map { "U+" + String($0.unicodeScalars.first!.value, radix: 16) } }

    @Test("--fail-on high with --min-severity critical exits 3 on a high finding; 1 and 3 together exit 4")
    func exitStatuses() throws {
        let tree = try Fixtures.cloudTrailTree()
        let hidden = try CLI.run(["scan", "--fail-on", "high", "--min-severity", "critical", tree.root.path])
        #expect(hidden.status == 3, "stderr: \(hidden.stderr)")
        let missing = tree.root.appendingPathComponent("no-such-file.json").path
        let both = try CLI.run(["scan", "--fail-on", "high", tree.root.path, missing])
        #expect(both.status == 4, "stderr: \(both.stderr)")
        #expect(both.stderr.contains("no such file"))
        let unreadableOnly = try CLI.run(["scan", "--fail-on", "critical", tree.root.path, missing])
        #expect(unreadableOnly.status == 1)
        // Help text is wrapped to the terminal: compare with whitespace collapsed.
        func flat(_ s: String) -> String { s.split(whereSeparator: \.isWhitespace).joined(separator: " ") }
        #expect(flat(try CLI.run(["--help"]).stdout).contains("4 both 3 and 1"))
        #expect(flat(try CLI.run(["scan", "--help"]).stdout).contains("4 a finding at or above --fail-on and some input"))
    }

    @Test("--min-severity builds only the findings it can show or --fail-on needs; a sequence's low steps still count")
    func minimumSeverityBuildsLess() throws {
        let folder = Fixtures.temporaryFolder()
        let rules = folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try Data("""
            title: Versioning suspended, then a delete
            id: seq-suspend-delete
            level: critical
            correlation: {type: temporal_ordered, rules: [suspend, delete], group-by: [requestParameters.bucketName], timespan: 1h}
            ---
            title: Suspend
            id: step-suspend
            name: suspend
            level: low
            detection: {s: {eventName: PutBucketVersioning}, condition: s}
            ---
            title: Delete
            id: step-delete
            name: delete
            level: low
            detection: {s: {eventName: DeleteObject}, condition: s}
            """.utf8).write(to: rules.appendingPathComponent("sequence.yml"))
        try Data("""
            title: Object read
            id: noise-read
            level: low
            detection: {s: {eventName: GetObject}, condition: s}
            """.utf8).write(to: rules.appendingPathComponent("noise.yml"))
        func event(_ name: String, _ id: String, _ minute: Int) -> String {
            #"{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"\#(name)","eventID":"\#(id)","#
                + #""eventTime":"2026-03-01T12:0\#(minute):00Z","recipientAccountId":"111122223333","awsRegion":"us-east-1","#
                + #""userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/mallory"},"#
                + #""requestParameters":{"bucketName":"docs","key":"k\#(id)"}}"#
        }
        let events = [event("PutBucketVersioning", "s", 0), event("DeleteObject", "d", 1)]
            + (0..<3).map { event("GetObject", "g\($0)", 2) }
        let log = folder.appendingPathComponent("events.json")
        try Data(("{\"Records\":[" + events.joined(separator: ",") + "]}").utf8).write(to: log)
        let base = ["scan", "--no-builtin", "--rules", rules.path, "--format", "jsonl"]

        let high = try CLI.run(base + ["--min-severity", "high", log.path])
        #expect(high.status == 0, "stderr: \(high.stderr)")
        #expect(high.jsonLines.compactMap { $0?.text("rule_id") } == ["seq-suspend-delete"])
        // --fail-on below what is shown still sees the low finding.
        let failOn = try CLI.run(base + ["--min-severity", "critical", "--fail-on", "low", log.path])
        #expect(failOn.status == 3, "stderr: \(failOn.stderr)")
        #expect(failOn.jsonLines.compactMap { $0?.text("rule_id") } == ["seq-suspend-delete"])
        let all = try CLI.run(base + [log.path])
        #expect(Set(all.jsonLines.compactMap { $0?.text("rule_id") }) == ["seq-suspend-delete", "noise-read"])
    }

    @Test("scan --help lists severity values with descriptions and no raw default")
    func scanHelp() throws {
        let help = try CLI.run(["scan", "--help"])
        #expect(!help.stdout.contains("default: 0"))
        for line in ["critical only", "high and above", "everything"] { #expect(help.stdout.contains(line), "\(line)") }
    }

    @Test("file names with ESC, newline, NUL-free bidi and CR reach stderr and text output escaped")
    func hostileFileNames() throws {
        let folder = Fixtures.temporaryFolder()
        let name = "evil\u{1B}[31m\u{202E}\u{200F}\rx\nrecord 0: forged.json"
        let bad = folder.appendingPathComponent(name)
        try Fixtures.write(Array("{not json".utf8), to: bad)
        let good = folder.appendingPathComponent("ok\u{1B}]0;title\u{7}\u{202E}.json")
        try Fixtures.write(Fixtures.log([Fixtures.stopLogging]), to: good)
        let r = try CLI.run(["scan", folder.path])
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(Self.rawHostile(r.stderr).isEmpty, "raw in stderr: \(Self.rawHostile(r.stderr))")
        #expect(Self.rawHostile(r.stdout).isEmpty, "raw in stdout: \(Self.rawHostile(r.stdout))")
        #expect(r.stderr.contains("\\u{1b}[31m\\u{202e}\\u{200f}\\u{d}x\\u{a}record 0: forged.json"))
        #expect(r.stdout.contains("ok\\u{1b}]0;title\\u{7}\\u{202e}.json"))
        // One problem is one line: the forged "record 0:" stays inside the escaped name and is never repeated.
        let problemLines = r.stderr.split(separator: "\n").filter { $0.contains("forged.json") }
        #expect(problemLines.count == 1)
        #expect(!r.stderr.contains("record 0: record 0:"))
    }

    @Test("rule text with ESC, newline, NUL and bidi is escaped in rules list, lint, stderr and alerts")
    func hostileRuleText() throws {
        let folder = Fixtures.temporaryFolder()
        // YAML double-quoted escapes put the raw characters into the rule's text.
        let rule = #"""
            id: "custom.evil\e[2J\u202E"
            title: "Stop \e]8;;http://x\a\u200Flogging\nFORGED LINE"
            description: "line one\n\e[31mline two\0"
            action: "act \u202Enow"
            severity: high
            unknownkey\u200F: 1
            detection:
              s: {eventName: StopLogging}
              condition: s
            """#.replacingOccurrences(of: "unknownkey\\u200F", with: "unknown\u{200F}key")
        try Fixtures.write(Array(rule.utf8), to: folder.appendingPathComponent("evil.yml"))
        // With an unknown key the rule has an error: lint and stderr show it escaped.
        let lint = try CLI.run(["rules", "lint", "--no-builtin", "--rules", folder.path])
        #expect(Self.rawHostile(lint.stdout + lint.stderr).isEmpty, "\(lint.stdout)\(lint.stderr)")
        #expect(lint.stdout.contains("unknown\\u{200f}key"))
        // Without it the rule loads: list and scan text output.
        try Fixtures.write(Array(rule.replacingOccurrences(of: "unknown\u{200F}key: 1\n", with: "").utf8),
                           to: folder.appendingPathComponent("evil.yml"))
        let list = try CLI.run(["rules", "list", "--no-builtin", "--rules", folder.path])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(Self.rawHostile(list.stdout).isEmpty, "\(list.stdout)")
        #expect(list.stdout.contains("custom.evil\\u{1b}[2J\\u{202e}"))
        #expect(!list.stdout.contains("\nFORGED LINE"))
        let logs = Fixtures.temporaryFolder()
        try Fixtures.write(Fixtures.log([Fixtures.stopLogging]), to: logs.appendingPathComponent("a.json"))
        let scan = try CLI.run(["scan", "--no-builtin", "--rules", folder.path, logs.path])
        #expect(scan.status == 0, "\(scan.stderr)")
        #expect(scan.stdout.contains("custom.evil\\u{1b}[2J\\u{202e}"))
        #expect(scan.stdout.contains("\\u{1b}[31mline two\\u{0}"))
        #expect(scan.stdout.contains("act \\u{202e}now"))
        #expect(Self.rawHostile(scan.stdout + scan.stderr).isEmpty, "\(scan.stdout)")
        #expect(!scan.stdout.contains("\nFORGED LINE"))
    }

    @Test("rules list --format jsonl: one JSON object per rule, nothing else")
    func rulesListJSONL() throws {
        let r = try CLI.run(["rules", "list", "--format", "jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n")
        let text = try CLI.run(["rules", "list"])
        // The text form lists the same enabled rules plus one summary line.
        #expect(lines.count == text.stdout.split(separator: "\n").count - 1)
        var ids = Set<String>()
        for line in lines {
            let value = try JSONValue.parse(String(line))
            guard let id = value["id"]?.stringValue else {
                Issue.record("no id in \(line)")
                continue
            }
            ids.insert(id)
            #expect(["info", "low", "medium", "high", "critical"].contains(value["severity"]?.stringValue ?? "?"))
            #expect(value["title"]?.stringValue?.isEmpty == false)
            #expect(value["enabled"] == .bool(true))
            #expect(value["source"]?.stringValue?.contains(".yml") == true, "\(line)")
        }
        #expect(ids.count == lines.count)
        #expect(ids.contains("tripline.cloudtrail.logging-stopped"))
    }
}
