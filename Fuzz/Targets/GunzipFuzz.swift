import CZlib
import TriplineIO

/// `Gunzip` (our inflate) against zlib on the same bytes: whatever one decodes, the other decodes to the same
/// bytes; what zlib rejects, we reject. Output capped at 1 MiB (bombs are cut, not expanded).
enum GunzipFuzz {
    static let cap = 1 << 20

    static func run(_ p: UnsafeBufferPointer<UInt8>) throws {
        guard let mode = p.first else { return }
        let body = UnsafeBufferPointer(rebasing: p[1...])
        if mode & 1 == 0 {
            try compare(Array(body))
        } else {
            // A raw deflate stream: framed as a gzip member with the trailer zlib's output implies, so that the
            // fuzzer reaches our block decoder without having to forge CRCs.
            var member: [UInt8] = [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 0xFF]
            if let (out, used) = zlibRaw(body) {
                member += body[0..<used]
                member += le32(UInt32(crc32(0, out, UInt32(out.count)))) + le32(UInt32(truncatingIfNeeded: out.count))
            } else {
                member += body
                member += [UInt8](repeating: 0, count: 8)
            }
            try compare(member)
        }
    }

    static func compare(_ input: [UInt8]) throws {
        var ours: [UInt8] = []
        let oursOK = input.withUnsafeBufferPointer { p -> Bool in
            do { try Gunzip(maxOutput: cap).decompress(p, into: &ours); return true } catch { return false }
        }
        let theirs = zlibGunzip(input)
        if oursOK {
            guard let theirs else { throw FuzzFailure("Gunzip accepted \(input.count) bytes that zlib rejects") }
            guard theirs == ours else { throw FuzzFailure("Gunzip and zlib decode differently (\(ours.count) vs \(theirs.count) bytes)") }
        } else if let theirs, theirs.count <= cap / 2 {
            throw FuzzFailure("Gunzip rejected \(input.count) bytes that zlib decodes to \(theirs.count) bytes")
        }
    }

    /// zlib's reading of a gzip file with Gunzip's framing: members back to back, zero padding between them.
    static func zlibGunzip(_ input: [UInt8]) -> [UInt8]? {
        if input.isEmpty { return [] }
        var output: [UInt8] = []
        var at = 0
        while true {
            guard let used = inflate(input, from: at, windowBits: 15 + 16, into: &output) else { return nil }
            at += used
            while at < input.count && input[at] == 0 { at += 1 }
            if at >= input.count { return output }
            guard at + 1 < input.count, input[at] == 0x1F, input[at + 1] == 0x8B else { return nil }
        }
    }

    static func zlibRaw(_ body: UnsafeBufferPointer<UInt8>) -> ([UInt8], Int)? {
        var output: [UInt8] = []
        guard let used = inflate(Array(body), from: 0, windowBits: -15, into: &output) else { return nil }
        return (output, used)
    }

    /// Inflates one stream starting at `from`; returns the input bytes it used, or nil if zlib fails or the
    /// output passes the cap.
    static func inflate(_ input: [UInt8], from: Int, windowBits: Int32, into output: inout [UInt8]) -> Int? {
        var stream = z_stream()
        guard inflateInit2_(&stream, windowBits, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        return input.withUnsafeBufferPointer { inp -> Int? in
            stream.next_in = UnsafeMutablePointer(mutating: inp.baseAddress! + from)
            stream.avail_in = UInt32(inp.count - from)
            while true {
                let status = chunk.withUnsafeMutableBufferPointer { out -> Int32 in
                    stream.next_out = out.baseAddress
                    stream.avail_out = UInt32(out.count)
                    return CZlib.inflate(&stream, Z_NO_FLUSH)
                }
                let produced = chunk.count - Int(stream.avail_out)
                output += chunk[0..<produced]
                if output.count > cap { return nil }
                if status == Z_STREAM_END { return inp.count - from - Int(stream.avail_in) }
                if status != Z_OK { return nil }
                if produced == 0 && stream.avail_in == 0 { return nil }  // truncated
            }
        }
    }

    static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> ($0 * 8)) } }
}
