import TriplineJSON

/// One match as the tallies (`ThresholdTally`, `DedupTally`) keep it: the event's time and a hash of its id
/// (16 bytes). Equal hits are the same event seen twice; sorted hits give a group's windows.
struct TallyHit: Sendable, Comparable {
    var epoch: Int
    var id: UInt64
    static func < (a: TallyHit, b: TallyHit) -> Bool { (a.epoch, a.id) < (b.epoch, b.id) }

    /// The time of the event at `root` in epoch seconds (0 when absent or unreadable).
    static func epoch(_ view: JSONView, _ root: Int) -> Int {
        view.first(Finding.paths.eventTime, from: root)
            .flatMap { view.kind($0) == .string ? view.withStringBytes($0, EventTime.epochSeconds) : nil } ?? 0
    }

    /// `hits` in order, each event once (the same event seen twice counts once).
    static func distinct(_ hits: [TallyHit]) -> [TallyHit] {
        var out: [TallyHit] = []
        out.reserveCapacity(hits.count)
        for h in hits.sorted() where out.last != h { out.append(h) }
        return out
    }
}

/// An event a tally keeps to stand for an alert, as JSON text (cheaper to copy than a finding, and most kept
/// events are replaced before the scan ends), and where it came from.
struct KeptEvent: Sendable {
    var event: [UInt8]
    var input: InputRef

    init(_ view: JSONView, _ root: Int, input: InputRef) {
        event = []
        view.write(root, to: &event)
        self.input = input
    }

    /// The finding `rule` gives on this event (nil only if the kept text no longer parses, which cannot happen).
    func finding(for rule: borrowing Rule) -> Finding? {
        guard let document = try? JSONDocument(parsing: event, maxDepth: .max) else { return nil }
        return document.withView { Finding(rule: rule, view: $0, root: 0, input: input) }
    }
}
