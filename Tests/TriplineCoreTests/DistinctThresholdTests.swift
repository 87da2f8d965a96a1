import Testing
import TriplineJSON
import TriplineRules
import TriplineTestSupport
@testable import TriplineCore

/// `threshold.distinct`: counting the different values read (SSM parameters), not the calls.
@Suite("Distinct thresholds")
struct DistinctThresholdTests {
    static let base = 1_740_830_400

    static let harvest = rule("harvest", "s:\n  eventSource: ssm.amazonaws.com\n  eventName: [GetParameter, GetParameters]\ncondition: s",
                              extra: "threshold: {count: 5, window: 60m, group_by: [userIdentity.arn], distinct: [requestParameters.name, requestParameters.names]}\n")

    /// A read of `names` (one name: GetParameter's `name`; several: GetParameters' `names`) at `base + offset`.
    static func read(_ names: [String], id: String, offset: Int, user: String = "bob") -> JSONDocument {
        let parameters = names.count == 1 && !id.hasPrefix("list")
            ? #""name":"\#(names[0])""#
            : #""names":[\#(names.map { "\"\($0)\"" }.joined(separator: ","))]"#
        let json = #"{"eventName":"\#(names.count == 1 ? "GetParameter" : "GetParameters")","eventSource":"ssm.amazonaws.com","eventID":"\#(id)","eventTime":"\#(EventTime.iso8601(base + offset))","userIdentity":{"arn":"arn:aws:iam::1:user/\#(user)","type":"IAMUser"},"requestParameters":{\#(parameters),"withDecryption":true}}"#
        return try! JSONDocument(parsing: Array(json.utf8))
    }

    /// Alerts through the tally (the scan's path) and through the aggregator on one finding per event (the
    /// other path); both must agree.
    static func alerts(_ events: [JSONDocument], _ r: Rule = harvest) -> (tally: [Finding], aggregated: [Finding]) {
        var tally = ThresholdTally()
        var raw: [Finding] = []
        for (k, d) in events.enumerated() {
            d.withView { view in
                tally.record(0, of: [r], view: view, root: 0, input: InputRef(path: "p", record: k))
                raw.append(Finding(rule: r, view: view, input: InputRef(path: "p", record: k)))
            }
        }
        let aggregator = Aggregator(rules: [r])
        return (aggregator.aggregate([], thresholds: tally, engineRules: [r]), aggregator.aggregate(raw))
    }

    /// Two parameter names chosen so that the fast in-memory hash (`Hashing.words`) gives both the same value:
    /// found in a millisecond by solving its second word (each step of that hash is invertible).
    static let collidingUnderWords = ("user-sbp000A00A0", "user-hxz0xkh3YjU")

    @Test("values chosen to collide under the fast hash still count as two: distinct values use SHA-256")
    func chosenCollision() {
        let (a, b) = Self.collidingUnderWords
        #expect(Hashing.words(a) == Hashing.words(b), "the pair is a collision of the fast hash")
        #expect(Array(a.utf8).withUnsafeBufferPointer(Hashing.strong) != Array(b.utf8).withUnsafeBufferPointer(Hashing.strong))
        // Five parameters read, two of them the chosen pair: the threshold of five distinct values is met.
        let names = [a, b, "/prod/db", "/prod/api", "/prod/token"]
        let events = names.enumerated().map { k, name in Self.read([name], id: "e\(k)", offset: k) }
        let (tally, aggregated) = Self.alerts(events)
        #expect(tally.count == 1 && aggregated.count == 1)
        #expect(tally.first?.count == 5)
    }

    @Test("group-by values chosen to collide under the fast hash stay two groups")
    func chosenGroupCollision() {
        let (a, b) = Self.collidingUnderWords
        let r = rule("burst", "s:\n  eventName: GetParameter\ncondition: s",
                     extra: "threshold: {count: 3, window: 60m, group_by: [requestParameters.name]}\n")
        // Two reads in each group: neither reaches three, together they would.
        let events = [a, b, a, b].enumerated().map { k, name in Self.read([name], id: "g\(k)", offset: k) }
        #expect(Self.alerts(events, r).tally.isEmpty)
    }

    @Test("the loader reads distinct as one path or a list, and refuses an empty one")
    func loading() {
        #expect(Self.harvest.threshold?.distinct.map(\.description) == ["requestParameters.name", "requestParameters.names"])
        let one = rule("one", "s:\n  eventName: GetParameter\ncondition: s",
                       extra: "threshold: {count: 2, window: 5m, distinct: requestParameters.name}\n")
        #expect(one.threshold?.distinct.map(\.description) == ["requestParameters.name"])
        let empty = RuleLoader.load(text: "id: e\ntitle: e\nthreshold: {count: 2, window: 5m, distinct: []}\ndetection:\n  s:\n    eventName: A\n  condition: s\n", path: "e.yml")
        #expect(empty.rules.isEmpty)
        #expect(empty.diagnostics.contains { "\($0)".contains("distinct") })
    }

    @Test("reading the same parameter a hundred times counts once")
    func repeatedReads() {
        let events = (0..<100).map { Self.read(["/prod/db/password"], id: "e\($0)", offset: $0 * 10) }
            + (0..<3).map { Self.read(["/prod/p\($0)"], id: "x\($0)", offset: 1200 + $0) }
        let (tally, aggregated) = Self.alerts(events)
        #expect(tally.isEmpty)  // 4 different parameters: below 5
        #expect(aggregated.isEmpty)
    }

