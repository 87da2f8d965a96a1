/// A strict RFC 8259 parser that writes a flat tape of `JSONNode`s over the input bytes.
///
/// Why a tape: CloudTrail records are read once, probed by a handful of rules at a few paths, and thrown away.
/// Building a tree of heap objects (what Foundation does) costs far more than the probing. The tape is one
/// contiguous array of 12-byte nodes that is reused from record to record, strings stay in the input buffer and
/// are unescaped only when a rule asks for them, and containers know where they end so lookups skip siblings.
///
/// Deliberate choices:
/// - Input must be UTF-8; invalid sequences, overlongs and encoded surrogates are errors.
/// - Control characters (U+0000–U+001F) inside strings are errors, as the RFC requires.
/// - `\u` escapes are checked for four hex digits; a lone surrogate decodes to U+FFFD rather than failing the record.
/// - Nesting deeper than `maxDepth` is an error (never a stack overflow): the parser is iterative.
/// - Documents larger than 4 GiB are rejected (offsets are 32-bit).
public struct JSONParser: Sendable {
    public var maxDepth: Int
    /// The nodes of the last parsed value. Reused between calls to avoid reallocating.
    public private(set) var nodes: [JSONNode] = []
    private var stack: [Frame] = []

    private struct Frame {
        var node: Int
        var count: UInt32
        var isObject: Bool
    }

    public init(maxDepth: Int = 512) {
        self.maxDepth = maxDepth
        nodes.reserveCapacity(1024)
        stack.reserveCapacity(64)
    }

    /// Parses exactly one JSON document filling all of `bytes` (surrounding whitespace allowed).
    public mutating func parseDocument(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) {
        let end = try parseValue(bytes, at: 0)
        let after = JSONScan.skipWhitespace(bytes, end)
        if after != bytes.count { throw JSONError(.trailingCharacters, at: after) }
    }

