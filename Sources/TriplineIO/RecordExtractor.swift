import TriplineCore
import TriplineJSON

/// The shapes of input Tripline recognises, detected from content (never from file names).
public enum InputShape: String, Sendable {
    /// `{"Records":[…]}`, what CloudTrail writes to S3.
    case cloudTrailLog
    /// A CloudTrail-Digest file: integrity metadata, no events.
    case digest
    /// One JSON value per line (or several concatenated values).
    case jsonLines
    /// `[event, event, …]`.
    case jsonArray
    /// One CloudTrail event.
    case event
    /// One EventBridge envelope (`detail-type` "AWS API Call via CloudTrail" …) with the record in `detail`.
    case eventBridge
    /// A CloudTrail `LookupEvents` response: `Events[].CloudTrailEvent` holds each record as a JSON string.
    case lookupEvents
    case empty
}

/// A problem with part of an input. The rest of the input (and every other input) is still read.
public struct InputProblem: Error, Sendable, CustomStringConvertible {
    public var path: String
    public var message: String
    public var record: Int?
    public var line: Int?

    public init(path: String, message: String, record: Int? = nil, line: Int? = nil) {
        self.path = path
        self.message = message
        self.record = record
        self.line = line
    }

    public var description: String {
        var location = path
        if let line { location += ":\(line)" } else if let record { location += " record \(record)" }
        return "\(location): \(message)"
    }
}

/// Walks one decoded input and hands each CloudTrail record to a callback as a view over the parse tape, with
/// the record's root node. CloudTrail log files are walked element by element, so one record's tape is all that
/// lives at a time, and a record of the wrong type is reported without losing its neighbours.
public struct RecordExtractor {
    private var parser: JSONParser
    private var innerParser: JSONParser
    private var scratch: [UInt8] = []
    /// The member index of the record being handed out (`JSONView.indexingMembers`), reused record after record.
    private var memberSlots = [Int32](repeating: -1, count: JSONView.memberSlotCount)
    /// Records whose eventTime is absent are still evaluated; this counts what was handed out.
    public private(set) var records = 0

    /// Largest value read as one event (`EventProcessor.maxEvent`); a larger one is skipped and reported.
    public let maxEvent: Int

    public init(maxDepth: Int = 512, maxEvent: Int = Int.max) {
        self.maxEvent = maxEvent
        parser = JSONParser(maxDepth: maxDepth)
        innerParser = JSONParser(maxDepth: maxDepth)
    }

    public typealias RecordHandler = (JSONView, Int, InputRef) -> Void

    /// Extracts every record of `p`, calling `onRecord(view, root, ref)` for each and `onProblem` for each
    /// unreadable part. Returns the detected shape.
    @discardableResult
    public mutating func extract(
        _ p: UnsafeBufferPointer<UInt8>, path: String,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) -> InputShape {
        records = 0
        var i = 0
        if p.count >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF { i = 3 }  // UTF-8 BOM
        i = JSONScan.skipWhitespace(p, i)
        guard i < p.count else { return .empty }
        switch p[i] {
        case UInt8(ascii: "{"):
            return values(p, from: i, path: path, onRecord: onRecord, onProblem: onProblem)
        case UInt8(ascii: "["):
            let end = streamArray(p, at: i, path: path, shape: .jsonArray, onRecord: onRecord, onProblem: onProblem)
            if let end, JSONScan.skipWhitespace(p, end) != p.count {
                onProblem(InputProblem(path: path, message: "unexpected data after the JSON array at byte \(JSONScan.skipWhitespace(p, end))"))
            }
            return .jsonArray
        case _ where (0x20...0x7E).contains(p[i]) && JSONScan.skipToLine(p, i) < p.count:
            // Text whose first line is not JSON: JSON Lines with a bad first line (reported, the rest read).
            return values(p, from: i, path: path, onRecord: onRecord, onProblem: onProblem)
        default:
            let c = p[i]
            let shown = (0x21...0x7E).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
            onProblem(InputProblem(path: path, message: "not JSON: starts with \(shown) at byte \(i)"))
            return .empty
        }
    }

    /// Classifies one value on its own (`p` holds exactly it, whitespace around allowed) and emits its records.
    /// Unlike `extract`, the record count goes on from earlier calls (`resetCount` starts it again): this is how
    /// `RecordStream` hands over the values of a streamed input one at a time.
    mutating func extractValue(
        _ p: UnsafeBufferPointer<UInt8>, path: String, line: Int?,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) throws(JSONError) -> InputShape {
        try parser.parseDocument(p)
        return item(p, at: 0, path: path, line: line, onRecord: onRecord, onProblem: onProblem)
    }

