#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

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
    /// Tape storage, reused between calls. Only the first `count` nodes belong to the last parsed value; the
    /// rest is spare capacity the parser writes into without growing the array node by node.
    private var tape: [JSONNode]
    /// Node indices of the open containers (the parser is iterative: nesting never uses the call stack).
    private var stack: [UInt32]
    /// How many nodes of `tape` the last parsed value uses.
    public private(set) var count = 0

    public init(maxDepth: Int = 512) {
        self.maxDepth = maxDepth
        tape = Array(repeating: JSONNode(kind: .null, flags: 0, a: 0, b: 0), count: 1024)
        stack = Array(repeating: 0, count: 64)
    }

    /// The nodes of the last parsed value (a copy; the hot path uses `withNodes`).
    public var nodes: [JSONNode] { Array(tape[0..<count]) }

    /// Calls `body` with the nodes of the last parsed value, without copying them.
    @inlinable public func withNodes<R>(_ body: (UnsafeBufferPointer<JSONNode>) throws -> R) rethrows -> R {
        try withTape { try body(UnsafeBufferPointer(rebasing: $0[0..<count])) }
    }

    @usableFromInline func withTape<R>(_ body: (UnsafeBufferPointer<JSONNode>) throws -> R) rethrows -> R {
        try tape.withUnsafeBufferPointer(body)
    }

    /// Parses exactly one JSON document filling all of `bytes` (surrounding whitespace allowed).
    public mutating func parseDocument(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) {
        let end = try parseValue(bytes, at: 0)
        let after = JSONScan.skipWhitespace(bytes, end)
        if after != bytes.count { throw JSONError(.trailingCharacters, at: after) }
    }

    /// Parses one value starting at `start` (leading whitespace skipped) and returns the offset just past it.
    /// The tape is replaced with this value's nodes; node 0 is the value itself.
    @discardableResult
    public mutating func parseValue(_ p: UnsafeBufferPointer<UInt8>, at start: Int) throws(JSONError) -> Int {
        guard p.count < Int(UInt32.max) else { throw JSONError(.documentTooLarge, at: 0) }
        count = 0
        // The value is parsed into the tape and stack as they are; when either is too small the parse stops,
        // that buffer doubles and the value is parsed again. Capacity persists, so this happens a few times per
        // parser at most, and the loop below never checks uniqueness or grows an array node by node.
        while true {
            let maxDepth = self.maxDepth
            let outcome = try tape.withUnsafeMutableBufferPointer { (t) throws(JSONError) -> Outcome in
                try stack.withUnsafeMutableBufferPointer { (s) throws(JSONError) -> Outcome in
                    var pass = Pass(p: p, tape: t, stack: s, maxDepth: maxDepth)
                    return try pass.run(from: start)
                }
            }
            switch outcome {
            case .done(let end, let used):
                count = used
                return end
            case .tapeFull:
                tape.append(contentsOf: repeatElement(JSONNode(kind: .null, flags: 0, a: 0, b: 0), count: tape.count))
            case .stackFull:
                stack.append(contentsOf: repeatElement(0, count: stack.count))
            }
        }
    }
}

/// How one attempt at parsing a value into fixed-size buffers ended.
private enum Outcome {
    case done(end: Int, used: Int)
    case tapeFull
    case stackFull
}

/// One attempt at parsing a value into fixed-size buffers: the parser's inner loop, on raw pointers.
private struct Pass {
    let p: UnsafeBufferPointer<UInt8>
    let tape: UnsafeMutableBufferPointer<JSONNode>
    let stack: UnsafeMutableBufferPointer<UInt32>
    let maxDepth: Int
    var used = 0
    var depth = 0

    init(p: UnsafeBufferPointer<UInt8>, tape: UnsafeMutableBufferPointer<JSONNode>, stack: UnsafeMutableBufferPointer<UInt32>,
         maxDepth: Int) {
        self.p = p
        self.tape = tape
        self.stack = stack
        self.maxDepth = maxDepth
    }

