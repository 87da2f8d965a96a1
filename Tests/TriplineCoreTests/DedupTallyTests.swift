import Testing
@testable import TriplineCore
import TriplineJSON

@Suite("Dedup tally")
struct DedupTallyTests {
    /// A deterministic pseudo-random sequence (tests must be repeatable).
    struct Rand {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int((state >> 33) % UInt64(n))
        }
    }

    static let folded = rule("f", "s:\n  eventName: PutBucketPolicy\ncondition: s", extra: "dedup: [userIdentity.arn]\ndedup_window: 10m\n")

    static func event(_ id: String, epoch: Int, user: String) -> JSONDocument {
        let json = #"{"eventName":"PutBucketPolicy","eventSource":"s3.amazonaws.com","eventID":"\#(id)","eventTime":"\#(EventTime.iso8601(epoch))","userIdentity":{"arn":"arn:aws:iam::1:user/\#(user)"}}"#
        return try! JSONDocument(parsing: Array(json.utf8))
    }

    @Test("folding matches as they come gives the alerts the aggregator gives on one finding per match", arguments: 0..<20)
    func sameAlerts(seed: Int) {
        var rand = Rand(state: UInt64(seed) &+ 17)
        let rule = Self.folded
        // Two users, so two dedup keys, over four hours with a 10-minute window; some events delivered twice.
        var events: [(JSONDocument, InputRef)] = []
        for k in 0..<(20 + rand.next(60)) {
            if k > 0 && rand.next(8) == 0 {
                events.append(events[rand.next(events.count)])
                continue
            }
            let user = rand.next(2) == 0 ? "bob" : "eve"
            events.append((Self.event("e\(k)", epoch: 1_740_830_400 + rand.next(4 * 3600), user: user), InputRef(path: "p\(k % 3)", record: k)))
        }
        let raw = events.map { d, ref in d.withView { Finding(rule: rule, view: $0, input: ref) } }

        // Several workers, each recording part of the matches in a shuffled order, merged.
        var shuffled = events
        for k in shuffled.indices.reversed() { shuffled.swapAt(k, rand.next(k + 1)) }
        var tallies = [DedupTally(), DedupTally(), DedupTally()]
        for (k, (d, ref)) in shuffled.enumerated() {
            d.withView { tallies[k % 3].record(0, of: [rule], view: $0, root: 0, input: ref) }
        }
        var merged = tallies[0]
        merged.merge(tallies[1])
        merged.merge(tallies[2])
        let viaTally = merged.findings(rules: [rule])
        #expect(viaTally.count < raw.count)
        // Built in shards (on several threads in a scan), the same findings.
        let sharded = (0..<3).flatMap { merged.findings(rules: [rule], shard: $0, of: 3) }
        #expect(Set(sharded.map(\.ruleEvent)) == Set(viaTally.map(\.ruleEvent)) && sharded.count == viaTally.count)

        let aggregator = Aggregator(rules: [rule])
        let expected = aggregator.aggregate(raw)
        let actual = aggregator.aggregate(viaTally)
        func summary(_ f: Finding) -> String { "\(f.ruleID) \(f.dedupKey) \(f.epoch ?? -1) \(f.eventTime) \(f.lastEventTime) \(f.count)" }
        #expect(actual.map(summary) == expected.map(summary))
        // Each alert shows one of its window's events: the first, unless that one is not the first of its piece.
        let epochOf = Dictionary(raw.map { ($0.eventID, $0.epoch ?? 0) }, uniquingKeysWith: { a, _ in a })
        for (a, e) in zip(actual, expected) {
            let t = epochOf[a.eventID] ?? -1
            #expect(t >= (e.epoch ?? 0) && t < (e.epoch ?? 0) + 600)
            if a.eventID == e.eventID { continue }
            let firstOfPiece = raw.filter { $0.dedupKey == e.dedupKey && ($0.epoch ?? 0) / 600 == (e.epoch ?? 0) / 600 }
                .map { $0.epoch ?? 0 }.min()
            #expect(firstOfPiece != e.epoch, "the window's first event was the first of its piece, yet not chosen")
        }
    }

    @Test("memory follows alerts: a thousand events of one key in one window keep two events")
    func bounded() {
        let rule = rule("f", "s:\n  eventName: PutBucketPolicy\ncondition: s", extra: "dedup: [userIdentity.arn]\ndedup_window: 24h\n")
        var tally = DedupTally()
        for k in 0..<1000 {
            Self.event("e\(k)", epoch: 1_740_830_400 + k, user: "bob").withView {
                tally.record(0, of: [rule], view: $0, root: 0, input: InputRef(path: "p", record: k))
            }
        }
        #expect(tally.keptEvents == 2)
        let alerts = tally.findings(rules: [rule])
        #expect(alerts.count == 1 && alerts[0].count == 1000 && alerts[0].eventID == "e0")
        #expect(alerts[0].lastEventTime == EventTime.iso8601(1_740_830_400 + 999))
    }

    @Test("findings are built only for the rules asked for; the aggregator asks for sequence steps at any severity")
    func onlyNeededRulesBuilt() {
        let low = rule("low", "s:\n  eventName: PutBucketPolicy\ncondition: s", extra: "severity: low\n")
        let high = rule("high", "s:\n  eventName: PutBucketPolicy\ncondition: s", extra: "severity: high\n")
        var tally = DedupTally()
        Self.event("e", epoch: 1_740_830_400, user: "bob").withView { view in
            for i in 0..<2 { tally.record(i, of: [low, high], view: view, root: 0, input: InputRef(path: "p", record: 0)) }
        }
        #expect(tally.findings(rules: [low, high]).map(\.ruleID).sorted() == ["high", "low"])
        #expect(tally.findings(rules: [low, high], shard: 0, of: 1) { $0.severity >= .high }.map(\.ruleID) == ["high"])

        var sequence = rule("seq", "s:\n  eventName: X\ncondition: s", extra: "severity: critical\n")
        sequence.sequence = RuleSequence(steps: ["low"], window: 60, ordered: true, groupBy: [])
        let aggregator = Aggregator(rules: [low, high, sequence])
        #expect(aggregator.needsFindings(of: high, toAlertAtOrAbove: .high))
        #expect(aggregator.needsFindings(of: low, toAlertAtOrAbove: .critical), "a step of a sequence")
        #expect(!Aggregator(rules: [low, high]).needsFindings(of: low, toAlertAtOrAbove: .medium))
    }
}