    mutating func resetCount() { records = 0 }

    /// Counts a record that was reported and not handed out (too large, or not JSON).
    mutating func skipRecord() { records += 1 }

    // MARK: CloudTrail log files

    /// How reading a `{"Records":[ … ]}` log ended.
    private enum LogEnd {
        /// The object does not start that way (the general path reads it).
        case notALog
        /// The log closed at this offset: more may follow (concatenated logs).
        case closed(Int)
        /// The rest of the input is unreadable (reported).
        case broken
    }

    /// Fast path for `{"Records":[ … ]}`: if the first key is `Records`, stream its elements.
    private mutating func streamRecordsMember(
        _ p: UnsafeBufferPointer<UInt8>, at start: Int, path: String,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) -> LogEnd {
        var i = JSONScan.skipWhitespace(p, start + 1)
        guard i < p.count, p[i] == UInt8(ascii: "\"") else { return .notALog }
        let key = Array("Records".utf8)
        guard i + 1 + key.count < p.count, p[i + 1 + key.count] == UInt8(ascii: "\"") else { return .notALog }
        for k in 0..<key.count where p[i + 1 + k] != key[k] { return .notALog }
        i = JSONScan.skipWhitespace(p, i + 2 + key.count)
        guard i < p.count, p[i] == UInt8(ascii: ":") else { return .notALog }
        i = JSONScan.skipWhitespace(p, i + 1)
        guard i < p.count, p[i] == UInt8(ascii: "[") else { return .notALog }
        guard let end = streamArray(p, at: i, path: path, shape: .cloudTrailLog, onRecord: onRecord, onProblem: onProblem) else {
            return .broken
        }
        // The rest of the object: other members are allowed (and ignored); the object must close properly.
        var j = JSONScan.skipWhitespace(p, end)
        while j < p.count && p[j] == UInt8(ascii: ",") {
            j = JSONScan.skipWhitespace(p, j + 1)
            do throws(JSONError) {
                let afterKey = try skipKey(p, j)
                j = JSONScan.skipWhitespace(p, try parser.parseValue(p, at: afterKey))
            } catch {
                onProblem(InputProblem(path: path, message: "after the Records array: \(error)"))
                return .broken
            }
        }
        guard j < p.count, p[j] == UInt8(ascii: "}") else {
            onProblem(InputProblem(path: path, message: "the log file's top-level object is not closed (truncated file?) at byte \(j)"))
            return .broken
        }
        return .closed(j + 1)
    }

    private func skipKey(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) throws(JSONError) -> Int {
        guard i < p.count, p[i] == UInt8(ascii: "\"") else { throw JSONError(.expectedKey, at: i) }
        let (close, _) = try JSONScan.scanString(p, i + 1)
        let j = JSONScan.skipWhitespace(p, close + 1)
        guard j < p.count, p[j] == UInt8(ascii: ":") else { throw JSONError(.expectedColon, at: j) }
        return JSONScan.skipWhitespace(p, j + 1)
    }

    /// Streams the elements of the array at `start`, each parsed on its own. Returns the offset after `]`, or nil
    /// if the array is malformed (reported).
    private mutating func streamArray(
        _ p: UnsafeBufferPointer<UInt8>, at start: Int, path: String, shape: InputShape,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) -> Int? {
        var i = JSONScan.skipWhitespace(p, start + 1)
        if i < p.count && p[i] == UInt8(ascii: "]") { return i + 1 }
        while true {
            let index = records
            let end: Int
            do throws(JSONError) {
                end = try parser.parseValue(p, at: i)
            } catch {
                onProblem(InputProblem(path: path, message: "\(error); the rest of the file is unreadable", record: index))
                return nil
            }
            if end - i > maxEvent {
                records += 1
                onProblem(InputProblem(path: path, message: "larger than the \(RecordExtractor.limitText(maxEvent)) per-event limit; skipped",
                                       record: index))
            } else {
                item(p, at: 0, path: path, onRecord: onRecord, onProblem: onProblem)
            }
            i = JSONScan.skipWhitespace(p, end)
            guard i < p.count else {
                onProblem(InputProblem(path: path, message: "unexpected end of input after this record (truncated file?)", record: index))
                return nil
            }
            if p[i] == UInt8(ascii: ",") {
                i = JSONScan.skipWhitespace(p, i + 1)
            } else if p[i] == UInt8(ascii: "]") {
                return i + 1
            } else {
                onProblem(InputProblem(path: path, message: "expected ',' or ']' after this record at byte \(i)", record: index))
                return nil
            }
        }
    }