    /// Appends a node; false when the tape is full.
    @inline(__always)
    mutating func emit(_ kind: JSONKind, _ flags: UInt8, _ a: Int, _ b: Int) -> Bool {
        guard used < tape.count else { return false }
        tape[used] = JSONNode(kind: kind, flags: flags, a: UInt32(truncatingIfNeeded: a), b: UInt32(truncatingIfNeeded: b))
        used += 1
        return true
    }

    @inline(__always)
    func skipWhitespace(_ i: Int) -> Int {
        // Compact JSON (what CloudTrail writes) has none: test one byte before looping.
        if i < p.count && p[i] > 0x20 { return i }
        return JSONScan.skipWhitespace(p, i)
    }

    mutating func run(from start: Int) throws(JSONError) -> Outcome {
        let n = p.count
        var i = skipWhitespace(start)

        while true {
            // State: a value is expected at i.
            guard i < n else { throw JSONError(.unexpectedEnd, at: i) }
            let c = p[i]
            switch c {
            case UInt8(ascii: "\""):
                let (close, escaped) = try JSONScan.scanString(p, i + 1)
                guard emit(.string, escaped ? JSONNode.hasEscapes : 0, i + 1, close) else { return .tapeFull }
                i = close + 1
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = c == UInt8(ascii: "{")
                if depth >= maxDepth { throw JSONError(.tooDeep, at: i) }
                guard depth < stack.count else { return .stackFull }
                stack[depth] = UInt32(truncatingIfNeeded: used)
                depth += 1
                guard emit(isObject ? .object : .array, 0, 0, 0) else { return .tapeFull }
                i = skipWhitespace(i + 1)
                guard i < n else { throw JSONError(.unexpectedEnd, at: i) }
                if p[i] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    close()
                    // fall through to "after value" handling below
                } else {
                    if isObject {
                        guard let next = try key(i) else { return .tapeFull }
                        i = next
                    }
                    continue
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let end = try JSONScan.scanNumber(p, i)
                guard emit(.number, 0, i, end) else { return .tapeFull }
                i = end
            case UInt8(ascii: "t"):
                guard let end = try literal(i, 0x6575_7274, 4, .true) else { return .tapeFull }  // "true"
                i = end
            case UInt8(ascii: "f"):
                guard let end = try literal(i, 0x6573_6c61, 5, .false) else { return .tapeFull }  // "alse" after f
                i = end
            case UInt8(ascii: "n"):
                guard let end = try literal(i, 0x6c6c_756e, 4, .null) else { return .tapeFull }  // "null"
                i = end
            default:
                throw JSONError(.unexpectedCharacter(c), at: i)
            }

            // State: a value just ended. Close containers or move to the next member.
            while true {
                guard depth > 0 else { return .done(end: i, used: used) }
                let container = Int(stack[depth - 1])
                tape[container].a &+= 1
                i = skipWhitespace(i)
                guard i < n else { throw JSONError(.unexpectedEnd, at: i) }
                let d = p[i]
                let isObject = tape[container].kind == .object
                if d == UInt8(ascii: ",") {
                    i = skipWhitespace(i + 1)
                    if isObject {
                        guard let next = try key(i) else { return .tapeFull }
                        i = next
                    }
                    break
                } else if d == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    i += 1
                    close()
                    continue
                } else {
                    throw JSONError(isObject ? .expectedCommaOrBrace : .expectedCommaOrBracket, at: i)
                }
            }
        }
    }

    @inline(__always)
    mutating func close() {
        depth -= 1
        tape[Int(stack[depth])].b = UInt32(truncatingIfNeeded: used)
    }

    /// Parses `"key" :` and returns the offset of the member's value (nil when the tape is full).
    @inline(__always)
    mutating func key(_ start: Int) throws(JSONError) -> Int? {
        guard start < p.count else { throw JSONError(.unexpectedEnd, at: start) }
        guard p[start] == UInt8(ascii: "\"") else { throw JSONError(.expectedKey, at: start) }
        let (close, escaped) = try JSONScan.scanString(p, start + 1)
        guard emit(.string, escaped ? JSONNode.hasEscapes : 0, start + 1, close) else { return nil }
        var i = close + 1
        if i < p.count && p[i] == UInt8(ascii: ":") { return skipWhitespace(i + 1) }
        i = JSONScan.skipWhitespace(p, i)
        guard i < p.count else { throw JSONError(.unexpectedEnd, at: i) }
        guard p[i] == UInt8(ascii: ":") else { throw JSONError(.expectedColon, at: i) }
        return skipWhitespace(i + 1)
    }

    /// `true`, `false` or `null` at `i`: the four bytes after the first (or, for the 4-letter words, the word
    /// itself) compared as one little-endian word. Returns nil when the tape is full.
    @inline(__always)
    mutating func literal(_ i: Int, _ word: UInt32, _ length: Int, _ kind: JSONKind) throws(JSONError) -> Int? {
        guard i + length <= p.count else { throw JSONError(.invalidLiteral, at: i) }
        let at = UnsafeRawPointer(p.baseAddress!).loadUnaligned(fromByteOffset: i + length - 4, as: UInt32.self)
        guard UInt32(littleEndian: at) == word else { throw JSONError(.invalidLiteral, at: i) }
        guard emit(kind, 0, i, i + length) else { return nil }
        return i + length
    }
}

