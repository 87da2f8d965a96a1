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

    @Test("folding findings as they come gives the alerts the aggregator gives on every raw finding", arguments: 0..<20)
    func sameAlerts(seed: Int) {
        var rand = Rand(state: UInt64(seed) &+ 17)
        // Two users, so two dedup keys; a 10-minute dedup window; duplicate deliveries; a folded rule and a
        // threshold rule (which the tally passes through untouched).
        let folded = rule("f", "s:\n  eventName: PutBucketPolicy\ncondition: s", extra: "dedup: [userIdentity.arn]\ndedup_window: 10m\n")
        let counted = rule("c", "s:\n  eventName: PutBucketPolicy\ncondition: s",
                           extra: "threshold: {count: 2, window: 5m}\n")
        var raw: [Finding] = []
        for k in 0..<(20 + rand.next(60)) {
            if k > 0 && rand.next(8) == 0 {  // a redelivery: the same event again
                let original = raw[rand.next(raw.count)]
                raw.append(original)
                continue
            }
            let time = EventTime.iso8601(1_740_830_400 + rand.next(4 * 3600))
            let user = rand.next(2) == 0 ? "bob" : "eve"
            let json = #"{"eventName":"PutBucketPolicy","eventSource":"s3.amazonaws.com","eventID":"e\#(k)","eventTime":"\#(time)","userIdentity":{"arn":"arn:aws:iam::1:user/\#(user)"}}"#
            let document = try! JSONDocument(parsing: Array(json.utf8))
            for r in [folded, counted] {
                raw.append(document.withView { Finding(rule: r, view: $0, input: InputRef(path: "p\(k % 3)", record: k)) })
            }
        }

        // Several workers, each folding part of the findings in a shuffled order, merged.
        var shuffled = raw
        for k in shuffled.indices.reversed() { shuffled.swapAt(k, rand.next(k + 1)) }
        var tallies = (0..<3).map { _ in DedupTally(rules: [folded, counted]) }
        for (k, f) in shuffled.enumerated() { tallies[k % 3].add(f) }
        var merged = tallies[0]
        merged.merge(tallies[1])
        merged.merge(tallies[2])
        let viaTally = merged.findings()
        #expect(viaTally.filter { $0.ruleID == "c" }.count == raw.filter { $0.ruleID == "c" }.count)
        #expect(viaTally.filter { $0.ruleID == "f" }.count < raw.filter { $0.ruleID == "f" }.count)

        let aggregator = Aggregator(rules: [folded, counted])
        let expected = aggregator.aggregate(raw)
        let actual = aggregator.aggregate(viaTally)
        func summary(_ f: Finding) -> String { "\(f.ruleID) \(f.dedupKey) \(f.epoch ?? -1) \(f.eventTime) \(f.lastEventTime) \(f.count)" }
        #expect(actual.map(summary) == expected.map(summary))
        // Each alert is one of its window's events: the first one, unless that one was not the first of its
        // dedup-window-long piece of time.
        let epochOf = Dictionary(raw.map { ($0.eventID, $0.epoch ?? 0) }, uniquingKeysWith: { a, _ in a })
        for (a, e) in zip(actual, expected) where a.ruleID == "f" {
            let t = epochOf[a.eventID] ?? -1
            #expect(t >= (e.epoch ?? 0) && t < (e.epoch ?? 0) + 600)
            if (e.epoch ?? 0) % 600 == 0 || a.eventID == e.eventID { continue }
            let firstOfPiece = raw.filter { $0.dedupKey == e.dedupKey && ($0.epoch ?? 0) / 600 == (e.epoch ?? 0) / 600 }
                .map { $0.epoch ?? 0 }.min()
            #expect(firstOfPiece != e.epoch, "the window's first event was the first of its piece, yet not chosen")
        }
    }

    @Test("memory follows alerts: a thousand events of one key in one window keep two findings")
    func bounded() {
        let folded = rule("f", "s:\n  eventName: PutBucketPolicy\ncondition: s", extra: "dedup: [userIdentity.arn]\ndedup_window: 24h\n")
        var tally = DedupTally(rules: [folded])
        for k in 0..<1000 {
            let json = #"{"eventName":"PutBucketPolicy","eventID":"e\#(k)","eventTime":"\#(EventTime.iso8601(1_740_830_400 + k))","userIdentity":{"arn":"arn:aws:iam::1:user/bob"}}"#
            let document = try! JSONDocument(parsing: Array(json.utf8))
            tally.add(document.withView { Finding(rule: folded, view: $0, input: InputRef(path: "p", record: k)) })
        }
        #expect(tally.keptFindings == 2)
        let alerts = tally.findings()
        #expect(alerts.count == 1 && alerts[0].count == 1000 && alerts[0].eventID == "e0")
        #expect(alerts[0].lastEventTime == EventTime.iso8601(1_740_830_400 + 999))
    }
}
