import Foundation
import CCRC32
import Testing
import TriplineTestSupport

/// `tripline_crc32` folds with carry-less multiplies; zlib's `crc32_z` is the oracle.
@Suite("CRC-32 against zlib")
struct CRC32Tests {
    static let bytes: [UInt8] = {
        var random = SplitMix64(seed: 0xC3C3_2024)
        return (0..<70_000).map { _ in UInt8(truncatingIfNeeded: random.next()) }
    }()

    func ours(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { tripline_crc32(crc, $0.baseAddress, $0.count) }
    }

    func zlib(_ crc: UInt32, _ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { tripline_crc32_zlib(crc, $0.baseAddress, $0.count) }
    }

    @Test("every length up to 600 bytes, at every alignment within 16")
    func lengthsAndAlignments() {
        var mismatches: [String] = []
        for offset in 0..<16 {
            for length in 0...600 {
                let slice = Self.bytes[offset..<(offset + length)]
                if ours(0, slice) != zlib(0, slice) { mismatches.append("\(offset)+\(length)") }
            }
        }
        #expect(mismatches.isEmpty, "differs from zlib at offset+length \(mismatches.prefix(10))")
    }

    @Test("long inputs, and a CRC continued across pieces of any size")
    func longAndContinued() {
        let all = Self.bytes[...]
        #expect(ours(0, all) == zlib(0, all))
        // Known value: the CRC-32 of "123456789" is 0xCBF43926 (the check value of the gzip polynomial).
        #expect(ours(0, Array("123456789".utf8)[...]) == 0xCBF4_3926)
        var random = SplitMix64(seed: 7)
        for _ in 0..<200 {
            var crc: UInt32 = 0
            var start = 0
            while start < all.count {
                let end = min(all.count, start + 1 + random.below(5_000))
                crc = ours(crc, all[start..<end])
                start = end
            }
            #expect(crc == zlib(0, all))
        }
        // Continuing from a non-zero CRC in the folded part.
        #expect(ours(0xDEAD_BEEF, all[..<4_096]) == zlib(0xDEAD_BEEF, all[..<4_096]))
    }

    @Test("inputs that stress the reduction: all zeros, all ones, one bit set")
    func structuredInputs() {
        for length in [64, 80, 127, 128, 1_000, 65_536] {
            let zeros = [UInt8](repeating: 0, count: length)[...]
            let ones = [UInt8](repeating: 0xFF, count: length)[...]
            #expect(ours(0, zeros) == zlib(0, zeros))
            #expect(ours(0, ones) == zlib(0, ones))
            for bit in stride(from: 0, to: length * 8, by: max(1, length * 8 / 97)) {
                var single = [UInt8](repeating: 0, count: length)
                single[bit / 8] = 1 << UInt8(bit % 8)
                #expect(ours(0, single[...]) == zlib(0, single[...]))
            }
        }
    }

    #if arch(x86_64)
    @Test("x86-64 machines with PCLMULQDQ take the folding path (so the tests above exercise it)")
    func usesCarrylessMultiply() throws {
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let hasPclmul = flags.contains(" pclmulqdq") && flags.contains(" sse4_1")
        #expect((tripline_crc32_uses_clmul() != 0) == hasPclmul)
    }
    #endif
}
