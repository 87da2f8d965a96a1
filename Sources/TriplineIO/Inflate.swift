/// DEFLATE (RFC 1951) decoding of one whole stream into one buffer: what `Gunzip` runs for every log file.
///
/// Why not zlib's `inflate`: zlib is written to stream through a 32 KiB window in small steps, and checks its
/// input and output bounds at every symbol. A CloudTrail file is decoded whole, so the output buffer is the window,
/// and most symbols are decoded far from either end of the buffers, where no check is needed. That is how
/// libdeflate decodes about twice as fast as zlib, and this decoder follows the same plan (1.4× zlib on CloudTrail
/// logs, CRC-32 included):
/// - a 64-bit bit buffer refilled with one unaligned 8-byte load, which gives at least 56 bits: enough for a whole
///   length/distance pair (15 + 5 + 15 + 13 bits) without another refill;
/// - one table lookup per symbol (11 bits for literal/length codes, 8 for distances, a second-level table for
///   longer codes), each entry carrying its kind, value and how many bits it takes with its extra bits;
/// - the next symbol's entry looked up before the refill, so the lookup's latency overlaps the current symbol;
/// - matches copied 16 or 8 bytes at a time into slack at the end of the output, byte by byte only for
///   distances < 8;
/// - a careful path, one byte of input and one checked store at a time, near the ends of either buffer.
///
/// Corrupt or truncated input gives an error and never reads or writes outside the buffers: every distance is
/// checked against the bytes decoded so far, every table is checked for over-subscribed and incomplete codes as
/// zlib checks them, and bits past the end of the input are never used to produce output.
struct Inflate {
    enum Outcome: Equatable {
        /// The stream ended; `input` is the offset just past it, `output` the number of bytes decoded.
        case done(input: Int, output: Int)
        /// The output buffer is too small: decode again into a larger one.
        case outputFull
    }

    /// The reason given when the input ends inside the stream.
    static let truncated = "unexpected end of input (truncated stream)"

    struct Failure: Error, Equatable {
        var reason: String
        /// Input offset the decoder had reached.
        var offset: Int
        /// Output bytes decoded before the failure (all of them valid).
        var output: Int
    }

    // Table sizes. Second-level tables are at most 2^(15 - root) entries, one per distinct root prefix of the
    // long codes: 288 literal/length and 30 distance symbols bound them.
    static let litlenRootBits = 11
    static let distRootBits = 8
    static let precodeRootBits = 7
    static let litlenTableSize = (1 << litlenRootBits) + 288 * (1 << (15 - litlenRootBits))
    static let distTableSize = (1 << distRootBits) + 30 * (1 << (15 - distRootBits))
    static let precodeTableSize = 1 << precodeRootBits

    /// Decode tables: allocated once per `Gunzip.decompress` and rebuilt for every block.
    final class Tables {
        let litlen = UnsafeMutablePointer<UInt32>.allocate(capacity: Inflate.litlenTableSize)
        let dist = UnsafeMutablePointer<UInt32>.allocate(capacity: Inflate.distTableSize)
        let precode = UnsafeMutablePointer<UInt32>.allocate(capacity: Inflate.precodeTableSize)
        /// Code lengths of the current block (literal/length then distance symbols, then precode).
        let lengths = UnsafeMutablePointer<UInt8>.allocate(capacity: 288 + 32 + 19)
        deinit {
            litlen.deallocate()
            dist.deallocate()
            precode.deallocate()
            lengths.deallocate()
        }
    }

    /// Decodes the DEFLATE stream that starts at `input[start]` into `output[outputStart...]`. Distances may reach
    /// back to `outputStart` and no further.
    static func decode(
        _ input: UnsafeBufferPointer<UInt8>, from start: Int,
        into output: UnsafeMutableBufferPointer<UInt8>, at outputStart: Int, tables: Tables
    ) -> Result<Outcome, Failure> {
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else {
            return .failure(Failure(reason: "empty buffer", offset: start, output: outputStart))
        }
        var decoder = Decoder(input: inBase, inEnd: input.count, ip: start, out: outBase, outEnd: output.count,
                              op: outputStart, tables: tables)
        do throws(Decoder.Stop) {
            try decoder.run()
            return .success(.done(input: decoder.position, output: decoder.op))
        } catch {
            switch error {
            case .outputFull: return .success(.outputFull)
            case .failed(let reason):
                return .failure(Failure(reason: reason, offset: min(decoder.ip, input.count), output: decoder.op))
            }
        }
    }
}

