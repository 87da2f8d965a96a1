import Testing
import TriplineCore
import TriplineJSON
import TriplineRules

/// Runs `rules` over `events` as a scan does (threshold matches tallied, the rest one finding each) and returns
/// the alerts.
func correlate(_ rules: [Rule], _ events: [String]) -> [Finding] {
    let engine = Engine(rules: rules)
    var findings: [Finding] = []
    var tally = ThresholdTally()
    for (k, json) in events.enumerated() {
        let document = try! JSONDocument(parsing: Array(json.utf8))
        document.withView { view in
            for i in engine.matches(view) {
                let input = InputRef(path: "events", record: k)
                if (engine.rules[i].threshold?.count ?? 0) > 1 {
                    tally.record(i, of: engine.rules, view: view, root: 0, input: input)
                } else {
                    findings.append(Finding(rule: engine.rules[i], view: view, input: input))
                }
            }
        }
    }
    return Aggregator(rules: rules).aggregate(findings, thresholds: tally, engineRules: engine.rules)
}

private func call(_ name: String, id: String, at time: String, user: String = "mallory", bucket: String = "docs",
                  error: String? = nil) -> String {
    #"{"eventVersion":"1.09","eventSource":"s3.amazonaws.com","eventName":"\#(name)","eventID":"\#(id)","eventTime":"\#(time)","#
        + #""recipientAccountId":"111122223333","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/\#(user)","userName":"\#(user)"},"#
        + #""requestParameters":{"bucketName":"\#(bucket)","VersioningConfiguration":{"Status":"Suspended"}}"#
        + (error.map { #","errorCode":"\#($0)""# } ?? "") + "}"
}

private func time(_ minute: Int, _ second: Int = 0) -> String {
    let h = 12 + minute / 60, m = minute % 60
    return "2026-03-01T\(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m):\(second < 10 ? "0" : "")\(second)Z"
}

/// The specification's own example, in CloudTrail terms: a burst of one rule (an `event_count` correlation)
/// followed by another rule, by the same principal, within the timespan. The base rules are building blocks.
private let suspendThenDelete = """
    title: Versioning suspended, then many deletes
    id: seq-1
    level: critical
    correlation:
      type: temporal_ordered
      rules: [suspend, many_deletes]
      group-by: [requestParameters.bucketName]
      timespan: 1h
    ---
    title: Many deletes
    id: count-1
    name: many_deletes
    correlation:
      type: event_count
      rules: [delete]
      group-by: [requestParameters.bucketName, userIdentity.arn]
      timespan: 10m
      condition: {gte: 5}
    ---
    title: Suspend
    id: base-suspend
    name: suspend
    detection:
      s: {eventName: PutBucketVersioning, requestParameters.VersioningConfiguration.Status: Suspended}
      condition: s
    ---
    title: Delete
    id: base-delete
    name: delete
    detection:
      s: {eventName: DeleteObject}
      condition: s
    """

@Suite("Sigma correlations: counts and ordered sequences")
struct CorrelationTests {
    func load(_ text: String) -> RuleLoadResult { RuleLoader.load(files: [("c.yml", text)]) }

    func deletes(from minute: Int, count: Int, user: String = "mallory", bucket: String = "docs") -> [String] {
        (0..<count).map { call("DeleteObject", id: "d\(minute)-\($0)-\(user)-\(bucket)", at: time(minute, $0), user: user, bucket: bucket) }
    }

    @Test("the specification's chained example loads: a count correlation becomes a threshold, the ordered one a sequence")
    func loads() throws {
        let loaded = load(suspendThenDelete)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let count = try #require(loaded.rules.first { $0.id == "count-1" })
        #expect(count.threshold == Threshold(count: 5, window: 600, groupBy: [JSONPath("requestParameters.bucketName"), JSONPath("userIdentity.arn")]))
        let sequence = try #require(loaded.rules.first { $0.id == "seq-1" }?.sequence)
        #expect(sequence.steps == ["base-suspend", "count-1"] && sequence.ordered && sequence.window == 3600)
        // Building blocks of the same file no longer alert on their own (Sigma's default `generate: false`).
        #expect(loaded.rules.filter { !$0.generatesAlerts }.map(\.id).sorted() == ["base-delete", "base-suspend", "count-1"])
    }

    @Test("suspend, then a burst of deletes: one critical alert naming both steps; the building blocks stay silent")
    func fires() throws {
        let rules = load(suspendThenDelete).rules
        let alerts = correlate(rules, [call("PutBucketVersioning", id: "s", at: time(0))] + deletes(from: 20, count: 6))
        #expect(alerts.map(\.ruleID) == ["seq-1"])
        let alert = try #require(alerts.first)
        #expect(alert.severity == .critical)
        #expect(alert.eventID == "s", "the first step's event stands for the sequence")
        #expect(alert.chain.map(\.ruleID) == ["base-suspend", "count-1"])
        #expect(alert.chain.map(\.eventTime) == [time(0), time(20, 0)])
        #expect(alert.count == 7)
    }

    @Test("the same steps in the wrong order, too far apart, on another bucket, or a burst too small: nothing")
    func nearMisses() {
        let rules = load(suspendThenDelete).rules
        let suspend = call("PutBucketVersioning", id: "s", at: time(30))
        #expect(correlate(rules, deletes(from: 0, count: 6) + [suspend]).isEmpty, "deletes before the suspension")
        #expect(correlate(rules, [call("PutBucketVersioning", id: "s", at: time(0))] + deletes(from: 61, count: 6)).isEmpty,
                "deletes after the timespan")
        #expect(correlate(rules, [call("PutBucketVersioning", id: "s", at: time(0), bucket: "other")] + deletes(from: 5, count: 6)).isEmpty,
                "another bucket")
        #expect(correlate(rules, [call("PutBucketVersioning", id: "s", at: time(0))] + deletes(from: 5, count: 4)).isEmpty,
                "four deletes, the count needs five")
        // Deletes spread over two principals: five in all, but the count groups by principal.
        #expect(correlate(rules, [call("PutBucketVersioning", id: "s", at: time(0))] + deletes(from: 5, count: 3)
                          + deletes(from: 6, count: 2, user: "bob")).isEmpty)
    }

    @Test("a later start wins: an old suspension outside the timespan does not spoil a new one inside it")
    func restarts() {
        let rules = load(suspendThenDelete).rules
        let events = [call("PutBucketVersioning", id: "old", at: time(0)), call("PutBucketVersioning", id: "new", at: time(50))]
            + deletes(from: 90, count: 5)
        #expect(correlate(rules, events).map(\.eventID) == ["new"])
    }

    @Test("order-independent: events given in any order give the same alert")
    func anyOrder() {
        let rules = load(suspendThenDelete).rules
        let events = [call("PutBucketVersioning", id: "s", at: time(0))] + deletes(from: 20, count: 6)
        #expect(correlate(rules, events.reversed()).map(\.eventID) == correlate(rules, events).map(\.eventID))
    }

    @Test("temporal (unordered) with aliases: fields named differently per rule tie the events; gte counts rules")
    func unorderedWithAliases() throws {
        let text = """
            title: Two of three
            id: any-two
            correlation:
              type: temporal
              rules: [a, b, c]
              group-by: [who]
              timespan: 10m
              condition: {gte: 2}
              aliases:
                who: {a: userIdentity.userName, b: requestParameters.userName, c: userIdentity.userName}
            ---
            {title: A, id: ra, name: a, detection: {s: {eventName: A}, condition: s}}
            ---
            {title: B, id: rb, name: b, detection: {s: {eventName: B}, condition: s}}
            ---
            {title: C, id: rc, name: c, detection: {s: {eventName: C}, condition: s}}
            """
        let loaded = load(text)
        #expect(loaded.diagnostics.isEmpty, "\(loaded.diagnostics)")
        let b = #"{"eventName":"B","eventID":"b1","eventTime":"\#(time(3))","requestParameters":{"userName":"eve"}}"#
        let a = #"{"eventName":"A","eventID":"a1","eventTime":"\#(time(5))","userIdentity":{"userName":"eve"}}"#
        let aOther = #"{"eventName":"A","eventID":"a2","eventTime":"\#(time(5))","userIdentity":{"userName":"zed"}}"#
        #expect(correlate(loaded.rules, [b, a]).map(\.ruleID) == ["any-two"], "B then A: any order")
        #expect(correlate(loaded.rules, [b, aOther]).isEmpty, "different people")
        #expect(correlate(loaded.rules, [a]).isEmpty, "one rule of the two needed")
    }

    @Test("generate: true keeps the rules' own alerts; rules of other files are never silenced")
    func generate() {
        let base = "{title: A, id: ra, name: a, detection: {s: {eventName: A}, condition: s}}\n---\n{title: B, id: rb, name: b, detection: {s: {eventName: B}, condition: s}}\n"
        let sequence = "title: S\nid: s\ncorrelation: {type: temporal_ordered, rules: [a, b], timespan: 5m}\n"
        let events = [#"{"eventName":"A","eventID":"1","eventTime":"\#(time(0))"}"#, #"{"eventName":"B","eventID":"2","eventTime":"\#(time(1))"}"#]
        let kept = RuleLoader.load(files: [("x.yml", base + "---\n" + sequence + "generate: true\n")]).rules
        #expect(correlate(kept, events).map(\.ruleID).sorted() == ["ra", "rb", "s"])
        let silenced = RuleLoader.load(files: [("x.yml", base + "---\n" + sequence)]).rules
        #expect(correlate(silenced, events).map(\.ruleID) == ["s"])
        let elsewhere = RuleLoader.load(files: [("base.yml", base), ("seq.yml", sequence)]).rules
        #expect(correlate(elsewhere, events).map(\.ruleID).sorted() == ["ra", "rb", "s"])
    }

    @Test("bad correlations are reported with file, line and rule id; the rest still loads")
    func diagnostics() {
        let text = """
            {title: A, id: ra, name: a, detection: {s: {eventName: A}, condition: s}}
            ---
            title: Unknown reference
            id: bad-ref
            correlation:
              type: temporal_ordered
              rules:
                - a
                - nowhere
              timespan: 5m
            ---
            title: Upper bound
            id: bad-bound
            correlation: {type: event_count, rules: [a], timespan: 5m, condition: {lt: 3}}
            ---
            title: Sum
            id: bad-type
            correlation: {type: value_sum, rules: [a], timespan: 5m}
            ---
            title: No timespan
            id: bad-span
            correlation: {type: temporal, rules: [a]}
            """
        let loaded = load(text)
        #expect(loaded.rules.map(\.id) == ["ra"])
        let errors = loaded.errors.map { "\($0.line) \($0.ruleID ?? "-") \($0.message)" }
        #expect(errors.contains { $0.hasPrefix("9 bad-ref") && $0.contains("'nowhere'") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("14 bad-bound") && $0.contains("'lt' is not supported") }, "\(errors)")
        #expect(errors.contains { $0.hasPrefix("18 bad-type") && $0.contains("value_sum") }, "\(errors)")
        #expect(errors.contains { $0.contains("bad-span") && $0.contains("no timespan") }, "\(errors)")
    }
}