    @Test("each name of a GetParameters call counts: two calls reading five names alert with a count of 5")
    func listsCount() {
        let events = [Self.read(["/a", "/b", "/c"], id: "list1", offset: 0), Self.read(["/c", "/d", "/e"], id: "list2", offset: 60)]
        let (tally, aggregated) = Self.alerts(events)
        #expect(tally.map(\.count) == [5])
        #expect(aggregated.map(\.count) == [5])
        #expect(tally.first?.eventID == "list1")
        // One call fewer: three different names only.
        #expect(Self.alerts([events[0], Self.read(["/a", "/b", "/c"], id: "list3", offset: 60)]).tally.isEmpty)
    }

    @Test("different values outside one window do not add up; groups are counted apart")
    func windowsAndGroups() {
        // Five names, but an hour and more apart pairwise beyond the third.
        let spread = (0..<5).map { Self.read(["/n\($0)"], id: "s\($0)", offset: $0 * 1800) }
        let (t1, a1) = Self.alerts(spread)
        #expect(t1.isEmpty && a1.isEmpty)
        // Five names in ten minutes, split between two users.
        let split = (0..<5).map { Self.read(["/n\($0)"], id: "u\($0)", offset: $0 * 120, user: $0 % 2 == 0 ? "bob" : "eve") }
        #expect(Self.alerts(split).tally.isEmpty)
        // The same five names read by one user.
        let one = (0..<5).map { Self.read(["/n\($0)"], id: "o\($0)", offset: $0 * 120) }
        let (t3, a3) = Self.alerts(one)
        #expect(t3.map(\.count) == [5] && a3.map(\.count) == [5])
    }

    @Test("an event delivered twice, or a matching event without the field, adds nothing")
    func duplicatesAndMissing() {
        let four = (0..<4).map { Self.read(["/n\($0)"], id: "d\($0)", offset: $0) }
        let noName = try! JSONDocument(parsing: Array(#"{"eventName":"GetParameter","eventSource":"ssm.amazonaws.com","eventID":"nn","eventTime":"\#(EventTime.iso8601(Self.base + 10))","userIdentity":{"arn":"arn:aws:iam::1:user/bob"},"requestParameters":{"withDecryption":true}}"#.utf8))
        let (tally, aggregated) = Self.alerts(four + four + [noName])
        #expect(tally.isEmpty && aggregated.isEmpty)
        let (t5, _) = Self.alerts(four + [Self.read(["/n9"], id: "d9", offset: 20)])
        #expect(t5.map(\.count) == [5])
    }

    @Test("a hostile event with 100,000 names records at most 256 matches")
    func bounded() {
        let names = (0..<100_000).map { "\"/p\($0)\"" }.joined(separator: ",")
        let doc = try! JSONDocument(parsing: Array(#"{"eventName":"GetParameters","eventSource":"ssm.amazonaws.com","eventID":"big","eventTime":"2025-03-01T12:00:00Z","userIdentity":{"arn":"a"},"requestParameters":{"names":[\#(names)]}}"#.utf8))
        var tally = ThresholdTally()
        doc.withView { tally.record(0, of: [Self.harvest], view: $0, root: 0, input: InputRef(path: "p", record: 0)) }
        #expect(tally.hitCount == Threshold.maxDistinctPerEvent)
    }

    @Test("compacting as the scan goes gives the same distinct-value alerts as keeping every match")
    func compaction() {
        var random = SplitMix64(seed: 0xD157)
        var alertsSeen = 0
        for trial in 0..<200 {
            let r = rule("t\(trial)", "s:\n  eventName: [GetParameter, GetParameters]\ncondition: s",
                         extra: "threshold: {count: \(2 + random.below(4)), window: \([60, 300, 600][random.below(3)])s, group_by: [userIdentity.arn], distinct: [requestParameters.name, requestParameters.names]}\ndedup_window: \([60, 900][random.below(2)])s\n")
            var events: [(Int, JSONDocument)] = []
            var clock = 0
            for k in 0..<(20 + random.below(150)) {
                clock += [0, 1, 5, 30, 120, 900][random.below(6)]
                let names = (0..<(1 + random.below(3))).map { _ in "/p\(random.below(8))" }
                events.append((clock, Self.read(names, id: "list\(k)", offset: clock, user: random.below(2) == 0 ? "bob" : "eve")))
            }
            var everything = ThresholdTally()
            var compacted = ThresholdTally()
            for (k, (time, d)) in events.enumerated() {
                d.withView { view in
                    everything.record(0, of: [r], view: view, root: 0, input: InputRef(path: "p", record: k))
                    compacted.record(0, of: [r], view: view, root: 0, input: InputRef(path: "p", record: k))
                }
                if random.below(5) == 0 { compacted.compact(before: Self.base + time, rules: [r]) }
            }
            func summary(_ a: [Finding]) -> [String] { a.map { "\($0.dedupKey) \($0.eventTime) \($0.lastEventTime ?? "-") ×\($0.count)" }.sorted() }
            let expected = summary(everything.alerts(rules: [r]))
            #expect(summary(compacted.alerts(rules: [r])) == expected, "trial \(trial)")
            #expect(compacted.lateHits == 0)
            alertsSeen += expected.count
        }
        #expect(alertsSeen > 100)
    }
}