// MARK: Table entries

/// A decode table entry (32 bits):
/// - bits 0–7: bits this entry consumes: the code's length plus its extra bits (for a link to a second-level
///   table: the root bits);
/// - bits 8–11: the code's length alone, so that the extra bits are the consumed bits above it (for a link: the
///   second-level table's index bits);
/// - bits 12–14: kind;
/// - bits 16–31: value: the literal byte, the length or distance base, or the second-level table's offset.
private enum Entry {
    static let literal: UInt32 = 0
    static let copy: UInt32 = 1  // length or distance: value + extra bits
    static let link: UInt32 = 2
    static let endOfBlock: UInt32 = 3
    static let invalid: UInt32 = 4

    /// An entry without its code length: what a symbol decodes to (`extra` extra bits).
    @inline(__always) static func template(_ kind: UInt32, value: UInt32 = 0, extra: UInt32 = 0) -> UInt32 {
        value << 16 | kind << 12 | extra
    }

    /// `template` for a code of `length` bits.
    @inline(__always) static func coded(_ template: UInt32, length: Int) -> UInt32 {
        template &+ UInt32(length) << 8 &+ UInt32(length)
    }

    static let invalidEntry = template(invalid)

    @inline(__always) static func kind(_ e: UInt32) -> UInt32 { (e >> 12) & 7 }
    @inline(__always) static func value(_ e: UInt32) -> Int { Int(e >> 16) }
    @inline(__always) static func consumed(_ e: UInt32) -> Int { Int(e & 0xFF) }
    @inline(__always) static func codeLength(_ e: UInt32) -> Int { Int((e >> 8) & 0xF) }

    /// Literal/length symbols 0…287 (286 and 287 exist only in the fixed code and are invalid).
    static let litlen: [UInt32] = {
        let lengthBase: [UInt32] = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99,
                                    115, 131, 163, 195, 227, 258]
        let lengthExtra: [UInt32] = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
        return (0..<288).map { s in
            switch s {
            case 0..<256: return template(literal, value: UInt32(s))
            case 256: return template(endOfBlock)
            case 257...285: return template(copy, value: lengthBase[s - 257], extra: lengthExtra[s - 257])
            default: return invalidEntry
            }
        }
    }()

    /// Distance symbols 0…31 (30 and 31 are invalid).
    static let dist: [UInt32] = (0..<32).map { s in
        guard s < 30 else { return invalidEntry }
        let extra = s < 4 ? 0 : (s >> 1) - 1
        let base = s < 4 ? s + 1 : ((2 | (s & 1)) << extra) + 1
        return template(copy, value: UInt32(base), extra: UInt32(extra))
    }

    /// Code-length symbols 0…18 decode to themselves; the decoder reads their extra bits itself.
    static let precode: [UInt32] = (0..<19).map { template(literal, value: UInt32($0)) }
}

/// Order in which a dynamic block lists the code-length code's lengths (RFC 1951, 3.2.7).
private let precodeOrder: [Int] = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

