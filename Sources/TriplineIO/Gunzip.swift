import CCRC32
import CZlib

/// gzip decompression into a caller-owned buffer that is reused from file to file.
///
/// Each member is decoded whole by `Inflate` (see there for why it is faster than zlib's `inflate`) and checked
/// with `tripline_crc32` (carry-less multiplies, about three times zlib's `crc32_z`).
/// Handles multi-member files (concatenated gzip streams, which `cat a.gz b.gz` and some log shippers produce),
/// reports truncation and corruption instead of returning partial data silently (the bytes decoded before the
/// damage stay in the buffer: complete records before a cut are still read), and caps the output so a small
/// hostile file cannot expand into all of memory.
public struct Gunzip {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
        /// The output would pass `maxOutput`: the input is not damaged, only too large to decode whole.
        public var overLimit = false
        public var description: String { message }
    }

    /// Largest decompressed size accepted (a guard against decompression bombs).
    public var maxOutput: Int

    public init(maxOutput: Int = 4 << 30) {
        self.maxOutput = maxOutput
    }

    public static func isGzip(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B
    }

    /// Room kept after the expected end of the output, so that the decoder's fast path (which needs room for the
    /// longest match) runs up to the last few hundred bytes.
    private static let slack = 4096

    /// Decompresses `input` (one or more gzip members) into `output`, replacing its contents.
    public func decompress(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) throws(Failure) {
        // The buffer is grown ahead of the decoder; on every exit it keeps only the bytes worth reading: every
        // checked member, and on damage the bytes decoded before it (complete records before a cut). The previous
        // file's bytes are left in place until then, to be overwritten: only growth past them is zero-filled.
        var kept = 0
        defer { if output.count > kept { output.removeSubrange(kept...) } }
        guard !input.isEmpty else { return }
        let tables = Inflate.Tables()
        var member = 0  // input offset of the current member
        var produced = 0  // bytes of the members decoded and checked so far
        // The trailer's ISIZE is the last member's size modulo 2^32: for the usual single-member file, the size.
        // A hint only: a member that does not fit is decoded again into a buffer twice as large.
        var capacity = min(maxOutput, Gunzip.sizeHint(input) + Gunzip.slack)
        while true {
            let data = try header(input, at: member, produced: produced)
            var decoded: (end: Int, output: Int)
            while true {
                if output.count < capacity { output.append(contentsOf: repeatElement(0, count: capacity - output.count)) }
                let start = produced
                let result = output.withUnsafeMutableBufferPointer { out in
                    Inflate.decode(input, from: data, into: UnsafeMutableBufferPointer(rebasing: out[..<capacity]),
                                   at: start, tables: tables)
                }
                switch result {
                case .success(.done(let end, let count)):
                    decoded = (end, count)
                case .success(.outputFull):
                    guard capacity < maxOutput else {
                        throw Failure(message: "decompressed size exceeds the \(maxOutput >> 20) MiB limit", overLimit: true)
                    }
                    capacity = min(maxOutput, max(capacity * 2, 64 * 1024))
                    continue
                case .failure(let failure):
                    kept = failure.output
                    if failure.reason == Inflate.truncated { throw truncated(input, failure.output) }
                    throw Failure(message: "corrupt gzip at byte \(failure.offset): \(failure.reason)")
                }
                break
            }
            // Trailer: CRC-32 and size (mod 2^32) of the member's data.
            guard input.count - decoded.end >= 8 else {
                kept = decoded.output
                throw truncated(input, decoded.output)
            }
            let crc = output.withUnsafeBufferPointer { out in
                tripline_crc32(0, out.baseAddress! + produced, decoded.output - produced)
            }
            guard crc == Gunzip.uint32(input, decoded.end) else {
                throw Failure(message: "corrupt gzip at byte \(decoded.end): incorrect data check")
            }
            guard UInt32(truncatingIfNeeded: decoded.output - produced) == Gunzip.uint32(input, decoded.end + 4) else {
                throw Failure(message: "corrupt gzip at byte \(decoded.end + 4): incorrect length check")
            }
            produced = decoded.output
            kept = produced
            // Another member may follow (skip any zero padding some tools append).
            var next = decoded.end + 8
            while next < input.count && input[next] == 0 { next += 1 }
            if next >= input.count { return }
            guard next + 1 < input.count, input[next] == 0x1F, input[next + 1] == 0x8B else {
                throw Failure(message: "unexpected data after the gzip stream at byte \(next)")
            }
            member = next
            capacity = max(capacity, min(maxOutput, produced + Gunzip.slack))
        }
    }

    private func truncated(_ input: UnsafeBufferPointer<UInt8>, _ produced: Int) -> Failure {
        Failure(message: "truncated gzip: input ended after \(input.count) bytes (\(produced) bytes decompressed)")
    }

    private static func uint32(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        UInt32(p[i]) | UInt32(p[i + 1]) << 8 | UInt32(p[i + 2]) << 16 | UInt32(p[i + 3]) << 24
    }

    /// The size the last member's trailer declares, if a DEFLATE stream could expand to it (at most 1032:1);
    /// otherwise a guess from the input's size.
    private static func sizeHint(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        guard input.count >= 18 else { return 1024 }
        let declared = Int(uint32(input, input.count - 4))
        return declared <= input.count * 1032 ? declared : input.count * 8
    }

    /// Checks the member header at `start` (RFC 1952, 2.3) and returns the offset of its DEFLATE data.
    /// `produced`: bytes of the earlier members, for the message when the header is cut off.
    private func header(_ p: UnsafeBufferPointer<UInt8>, at start: Int, produced: Int) throws(Failure) -> Int {
        let n = p.count
        guard n - start >= 10 else { throw truncated(p, produced) }
        guard p[start] == 0x1F, p[start + 1] == 0x8B else {
            throw Failure(message: "corrupt gzip at byte \(start): incorrect header check")
        }
        guard p[start + 2] == 8 else { throw Failure(message: "corrupt gzip at byte \(start + 2): unknown compression method") }
        let flags = p[start + 3]
        guard flags & 0xE0 == 0 else { throw Failure(message: "corrupt gzip at byte \(start + 3): unknown header flags set") }
        var i = start + 10
        if flags & 0x04 != 0 {  // FEXTRA
            guard n - i >= 2 else { throw truncated(p, produced) }
            i += 2 + (Int(p[i]) | Int(p[i + 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            while i < n && p[i] != 0 { i += 1 }
            i += 1
        }
        if flags & 0x02 != 0 {  // FHCRC: the low 16 bits of the header's CRC-32
            guard n - i >= 2 else { throw truncated(p, produced) }
            let crc = UInt16(truncatingIfNeeded: tripline_crc32(0, p.baseAddress! + start, i - start))
            guard crc == UInt16(p[i]) | UInt16(p[i + 1]) << 8 else {
                throw Failure(message: "corrupt gzip at byte \(i): header crc mismatch")
            }
            i += 2
        }
        guard i < n else { throw truncated(p, produced) }
        return i
    }
}

/// gzip compression (for generated corpora, tests and uploads; CloudTrail itself writes the logs we read).
public enum Gzip {
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        guard deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION,
                            Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return [] }
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 64)
        var produced = 0
        input.withUnsafeBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress)
                stream.avail_in = UInt32(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                _ = deflate(&stream, Z_FINISH)
                produced = out.count - Int(stream.avail_out)
            }
        }
        output.removeSubrange(produced...)
        return output
    }
}
