import Testing
import TriplineJSON
import TriplineTestSupport
@testable import TriplineCore

/// `LiteralSearch` against the obvious search: at every offset, does some literal start there.
@Suite("LiteralSearch finds what a naive search finds")
struct LiteralSearchTests {
    /// Letters in both cases, and bytes that equal a letter or each other once bit 5 is set ('@' and '`', 0x0F and
    /// '/', 'K' and 'k'), so folding shortcuts that widen candidates too far or too little show.
    static let alphabet: [UInt8] = Array("aAkKlL@`/".utf8) + [0x0F, 0x0B, 0xC3, 0xA9]

    func naive(_ literals: [[UInt8]], _ s: [UInt8], cased: Bool) -> Bool {
        func fold(_ c: UInt8) -> UInt8 { cased ? c : asciiLower(c) }
        for lit in literals {
            if lit.isEmpty { return true }
            guard lit.count <= s.count else { continue }
            for at in 0...(s.count - lit.count) where lit.indices.allSatisfy({ fold(s[at + $0]) == fold(lit[$0]) }) {
                return true
            }
        }
        return false
    }

    @Test("random literal sets on random values of every length up to 70, folded and cased")
    func differential() {
        var random = SplitMix64(seed: 0x5EA2C4)
        var disagreements: [String] = []
        var found = 0
        for round in 0..<4_000 {
            let cased = round % 2 == 1
            let literals: [[UInt8]] = (0..<(1 + random.below(5))).map { _ in
                (0..<(1 + random.below(5))).map { _ in Self.alphabet[random.below(Self.alphabet.count)] }
            }
            let stored = literals.map { cased ? $0 : $0.map(asciiLower) }
            let search = LiteralSearch(stored, cased: cased)
            for length in [0, 1, 2, 15, 16, 17, 18, 31, 33, random.below(71)] {
                var s = (0..<length).map { _ in Self.alphabet[random.below(Self.alphabet.count)] }
                // Plant a literal (in random case) at a random place in half of the values.
                if random.below(2) == 0, let lit = literals.randomElement(using: &random), lit.count <= length {
                    let at = random.below(length - lit.count + 1)
                    for (k, c) in lit.enumerated() { s[at + k] = random.below(2) == 0 ? c : (c.isASCIILetter ? c ^ 0x20 : c) }
                }
                let expected = naive(literals, s, cased: cased)
                let ours = s.withUnsafeBufferPointer { search.found(in: $0) }
                if ours != expected { disagreements.append("\(literals) in \(s) cased \(cased): \(ours)") }
                if expected { found += 1 }
            }
        }
        #expect(disagreements.isEmpty, "\(disagreements.prefix(5))")
        #expect(found > 5_000)
    }

    @Test("a literal at the very start, the very end, and straddling the 16-byte steps")
    func positions() {
        let search = LiteralSearch([Array("kali".utf8), Array("parrot".utf8)], cased: false)
        for length in 6...60 {
            for at in 0...(length - 6) {
                var s = [UInt8](repeating: UInt8(ascii: "x"), count: length)
                s.replaceSubrange(at..<(at + 6), with: Array("PaRrOt".utf8))
                #expect(s.withUnsafeBufferPointer { search.found(in: $0) }, "at \(at) of \(length)")
                s[at + 5] = UInt8(ascii: "x")
                #expect(!s.withUnsafeBufferPointer { search.found(in: $0) }, "cut at \(at) of \(length)")
            }
        }
        #expect(!LiteralSearch([], cased: false).found(in: UnsafeBufferPointer(start: nil, count: 0)))
        let empty = LiteralSearch([[]], cased: false)
        #expect([UInt8]().withUnsafeBufferPointer { empty.found(in: $0) })
    }

    @Test("`field|contains: [a, b, c]` is one search, and answers as the literals one by one")
    func fieldMatcherGroup() throws {
        let values: [String] = ["kali", "Parrot", "PENTOO", "trufflehog"]
        let grouped = try FieldMatcher(FieldSpec(field: "userAgent", modifiers: [.contains], values: values.map { .string($0) }))
        #expect(grouped.containsAny?.literals.count == 4)
        #expect(grouped.otherStringTests.isEmpty)
        let singles = try values.map { try FieldMatcher(FieldSpec(field: "userAgent", modifiers: [.contains], values: [.string($0)])) }
        #expect(singles.allSatisfy { $0.containsAny == nil })
        for agent in ["aws-cli/2.13 Python/3.11 Linux/6.1.0-kali9-amd64", "Boto3/1.28 parrot", "curl/8.0", "TRUFFLEHOG",
                      "trufflehoG/3.0", "pentoo", "kal", "", "k\u{E9}ali"] {
            let event = JSONDocument(.object([("userAgent", .string(agent))]))
            let expected = values.contains { agent.lowercased().contains($0.lowercased()) }
            event.withView { view in
                #expect(grouped.matches(view, 0) == expected, "\(agent)")
                #expect(singles.contains { $0.matches(view, 0) } == expected, "\(agent)")
            }
        }
    }
}