/// Builds the decode table for the code with lengths `lengths[0..<count]` (0: symbol unused) into `table`. Returns
/// false for an over-subscribed code, or an incomplete one where that is not allowed (zlib allows incomplete
/// literal/length and distance codes only when they consist of a single one-bit code, and an empty code).
private func buildTable(
    _ table: UnsafeMutablePointer<UInt32>, capacity: Int, rootBits: Int,
    lengths: UnsafePointer<UInt8>, count: Int, templates: UnsafePointer<UInt32>, allowIncomplete: Bool
) -> Bool {
    var lengthCount = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    return withUnsafeMutableBytes(of: &lengthCount) { raw -> Bool in
        let counts = raw.bindMemory(to: Int.self)
        for s in 0..<count { counts[Int(lengths[s])] += 1 }
        counts[0] = 0
        // Kraft: how much of the code space is left after each length.
        var left = 1
        var used = 0
        var maxLength = 0
        for len in 1...15 {
            left <<= 1
            left -= counts[len]
            if left < 0 { return false }  // over-subscribed
            used += counts[len]
            if counts[len] > 0 { maxLength = len }
        }
        let rootSize = 1 << rootBits
        if left > 0 {
            guard allowIncomplete, used == 0 || (used == 1 && maxLength == 1) else { return false }
            table.update(repeating: Entry.invalidEntry, count: rootSize)
        }
        // Symbols sorted by (length, symbol): the canonical order in which codes are assigned.
        var offsets = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &offsets) { rawOffsets -> Bool in
            let offset = rawOffsets.bindMemory(to: Int.self)
            for len in 1..<15 { offset[len + 1] = offset[len] + counts[len] }
            return withUnsafeTemporaryAllocation(of: UInt16.self, capacity: 288) { sorted -> Bool in
                for s in 0..<count where lengths[s] != 0 {
                    let len = Int(lengths[s])
                    sorted[offset[len]] = UInt16(s)
                    offset[len] += 1
                }
                var code = 0  // canonical code of the current symbol, most significant bit first
                var len = 1
                var remaining = counts[1]
                var linkPrefix = -1
                var linkStart = 0
                var linkBits = 0
                var next = rootSize  // where the next second-level table goes
                for k in 0..<used {
                    while remaining == 0 {
                        code <<= 1
                        len += 1
                        remaining = counts[len]
                    }
                    remaining -= 1
                    // DEFLATE sends codes most significant bit first into a least-significant-bit-first stream:
                    // the table is indexed by the code's bits reversed.
                    var reversed = 0
                    var c = code
                    for _ in 0..<len {
                        reversed = reversed << 1 | c & 1
                        c >>= 1
                    }
                    let template = templates[Int(sorted[k])]
                    if len <= rootBits {
                        let entry = Entry.coded(template, length: len)
                        var i = reversed
                        while i < rootSize {
                            table[i] = entry
                            i += 1 << len
                        }
                    } else {
                        let prefix = reversed & (rootSize - 1)
                        if prefix != linkPrefix {
                            // A new second-level table: as many index bits as the longest code sharing this prefix.
                            // Codes with one prefix are consecutive in canonical order; they fill the prefix's share
                            // of the code space (2^(15 - root) units, a code of length L taking 2^(15 - L)).
                            var space = 0
                            var j = k
                            var longest = len
                            var jLen = len
                            var jRemaining = remaining + 1
                            while space < 1 << (15 - rootBits) && j < used {
                                while jRemaining == 0 {
                                    jLen += 1
                                    jRemaining = counts[jLen]
                                }
                                space += 1 << (15 - jLen)
                                longest = jLen
                                jRemaining -= 1
                                j += 1
                            }
                            linkPrefix = prefix
                            linkBits = longest - rootBits
                            linkStart = next
                            next += 1 << linkBits
                            guard next <= capacity else { return false }
                            table[prefix] = UInt32(linkStart) << 16 | Entry.link << 12 | UInt32(linkBits) << 8
                                | UInt32(rootBits)
                        }
                        let entry = Entry.coded(template, length: len - rootBits)
                        var i = reversed >> rootBits
                        while i < 1 << linkBits {
                            table[linkStart + i] = entry
                            i += 1 << (len - rootBits)
                        }
                    }
                    code += 1
                }
                return true
            }
        }
    }
}

// MARK: The decoder

private struct Decoder {
    enum Stop: Error {
        case outputFull
        case failed(String)
    }

    let input: UnsafePointer<UInt8>
    let inEnd: Int
    var ip: Int
    /// Bits not yet consumed, least significant first. Bits above `bitCount` are either zero or the next input bits.
    var bitBuffer: UInt64 = 0
    var bitCount = 0
    /// Zero bits appended past the end of the input (the top `phantomBits` of `bitCount`): they may be looked at,
    /// never consumed.
    var phantomBits = 0

    let out: UnsafeMutablePointer<UInt8>
    let outEnd: Int
    var op: Int
    let windowStart: Int
    let tables: Inflate.Tables

    init(input: UnsafePointer<UInt8>, inEnd: Int, ip: Int, out: UnsafeMutablePointer<UInt8>, outEnd: Int, op: Int,
         tables: Inflate.Tables) {
        self.input = input
        self.inEnd = inEnd
        self.ip = ip
        self.out = out
        self.outEnd = outEnd
        self.op = op
        self.windowStart = op
        self.tables = tables
    }

    /// Offset of the first input byte not consumed (after the stream's last block, padded to a byte).
    var position: Int { ip - (bitCount - phantomBits) >> 3 }

    // Bit input.