    /// Parses one value starting at `start` (leading whitespace skipped) and returns the offset just past it.
    /// The tape (`nodes`) is replaced with this value's nodes; node 0 is the value itself.
    @discardableResult
    public mutating func parseValue(_ p: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONError) -> Int {
        guard p.count < Int(UInt32.max) else { throw JSONError(.documentTooLarge, at: 0) }
        nodes.removeAll(keepingCapacity: true)
        stack.removeAll(keepingCapacity: true)
        let n = p.count
        var i = JSONScan.skipWhitespace(p, start)

        while true {
            // State: a value is expected at i.
            guard i < n else { throw JSONError(.unexpectedEnd, at: i) }
            let c = p[i]
            switch c {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = c == UInt8(ascii: "{")
                if stack.count >= maxDepth { throw JSONError(.tooDeep, at: i) }
                stack.append(Frame(node: nodes.count, count: 0, isObject: isObject))
                nodes.append(JSONNode(kind: isObject ? .object : .array, flags: 0, a: 0, b: 0))
                i = JSONScan.skipWhitespace(p, i + 1)
                guard i < n else { throw JSONError(.unexpectedEnd, at: i) }
                if p[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    closeContainer()
                    // fall through to "after value" handling below
                } else {
                    if isObject { i = try parseKey(p, i) }
                    continue
                }
            case UInt8(ascii: "\""):
                i = try parseString(p, i)
            case UInt8(ascii: "t"):
                i = try literal(p, i, JSONScan.trueBytes, .true)
            case UInt8(ascii: "f"):
                i = try literal(p, i, JSONScan.falseBytes, .false)
            case UInt8(ascii: "n"):
                i = try literal(p, i, JSONScan.nullBytes, .null)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                i = try parseNumber(p, i)
            default:
                throw JSONError(.unexpectedCharacter(c), at: i)
            }

            // State: a value just ended. Close containers or move to the next member.
            while true {
                guard !stack.isEmpty else { return i }
                stack[stack.count - 1].count += 1
                i = JSONScan.skipWhitespace(p, i)
                guard i < n else { throw JSONError(.unexpectedEnd, at: i) }
                let d = p[i]
                let isObject = stack[stack.count - 1].isObject
                if d == UInt8(ascii: ",") {
                    i = JSONScan.skipWhitespace(p, i + 1)
                    if isObject { i = try parseKey(p, i) }
                    break
                } else if d == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    closeContainer()
                    continue
                } else {
                    throw JSONError(isObject ? .expectedCommaOrBrace : .expectedCommaOrBracket, at: i)
                }
            }
        }
    }

    @inline(__always)
    private mutating func closeContainer() {
        let frame = stack.removeLast()
        nodes[frame.node].a = frame.count
        nodes[frame.node].b = UInt32(nodes.count)
    }

    /// Parses `"key" :` and leaves `i` at the member's value.
    @inline(__always)
    private mutating func parseKey(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONError) -> Int {
        guard start < p.count else { throw JSONError(.unexpectedEnd, at: start) }
        guard p[start] == UInt8(ascii: "\"") else { throw JSONError(.expectedKey, at: start) }
        var i = try parseString(p, start)
        i = JSONScan.skipWhitespace(p, i)
        guard i < p.count else { throw JSONError(.unexpectedEnd, at: i) }
        guard p[i] == UInt8(ascii: ":") else { throw JSONError(.expectedColon, at: i) }
        return JSONScan.skipWhitespace(p, i + 1)
    }

    @inline(__always)
    private mutating func literal(
        _ p: UnsafeBufferPointer<UInt8>, _ i: Int, _ word: StaticString, _ kind: JSONKind
    ) throws(JSONError) -> Int {
        let len = word.utf8CodeUnitCount
        guard i + len <= p.count else { throw JSONError(.invalidLiteral, at: i) }
        let w = word.utf8Start
        for k in 0..<len where p[i + k] != w[k] { throw JSONError(.invalidLiteral, at: i) }
        nodes.append(JSONNode(kind: kind, flags: 0, a: UInt32(i), b: UInt32(i + len)))
        return i + len
    }

    /// `i` is at the opening quote. Appends a string node (content range, quotes excluded).
    @inline(__always)
    private mutating func parseString(_ p: UnsafeBufferPointer<UInt8>, _ open: Int) throws(JSONError) -> Int {
        let (end, escaped) = try JSONScan.scanString(p, open + 1)
        nodes.append(JSONNode(kind: .string, flags: escaped ? JSONNode.hasEscapes : 0, a: UInt32(open + 1), b: UInt32(end)))
        return end + 1
    }

    private mutating func parseNumber(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONError) -> Int {
        let end = try JSONScan.scanNumber(p, start)
        nodes.append(JSONNode(kind: .number, flags: 0, a: UInt32(start), b: UInt32(end)))
        return end
    }
}

/// Low-level scanning shared by the parser and by callers that walk a document's outer shape by hand.
public enum JSONScan {
    static let trueBytes: StaticString = "true"
    static let falseBytes: StaticString = "false"
    static let nullBytes: StaticString = "null"

