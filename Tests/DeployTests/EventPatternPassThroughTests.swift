import Foundation
import Testing
import TriplineJSON
import TriplineSynth
import TriplineTestSupport

/// What the committed EventBridge patterns let through on realistic activity: a busy organisation's ordinary day
/// (`SynthConfig.busyOrganisation`, TriplineSynth), each record wrapped as the EventBridge event CloudTrail sends,
/// judged by moto's EventBridge pattern engine (`moto.events.models.EventPattern`, what moto's rules route with;
/// moto has no TestEventPattern) run in-process in Python over the whole batch. The figures go to docs/cost.md.
@Suite("EventBridge pattern pass-through on a busy organisation")
struct EventPatternPassThroughTests {
    static let events = 5_000  // moto judges about 1,000 events × patterns a second: keep the suite within a minute or two

    /// EventBridge holds back read-only `Describe*`/`Get*`/`List*` calls from rules not in state
    /// `ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS`: judged twice, as deployed by default (with S3 ingestion: no
    /// pattern opted in) and with the `readOnlyEvents` patterns opted in.
    static let judge = #"""
    import json, sys
    from moto.events.models import EventPattern
    doc = json.load(open(sys.argv[1]))
    patterns = [(EventPattern.load(p["pattern"]), p.get("readOnlyEvents", False)) for p in doc["patterns"] if not p.get("fallback")]
    def held_back(d):
        return d.get("readOnly") is True and d.get("eventName", "").startswith(("Describe", "Get", "List"))
    def blank():
        return {"through": 0, "writes_through": 0, "invocations": 0, "sources_through": {}}
    r = {"patterns": len(patterns), "read_patterns": sum(1 for _, ro in patterns if ro), "events": 0, "writes": 0,
         "controls": {}, "default": blank(), "with_reads": blank()}
    for line in open(sys.argv[2]):
        e = json.loads(line)
        matched = [ro for p, ro in patterns if p.matches_event(e)]
        held = held_back(e["detail"])
        if e["id"].startswith("control-"):
            r["controls"][e["id"]] = sum(1 for ro in matched if not held)
            continue
        r["events"] += 1
        write = e["detail"].get("readOnly") is not True
        r["writes"] += write
        for mode, hits in (("default", sum(1 for ro in matched if not held)), ("with_reads", sum(1 for ro in matched if not held or ro))):
            if hits:
                m = r[mode]
                m["through"] += 1
                m["writes_through"] += write
                m["invocations"] += hits
                s = e["detail"].get("eventSource", "?")
                m["sources_through"][s] = m["sources_through"].get(s, 0) + 1
    print(json.dumps(r))
    """#

    /// CloudTrail's EventBridge envelope: detail-type by eventType, source `aws.<service>`.
    static func envelope(_ record: JSONValue, id: String) -> JSONValue {
        let source = record["eventSource"]?.stringValue ?? "unknown.amazonaws.com"
        let detailType = switch record["eventType"]?.stringValue {
        case "AwsConsoleSignIn": "AWS Console Signin via CloudTrail"
        case "AwsServiceEvent": "AWS Service Event via CloudTrail"
        case "AwsConsoleAction": "AWS Console Action via CloudTrail"
        default: "AWS API Call via CloudTrail"
        }
        return [
            "version": "0", "id": .string(id), "detail-type": .string(detailType),
            "source": .string("aws." + source.replacingOccurrences(of: ".amazonaws.com", with: "")),
            "account": record["recipientAccountId"] ?? "210987654321", "time": record["eventTime"] ?? "",
            "region": record["awsRegion"] ?? "us-east-1", "resources": [], "detail": record,
        ]
    }

    @Test("share of a busy organisation's events the committed patterns let through (moto's pattern engine)", .timeLimit(.minutes(5)))
    func passThrough() async throws {
        var gen = SynthGenerator(config: .busyOrganisation())
        var lines: [UInt8] = []
        var record: [UInt8] = []
        for i in 0..<Self.events {
            record.removeAll(keepingCapacity: true)
            gen.nextRecord(into: &record)
            Self.envelope(try JSONValue.parse(record), id: "e\(i)").write(to: &lines)
            lines.append(0x0A)
        }
        // Controls, so the judge is seen to say both yes and no: StopLogging (a rule's event) and an API no rule watches.
        let stop: JSONValue = [
            "eventVersion": "1.09", "eventSource": "cloudtrail.amazonaws.com", "eventName": "StopLogging", "eventType": "AwsApiCall",
            "awsRegion": "eu-west-1", "readOnly": false, "userIdentity": ["type": "IAMUser", "arn": "arn:aws:iam::210987654321:user/x"],
        ]
        let unwatched: JSONValue = [
            "eventVersion": "1.09", "eventSource": "tripline-probe.amazonaws.com", "eventName": "ProbeNothing", "eventType": "AwsApiCall",
            "awsRegion": "eu-west-1", "readOnly": false, "userIdentity": ["type": "IAMUser", "arn": "arn:aws:iam::210987654321:user/x"],
        ]
        Self.envelope(stop, id: "control-stop").write(to: &lines)
        lines.append(0x0A)
        Self.envelope(unwatched, id: "control-unwatched").write(to: &lines)
        lines.append(0x0A)

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("passthrough-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let eventsFile = dir.appendingPathComponent("events.jsonl")
        try Data(lines).write(to: eventsFile)
        let script = dir.appendingPathComponent("judge.py")
        try Data(Self.judge.utf8).write(to: script)
        let patterns = repositoryRoot.appendingPathComponent("deploy/eventbridge-patterns.json")
        let run = try await runCommand(["python3", script.path, patterns.path, eventsFile.path], timeout: 240)
        try #require(run.succeeded, "\(run.diagnostics)")
        let r = try JSONValue.parse(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        func n(_ key: String) -> Int { Int(r[key]?.text ?? "") ?? -1 }

        #expect(r["controls"]?["control-stop"]?.text != "0", "StopLogging must pass a pattern")
        #expect(r["controls"]?["control-unwatched"]?.text == "0", "an unwatched API must pass none")
        #expect(n("events") == Self.events && n("patterns") >= 2)
        let pct = { (x: Double) in String(format: "%.1f %%", x * 100) }
        func mode(_ name: String) -> (through: Int, writes: Int, line: String) {
            let m = r[name]
            func k(_ key: String) -> Int { Int(m?[key]?.text ?? "") ?? -1 }
            let top = (m?["sources_through"]?.objectValue ?? []).sorted { (Int($0.1.text) ?? 0) > (Int($1.1.text) ?? 0) }.prefix(6)
                .map { "\($0.0) \($0.1.text)" }.joined(separator: ", ")
            let perEvent = String(format: "%.2f", Double(k("invocations")) / Double(max(1, k("through"))))
            let line = "\(name): \(k("through")) of \(n("events")) events (\(pct(Double(k("through")) / Double(n("events"))))); "
                + "writes \(k("writes_through")) of \(n("writes")) (\(pct(Double(k("writes_through")) / Double(max(1, n("writes")))))); "
                + "\(k("invocations")) invocations (\(perEvent) per event let through); top sources: \(top)"
            return (k("through"), k("writes_through"), line)
        }
        let deployed = mode("default")
        let withReads = mode("with_reads")
        print("pass-through: \(n("patterns")) patterns (\(n("read_patterns")) for read-only calls)\n  \(deployed.line)\n  \(withReads.line)")
        // The patterns filter: something is let through, and not everything; opting in to reads adds reads only.
        #expect(deployed.through > 0 && deployed.through < n("events"))
        #expect(withReads.through >= deployed.through && withReads.writes == deployed.writes)
    }
}