    /// At least 56 bits, byte by byte; past the end of the input, zero bits that `take` refuses to consume.
    @inline(__always) mutating func refillCareful() {
        while bitCount <= 56 {
            if ip < inEnd {
                bitBuffer |= UInt64(input[ip]) &<< UInt64(bitCount)
                ip += 1
            } else {
                phantomBits += 8
            }
            bitCount += 8
        }
    }

    @inline(__always) func peek(_ n: Int) -> Int { Int(truncatingIfNeeded: bitBuffer & ((1 &<< UInt64(n)) &- 1)) }

    @inline(__always) mutating func drop(_ n: Int) {
        bitBuffer &>>= UInt64(n)
        bitCount &-= n
    }

    /// Consumes `n` bits, refusing bits past the end of the input.
    @inline(__always) mutating func take(_ n: Int) throws(Stop) {
        if n > bitCount - phantomBits { throw .failed(Inflate.truncated) }
        drop(n)
    }

    /// Reads `n` bits (n ≤ 32) on the careful path.
    mutating func bits(_ n: Int) throws(Stop) -> Int {
        if bitCount < n { refillCareful() }
        let v = peek(n)
        try take(n)
        return v
    }

    // Blocks.

    mutating func run() throws(Stop) {
        while true {
            let final = try bits(1)
            switch try bits(2) {
            case 0: try storedBlock()
            case 1:
                try fixedTables()
                try huffmanBlock()
            case 2:
                try dynamicTables()
                try huffmanBlock()
            default: throw .failed("invalid block type")
            }
            if final == 1 {
                // The stream ends at a byte boundary.
                try take((bitCount - phantomBits) & 7)
                return
            }
        }
    }

    mutating func storedBlock() throws(Stop) {
        try take((bitCount - phantomBits) & 7)
        // Back to byte reading: give back the whole bytes still in the bit buffer.
        ip = position
        bitBuffer = 0
        bitCount = 0
        phantomBits = 0
        guard inEnd - ip >= 4 else { throw .failed(Inflate.truncated) }
        let len = Int(input[ip]) | Int(input[ip + 1]) << 8
        let nlen = Int(input[ip + 2]) | Int(input[ip + 3]) << 8
        guard len == nlen ^ 0xFFFF else { throw .failed("invalid stored block lengths") }
        ip += 4
        let available = min(len, inEnd - ip)
        guard outEnd - op >= available else { throw .outputFull }
        (out + op).update(from: input + ip, count: available)
        op += available
        ip += available
        guard available == len else { throw .failed(Inflate.truncated) }
    }

    mutating func fixedTables() throws(Stop) {
        let lengths = tables.lengths
        for s in 0..<288 { lengths[s] = s < 144 ? 8 : s < 256 ? 9 : s < 280 ? 7 : 8 }
        for s in 0..<32 { lengths[288 + s] = 5 }
        try build(literalLengthCount: 288, distanceCount: 32)
    }

    mutating func dynamicTables() throws(Stop) {
        let literalLengthCount = try bits(5) + 257
        let distanceCount = try bits(5) + 1
        let precodeCount = try bits(4) + 4
        guard literalLengthCount <= 286, distanceCount <= 30 else {
            throw .failed("too many length or distance symbols")
        }
        let lengths = tables.lengths
        let precodeLengths = lengths + 288 + 32
        precodeLengths.update(repeating: 0, count: 19)
        for i in 0..<precodeCount { precodeLengths[precodeOrder[i]] = UInt8(try bits(3)) }
        let built = Entry.precode.withUnsafeBufferPointer { templates in
            buildTable(tables.precode, capacity: Inflate.precodeTableSize, rootBits: Inflate.precodeRootBits,
                       lengths: precodeLengths, count: 19, templates: templates.baseAddress!, allowIncomplete: false)
        }
        guard built else { throw .failed("invalid code lengths set") }

        // The literal/length and distance code lengths form one sequence (a repeat may cross from one to the
        // other); they are stored at 0..<n and 288..<288+m.
        let total = literalLengthCount + distanceCount
        var i = 0
        @inline(__always) func store(_ i: Int, _ v: UInt8) {
            lengths[i < literalLengthCount ? i : 288 + i - literalLengthCount] = v
        }
        while i < total {
            if bitCount < 16 { refillCareful() }
            let e = tables.precode[peek(Inflate.precodeRootBits)]
            try take(Entry.consumed(e))
            let symbol = Entry.value(e)
            if symbol < 16 {
                store(i, UInt8(symbol))
                i += 1
                continue
            }
            let value: UInt8
            let repeats: Int
            switch symbol {
            case 16:
                guard i > 0 else { throw .failed("invalid bit length repeat") }
                let previous = i - 1
                value = lengths[previous < literalLengthCount ? previous : 288 + previous - literalLengthCount]
                repeats = 3 + (try bits(2))
            case 17:
                value = 0
                repeats = 3 + (try bits(3))
            default:
                value = 0
                repeats = 11 + (try bits(7))
            }
            guard i + repeats <= total else { throw .failed("invalid bit length repeat") }
            for k in i..<(i + repeats) { store(k, value) }
            i += repeats
        }
        guard lengths[256] != 0 else { throw .failed("invalid code -- missing end-of-block") }
        try build(literalLengthCount: literalLengthCount, distanceCount: distanceCount)
    }

