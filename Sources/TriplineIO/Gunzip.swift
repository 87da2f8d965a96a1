import CZlib

/// gzip decompression straight on zlib, into a caller-owned buffer that is reused from file to file.
///
/// Handles multi-member files (concatenated gzip streams, which `cat a.gz b.gz` and some log shippers produce),
/// reports truncation instead of returning partial data silently, and caps the output so a small hostile file
/// cannot expand into all of memory.
public struct Gunzip {
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public var message: String
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

    /// Decompresses `input` (one or more gzip members) into `output`, replacing its contents.
    public func decompress(_ input: UnsafeBufferPointer<UInt8>, into output: inout [UInt8]) throws(Failure) {
        output.removeAll(keepingCapacity: true)
        guard !input.isEmpty else { return }
        var stream = z_stream()
        // 15 + 16: gzip wrapper only (CloudTrail delivers gzip; zlib-wrapped data is not a log file).
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw Failure(message: "zlib could not be initialised")
        }
        defer { inflateEnd(&stream) }

        var consumed = 0
        var produced = 0
        if output.capacity < input.count * 6 { output.reserveCapacity(min(input.count * 8, maxOutput)) }
        while true {
            // Grow the output geometrically; zlib writes straight into the array's storage.
            if produced == output.count {
                let grow = max(64 * 1024, output.count)
                guard output.count < maxOutput else {
                    throw Failure(message: "decompressed size exceeds the \(maxOutput >> 20) MiB limit")
                }
                output.append(contentsOf: repeatElement(0, count: min(grow, maxOutput - output.count)))
            }
            let status: Int32 = output.withUnsafeMutableBufferPointer { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress! + consumed)
                stream.avail_in = UInt32(min(input.count - consumed, Int(UInt32.max)))
                stream.next_out = out.baseAddress! + produced
                stream.avail_out = UInt32(min(out.count - produced, Int(UInt32.max)))
                let before = (stream.avail_in, stream.avail_out)
                let s = inflate(&stream, Z_NO_FLUSH)
                consumed += Int(before.0 - stream.avail_in)
                produced += Int(before.1 - stream.avail_out)
                return s
            }
            switch status {
            case Z_STREAM_END:
                // Another member may follow (skip any zero padding some tools append).
                var next = consumed
                while next < input.count && input[next] == 0 { next += 1 }
                if next >= input.count {
                    output.removeSubrange(produced...)
                    return
                }
                guard next + 1 < input.count, input[next] == 0x1F, input[next + 1] == 0x8B else {
                    output.removeSubrange(produced...)
                    throw Failure(message: "unexpected data after the gzip stream at byte \(next)")
                }
                consumed = next
                inflateReset(&stream)
            case Z_OK, Z_BUF_ERROR:
                if consumed >= input.count && (produced < output.count || status == Z_BUF_ERROR) {
                    output.removeSubrange(produced...)  // keep what was decoded: complete records before the cut
                    throw Failure(message: "truncated gzip: input ended after \(input.count) bytes (\(produced) bytes decompressed)")
                }
            case Z_DATA_ERROR:
                let reason = stream.msg.map { String(cString: $0) } ?? "invalid data"
                output.removeSubrange(produced...)
                throw Failure(message: "corrupt gzip at byte \(consumed): \(reason)")
            case Z_MEM_ERROR:
                throw Failure(message: "out of memory while decompressing")
            default:
                throw Failure(message: "gzip error \(status)")
            }
        }
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
