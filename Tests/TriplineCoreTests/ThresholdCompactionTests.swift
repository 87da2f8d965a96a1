import Testing
import TriplineJSON
import TriplineTestSupport
@testable import TriplineCore

/// `ThresholdTally.compact` drops matches during a scan; the alerts must be exactly those of a tally that kept
/// everything, whenever the caller keeps its promise that later matches are not older than the cutoff.
@Suite("Threshold compaction")
struct ThresholdCompactionTests {
    struct Match {
        var epoch: Int
        var id: String
        var group: String
        var arrival: Int  // epoch plus up to `lateness`: matches are recorded in arrival order
    }

    static func record(_ m: Match, into tally: inout ThresholdTally, _ r: Rule, _ k: Int) {
        let time = EventTime.iso8601(m.epoch)
        event("GetObject", id: m.id, time: time, extra: #","grp":"\#(m.group)""#).withView { view in
            tally.record(0, of: [r], view: view, root: 0, input: InputRef(path: "p", record: k))
        }
    }

    static func summary(_ alerts: [Finding]) -> [String] {
        alerts.map { "\($0.dedupKey) \($0.eventTime) \($0.lastEventTime ?? "-") ×\($0.count)" }.sorted()
    }

    @Test("random matches in near order, compacted as they come: the same alerts as keeping every match")
    func sameAlerts() {
        var random = SplitMix64(seed: 0x7A11)
        var compared = 0
        var alertsSeen = 0
        var heldLess = 0
        for trial in 0..<300 {
            let count = 2 + random.below(5)
            let window = [60, 300, 600][random.below(3)]
            let dedup = [60, 900, 3600][random.below(3)]
            let r = rule("t\(trial)", "s:\n  eventName: GetObject\ncondition: s",
                         extra: "threshold: {count: \(count), window: \(window)s, group_by: [grp]}\ndedup_window: \(dedup)s\n")
            let lateness = [0, 30, 300][random.below(3)]
            var matches: [Match] = []
            var clock = 1_740_830_400
            for k in 0..<(20 + random.below(200)) {
                clock += [0, 1, 5, 30, 120, 900][random.below(6)]
                let m = Match(epoch: clock, id: "e\(k)", group: "g\(random.below(3))", arrival: clock + random.below(lateness + 1))
                matches.append(m)
                // The same event delivered twice (within the lateness too).
                if random.below(10) == 0 { matches.append(Match(epoch: m.epoch, id: m.id, group: m.group, arrival: clock + random.below(lateness + 1))) }
            }
            matches.sort { ($0.arrival, $0.id) < ($1.arrival, $1.id) }

            var everything = ThresholdTally()
            var compacted = ThresholdTally()
            var side = ThresholdTally()  // a second worker, merged in before each compaction
            for (k, m) in matches.enumerated() {
                Self.record(m, into: &everything, r, k)
                if random.below(3) == 0 { Self.record(m, into: &side, r, k) } else { Self.record(m, into: &compacted, r, k) }
                if random.below(7) == 0, k + 1 < matches.count {
                    compacted.merge(side)
                    side = ThresholdTally()
                    // Every later match arrives at or after the next arrival, so is no older than this.
                    compacted.compact(before: matches[k + 1].arrival - lateness, rules: [r])
                }
            }
            compacted.merge(side)
            let expected = Self.summary(everything.alerts(rules: [r]))
            #expect(Self.summary(compacted.alerts(rules: [r])) == expected, "trial \(trial)")
            #expect(compacted.lateHits == 0)
            compared += 1
            alertsSeen += expected.count
            if compacted.hitCount < everything.hitCount { heldLess += 1 }
        }
        #expect(compared == 300)
        #expect(alertsSeen > 300)  // the comparison is not between empty lists
        #expect(heldLess > 200)  // and compaction did drop matches
    }

    @Test("a match older than a cutoff already used is recorded and counted as late")
    func lateMatch() {
        let r = rule("t", "s:\n  eventName: GetObject\ncondition: s", extra: "threshold: {count: 2, window: 60s, group_by: [grp]}\n")
        var tally = ThresholdTally()
        Self.record(Match(epoch: 1_740_830_400, id: "a", group: "g", arrival: 0), into: &tally, r, 0)
        tally.compact(before: 1_740_834_000, rules: [r])
        #expect(tally.hitCount == 0 && tally.lateHits == 0)
        Self.record(Match(epoch: 1_740_830_410, id: "b", group: "g", arrival: 0), into: &tally, r, 1)
        #expect(tally.lateHits == 1 && tally.hitCount == 1)
        var other = ThresholdTally()
        Self.record(Match(epoch: 1_740_830_420, id: "c", group: "g", arrival: 0), into: &other, r, 2)
        tally.merge(other)
        #expect(tally.lateHits == 2)
    }
}
