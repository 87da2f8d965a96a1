import Crypto
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

@Suite("SHA-256 and the ids made with it")
struct DigestTests {
    func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    @Test("FIPS 180-4 example vectors")
    func vectors() {
        #expect(hex(TriplineCore.SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(hex(TriplineCore.SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(TriplineCore.SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(TriplineCore.SHA256.hash(Array("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu".utf8)))
            == "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1")
        #expect(hex(TriplineCore.SHA256.hash([UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)))
            == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test("the same digest as swift-crypto for every length around the block and padding boundaries, and random ones")
    func againstCrypto() {
        var random = SplitMix64(seed: 7)
        var lengths = Array(0...130) + [183, 184, 191, 192, 255, 256, 1000, 4096]
        lengths += (0..<50).map { _ in Int(random.next() % 5000) }
        for n in lengths {
            let message = (0..<n).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(TriplineCore.SHA256.hash(message) == Array(Crypto.SHA256.hash(data: message)), "length \(n)")
        }
    }

    @Test("digest: length-prefixed values, so a separator inside a value cannot shift a boundary; stable across versions")
    func digestOfValues() {
        #expect(Hashing.digest(["a\u{1F}b", "c"]) != Hashing.digest(["a", "b\u{1F}c"]))
        #expect(Hashing.digest(["ab", ""]) != Hashing.digest(["a", "b"]))
        #expect(Hashing.digest([""]) != Hashing.digest([]))
        #expect(Hashing.digest(["", ""]) != Hashing.digest([""]))
        // Stored and sent: a change of format must be a decision, not an accident. (Python:
        // sha256(b"".join(len(v).to_bytes(8, "big") + v for v in values)).hexdigest()[:32].)
        #expect(Hashing.digest(["arn:aws:iam::111122223333:user/alice", "203.0.113.7"]) == "3d42f6f5603d7052407646c189170ed3")
        #expect(Hashing.digest([]) == "e3b0c44298fc1c149afbf4c8996fb924")
    }

    @Test("dedup keys of values an attacker can shift across the old separator are different keys")
    func dedupKeysApart() {
        // Before, both were FNV-1a-64 of "alice\u{1F}x\u{1F}y": the second event was a repeat of the first.
        let alerted = Finding.dedupKey(ruleID: "r", values: ["alice\u{1F}x", "y"])
        let attacker = Finding.dedupKey(ruleID: "r", values: ["alice", "x\u{1F}y"])
        #expect(alerted != attacker)
        #expect(alerted.hasPrefix("r:") && alerted.count == "r:".count + 32)
    }
}
