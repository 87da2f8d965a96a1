import Foundation
import Testing
import TriplineJSON
import TriplineTestSupport

/// `tripline scan s3://…` against moto: the same findings as scanning the same files locally.
@Suite("tripline scan s3:// (moto)")
struct ScanS3CLITests {
    /// The aws CLI against moto, with the tests' dummy credentials.
    func aws(_ moto: MotoServer, _ arguments: [String]) throws {
        try shell("aws", ["--endpoint-url", moto.endpoint, "--region", "us-east-1"] + arguments, environment: CLI.environment())
    }

    /// What identifies a finding whatever file or object it came from.
    func identities(_ r: CLI.Result) -> Set<String> {
        Set(r.jsonLines.compactMap { $0 }.map { o in
            ["rule_id", "event_id", "dedup_key", "title", "severity"].map { o.text($0) ?? "-" }.joined(separator: "|")
        })
    }

    @Test("objects under a prefix: same findings as the local files, digest skipped, s3:// paths in input")
    func sameFindingsAsLocal() async throws {
        let moto = try await MotoServer.shared()
        let bucket = uniqueName("trail-logs")
        let tree = try Fixtures.cloudTrailTree()
        try aws(moto, ["s3api", "create-bucket", "--bucket", bucket])
        try aws(moto, ["s3", "cp", "--recursive", "--quiet", tree.root.path, "s3://\(bucket)/"])
        // Outside the prefix: must not be read.
        try Fixtures.write(try Fixtures.gzip(Fixtures.log([Fixtures.event(id: "ev-other", name: "StopLogging", trail: "elsewhere")])), to: tree.root.appendingPathComponent("other.json.gz"))
        try aws(moto, ["s3", "cp", "--quiet", tree.root.appendingPathComponent("other.json.gz").path, "s3://\(bucket)/other/other.json.gz"])

        let remote = try CLI.run(["scan", "--format", "jsonl", "--endpoint-url", moto.endpoint, "s3://\(bucket)/AWSLogs/"])
        #expect(remote.status == 0, "stderr: \(remote.stderr)")
        #expect(remote.stderr.contains("skipped 1 CloudTrail digest file(s)"))
        let local = try CLI.run(["scan", "--format", "jsonl", tree.root.appendingPathComponent("AWSLogs").path])
        #expect(local.status == 0)
        #expect(identities(remote).count == 4)
        #expect(identities(remote) == identities(local))
        #expect(remote.jsonLines.allSatisfy { $0?.text("input.path")?.hasPrefix("s3://\(bucket)/AWSLogs/") == true })

        // Local paths and s3:// URLs in one command merge into one report.
        let mixed = try CLI.run(["scan", "--endpoint-url", moto.endpoint, "s3://\(bucket)/other/", tree.root.appendingPathComponent("AWSLogs").path])
        #expect(mixed.status == 0, "stderr: \(mixed.stderr)")
        // The local digest file is opened (digests are recognised by content, not path) and then skipped.
        #expect(mixed.stdout.contains("Scanned 4 file(s), 4 events"), "\(mixed.stdout)")
        #expect(mixed.stdout.contains("Skipped 1 digest file(s)."))
        #expect(mixed.stdout.contains("6 finding(s): 3 high, 3 medium, in 3 alert(s)."))
    }

    @Test("a corrupt object among good ones and a missing bucket: findings printed, problems on stderr, exit 1")
    func problems() async throws {
        let moto = try await MotoServer.shared()
        let bucket = uniqueName("trail-logs")
        let folder = Fixtures.temporaryFolder()
        let good = folder.appendingPathComponent("good.json.gz")
        let bad = folder.appendingPathComponent("bad.json.gz")
        try Fixtures.write(try Fixtures.gzip(Fixtures.log([Fixtures.stopLogging])), to: good)
        let cut = try Fixtures.gzip(Fixtures.log([Fixtures.deleteTrail]))
        try Fixtures.write(Array(cut.prefix(cut.count - 12)), to: bad)
        try aws(moto, ["s3api", "create-bucket", "--bucket", bucket])
        try aws(moto, ["s3", "cp", "--quiet", good.path, "s3://\(bucket)/logs/good.json.gz"])
        try aws(moto, ["s3", "cp", "--quiet", bad.path, "s3://\(bucket)/logs/bad.json.gz"])

        let r = try CLI.run(["scan", "--format", "jsonl", "--endpoint-url", moto.endpoint, "s3://\(bucket)/logs/", "s3://\(uniqueName("missing"))/x/"])
        #expect(r.status == 1)
        #expect(r.eventIDs.contains("ev-stop-1"))
        #expect(r.stderr.contains("s3://\(bucket)/logs/bad.json.gz"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("NoSuchBucket"), "stderr: \(r.stderr)")
    }
}

