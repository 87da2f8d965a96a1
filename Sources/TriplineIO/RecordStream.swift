import CZlib
import Glibc
import TriplineJSON

/// A failure reading a streamed input (the read itself, or its gzip layer).
public struct StreamFailure: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// Bytes read in order, a buffer at a time: a file or pipe, bytes already in memory, or either decompressed.
public protocol ByteSource {
    /// Fills the start of `buffer`; returns how many bytes it wrote, 0 at the end of the input.
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> Int
}

/// A file descriptor (file, pipe, FIFO, character device), read as it comes; a few bytes already read from it
/// (to look at its first bytes) are handed out first.
public struct DescriptorSource: ByteSource {
    let fd: Int32
    var head: [UInt8]
    var headUsed = 0

    public init(fd: Int32, head: [UInt8] = []) {
        self.fd = fd
        self.head = head
    }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> Int {
        if headUsed < head.count {
            let n = min(buffer.count, head.count - headUsed)
            head.withUnsafeBytes { buffer.baseAddress!.copyMemory(from: $0.baseAddress! + headUsed, byteCount: n) }
            headUsed += n
            return n
        }
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw StreamFailure("read failed: \(String(cString: strerror(errno)))")
        }
    }
}

/// Bytes already in memory (a gzip object too large to decompress whole). The caller keeps them alive.
public struct MemorySource: ByteSource {
    let bytes: UnsafeBufferPointer<UInt8>
    var at = 0

    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> Int {
        let n = min(buffer.count, bytes.count - at)
        if n > 0 { buffer.baseAddress!.copyMemory(from: bytes.baseAddress! + at, byteCount: n) }
        at += n
        return n
    }
}

/// gzip decompressed as it is read (zlib, 32 KiB window): memory stays constant whatever the expansion.
/// Multi-member files (`cat a.gz b.gz`) are read whole; truncation and corruption are errors, after the bytes
/// decoded before them.
public final class GunzipSource<Inner: ByteSource>: ByteSource {
    private var inner: Inner
    private var stream = z_stream()
    private let input = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
    private var innerEnded = false
    private var memberEnded = false
    /// Compressed bytes consumed, for messages.
    private var consumed = 0
    /// Damage found in the same step as the bytes before it: those are handed out first.
    private var pending: StreamFailure?

    public init(_ inner: Inner) throws(StreamFailure) {
        self.inner = inner
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            input.deallocate()
            throw StreamFailure("zlib could not start")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    private func refill() throws(StreamFailure) {
        guard stream.avail_in == 0, !innerEnded else { return }
        let n = try inner.read(into: input)
        if n == 0 { innerEnded = true }
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: UInt8.self)
        stream.avail_in = UInt32(n)
    }

    public func read(into buffer: UnsafeMutableRawBufferPointer) throws(StreamFailure) -> Int {
        if let pending { throw pending }
        while true {
            if memberEnded {
                // Another member may follow, after any zero padding.
                while true {
                    try refill()
                    while stream.avail_in > 0 && stream.next_in.pointee == 0 {
                        stream.next_in += 1
                        stream.avail_in -= 1
                        consumed += 1
                    }
                    if stream.avail_in > 0 || innerEnded { break }
                }
                if stream.avail_in == 0 { return 0 }
                guard stream.next_in.pointee == 0x1F else {
                    throw StreamFailure("unexpected data after the gzip stream at byte \(consumed)")
                }
                inflateReset(&stream)
                memberEnded = false
            }
            try refill()
            stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: UInt8.self)
            stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
            let before = stream.avail_in
            let status = inflate(&stream, Z_NO_FLUSH)
            consumed += Int(before - stream.avail_in)
            let produced = buffer.count - Int(stream.avail_out)
            switch status {
            case Z_STREAM_END:
                memberEnded = true
                if produced > 0 { return produced }
            case Z_OK:
                if produced > 0 { return produced }
            case Z_BUF_ERROR:
                if produced > 0 { return produced }
                if innerEnded { throw StreamFailure("truncated gzip: input ended after \(consumed) bytes") }
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                let failure = StreamFailure("corrupt gzip at byte \(consumed): \(reason)")
                guard produced > 0 else { throw failure }
                pending = failure
                return produced
            }
            if produced == 0 && stream.avail_in == 0 && innerEnded && !memberEnded {
                throw StreamFailure("truncated gzip: input ended after \(consumed) bytes")
            }
        }
    }
}

