import Foundation
import Testing
import TriplineJSON

/// `tripline scan` end to end: the built binary on real files, its output formats and exit statuses.
@Suite("tripline scan (local)")
struct ScanCLITests {
    static let contractFields = [
        "rule_id", "title", "severity", "event_id", "event_time", "event_source", "event_name", "account_id", "region",
        "actor", "source_ip", "user_agent", "dedup_key",
    ]

    @Test("text: findings and a summary; digest skipped with a note; exit 0")
    func textSummary() throws {
        let tree = try Fixtures.cloudTrailTree()
        let r = try CLI.run(["scan", tree.root.path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("[HIGH]"))
        // The digest file is read too: digests are recognised by content, not by their folder.
        #expect(r.stdout.contains("Scanned 3 file(s), 3 events"))
        // Each flagged event fires two rules: logging-stopped (high) and trail-config-changed (medium).
        #expect(r.stdout.contains("4 finding(s): 2 high, 2 medium, in 2 alert(s)."))
        #expect(r.stdout.contains("Skipped 1 digest file(s)."))
        #expect(r.stderr.contains("skipped 1 CloudTrail digest file(s)"))
    }

    @Test("jsonl: one JSON object per line with the contract fields")
    func jsonlContract() throws {
        let tree = try Fixtures.cloudTrailTree()
        let r = try CLI.run(["scan", "--format", "jsonl", tree.root.path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let objects = r.jsonLines
        #expect(objects.count == 4)
        for case let object? in objects {
            for field in Self.contractFields {
                #expect(object[field]?.stringValue != nil, "missing \(field) in \(object.serialized())")
            }
            #expect(["high", "medium"].contains(object.text("severity") ?? "?"))
            #expect(object.text("account_id") == Fixtures.account)
            #expect(object.text("actor") == "arn:aws:iam::123456789012:user/mallory")
            #expect(object.text("input.path")?.hasPrefix(tree.root.path) == true)
            #expect(object[path: "input.record"]?.doubleValue != nil)
        }
        #expect(Set(objects.compactMap { $0?.text("event_id") }) == ["ev-stop-1", "ev-delete-1"])
        #expect(Set(objects.compactMap { $0?.text("event_name") }) == ["StopLogging", "DeleteTrail"])
        let pairs = Set(objects.compactMap { o in o.map { "\($0.text("rule_id") ?? "?") \($0.text("severity") ?? "?") \($0.text("event_id") ?? "?")" } })
        #expect(pairs == [
            "tripline.cloudtrail.logging-stopped high ev-stop-1", "tripline.cloudtrail.logging-stopped high ev-delete-1",
            "tripline.cloudtrail.trail-config-changed medium ev-stop-1", "tripline.cloudtrail.trail-config-changed medium ev-delete-1",
        ])
        #expect(!objects.contains(nil), "every line must be JSON: \(r.stdout)")
        // The findings of one event share an alert id; the two events have two.
        var alertOfEvent: [String: Set<String>] = [:]
        for case let o? in objects { alertOfEvent[o.text("event_id") ?? "?", default: []].insert(o.text("alert_id") ?? "") }
        #expect(alertOfEvent.values.allSatisfy { $0.count == 1 && $0.first?.hasPrefix("evt-") == true }, "\(alertOfEvent)")
        #expect(Set(alertOfEvent.values.compactMap(\.first)).count == 2)
        // A re-scan gives the same ids.
        let again = try CLI.run(["scan", "--format", "jsonl", tree.root.path]).jsonLines
        #expect(Set(again.compactMap { $0?.text("alert_id") }) == Set(alertOfEvent.values.compactMap(\.first)))
    }

    @Test("text: one block per alert, listing every rule that matched the event")
    func textPerAlert() throws {
        let tree = try Fixtures.cloudTrailTree()
        let r = try CLI.run(["scan", tree.root.path])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let blocks = r.stdout.components(separatedBy: "Alert evt-")
        #expect(blocks.count == 3, "two alerts: \(r.stdout)")
        for block in blocks.dropFirst() {
            #expect(block.contains("HIGH severity, 2 rules matched one event."))
            #expect(block.contains("(tripline.cloudtrail.logging-stopped)"))
            #expect(block.contains("(tripline.cloudtrail.trail-config-changed)"))
        }
    }

    @Test("json: one document with findings, summary and problems")
    func jsonDocument() throws {
        let tree = try Fixtures.cloudTrailTree()
        let r = try CLI.run(["scan", "--format", "json", tree.root.path])
        #expect(r.status == 0)
        let document = try JSONValue.parse(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(document["findings"]?.arrayValue?.count == 4)
        #expect(document["findings"]?.arrayValue?.allSatisfy { $0["alert_id"]?.stringValue?.hasPrefix("evt-") == true } == true)
        #expect(document[path: "summary.alerts"]?.doubleValue == 2)
        #expect(document[path: "summary.events"]?.doubleValue == 3)
        #expect(document[path: "summary.digests_skipped"]?.doubleValue == 1)
        #expect(document["problems"]?.arrayValue?.isEmpty == true)
    }

    @Test("a truncated .json.gz among good files: findings still printed, the problem on stderr, exit 1")
    func truncatedGzip() throws {
        let folder = Fixtures.temporaryFolder()
        let good = try Fixtures.gzip(Fixtures.log([Fixtures.stopLogging]))
        let cut = try Fixtures.gzip(Fixtures.log([Fixtures.deleteTrail, Fixtures.benign]))
        try Fixtures.write(good, to: folder.appendingPathComponent("good.json.gz"))
        try Fixtures.write(Array(cut.prefix(cut.count / 2)), to: folder.appendingPathComponent("truncated.json.gz"))
        let r = try CLI.run(["scan", "--format", "jsonl", folder.path])
        #expect(r.status == 1)
        #expect(r.eventIDs.contains("ev-stop-1"))
        #expect(r.stderr.contains(folder.appendingPathComponent("truncated.json.gz").path))
    }

    @Test("a JSON Lines file with a malformed line: stderr names path:line, the other lines are scanned, exit 1")
    func malformedJSONLLine() throws {
        let folder = Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent("events.jsonl")
        let lines = [Fixtures.benign.serialized(), #"{"eventName": "oops", "#, Fixtures.stopLogging.serialized()]
        try Fixtures.write(Array((lines.joined(separator: "\n") + "\n").utf8), to: file)
        let r = try CLI.run(["scan", "--format", "jsonl", file.path])
        #expect(r.status == 1)
        #expect(r.stderr.contains("\(file.path):2"), "stderr: \(r.stderr)")
        #expect(Set(r.eventIDs) == ["ev-stop-1"])
    }

    @Test("a bad --rules file: stderr has file:line and the rule id, exit 2")
    func badRulesFile() throws {
        let folder = Fixtures.temporaryFolder()
        let rules = folder.appendingPathComponent("bad.yml")
        let yaml = """
            id: test.bad-rule
            title: A rule with a broken detection
            severity: high
            detection:
              selection:
                eventName: StopLogging
              condition: selection and missing_block

            """
        try Fixtures.write(Array(yaml.utf8), to: rules)
        let tree = try Fixtures.cloudTrailTree()
        let r = try CLI.run(["scan", "--rules", rules.path, tree.root.path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("\(rules.path):"), "stderr: \(r.stderr)")
        #expect(r.stderr.contains("test.bad-rule"), "stderr: \(r.stderr)")
    }

    @Test("usage errors exit 2", arguments: [["scan", "--no-such-option", "x"], ["scan"], ["scan", "--format", "xml", "x"], ["no-such-command"]])
    func usageErrors(arguments: [String]) throws {
        let r = try CLI.run(arguments)
        #expect(r.status == 2, "stdout: \(r.stdout) stderr: \(r.stderr)")
        #expect(!r.stderr.isEmpty)
    }

    @Test("--fail-on high exits 3 when a high finding exists, 0 when only lower ones do")
    func failOn() throws {
        let tree = try Fixtures.cloudTrailTree()
        let high = try CLI.run(["scan", "--fail-on", "high", tree.root.path])
        #expect(high.status == 3)
        #expect(high.stdout.contains("4 finding(s)"))
        let critical = try CLI.run(["scan", "--fail-on", "critical", tree.root.path])
        #expect(critical.status == 0)
        // --min-severity trims what is shown, not what --fail-on judges.
        let hidden = try CLI.run(["scan", "--fail-on", "high", "--min-severity", "critical", tree.root.path])
        #expect(hidden.status == 3)
        #expect(hidden.stdout.contains("0 finding(s)"))
    }

    @Test("a gzip holding a 300 MB string: the event is reported, the next one found, in bounded memory")
    func gzipBombBoundedMemory() throws {
        let folder = Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent("bomb.json.gz")
        var text = Array(#"{"Records":[{"eventName":"Pad","x":""#.utf8)
        text += [UInt8](repeating: UInt8(ascii: "A"), count: 300 << 20)
        text += Array(#""},"#.utf8) + Fixtures.log([Fixtures.stopLogging]).dropFirst(12)
        try Fixtures.write(try Fixtures.gzip(text), to: file)
        text = []
        let r = try CLI.run(["scan", "--format", "json", "--workers", "1", file.path], timeout: 300)
        #expect(r.status == 1, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("per-event limit"))
        let doc = try JSONValue.parse(r.stdout)
        let summary = doc["summary"]
        #expect(summary?["events"] == .number(2))
        #expect((doc["findings"]?.arrayValue?.count ?? 0) >= 1)
        // Lambda-sized: the old reader took 4.2 GB for the 1 GiB version of this file.
        if case .number(let mib)? = summary?["peak_rss_mib"] { #expect((Int(mib) ?? 10_000) < 256, "peak \(mib) MiB") }
        else { Issue.record("no peak_rss_mib in the summary") }
    }
}

/// Hostile and broken inputs: every one ends in a normal exit (no crash, no hang) with a sensible status.
@Suite("tripline scan (bad inputs)")
struct BadInputCLITests {
    /// Writes `bytes` to a file named `name` and scans it (as jsonl), with a timeout.
    func scan(_ name: String, _ bytes: [UInt8]) throws -> (CLI.Result, path: String) {
        let file = Fixtures.temporaryFolder().appendingPathComponent(name)
        try Fixtures.write(bytes, to: file)
        let r = try CLI.run(["scan", "--format", "jsonl", file.path], timeout: 60)
        #expect(!r.timedOut, "scan of \(name) hung")
        #expect(!r.crashed, "scan of \(name) crashed: \(r.stderr)")
        return (r, file.path)
    }

    @Test("200,000-deep nesting is reported, not a stack overflow")
    func deepNesting() throws {
        let (r, path) = try scan("deep.json", Array(repeating: UInt8(ascii: "["), count: 200_000))
        #expect(r.status == 1)
        #expect(r.stderr.contains(path))
        let (objects, objectPath) = try scan("deep-objects.json", Array(String(repeating: #"{"a":"#, count: 200_000).utf8))
        #expect(objects.status == 1)
        #expect(objects.stderr.contains(objectPath))
    }

    @Test("invalid UTF-8 is reported with its path")
    func invalidUTF8() throws {
        var bytes = Array(#"{"Records":[{"eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","userAgent":""#.utf8)
        bytes += [0xFF, 0xFE, 0xC3, 0x28]
        bytes += Array(#""}]}"#.utf8)
        let (r, path) = try scan("bad-utf8.json", bytes)
        #expect(r.status == 1)
        #expect(r.stderr.contains(path))
    }

    @Test("a 5 MB event is scanned like any other")
    func hugeEvent() throws {
        var event = Fixtures.stopLogging
        if case .object(var members) = event {
            members.append(("padding", .string(String(repeating: "x", count: 5 << 20))))
            event = .object(members)
        }
        let (r, _) = try scan("huge.json", Fixtures.log([event]))
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(Set(r.eventIDs) == ["ev-stop-1"])
    }

    @Test("records with wrong field types do not hide their good neighbours")
    func wrongFieldTypes() throws {
        let log = #"{"Records":[{"eventName":5,"eventSource":"cloudtrail.amazonaws.com","eventID":"bad-1"},"#
            + #"{"userIdentity":"x","eventName":"StopLogging","eventSource":"cloudtrail.amazonaws.com","eventID":"bad-2"},"#
            + #"{"eventTime":true,"eventName":["StopLogging"],"requestParameters":7,"eventID":"bad-3"},"#
            + Fixtures.deleteTrail.serialized() + "]}"
        let (r, _) = try scan("mixed.json", Array(log.utf8))
        #expect(r.status == 0 || r.status == 1, "status \(r.status): \(r.stderr)")
        #expect(r.eventIDs.contains("ev-delete-1"))
        #expect(!r.jsonLines.contains(nil))
    }

    @Test("a digest file given by name is recognised by its content and skipped with a note, exit 0")
    func digestFile() throws {
        let folder = Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent(Fixtures.digestKey("x"))
        try Fixtures.write(try Fixtures.gzip(Array(#"{"awsAccountId":"123456789012","digestStartTime":"2025-03-04T09:10:00Z","logFiles":[]}"#.utf8)), to: file)
        let r = try CLI.run(["scan", file.path], timeout: 60)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stderr.contains("digest"))
        #expect(r.stdout.contains("0 finding(s)"))
    }

    @Test("a file under CloudTrail-Digest/ that holds records is read, not skipped by its path")
    func recordsUnderDigestFolder() throws {
        let folder = Fixtures.temporaryFolder()
        let file = folder.appendingPathComponent(Fixtures.digestKey("y"))
        try Fixtures.write(try Fixtures.gzip(Fixtures.log([Fixtures.stopLogging])), to: file)
        for path in [file.path, folder.path] {
            let r = try CLI.run(["scan", "--format", "jsonl", path], timeout: 60)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            #expect(Set(r.eventIDs) == ["ev-stop-1"], "\(path)")
        }
    }

    @Test("text and JSON link each finding to its event in the CloudTrail console of the event's partition")
    func consoleLink() throws {
        func event(_ id: String, region: String) -> JSONValue {
            // A trail of its own per event: logging-stopped folds one trail's stops into one alert.
            let base = Fixtures.event(id: id, name: "StopLogging", trail: "trail-" + id)
            return .object((base.objectValue ?? []).map { $0.0 == "awsRegion" ? ($0.0, .string(region)) : $0 })
        }
        let log = Fixtures.log([
            event("6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d2e", region: "eu-west-1"),
            event("6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d2f", region: "cn-north-1"),
            event("6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d30", region: "us-gov-west-1"),
            event("not-a-uuid", region: "us-east-1"),
        ])
        let file = Fixtures.temporaryFolder().appendingPathComponent("console.json")
        try Fixtures.write(log, to: file)
        let jsonl = try CLI.run(["scan", "--format", "jsonl", "--only", "tripline.cloudtrail.logging-stopped", file.path])
        #expect(jsonl.status == 0, "stderr: \(jsonl.stderr)")
        var urls: [String: String] = [:]
        for case let o? in jsonl.jsonLines { urls[o.text("event_id") ?? "?"] = o.text("console_url") ?? "null" }
        #expect(urls == [
            "6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d2e": "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d2e",
            "6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d2f": "https://cn-north-1.console.amazonaws.cn/cloudtrailv2/home?region=cn-north-1#/events/6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d2f",
            "6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d30": "https://console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events/6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d30",
            "not-a-uuid": "null",
        ], "\(urls)")
        let text = try CLI.run(["scan", "--only", "tripline.cloudtrail.logging-stopped", file.path])
        #expect(text.stdout.contains("  console  https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/6b2f0c1d-3e4a-4b5c-8d6e-7f8a9b0c1d2e"))
        #expect(text.stdout.components(separatedBy: "  console  ").count == 4, "three linked events: \(text.stdout)")
    }

    @Test("an empty file is fine: no events, exit 0")
    func emptyFile() throws {
        let (r, _) = try scan("empty.json", [])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.isEmpty)
    }

    @Test("stdin via -: plain and gzipped")
    func standardInput() throws {
        let log = Fixtures.log([Fixtures.stopLogging, Fixtures.benign])
        for input in [log, try Fixtures.gzip(log)] {
            let r = try CLI.run(["scan", "--format", "jsonl", "-"], stdin: input, timeout: 60)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            #expect(Set(r.eventIDs) == ["ev-stop-1"])
            #expect(r.jsonLines.first??.text("input.path") == "-")
        }
    }
}