    @inline(__always)
    public static func skipWhitespace(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        let n = p.count
        while i < n {
            let c = p[i]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { i += 1 } else { break }
        }
        return i
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080

    /// Scans string content starting just after the opening quote. Returns the offset of the closing quote
    /// and whether any escape was seen. Validates escapes, control characters and UTF-8.
    @inline(__always)
    public static func scanString(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONError) -> (Int, Bool) {
        let n = p.count
        var i = start
        var escaped = false
        let base = UnsafeRawPointer(p.baseAddress!)
        while true {
            // Fast path: skip 8 plain ASCII bytes at a time (no quote, backslash, control or high-bit byte).
            while i + 8 <= n {
                let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                let q = x ^ (ones &* 0x22)
                let b = x ^ (ones &* 0x5C)
                let special =
                    ((q &- ones) & ~q) | ((b &- ones) & ~b) | ((x &- (ones &* 0x20)) & ~x) | x
                if special & highs != 0 { break }
                i += 8
            }
            guard i < n else { throw JSONError(.unterminatedString, at: start - 1) }
            let c = p[i]
            if c == UInt8(ascii: "\"") {
                return (i, escaped)
            } else if c == UInt8(ascii: "\\") {
                escaped = true
                guard i + 1 < n else { throw JSONError(.unterminatedString, at: start - 1) }
                switch p[i + 1] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"),
                    UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    i += 2
                case UInt8(ascii: "u"):
                    guard i + 6 <= n else { throw JSONError(.invalidEscape, at: i) }
                    for k in 2..<6 where hexValue(p[i + k]) == nil { throw JSONError(.invalidEscape, at: i) }
                    i += 6
                default:
                    throw JSONError(.invalidEscape, at: i)
                }
            } else if c < 0x20 {
                throw JSONError(.controlCharacterInString, at: i)
            } else if c < 0x80 {
                i += 1
            } else {
                i = try validateUTF8Sequence(p, i)
            }
        }
    }

    /// Validates one multi-byte UTF-8 sequence starting at `i` (a byte ≥ 0x80) and returns the offset after it.
    @inline(__always)
    static func validateUTF8Sequence(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) throws(JSONError) -> Int {
        let n = p.count
        let c = p[i]
        @inline(__always) func cont(_ k: Int) -> Bool { k < n && p[k] & 0xC0 == 0x80 }
        switch c {
        case 0xC2...0xDF:
            guard cont(i + 1) else { throw JSONError(.invalidUTF8, at: i) }
            return i + 2
        case 0xE0...0xEF:
            guard cont(i + 1), cont(i + 2) else { throw JSONError(.invalidUTF8, at: i) }
            let c1 = p[i + 1]
            if c == 0xE0 && c1 < 0xA0 { throw JSONError(.invalidUTF8, at: i) }  // overlong
            if c == 0xED && c1 >= 0xA0 { throw JSONError(.invalidUTF8, at: i) }  // surrogate
            return i + 3
        case 0xF0...0xF4:
            guard cont(i + 1), cont(i + 2), cont(i + 3) else { throw JSONError(.invalidUTF8, at: i) }
            let c1 = p[i + 1]
            if c == 0xF0 && c1 < 0x90 { throw JSONError(.invalidUTF8, at: i) }  // overlong
            if c == 0xF4 && c1 >= 0x90 { throw JSONError(.invalidUTF8, at: i) }  // > U+10FFFF
            return i + 4
        default:
            throw JSONError(.invalidUTF8, at: i)
        }
    }

    /// Validates an RFC 8259 number starting at `start`; returns the offset after it.
    @inline(__always)
    public static func scanNumber(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) throws(JSONError) -> Int {
        let n = p.count
        var i = start
        @inline(__always) func isDigit(_ k: Int) -> Bool { k < n && p[k] &- 0x30 < 10 }
        if p[i] == UInt8(ascii: "-") { i += 1 }
        guard isDigit(i) else { throw JSONError(.invalidNumber, at: start) }
        if p[i] == UInt8(ascii: "0") {
            i += 1
            if isDigit(i) { throw JSONError(.invalidNumber, at: start) }  // no leading zeros
        } else {
            while isDigit(i) { i += 1 }
        }
        if i < n && p[i] == UInt8(ascii: ".") {
            i += 1
            guard isDigit(i) else { throw JSONError(.invalidNumber, at: start) }
            while isDigit(i) { i += 1 }
        }
        if i < n && (p[i] == UInt8(ascii: "e") || p[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (p[i] == UInt8(ascii: "+") || p[i] == UInt8(ascii: "-")) { i += 1 }
            guard isDigit(i) else { throw JSONError(.invalidNumber, at: start) }
            while isDigit(i) { i += 1 }
        }
        return i
    }

    @inline(__always)
    static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c &- 0x30)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c &- 0x57)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c &- 0x37)
        default: return nil
        }
    }
}