/// Walks a streamed input in a window of bounded size and hands each value to the `RecordExtractor`: the
/// elements of a `{"Records":[…]}` log (one after another, so concatenated logs are read whole), of a top-level
/// array, or each value of JSON Lines. Memory follows the largest event, not the input: a value larger than
/// `maxEvent` bytes is skipped (its extent found without keeping it) and reported.
struct RecordStream<Source: ByteSource> {
    var source: Source
    let path: String
    let maxEvent: Int
    private var window: UnsafeMutableBufferPointer<UInt8>
    private var start = 0  // first unconsumed byte
    private var end = 0  // bytes filled
    private var base = 0  // input offset of window[0]
    private var ended = false
    /// Bytes read from the source so far.
    private(set) var bytesRead = 0
    /// Newlines before `start` (counted where lines matter: between top-level values).
    private var line = 1
    private var counted = 0  // window offset up to which `line` is counted

    static var chunk: Int { 1 << 20 }

    init(source: Source, path: String, maxEvent: Int) {
        self.source = source
        self.path = path
        self.maxEvent = maxEvent
        window = .allocate(capacity: maxEvent + Self.chunk)
    }

    func deallocate() { window.deallocate() }

    typealias Problem = (InputProblem) -> Void

    /// Reads the whole input. Returns the shape of its first value (`.empty` when there is none).
    mutating func run(_ extractor: inout RecordExtractor, onRecord: RecordExtractor.RecordHandler,
                      onProblem: Problem) throws(StreamFailure) -> InputShape {
        var shape: InputShape = .empty
        var values = 0
        if try ensure(3), window[0] == 0xEF, window[1] == 0xBB, window[2] == 0xBF { start = 3 }  // UTF-8 BOM
        while try skipWhitespace(countingLines: true) {
            let c = window[start]
            values += 1
            if c == UInt8(ascii: "[") {
                start += 1
                if shape == .empty { shape = .jsonArray }
                guard try elements(&extractor, onRecord: onRecord, onProblem: onProblem) else { return shape }
                continue
            }
            if c == UInt8(ascii: "{"), let afterBracket = try recordsArrayStart() {
                start = afterBracket
                if shape == .empty { shape = .cloudTrailLog }
                guard try elements(&extractor, onRecord: onRecord, onProblem: onProblem),
                    try restOfLog(onProblem: onProblem)
                else { return shape }
                continue
            }
            if values == 1 && c != UInt8(ascii: "{") && !(0x20...0x7E).contains(c) {
                // Not JSON at all (a binary file, /dev/zero): one problem, not one per line of it. Text is read as
                // JSON Lines whose first line is bad.
                let shown = (0x21...0x7E).contains(c) ? "'\(Character(Unicode.Scalar(c)))'" : "byte 0x\(String(c, radix: 16))"
                onProblem(InputProblem(path: path, message: "not JSON: starts with \(shown) at byte \(base + start)"))
                return .empty
            }
            let valueLine = line
            // The value's bytes start at `start` (reading more may move them to the front of the window).
            guard let valueEnd = try scanValue() else {
                onProblem(InputProblem(
                    path: path, message: "a value larger than the \(Self.limitText(maxEvent)) per-event limit; skipped",
                    line: valueLine))
                continue
            }
            let slice = UnsafeBufferPointer(rebasing: window[start..<valueEnd])
            do throws(JSONError) {
                let s = try extractor.extractValue(slice, path: path, line: valueLine, onRecord: onRecord, onProblem: onProblem)
                if shape == .empty { shape = s == .cloudTrailLog || s == .digest || s == .lookupEvents ? s : .jsonLines }
                start = valueEnd
            } catch {
                onProblem(InputProblem(path: path, message: "\(error)", line: valueLine))
                // Resume at the next line.
                while true {
                    while start < end && window[start] != 0x0A { start += 1 }
                    if start < end { break }
                    guard try more() else { break }
                }
            }
        }
        return shape
    }

