import Synchronization
import TriplineCore

/// The order a scan reads its inputs in, handed out to its workers, and what that order lets the scan forget.
///
/// CloudTrail names each log file after the minute it was delivered. When every input is named so, inputs are
/// read in that order (across accounts and regions; path order would read one region's whole history before the
/// next), and workers hand their threshold matches to a shared tally that closes the windows older than every
/// input still to come or still held, less `lateness` (see `ThresholdTally.compact`). Memory for thresholds then
/// follows the match rate, not the length of the history. Other inputs are read in the order given and every
/// match is kept until the end. Used by local and S3 scans alike.
public final class ScanOrder: Sendable {
    /// How much older than its file's name an event may be and still have its threshold windows counted whole.
    /// CloudTrail delivers most events within minutes of the call; this leaves room for stragglers. Matches that
    /// come later than this are still counted, and reported (`ThresholdTally.lateHits`).
    public static let lateness = 3 * 3600
    /// Threshold matches a worker holds before handing them over to be compacted.
    static let handOff = 1 << 16

    /// Indices into the names given, in reading order.
    private let order: [Int]
    /// Delivery times in reading order, when every input has one.
    private let times: [Int]?

    private struct State {
        var next = 0
        var thresholds = ThresholdTally()
        /// Per worker: the delivery time of the earliest input whose matches it holds (`Int.max`: none).
        var oldestHeld: [Int]
    }
    private let state: Mutex<State>

    public init(names: [String], workers: Int) {
        let named = names.map { CloudTrailFileName.deliveryTime(of: $0) }
        if !names.isEmpty, !named.contains(nil) {
            let times = named.map { $0! }
            order = names.indices.sorted { (times[$0], names[$0]) < (times[$1], names[$1]) }
            self.times = order.map { times[$0] }
        } else {
            order = Array(names.indices)
            times = nil
        }
        state = Mutex(State(oldestHeld: Array(repeating: Int.max, count: max(1, workers))))
    }

    /// The next input for `worker` (an index into the names given), or nil when all are handed out.
    public func next(worker: Int) -> Int? {
        state.withLock { s in
            guard s.next < order.count else { return nil }
            defer { s.next += 1 }
            if let times, s.oldestHeld[worker] == Int.max { s.oldestHeld[worker] = times[s.next] }
            return order[s.next]
        }
    }

    /// After each input: takes the worker's threshold matches when it holds many, or ones that span more than
    /// the lateness (a worker holding old matches would hold back compaction for all), and compacts.
    public func finished(worker: Int, processor: inout EventProcessor, rules: [Rule]) {
        guard let times else { return }
        let held = processor.tallyHits
        // Held since, and the latest input handed out so far.
        let (since, latest) = state.withLock { s in (s.oldestHeld[worker], s.next > 0 ? times[s.next - 1] : Int.min) }
        let handing = held > 0 && (held >= ScanOrder.handOff || latest - since >= ScanOrder.lateness)
        guard held == 0 || handing else { return }
        let tally = processor.takeTally()
        state.withLock { s in
            s.oldestHeld[worker] = Int.max
            guard handing else { return }
            s.thresholds.merge(tally)
            let pending = s.next < times.count ? times[s.next] : Int.max
            let oldest = min(pending, s.oldestHeld.min() ?? Int.max)
            if oldest != Int.max { s.thresholds.compact(before: oldest - ScanOrder.lateness, rules: rules) }
        }
    }

    /// When a worker stops: its remaining matches join the shared tally.
    public func finish(worker: Int, processor: inout EventProcessor) {
        let tally = processor.takeTally()
        state.withLock { s in
            s.oldestHeld[worker] = Int.max
            s.thresholds.merge(tally)
        }
    }

    /// Every threshold match and closed window, once all workers have finished.
    public func thresholds() -> ThresholdTally { state.withLock { $0.thresholds } }

    /// The problem to report when matches broke the lateness promise.
    public static func lateProblem(_ tally: ThresholdTally) -> InputProblem? {
        guard tally.lateHits > 0 else { return nil }
        return InputProblem(path: "", message: "\(tally.lateHits) threshold matches were more than \(lateness / 3600) h "
            + "older than their log file's name; counts around them may be short")
    }
}

/// CloudTrail's log file names: `AccountID_CloudTrail_Region_YYYYMMDDTHHmmZ_Unique.json.gz`, named after the
/// minute of delivery.
public enum CloudTrailFileName {
    /// The delivery time in epoch seconds, or nil when the file is not named like a CloudTrail log. Read from the
    /// bytes: a scan parses every name before its workers start.
    public static func deliveryTime(of path: String) -> Int? {
        var path = path
        return path.withUTF8 { bytes -> Int? in
            let name = bytes.lastIndex(of: UInt8(ascii: "/")).map { UnsafeBufferPointer(rebasing: bytes[($0 + 1)...]) } ?? bytes
            // Fields split by "_": account, CloudTrail (or CloudTrail-Insight), region, time, unique part.
            var fields: [Range<Int>] = []
            var start = 0
            for i in 0...name.count where i == name.count || name[i] == UInt8(ascii: "_") {
                fields.append(start..<i)
                start = i + 1
                if fields.count == 5 { break }
            }
            guard fields.count >= 5 else { return nil }
            let kind = name[fields[1]]
            guard kind.elementsEqual("CloudTrail".utf8) || kind.elementsEqual("CloudTrail-Insight".utf8) else { return nil }
            let stamp = name[fields[3]]  // YYYYMMDDTHHmmZ
            guard stamp.count == 14, stamp[stamp.startIndex + 8] == UInt8(ascii: "T"), stamp.last == UInt8(ascii: "Z")
            else { return nil }
            // Laid out as an event time, so EventTime checks the digits and ranges.
            let digits = Array(stamp)
            var time = Array("YYYY-MM-DDTHH:mm:00".utf8)
            for (to, from) in zip([0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15], [0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12]) {
                time[to] = digits[from]
            }
            return time.withUnsafeBufferPointer(EventTime.epochSeconds)
        }
    }
}