    func build(literalLengthCount: Int, distanceCount: Int) throws(Stop) {
        let lengths = tables.lengths
        let litlenOK = Entry.litlen.withUnsafeBufferPointer { templates in
            buildTable(tables.litlen, capacity: Inflate.litlenTableSize, rootBits: Inflate.litlenRootBits,
                       lengths: lengths, count: literalLengthCount, templates: templates.baseAddress!,
                       allowIncomplete: true)
        }
        guard litlenOK else { throw .failed("invalid literal/lengths set") }
        let distOK = Entry.dist.withUnsafeBufferPointer { templates in
            buildTable(tables.dist, capacity: Inflate.distTableSize, rootBits: Inflate.distRootBits,
                       lengths: lengths + 288, count: distanceCount, templates: templates.baseAddress!,
                       allowIncomplete: true)
        }
        guard distOK else { throw .failed("invalid distances set") }
    }

    /// The symbols of one compressed block, up to its end-of-block code.
    mutating func huffmanBlock() throws(Stop) {
        while true {
            if try fastSymbols() { return }
            if try carefulSymbol() { return }
        }
    }

    /// Symbols far from the ends of both buffers, with the decoder's state in locals (stores through the output
    /// pointer would otherwise make the compiler write it back to memory after every byte). Returns true at the
    /// end-of-block code, false on reaching either end.
    @inline(__always)
    mutating func fastSymbols() throws(Stop) -> Bool {
        let litlen = tables.litlen
        let dist = tables.dist
        let out = self.out
        let input = self.input
        let windowStart = self.windowStart
        // The fast path needs 8 bytes of input for a refill and room for the longest match plus the 8-byte copy's
        // overshoot.
        let fastInputLimit = inEnd - 8
        let fastOutputLimit = outEnd - (258 + 16)
        var buffer = bitBuffer
        var count = bitCount
        var ip = self.ip
        var op = self.op
        defer {
            bitBuffer = buffer
            bitCount = count
            self.ip = ip
            self.op = op
        }
        @inline(__always) func peek(_ n: Int) -> Int { Int(truncatingIfNeeded: buffer & ((1 &<< UInt64(n)) &- 1)) }
        @inline(__always) func drop(_ n: Int) {
            buffer &>>= UInt64(n)
            count &-= n
        }
        @inline(__always) func refill() {
            let word = UInt64(littleEndian: UnsafeRawPointer(input + ip).loadUnaligned(as: UInt64.self))
            buffer |= word &<< UInt64(truncatingIfNeeded: count)
            ip &+= (63 &- count) &>> 3
            count |= 56
        }
        guard ip <= fastInputLimit && op <= fastOutputLimit else { return false }
        // After a refill all 64 bits of the buffer are input (the load covers what `count` does not), and a
        // symbol takes at most 48 of them with its distance: the next symbol's entry is looked up before the next
        // refill, so that the lookup's latency overlaps the rest of the work.
        refill()
        var e = litlen[peek(Inflate.litlenRootBits)]
        while ip <= fastInputLimit && op <= fastOutputLimit {
            refill()
            if Entry.kind(e) == Entry.link {
                drop(Inflate.litlenRootBits)
                e = litlen[Entry.value(e) &+ peek(Entry.codeLength(e))]
            }
            let kind = Entry.kind(e)
            if kind == Entry.literal {
                out[op] = UInt8(truncatingIfNeeded: Entry.value(e))
                op &+= 1
                drop(Entry.consumed(e))
                // A second literal before the next refill (at least 41 bits remain).
                e = litlen[peek(Inflate.litlenRootBits)]
                if Entry.kind(e) == Entry.literal {
                    out[op] = UInt8(truncatingIfNeeded: Entry.value(e))
                    op &+= 1
                    drop(Entry.consumed(e))
                    e = litlen[peek(Inflate.litlenRootBits)]
                }
                continue
            }
            guard kind == Entry.copy else {
                if kind == Entry.endOfBlock {
                    drop(Entry.consumed(e))
                    return true
                }
                throw .failed("invalid literal/length code")
            }
            let length = Entry.value(e) &+ peek(Entry.consumed(e)) &>> Entry.codeLength(e)
            drop(Entry.consumed(e))
            var d = dist[peek(Inflate.distRootBits)]
            if Entry.kind(d) == Entry.link {
                drop(Inflate.distRootBits)
                d = dist[Entry.value(d) &+ peek(Entry.codeLength(d))]
            }
            guard Entry.kind(d) == Entry.copy else { throw .failed("invalid distance code") }
            let distance = Entry.value(d) &+ peek(Entry.consumed(d)) &>> Entry.codeLength(d)
            drop(Entry.consumed(d))
            e = litlen[peek(Inflate.litlenRootBits)]
            guard distance <= op &- windowStart else { throw .failed("invalid distance too far back") }
            // The match, 16 or 8 bytes at a time when each load reads bytes already written (distance ≥ the step);
            // the overshoot lands in room the loop condition keeps and is overwritten later.
            var dst = UnsafeMutableRawPointer(out + op)
            let end = dst + length
            var src = UnsafeRawPointer(dst - distance)
            if distance >= 16 {
                repeat {
                    dst.storeBytes(of: src.loadUnaligned(as: SIMD16<UInt8>.self), as: SIMD16<UInt8>.self)
                    src += 16
                    dst += 16
                } while dst < end
            } else if distance >= 8 {
                repeat {
                    dst.storeBytes(of: src.loadUnaligned(as: UInt64.self), as: UInt64.self)
                    src += 8
                    dst += 8
                } while dst < end
            } else if distance == 1 {
                dst.initializeMemory(as: UInt8.self, repeating: src.load(as: UInt8.self), count: length)
            } else {
                repeat {
                    dst.storeBytes(of: src.load(as: UInt8.self), as: UInt8.self)
                    src += 1
                    dst += 1
                } while dst < end
            }
            op &+= length
        }
        return false
    }