    /// The elements of an array whose `[` is consumed, through its `]`. False when the rest of the input cannot
    /// be read (reported).
    private mutating func elements(_ extractor: inout RecordExtractor, onRecord: RecordExtractor.RecordHandler,
                                   onProblem: Problem) throws(StreamFailure) -> Bool {
        guard try skipWhitespace() else { return truncated(after: nil, extractor, onProblem) }
        if window[start] == UInt8(ascii: "]") {
            start += 1
            return true
        }
        while true {
            let index = extractor.records
            let at = base + start
            if let valueEnd = try scanValue() {
                let slice = UnsafeBufferPointer(rebasing: window[start..<valueEnd])
                do throws(JSONError) {
                    _ = try extractor.extractValue(slice, path: path, line: nil, onRecord: onRecord, onProblem: onProblem)
                } catch {
                    extractor.skipRecord()
                    onProblem(InputProblem(path: path, message: "at byte \(at): \(error)", record: index))
                }
                start = valueEnd
            } else {
                extractor.skipRecord()
                onProblem(InputProblem(
                    path: path,
                    message: "at byte \(at): larger than the \(Self.limitText(maxEvent)) per-event limit; skipped",
                    record: index))
            }
            guard try skipWhitespace() else { return truncated(after: index, extractor, onProblem) }
            switch window[start] {
            case UInt8(ascii: ","):
                start += 1
                guard try skipWhitespace() else { return truncated(after: index, extractor, onProblem) }
            case UInt8(ascii: "]"):
                start += 1
                return true
            default:
                onProblem(InputProblem(path: path, message: "expected ',' or ']' after this record at byte \(base + start); the rest is unreadable",
                                       record: index))
                return false
            }
        }
    }

    private func truncated(after index: Int?, _ extractor: RecordExtractor, _ onProblem: Problem) -> Bool {
        let what = index == nil ? "inside an array" : "after this record"
        onProblem(InputProblem(path: path, message: "unexpected end of input \(what) (truncated file?)", record: index))
        return false
    }

    /// After a log's Records array: its other members (skipped) and the closing `}`.
    private mutating func restOfLog(onProblem: Problem) throws(StreamFailure) -> Bool {
        while true {
            guard try skipWhitespace() else {
                onProblem(InputProblem(path: path, message: "the log file's top-level object is not closed (truncated file?)"))
                return false
            }
            switch window[start] {
            case UInt8(ascii: "}"):
                start += 1
                return true
            case UInt8(ascii: ","):
                start += 1
                // A key, ':' and a value, each found by its extent; a huge one is passed over, not kept.
                guard try skipWhitespace(), window[start] == UInt8(ascii: "\""), try scanValue() != nil,
                    try skipWhitespace(), window[start] == UInt8(ascii: ":")
                else { break }
                start += 1
                guard try skipWhitespace() else { break }
                _ = try scanValue()
                continue
            default:
                break
            }
            onProblem(InputProblem(path: path, message: "after the Records array: unexpected data at byte \(base + start)"))
            return false
        }
    }

    /// If a `{"Records":[` starts at `start` (whitespace allowed between its tokens), the offset after `[`.
    private mutating func recordsArrayStart() throws(StreamFailure) -> Int? {
        _ = try ensure(256)
        var i = start + 1
        func ws() { while i < end && JSONScan.isWhitespace(window[i]) { i += 1 } }
        ws()
        for b in "\"Records\"".utf8 {
            guard i < end, window[i] == b else { return nil }
            i += 1
        }
        ws()
        guard i < end, window[i] == UInt8(ascii: ":") else { return nil }
        i += 1
        ws()
        guard i < end, window[i] == UInt8(ascii: "[") else { return nil }
        return i + 1
    }