/// Low-level scanning shared by the parser and by callers that walk a document's outer shape by hand.
public enum JSONScan {
    /// The offset of the next newline at or after `start` (`p.count` when there is none).
    public static func skipToLine(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var i = start
        while i < p.count && p[i] != 0x0A { i += 1 }
        return i
    }

    /// JSON's four whitespace bytes.
    @inline(__always)
    public static func isWhitespace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

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
            i = plainRunEnd(base, i, n)
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

    /// Skips plain string bytes from `i`: returns the offset of the first quote, backslash, control character or
    /// byte ≥ 0x80 at or after `i`, or an offset within 8 bytes of `n` (the caller looks at the rest one byte at a
    /// time). Plain ASCII is nearly all of a CloudTrail record, so this loop is most of the parser's time.
    @inline(__always)
    static func plainRunEnd(_ base: UnsafeRawPointer, _ start: Int, _ n: Int) -> Int {
        var i = start
        #if arch(x86_64)
        // 16 bytes per step with SSE2 (part of every x86-64): one mask bit per special byte, the lowest is the
        // first. A signed compare with 0x20 catches control characters and high-bit bytes (negative) at once.
        let quote = _mm_set1_epi8(0x22), backslash = _mm_set1_epi8(0x5C), space = _mm_set1_epi8(0x20)
        while i + 16 <= n {
            let v = _mm_loadu_si128((base + i).assumingMemoryBound(to: __m128i.self))
            let special = _mm_or_si128(
                _mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)), _mm_cmplt_epi8(v, space))
            let mask = _mm_movemask_epi8(special)
            if mask != 0 { return i + Int(mask.trailingZeroBitCount) }
            i += 16
        }
        #endif
        // 8 bytes per step (SWAR). Borrows can flag bytes above a special one, never below it, so the lowest flag
        // is exact (little-endian load: lowest flag = first byte).
        while i + 8 <= n {
            let x = UInt64(littleEndian: base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            let q = x ^ (ones &* 0x22)
            let b = x ^ (ones &* 0x5C)
            let special = (((q &- ones) & ~q) | ((b &- ones) & ~b) | ((x &- (ones &* 0x20)) & ~x) | x) & highs
            if special != 0 { return i + special.trailingZeroBitCount >> 3 }
            i += 8
        }
        return i
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

    /// The value of one hex digit (either case), or nil.
    @inlinable @inline(__always)
    public static func hexValue(_ c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c &- 0x30)
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return UInt32(c &- 0x57)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return UInt32(c &- 0x37)
        default: return nil
        }
    }
}
