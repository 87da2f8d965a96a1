import Foundation
import Testing
import TriplineJSON

/// The hostile inputs of issue 16 under the memory a Lambda function has: each is reported (or skipped with a
/// note), none aborts the process, and the good input beside them is still read and alerted.
@Suite("Hostile inputs under a Lambda-sized memory limit")
struct MemoryLimitCLITests {
    /// 512 MiB: a common Lambda size, and below what the old reader took for any of these (1.6 GB and more; a 96 MiB limit aborts the scan of the bomb, so the limit bites).
    static let limitMiB = 512

    @Test("a gzip bomb, a long gzip of spaces, a sparse file, a FIFO and a good log in one folder, with 512 MiB")
    func folderUnderLimit() throws {
        let folder = Fixtures.temporaryFolder()
        let path = { (name: String) in folder.appendingPathComponent(name).path }
        // 400 MiB of one string inside a record, then a StopLogging: about 400 KB of gzip, written by a shell pipe
        // so the test process never holds it.
        let tail = String(decoding: Fixtures.log([Fixtures.stopLogging]).dropFirst(12), as: UTF8.self)
        try shell("sh", ["-c", """
            { printf '%s' '{"Records":[{"eventName":"Pad","x":"'; head -c \(400 << 20) /dev/zero | tr '\\000' A; printf '%s' '"},'"$1"; } | gzip -1 > "$2"
            """, "sh", tail, path("bomb.json.gz")])
        // 100 MiB of spaces: no events, streamed past the whole-input limit.
        try shell("sh", ["-c", "head -c \(100 << 20) /dev/zero | tr '\\000' ' ' | gzip -1 > \"$1\"", "sh", path("spaces.json.gz")])
        // A 2 GiB sparse file: "not JSON" at once.
        try shell("truncate", ["-s", "2G", path("sparse.json")])
        try shell("mkfifo", [path("pipe.json")])
        try Fixtures.write(Fixtures.log([Fixtures.deleteTrail]), to: folder.appendingPathComponent("good.json"))

        let r = try CLI.run(["scan", "--format", "json", folder.path], timeout: 600, dataLimitMiB: Self.limitMiB)
        #expect(!r.crashed && !r.timedOut, "stderr: \(r.stderr.prefix(2000))")
        // Problems were found: 1 (the high findings do not set the status without --fail-on).
        #expect(r.status == 1, "stderr: \(r.stderr.prefix(2000))")
        let doc = try JSONValue.parse(r.stdout)
        let events = Set(doc["findings"]?.arrayValue?.compactMap { $0["event_id"]?.stringValue } ?? [])
        #expect(events.contains("ev-delete-1"), "the good log beside them was not read")
        #expect(events.contains("ev-stop-1"), "the record after the bomb's huge one was not read")
        let problems = doc["problems"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(problems.contains { $0.hasPrefix(path("bomb.json.gz")) && $0.contains("per-event limit") }, "\(problems)")
        #expect(problems.contains { $0.hasPrefix(path("sparse.json")) && $0.contains("not JSON") }, "\(problems)")
        #expect(!problems.contains { $0.hasPrefix(path("spaces.json.gz")) }, "spaces are no events, not a problem: \(problems)")
        #expect(r.stderr.contains("pipe.json"), "the FIFO is skipped with a note: \(r.stderr.prefix(2000))")
        if case .number(let mib)? = doc["summary"]?["peak_rss_mib"] { #expect((Int(mib) ?? 10_000) < Self.limitMiB) }
    }

    @Test("/dev/zero named, and a billion-laughs rule file linted, with 512 MiB")
    func streamsAndRulesUnderLimit() throws {
        let zero = try CLI.run(["scan", "/dev/zero"], timeout: 120, dataLimitMiB: Self.limitMiB)
        #expect(!zero.crashed && !zero.timedOut)
        #expect(zero.status == 1 && zero.stderr.contains("/dev/zero"), "\(zero.stderr)")

        var lines = ["id: laughs", "title: laughs", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
        for k in 1...9 { lines.append("a\(k): &a\(k) [\(Array(repeating: "*a\(k - 1)", count: 10).joined(separator: ", "))]") }
        lines.append("detection: {sel: {eventName: X}, condition: sel}")
        let file = Fixtures.temporaryFolder().appendingPathComponent("laughs.yml")
        try Fixtures.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: file)
        let lint = try CLI.run(["rules", "lint", "--no-builtin", "--rules", file.path], timeout: 120, dataLimitMiB: Self.limitMiB)
        #expect(!lint.crashed && !lint.timedOut)
        #expect(lint.status != 0)
        #expect((lint.stdout + lint.stderr).contains("laughs.yml:"), "\(lint.stdout) \(lint.stderr)")
    }
}