/// A CloudTrail LookupEvents endpoint on loopback (moto lacks it): serves the events it holds, filtered by
/// StartTime/EndTime, newest first, two per page so paging is exercised.
final class FakeLookupEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [JSONValue] = []
    private(set) var server: LoopbackHTTPServer!
    /// Request bodies received.
    private var received: [JSONValue] = []
    static let pageSize = 2

    init() throws {
        server = try LoopbackHTTPServer { [unowned self] request in self.answer(request) }
    }

    func add(_ event: JSONValue) { lock.withLock { events.append(event) } }
    var requests: [JSONValue] { lock.withLock { received } }

    private func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard request.headers["x-amz-target"]?.hasSuffix(".LookupEvents") == true,
            let body = try? JSONValue.parse(request.body)
        else { return .init(status: 400, json: #"{"__type":"InvalidRequest","message":"only LookupEvents here"}"#) }
        lock.withLock { received.append(body) }
        let start = body["StartTime"]?.doubleValue ?? 0
        let end = body["EndTime"]?.doubleValue ?? .greatestFiniteMagnitude
        let offset = body["NextToken"]?.stringValue.flatMap(Int.init) ?? 0
        let matching = lock.withLock { events }
            .map { e in (e, Double(epoch(e))) }
            .filter { start <= $0.1 && $0.1 <= end }
            .sorted { $0.1 > $1.1 }
        let page = matching.dropFirst(offset).prefix(Self.pageSize)
        let items: [JSONValue] = page.map { e, t in
            .object([
                ("EventId", .string(e.text("eventID") ?? "")), ("EventName", .string(e.text("eventName") ?? "")),
                ("EventTime", .number(String(Int(t)))), ("EventSource", .string(e.text("eventSource") ?? "")),
                ("CloudTrailEvent", .string(e.serialized())),
            ])
        }
        let next = offset + page.count < matching.count ? JSONValue.string(String(offset + page.count)) : .null
        return .init(json: JSONValue.object([("Events", .array(items)), ("NextToken", next)]).serialized())
    }

    private func epoch(_ event: JSONValue) -> Int {
        let formatter = ISO8601DateFormatter()
        return Int(formatter.date(from: event.text("eventTime") ?? "")?.timeIntervalSince1970 ?? 0)
    }
}

/// `tripline watch` and `tripline findings` over the local SQLite state, against the LookupEvents fake.
@Suite("tripline watch and findings")
struct WatchCLITests {
    let now = Int(Date().timeIntervalSince1970)