    // MARK: Everything else

    /// One or more top-level values (a single document, JSON Lines, or concatenated JSON). A value that fails
    /// to parse is reported with its line, and reading resumes at the next line.
    private mutating func values(
        _ p: UnsafeBufferPointer<UInt8>, from start: Int, path: String,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) -> InputShape {
        var i = start
        var line = 1
        var counted = 0  // newlines counted up to this offset
        var shape: InputShape = .empty
        var valuesSeen = 0
        while i < p.count {
            while counted < i {
                if p[counted] == 0x0A { line += 1 }
                counted += 1
            }
            if p[i] == UInt8(ascii: "{") {
                // A CloudTrail log, streamed element by element; several may follow each other (`zcat a.gz b.gz`).
                switch streamRecordsMember(p, at: i, path: path, onRecord: onRecord, onProblem: onProblem) {
                case .closed(let end):
                    valuesSeen += 1
                    if shape == .empty { shape = .cloudTrailLog }
                    i = JSONScan.skipWhitespace(p, end)
                    continue
                case .broken:
                    return shape == .empty ? .cloudTrailLog : shape
                case .notALog:
                    break
                }
            }
            do throws(JSONError) {
                let end = try parser.parseValue(p, at: i)
                valuesSeen += 1
                let next = JSONScan.skipWhitespace(p, end)
                let single = valuesSeen == 1 && next == p.count
                if end - i > maxEvent {
                    records += 1
                    onProblem(InputProblem(path: path, message: "a value larger than the \(RecordExtractor.limitText(maxEvent)) per-event limit; skipped",
                                           record: single ? records - 1 : nil, line: single ? nil : line))
                } else {
                    let s = item(p, at: 0, path: path, line: single ? nil : line, onRecord: onRecord, onProblem: onProblem)
                    shape = single ? s : shape == .cloudTrailLog ? shape : .jsonLines
                }
                i = next
            } catch {
                valuesSeen += 1
                if shape == .empty { shape = .jsonLines }
                onProblem(InputProblem(path: path, message: "\(error)", line: line))
                // Resume at the next line.
                var j = i
                while j < p.count && p[j] != 0x0A { j += 1 }
                i = JSONScan.skipWhitespace(p, j)
            }
        }
        return shape
    }

    private static let cloudTrailDetailTypes: Set<String> = [
        "AWS API Call via CloudTrail", "AWS Console Signin via CloudTrail", "AWS Console Action via CloudTrail",
        "AWS Service Event via CloudTrail", "AWS Insight via CloudTrail",
    ]

    /// Classifies the value at node `r` of the current tape (over bytes `p`) and emits its records.
    @discardableResult
    private mutating func item(
        _ p: UnsafeBufferPointer<UInt8>, at r: Int, path: String, line: Int? = nil,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) -> InputShape {
        let parser = self.parser  // shares the tape's storage (no copy): classify may mutate self
        return parser.withNodes { n -> InputShape in
            let view = JSONView(bytes: p, nodes: n)
            return classify(view, r, path: path, line: line, onRecord: onRecord, onProblem: onProblem)
        }
    }