    /// Finds the end of the value at `start` by its structure alone (strings, brackets, braces; validity is the
    /// parser's to judge). Returns its end offset in the window, or nil when it is longer than `maxEvent`: it is
    /// then passed over to its end without being kept, and `start` moves past it.
    private mutating func scanValue() throws(StreamFailure) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        var i = start
        var oversize = false
        let scalar = window[start] != UInt8(ascii: "{") && window[start] != UInt8(ascii: "[") && window[start] != UInt8(ascii: "\"")
        while true {
            while i < end {
                let b = window[i]
                if inString {
                    if escaped {
                        escaped = false
                    } else if b == UInt8(ascii: "\\") {
                        escaped = true
                    } else if b == UInt8(ascii: "\"") {
                        inString = false
                        if depth == 0 {
                            i += 1
                            return finish(i, oversize)
                        }
                    }
                } else if scalar {
                    if JSONScan.isWhitespace(b) || b == UInt8(ascii: ",") || b == UInt8(ascii: "]") || b == UInt8(ascii: "}")
                        || b == UInt8(ascii: "{") || b == UInt8(ascii: "[") || b == UInt8(ascii: "\"")
                    {
                        return finish(i, oversize)
                    }
                } else if b == UInt8(ascii: "\"") {
                    inString = true
                } else if b == UInt8(ascii: "{") || b == UInt8(ascii: "[") {
                    depth += 1
                } else if b == UInt8(ascii: "}") || b == UInt8(ascii: "]") {
                    depth -= 1
                    if depth <= 0 {
                        i += 1
                        return finish(i, oversize)
                    }
                }
                i += 1
            }
            if i - start > maxEvent {
                // Too large to keep: forget what was scanned (it is never parsed) and go on to its end.
                oversize = true
                start = i
            }
            let offset = i - start
            guard try more() else { return finish(end, oversize) }
            i = start + offset
        }
    }

    private mutating func finish(_ i: Int, _ oversize: Bool) -> Int? {
        if oversize || i - start > maxEvent {
            start = i
            return nil
        }
        return i
    }

    /// Skips whitespace; false at the end of the input.
    private mutating func skipWhitespace(countingLines: Bool = false) throws(StreamFailure) -> Bool {
        while true {
            while start < end && JSONScan.isWhitespace(window[start]) { start += 1 }
            if countingLines { countLines() }
            if start < end { return true }
            guard try more() else { return false }
        }
    }

    private mutating func countLines() {
        if counted < start {
            for k in counted..<start where window[k] == 0x0A { line += 1 }
        }
        counted = max(counted, start)
    }

    /// Makes at least `n` bytes available from `start` if the input has them; true when it does.
    private mutating func ensure(_ n: Int) throws(StreamFailure) -> Bool {
        while end - start < n {
            guard try more() else { return false }
        }
        return true
    }

    /// Reads more input into the window, first moving the unconsumed bytes to its front. False at the end.
    private mutating func more() throws(StreamFailure) -> Bool {
        if ended { return false }
        if start > 0 {
            countLines()
            let kept = end - start
            if kept > 0 { window.baseAddress!.update(from: window.baseAddress! + start, count: kept) }
            base += start
            counted -= start
            end = kept
            start = 0
        }
        let room = window.count - end
        precondition(room > 0, "a value longer than the window is passed over, never kept")
        let n = try source.read(into: UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(window)[end...]))
        if n == 0 {
            ended = true
            return false
        }
        end += n
        bytesRead += n
        return true
    }

    static func limitText(_ bytes: Int) -> String { RecordExtractor.limitText(bytes) }
}