    @Test("watch --once alerts, findings list/show see it, an overlapping second poll alerts only the new event")
    func watchOnceThenFindings() throws {
        let fake = try FakeLookupEvents()
        fake.add(Fixtures.event(id: "w-stop", name: "StopLogging", time: now - 300, trail: "org-audit"))
        fake.add(Fixtures.event(id: "w-delete", name: "DeleteTrail", time: now - 200, trail: "legacy"))
        fake.add(Fixtures.event(id: "w-benign", name: "DescribeInstances", source: "ec2.amazonaws.com", time: now - 100))
        let db = Fixtures.temporaryFolder().appendingPathComponent("state.sqlite").path
        // Alert on high only: the medium findings (trail-config-changed) are recorded for audit, not sent.
        let watch = [
            "watch", "--once", "--format", "jsonl", "--min-severity", "high", "--db", db, "--endpoint-url", fake.server.baseURL,
            "--lookback", "20m",
        ]

        let first = try CLI.run(watch, timeout: 60)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        let messages = first.jsonLines.compactMap { $0 }
        #expect(messages.count == 2, "one message per alert (StopLogging, DeleteTrail): \(first.stdout)")
        #expect(messages.first?.text("severity") == "high")
        let alertedKeys = Set(messages.flatMap { $0["finding_keys"]?.arrayValue ?? [] }.compactMap(\.stringValue))
        #expect(alertedKeys.count == 2)
        #expect(messages.first?.text("body")?.contains("w-stop") == true)
        #expect(fake.requests.count >= 2, "3 events at 2 per page need 2 pages")

        let list = try CLI.run(["findings", "list", "--db", db, "--format", "jsonl", "--min-severity", "high"], timeout: 60)
        #expect(list.status == 0, "stderr: \(list.stderr)")
        let listed = list.jsonLines.compactMap { $0 }
        #expect(listed.map { $0.text("event_id") } == ["w-delete", "w-stop"], "newest first")
        #expect(listed.allSatisfy { $0.text("state") == "alerted" })
        #expect(Set(listed.compactMap { $0.text("key") }) == alertedKeys)
        #expect(listed.first?.text("finding.rule_id") == "tripline.cloudtrail.logging-stopped")

        let text = try CLI.run(["findings", "list", "--db", db, "--since", "1h", "--min-severity", "high"], timeout: 60)
        #expect(text.status == 0)
        #expect(text.stdout.contains("2 finding(s)"))
        #expect(text.stdout.contains("HIGH"))
        let all = try CLI.run(["findings", "list", "--db", db, "--format", "jsonl"], timeout: 60)
        let states = all.jsonLines.compactMap { $0?.text("state") }
        #expect(states.sorted() == ["alerted", "alerted", "recorded", "recorded"])
        let none = try CLI.run(["findings", "list", "--db", db, "--min-severity", "critical"], timeout: 60)
        #expect(none.stdout.contains("0 finding(s)"))

        let key = try #require(listed.first?.text("key"))
        let show = try CLI.run(["findings", "show", key, "--db", db], timeout: 60)
        #expect(show.status == 0)
        #expect(show.stdout.contains("tripline.cloudtrail.logging-stopped"))
        #expect(show.stdout.contains("w-delete"))
        let missing = try CLI.run(["findings", "show", "no-such-key", "--db", db], timeout: 60)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("no finding"))

        // Second poll: its window overlaps the first; only the event that arrived since is alerted.
        fake.add(Fixtures.event(id: "w-stop-2", name: "StopLogging", time: now - 50, trail: "third-trail"))
        let requestsBefore = fake.requests.count
        let second = try CLI.run(watch, timeout: 60)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let secondKeys = second.jsonLines.compactMap { $0 }.flatMap { $0["finding_keys"]?.arrayValue ?? [] }.compactMap(\.stringValue)
        #expect(secondKeys.count == 1)
        #expect(alertedKeys.isDisjoint(with: secondKeys))
        #expect(second.stderr.contains("1 alerted, 4 already known, 1 recorded below high"), "stderr: \(second.stderr)")
        let secondStart = fake.requests[requestsBefore...].compactMap { $0["StartTime"]?.doubleValue }.min() ?? .infinity
        #expect(secondStart <= Double(now - 300), "the second window must overlap the first run's events")

        let after = try CLI.run(["findings", "list", "--db", db, "--format", "jsonl"], timeout: 60)
        #expect(after.jsonLines.count == 6)
    }

    @Test("watch stops cleanly on SIGTERM between polls")
    func stopsOnSignal() throws {
        let fake = try FakeLookupEvents()
        let db = Fixtures.temporaryFolder().appendingPathComponent("state.sqlite").path
        let r = try CLI.run(
            ["watch", "--interval", "1h", "--db", db, "--endpoint-url", fake.server.baseURL], timeout: 60,
            whileRunning: { process in
                // Wait for the first poll to reach the fake, then ask the watcher to stop.
                let deadline = Date().addingTimeInterval(30)
                while fake.requests.isEmpty && Date() < deadline { usleep(50_000) }
                usleep(300_000)
                kill(process.processIdentifier, SIGTERM)
            })
        #expect(!r.timedOut, "watch did not stop on SIGTERM")
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("stopped"))
        #expect(!fake.requests.isEmpty)
    }

    @Test("watch --once against an unreachable CloudTrail: the error on stderr, exit 1")
    func unreachable() throws {
        let port = try freePort()
        let db = Fixtures.temporaryFolder().appendingPathComponent("state.sqlite").path
        let r = try CLI.run(["watch", "--once", "--db", db, "--endpoint-url", "http://127.0.0.1:\(port)"], timeout: 120)
        #expect(!r.timedOut)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("poll failed"))
    }
}