    private mutating func classify(
        _ view: JSONView, _ r: Int, path: String, line: Int?,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) -> InputShape {
        let index = records
        guard view.kind(r) == .object else {
            records += 1
            onProblem(InputProblem(path: path, message: "\(article(view.kind(r))), not an object; skipped",
                                   record: index, line: line))
            return .event
        }
        // Plain CloudTrail records (nearly everything) carry none of the keys that mark a container or envelope.
        // Their members are indexed once; the envelope check and everything downstream look keys up through it.
        let plain = memberSlots.withUnsafeMutableBufferPointer { slots -> Bool in
            let indexed = view.indexingMembers(of: r, slots: slots)
            guard !RecordExtractor.hasEnvelopeKey(indexed, r) else { return false }
            records += 1
            onRecord(indexed, r, InputRef(path: path, record: index, line: line))
            return true
        }
        if plain { return .event }
        // A whole CloudTrail log parsed in one piece (Records not the first key).
        if let recordsNode = view.member(of: r, "Records"), view.kind(recordsNode) != .array {
            onProblem(InputProblem(path: path, message: "\"Records\" is \(article(view.kind(recordsNode))), not an array of records; skipped",
                                   line: line))
            return .cloudTrailLog
        }
        if let recordsNode = view.member(of: r, "Records") {
            view.forEachElement(of: recordsNode) { e in
                _ = classify(view, e, path: path, line: line, onRecord: onRecord, onProblem: onProblem)
                return true
            }
            return .cloudTrailLog
        }
        if view.member(of: r, "logFiles") != nil,
            view.member(of: r, "digestStartTime") != nil || view.member(of: r, "digestPublicKeyFingerprint") != nil
        {
            return .digest
        }
        if let typeNode = view.member(of: r, "detail-type"), let detail = view.member(of: r, "detail") {
            let type = view.string(typeNode) ?? ""
            guard RecordExtractor.cloudTrailDetailTypes.contains(type), view.kind(detail) == .object else {
                records += 1
                onProblem(InputProblem(path: path, message: "EventBridge event of type '\(type)' is not a CloudTrail record; skipped",
                                       record: index, line: line))
                return .eventBridge
            }
            records += 1
            onRecord(view, detail, InputRef(path: path, record: index, line: line))
            return .eventBridge
        }
        if let events = view.member(of: r, "Events"), view.kind(events) == .array {
            view.forEachElement(of: events) { e in
                lookupEvent(view, e, path: path, line: line, onRecord: onRecord, onProblem: onProblem)
                return true
            }
            return .lookupEvents
        }
        if view.member(of: r, "CloudTrailEvent") != nil {
            lookupEvent(view, r, path: path, line: line, onRecord: onRecord, onProblem: onProblem)
            return .lookupEvents
        }
        records += 1
        onRecord(view, r, InputRef(path: path, record: index, line: line))
        return .event
    }

    /// Static strings: checking them for every event retains nothing (an array of arrays retained each key).
    private static let envelopeKeys: [StaticString] = ["Records", "logFiles", "detail-type", "Events", "CloudTrailEvent"]

    /// Whether object `r` has a key that `classify` treats specially (log, digest, EventBridge, LookupEvents).
    private static func hasEnvelopeKey(_ view: JSONView, _ r: Int) -> Bool {
        envelopeKeys.contains { key in key.withUTF8Buffer { view.member(of: r, $0) != nil } }
    }

    /// One `LookupEvents` entry: its `CloudTrailEvent` string is a whole record, parsed on its own tape.
    private mutating func lookupEvent(
        _ view: JSONView, _ e: Int, path: String, line: Int?,
        onRecord: RecordHandler, onProblem: (InputProblem) -> Void
    ) {
        let index = records
        records += 1
        guard view.kind(e) == .object, let s = view.member(of: e, "CloudTrailEvent"), view.kind(s) == .string else {
            onProblem(InputProblem(path: path, message: "LookupEvents entry \(index) has no CloudTrailEvent string; skipped",
                                   record: index, line: line))
            return
        }
        scratch = view.withStringBytes(s) { Array($0) }
        let parsed: Bool = scratch.withUnsafeBufferPointer { b in
            do throws(JSONError) {
                try innerParser.parseDocument(b)
                return true
            } catch {
                onProblem(InputProblem(path: path, message: "LookupEvents entry \(index): CloudTrailEvent is not valid JSON: \(error)",
                                       record: index, line: line))
                return false
            }
        }
        guard parsed else { return }
        scratch.withUnsafeBufferPointer { b in
            innerParser.withNodes { n in
                let inner = JSONView(bytes: b, nodes: n)
                if inner.kind(0) == .object {
                    onRecord(inner, 0, InputRef(path: path, record: index, line: line))
                } else {
                    onProblem(InputProblem(path: path, message: "LookupEvents entry \(index): CloudTrailEvent is not an object",
                                           record: index, line: line))
                }
            }
        }
    }

    static func limitText(_ bytes: Int) -> String {
        bytes >= 1 << 20 && bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : "\(bytes)-byte"
    }

    private func article(_ kind: JSONKind) -> String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .true, .false: return "a boolean"
        case .null: return "null"
        }
    }
}
