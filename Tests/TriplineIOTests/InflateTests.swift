import CZlib
import Testing

import TriplineIO
import TriplineTestSupport
import TriplineSynth

/// `Gunzip` decodes with Tripline's own inflate. zlib is the oracle: every stream zlib writes must decode to the
/// same bytes, and on damaged input both must agree on whether it is valid.
@Suite("Inflate against zlib")
struct InflateTests {
    /// gzip by zlib with a chosen level and strategy (stored, fixed, Huffman-only and RLE blocks come from these).
    static func zlibGzip(_ data: [UInt8], level: Int32 = 6, strategy: Int32 = Z_DEFAULT_STRATEGY) -> [UInt8] {
        var stream = z_stream()
        #expect(deflateInit2_(&stream, level, Z_DEFLATED, 15 + 16, 8, strategy, ZLIB_VERSION,
                              Int32(MemoryLayout<z_stream>.size)) == Z_OK)
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(data.count))) + 64)
        var input = data
        let produced = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                _ = deflate(&stream, Z_FINISH)
                return out.count - Int(stream.avail_out)
            }
        }
        return Array(output.prefix(produced))
    }

    /// zlib's verdict on one gzip member: its bytes, or nil when zlib reports an error or the input ends early.
    static func zlibGunzip(_ gz: [UInt8], limit: Int = 1 << 24) -> [UInt8]? {
        var stream = z_stream()
        guard inflateInit2_(&stream, 15 + 16, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else { return nil }
        defer { inflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: limit)
        var input = gz
        let (status, produced) = input.withUnsafeMutableBufferPointer { inp in
            output.withUnsafeMutableBufferPointer { out in
                stream.next_in = inp.baseAddress
                stream.avail_in = UInt32(inp.count)
                stream.next_out = out.baseAddress
                stream.avail_out = UInt32(out.count)
                let s = inflate(&stream, Z_FINISH)
                return (s, out.count - Int(stream.avail_out))
            }
        }
        return status == Z_STREAM_END ? Array(output.prefix(produced)) : nil
    }

    static func gunzip(_ gz: [UInt8], maxOutput: Int = 4 << 30) -> Result<[UInt8], Gunzip.Failure> {
        var out: [UInt8] = []
        do {
            try gz.withUnsafeBufferPointer { try Gunzip(maxOutput: maxOutput).decompress($0, into: &out) }
            return .success(out)
        } catch let failure as Gunzip.Failure {
            return .failure(failure)
        } catch {
            fatalError("Gunzip threw \(error), not a Gunzip.Failure")
        }
    }

    /// Inputs that exercise every part of the decoder: literals only, long and short distances (1…15 take the
    /// byte-wise and 8-byte copies), runs, incompressible bytes, and real CloudTrail JSON.
    static let inputs: [(String, [UInt8])] = {
        var r = SplitMix64(seed: 7)
        var out: [(String, [UInt8])] = [("empty", []), ("one byte", [0x41])]
        out.append(("random 100k", (0..<100_000).map { _ in UInt8(truncatingIfNeeded: r.next()) }))
        out.append(("run of one byte", [UInt8](repeating: 0x20, count: 70_000)))
        for period in [2, 3, 5, 7, 8, 9, 15, 16, 17, 31] {
            let unit = (0..<period).map { UInt8(0x61 + $0) }
            out.append(("period \(period)", Array((0..<(40_000 / period)).flatMap { _ in unit })))
        }
        let words = ["eventName", "\"", "{", "}", "arn:aws:iam::123456789012:", "Describe", "s3.amazonaws.com", "é", "\u{1F600}"]
        out.append(("word soup", Array((0..<30_000).map { _ in words[r.below(words.count)] }.joined().utf8)))
        let synth = SynthGenerator(config: SynthConfig(seed: 9, eventsPerFile: 300))
        out.append(("CloudTrail log", synth.logFile(index: 0)))
        // Lengths around the fast path's limits (room for 258 + 16 bytes, 8 bytes of input).
        for n in [1, 7, 8, 9, 16, 255, 258, 273, 274, 275, 300, 531, 4095, 4096, 4097] {
            out.append(("\(n) bytes", (0..<n).map { UInt8(truncatingIfNeeded: $0 * 31 % 7 + 0x30) }))
        }
        return out
    }()

    static let strategies: [(String, Int32, Int32)] = [
        ("stored", 0, Z_DEFAULT_STRATEGY), ("fastest", 1, Z_DEFAULT_STRATEGY), ("default", 6, Z_DEFAULT_STRATEGY),
        ("best", 9, Z_DEFAULT_STRATEGY), ("fixed codes", 6, Z_FIXED), ("Huffman only", 6, Z_HUFFMAN_ONLY),
        ("run-length", 6, Z_RLE), ("filtered", 6, Z_FILTERED),
    ]

    @Test("every zlib stream decodes to its input", arguments: 0..<8)
    func roundTrip(_ strategy: Int) throws {
        let (name, level, kind) = InflateTests.strategies[strategy]
        for (label, data) in InflateTests.inputs {
            let gz = InflateTests.zlibGzip(data, level: level, strategy: kind)
            let decoded = try InflateTests.gunzip(gz).get()
            #expect(decoded == data, "\(name), \(label)")
        }
    }

    @Test("a member larger than its trailer's size hint, and members of different sizes in one file")
    func sizeHints() throws {
        let big = Array(repeating: Array("{\"eventName\":\"GetObject\"}".utf8), count: 20_000).flatMap { $0 }
        let small = Array("tail".utf8)
        // The file's last four bytes promise 4 bytes; the first member is 500 kB.
        let gz = InflateTests.zlibGzip(big) + InflateTests.zlibGzip(small) + InflateTests.zlibGzip([])
        #expect(try InflateTests.gunzip(gz).get() == big + small)
        // Zero padding after the last member is allowed; other bytes are not.
        #expect(try InflateTests.gunzip(gz + [0, 0, 0]).get() == big + small)
        guard case .failure(let failure) = InflateTests.gunzip(gz + [0x41]) else { Issue.record("garbage accepted"); return }
        #expect(failure.message.contains("unexpected data after the gzip stream"))
        // A next member cut inside its header: the members before it are kept, and nothing else.
        var out: [UInt8] = []
        let cut = gz + [0x1F, 0x8B, 8]
        #expect(throws: Gunzip.Failure.self) { try cut.withUnsafeBufferPointer { try Gunzip().decompress($0, into: &out) } }
        #expect(out == big + small)
    }

    @Test("a reused buffer holds exactly the latest file: nothing of a larger earlier one shows through")
    func reusedBuffer() throws {
        let large = InflateTests.inputs.first { $0.0 == "random 100k" }!.1
        let small = Array("{\"Records\":[]}".utf8)
        var out: [UInt8] = []
        let gunzip = Gunzip()
        try InflateTests.zlibGzip(large).withUnsafeBufferPointer { try gunzip.decompress($0, into: &out) }
        #expect(out == large)
        try InflateTests.zlibGzip(small).withUnsafeBufferPointer { try gunzip.decompress($0, into: &out) }
        #expect(out == small)
        // Damage and empty input after a larger file: only what was decoded of this one.
        try InflateTests.zlibGzip(large).withUnsafeBufferPointer { try gunzip.decompress($0, into: &out) }
        let cut = Array(InflateTests.zlibGzip(small + small).dropLast(9))
        #expect(throws: Gunzip.Failure.self) { try cut.withUnsafeBufferPointer { try gunzip.decompress($0, into: &out) } }
        #expect(out.count <= 2 * small.count && (small + small).starts(with: out))
        try [UInt8]().withUnsafeBufferPointer { try gunzip.decompress($0, into: &out) }
        #expect(out.isEmpty)
    }

    @Test("optional header fields: extra, name, comment and header CRC")
    func headerFields() throws {
        let data = Array("{\"Records\":[]}".utf8)
        let plain = InflateTests.zlibGzip(data)
        let body = Array(plain[10...])  // DEFLATE data and trailer
        var header: [UInt8] = [0x1F, 0x8B, 8, 0x04 | 0x08 | 0x10 | 0x02, 0, 0, 0, 0, 0, 3]
        header += [3, 0, 0xAA, 0xBB, 0xCC]  // FEXTRA, 3 bytes
        header += Array("log.json".utf8) + [0]  // FNAME
        header += Array("a comment".utf8) + [0]  // FCOMMENT
        let crc = header.withUnsafeBufferPointer { UInt32(crc32_z(0, $0.baseAddress, z_size_t($0.count))) }
        header += [UInt8(crc & 0xFF), UInt8(crc >> 8 & 0xFF)]
        #expect(try InflateTests.gunzip(header + body).get() == data)
        #expect(InflateTests.zlibGunzip(header + body) == data)
        var badCRC = header
        badCRC[badCRC.count - 1] ^= 1
        guard case .failure(let failure) = InflateTests.gunzip(badCRC + body) else { Issue.record("bad header CRC accepted"); return }
        #expect(failure.message.contains("header crc mismatch"))
        var reserved = plain
        reserved[3] = 0x20
        #expect(throws: Gunzip.Failure.self) { try InflateTests.gunzip(reserved).get() }
    }

    @Test("every truncation fails, keeps only a prefix of the data, and never reads past the end")
    func truncation() throws {
        let data = SynthGenerator(config: SynthConfig(seed: 3, eventsPerFile: 4)).logFile(index: 0)
        for (name, level, kind) in InflateTests.strategies {
            let gz = InflateTests.zlibGzip(data, level: level, strategy: kind)
            // Every cut in the header, the first blocks' tables and the trailer; every 7th byte elsewhere.
            let cuts = Array(1..<min(400, gz.count)) + Array(stride(from: 400, to: gz.count - 12, by: 7))
                + Array(max(400, gz.count - 12)..<gz.count)
            for cut in cuts {
                // A copy of exactly `cut` bytes, so that any read past the end is outside the allocation.
                let prefix = Array(gz[..<cut])
                var out: [UInt8] = []
                #expect(throws: Gunzip.Failure.self, "\(name), cut at \(cut)") {
                    try prefix.withUnsafeBufferPointer { try Gunzip().decompress($0, into: &out) }
                }
                #expect(out.count <= data.count && Array(data.prefix(out.count)) == out, "\(name), cut at \(cut)")
            }
        }
    }

    @Test("damaged streams: valid exactly when zlib says so, and then the same bytes", arguments: 0..<4)
    func corruption(_ seed: Int) {
        var r = SplitMix64(seed: UInt64(seed) &* 1_000_003 &+ 11)
        let sources = [
            SynthGenerator(config: SynthConfig(seed: UInt64(seed), eventsPerFile: 30)).logFile(index: 0),
            Array((0..<3000).map { UInt8(truncatingIfNeeded: $0 * $0 % 251) }),
        ]
        var agreed = 0
        for round in 0..<1500 {
            let (_, level, kind) = InflateTests.strategies[r.below(InflateTests.strategies.count)]
            var gz = InflateTests.zlibGzip(sources[round % sources.count], level: level, strategy: kind)
            // Damage the DEFLATE data, mostly near its start where the block header and code tables are.
            for _ in 0..<(1 + r.below(3)) {
                let span = r.below(4) == 0 ? gz.count - 18 : min(64, gz.count - 18)
                let at = 10 + r.below(span)
                switch r.below(3) {
                case 0: gz[at] ^= UInt8(1 << r.below(8))
                case 1: gz[at] = UInt8(truncatingIfNeeded: r.next())
                default: gz[at] = 0xFF
                }
            }
            let ours = try? InflateTests.gunzip(gz).get()
            let theirs = InflateTests.zlibGunzip(gz)
            #expect(ours == theirs, "round \(round): ours \(ours.map { "\($0.count) bytes" } ?? "error"), zlib \(theirs.map { "\($0.count) bytes" } ?? "error")")
            if ours == theirs { agreed += 1 }
        }
        #expect(agreed == 1500)
    }

    @Test("hand-made streams: single-code and empty distance trees, far distances, invalid symbols")
    func handMade() throws {
        // Fixed-code block: literal 'a' (0x61 → code 0x91, 8 bits), then a match of length 3 at distance 1, end.
        // Written bit by bit (codes most significant bit first, extra bits least significant first).
        func fixedStream(_ symbols: [(code: Int, length: Int)]) -> [UInt8] {
            var bits: [Int] = [1, 1, 0]  // BFINAL = 1, BTYPE = 01 (fixed), least significant bit first
            for s in symbols { for k in stride(from: s.length - 1, through: 0, by: -1) { bits.append(s.code >> k & 1) } }
            var bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
            for (i, b) in bits.enumerated() where b == 1 { bytes[i / 8] |= UInt8(1 << (i % 8)) }
            return bytes
        }
        func wrap(_ deflate: [UInt8], _ data: [UInt8]) -> [UInt8] {
            let crc = data.withUnsafeBufferPointer { UInt32(crc32_z(0, $0.baseAddress, z_size_t($0.count))) }
            let size = UInt32(data.count)
            return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + deflate
                + [0, 8, 16, 24].map { UInt8(crc >> UInt32($0) & 0xFF) } + [0, 8, 16, 24].map { UInt8(size >> UInt32($0) & 0xFF) }
        }
        let a = (code: 0x30 + 0x61, length: 8)
        let length3 = (code: 1, length: 7)  // symbol 257
        let distance1 = (code: 0, length: 5)
        let distance2 = (code: 1, length: 5)
        let end = (code: 0, length: 7)  // symbol 256
        let good = wrap(fixedStream([a, length3, distance1, end]), Array("aaaa".utf8))
        #expect(try InflateTests.gunzip(good).get() == Array("aaaa".utf8))
        #expect(InflateTests.zlibGunzip(good) == Array("aaaa".utf8))
        // Distance 2 after one byte reaches before the start of the data.
        let far = wrap(fixedStream([a, length3, distance2, end]), Array("aaaa".utf8))
        #expect(InflateTests.zlibGunzip(far) == nil)
        guard case .failure(let failure) = InflateTests.gunzip(far) else { Issue.record("far distance accepted"); return }
        #expect(failure.message.contains("invalid distance too far back"))
        // Symbol 286 exists in the fixed code and is invalid.
        let bad = wrap(fixedStream([a, (code: 0xC6, length: 8), end]), Array("a".utf8))
        #expect(InflateTests.zlibGunzip(bad) == nil)
        #expect(throws: Gunzip.Failure.self) { try InflateTests.gunzip(bad).get() }
        // zlib writes a one-code distance tree (incomplete, allowed) for data with a single distance, and an empty
        // one for data without matches: both must decode.
        for data in [Array("abcabc".utf8), Array("ab".utf8), Array(repeating: UInt8(0x61), count: 500)] {
            let gz = InflateTests.zlibGzip(data, level: 9)
            #expect(try InflateTests.gunzip(gz).get() == data)
        }
    }
}
