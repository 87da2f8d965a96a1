import Testing
import TriplineTestSupport
@testable import TriplineCore

@Suite("Hashing")
struct HashingTests {
    @Test("words: equal bytes hash equal; 300,000 distinct event ids, prefixes and zero-padded values do not collide")
    func wordsSpread() {
        var seen: [UInt64: String] = [:]
        var collisions: [String] = []
        func add(_ text: String) {
            let h = Hashing.words(text)
            #expect(h == Hashing.words(String(text)))
            if let other = seen[h], other != text { collisions.append("\(other.debugDescription) / \(text.debugDescription)") }
            seen[h] = text
        }
        var random = SplitMix64(seed: 42)
        for _ in 0..<300_000 {
            // UUID-shaped, like CloudTrail event ids: they differ only in a few hex digits at times.
            let a = random.next(), b = random.next()
            add(String(a, radix: 16) + "-" + String(b & 0xFFFF, radix: 16) + "-4" + String(b >> 20, radix: 16))
        }
        let arn = "arn:aws:sts::123456789012:assumed-role/web-app/i-0a1b2c3d4e5f60718"
        for n in 0...arn.count { add(String(arn.prefix(n))) }
        for n in 1...24 { add("a" + String(repeating: "\u{0}", count: n)) }
        #expect(collisions.isEmpty, "\(collisions.prefix(3))")
        #expect(Hashing.words("") != Hashing.words("\u{0}"))
    }

    @Test("words: flipping any one bit of a value changes about half the bits of its hash")
    func wordsAvalanche() {
        let base = Array("arn:aws:iam::111122223333:user/alice".utf8)
        let h0 = base.withUnsafeBufferPointer(Hashing.words)
        var total = 0
        for bit in 0..<(base.count * 8) {
            var flipped = base
            flipped[bit / 8] ^= 1 << UInt8(bit % 8)
            let changed = (flipped.withUnsafeBufferPointer(Hashing.words) ^ h0).nonzeroBitCount
            #expect(changed >= 12, "bit \(bit) changed only \(changed) bits")
            total += changed
        }
        let mean = Double(total) / Double(base.count * 8)
        #expect(mean > 28 && mean < 36)
    }
}