    /// One symbol near the end of the input or output: bits checked against the input's end, stores against the
    /// output's. Returns true at the end-of-block code.
    @inline(never)
    mutating func carefulSymbol() throws(Stop) -> Bool {
        let litlen = tables.litlen
        let dist = tables.dist
        refillCareful()
        var e = litlen[peek(Inflate.litlenRootBits)]
        if Entry.kind(e) == Entry.link {
            try take(Inflate.litlenRootBits)
            e = litlen[Entry.value(e) + peek(Entry.codeLength(e))]
        }
        switch Entry.kind(e) {
        case Entry.literal:
            guard op < outEnd else { throw .outputFull }
            try take(Entry.consumed(e))
            out[op] = UInt8(truncatingIfNeeded: Entry.value(e))
            op += 1
        case Entry.endOfBlock:
            try take(Entry.consumed(e))
            return true
        case Entry.copy:
            let length = Entry.value(e) + peek(Entry.consumed(e)) >> Entry.codeLength(e)
            try take(Entry.consumed(e))
            refillCareful()
            var d = dist[peek(Inflate.distRootBits)]
            if Entry.kind(d) == Entry.link {
                try take(Inflate.distRootBits)
                d = dist[Entry.value(d) + peek(Entry.codeLength(d))]
            }
            guard Entry.kind(d) == Entry.copy else { throw .failed("invalid distance code") }
            let distance = Entry.value(d) + peek(Entry.consumed(d)) >> Entry.codeLength(d)
            try take(Entry.consumed(d))
            guard distance <= op - windowStart else { throw .failed("invalid distance too far back") }
            guard outEnd - op >= length else { throw .outputFull }
            for k in 0..<length { out[op + k] = out[op + k - distance] }
            op += length
        default:
            throw .failed("invalid literal/length code")
        }
        return false
    }
}
