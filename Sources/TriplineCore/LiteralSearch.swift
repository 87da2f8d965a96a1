#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Substring search for one literal or several at once (`field|contains: [kali, parrot, pentoo]` is one pass over
/// the value, not one per literal), ASCII case-folded unless `cased`.
///
/// On x86-64 each 16-byte step compares every position's first two bytes with every literal's (SSE2), so a
/// candidate is rarely a false one; candidates are then checked whole. Elsewhere each literal is searched for in
/// turn, eight bytes at a time (SWAR on its first byte).
struct LiteralSearch: Sendable, Equatable {
    /// Lowercased unless `cased`.
    let literals: [[UInt8]]
    let cased: Bool
    private let shortest: Int
    #if arch(x86_64)
    /// Per literal of two bytes or more: its first and second byte in all 16 lanes, with bit 5 set when folding
    /// (the haystack gets bit 5 set too, which is exact for letters and only widens candidates otherwise).
    private let pairs: [(first: __m128i, second: __m128i)]
    #endif

    init(_ literals: [[UInt8]], cased: Bool) {
        self.literals = literals
        self.cased = cased
        shortest = literals.map(\.count).min() ?? 0
        #if arch(x86_64)
        let fold: UInt8 = cased ? 0 : 0x20
        pairs = literals.map { lit in
            (_mm_set1_epi8(CChar(bitPattern: lit.first.map { $0 | fold } ?? 0)),
             _mm_set1_epi8(CChar(bitPattern: lit.count > 1 ? lit[1] | fold : 0)))
        }
        #endif
    }

    static func == (a: LiteralSearch, b: LiteralSearch) -> Bool { a.literals == b.literals && a.cased == b.cased }

    /// Whether any literal occurs in `s`.
    func found(in s: UnsafeBufferPointer<UInt8>) -> Bool {
        if literals.isEmpty { return false }
        if shortest == 0 { return true }
        if s.count < shortest { return false }
        #if arch(x86_64)
        if shortest >= 2 { return pairSearch(s) }
        #endif
        for lit in literals where LiteralSearch.find(lit, in: s, cased: cased) { return true }
        return false
    }

    #if arch(x86_64)
    private func pairSearch(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = s.count
        let base = UnsafeRawPointer(s.baseAddress!)
        let fold = _mm_set1_epi8(cased ? 0 : 0x20)
        var i = 0
        return pairs.withUnsafeBufferPointer { pairs in
            // A 16-byte step reads bytes i ..< i + 17 (the second bytes are one further on).
            while i + 17 <= n {
                let a = _mm_or_si128(_mm_loadu_si128(base.advanced(by: i).assumingMemoryBound(to: __m128i.self)), fold)
                let b = _mm_or_si128(_mm_loadu_si128(base.advanced(by: i + 1).assumingMemoryBound(to: __m128i.self)), fold)
                var hits = _mm_setzero_si128()
                for pair in pairs {
                    hits = _mm_or_si128(hits, _mm_and_si128(_mm_cmpeq_epi8(a, pair.first), _mm_cmpeq_epi8(b, pair.second)))
                }
                var mask = UInt32(bitPattern: _mm_movemask_epi8(hits))
                while mask != 0 {
                    if matchesAt(i + mask.trailingZeroBitCount, s) { return true }
                    mask &= mask &- 1
                }
                i += 16
            }
            while i + shortest <= n {
                if matchesAt(i, s) { return true }
                i += 1
            }
            return false
        }
    }
    #endif

    /// Whether some literal starts at `at`.
    @inline(__always)
    private func matchesAt(_ at: Int, _ s: UnsafeBufferPointer<UInt8>) -> Bool {
        for lit in literals where at + lit.count <= s.count && LiteralSearch.equal(s, at, lit, cased: cased) { return true }
        return false
    }

    @inline(__always)
    static func equal(_ s: UnsafeBufferPointer<UInt8>, _ at: Int, _ lit: [UInt8], cased: Bool) -> Bool {
        var k = 0
        while k < lit.count {
            let c = s[at + k]
            if (cased ? c : asciiLower(c)) != lit[k] { return false }
            k += 1
        }
        return true
    }

    /// One literal (not empty, no longer than `s`): candidates for its first byte are found eight bytes at a time
    /// (a SWAR equality test on the folded word), then verified byte by byte.
    static func find(_ literal: [UInt8], in s: UnsafeBufferPointer<UInt8>, cased: Bool) -> Bool {
        let m = literal.count
        if s.count < m { return false }
        let first = literal[0]
        let last = s.count - m
        let foldFirst = !cased && first &- 0x61 < 26
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let needle = ones &* UInt64(first)
        let base = UnsafeRawPointer(s.baseAddress!)
        var i = 0
        while i + 8 <= last + 1 {
            var x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            if foldFirst { x |= ones &* 0x20 }
            let y = x ^ needle
            var hits = (y &- ones) & ~y & highs
            while hits != 0 {
                let k = i + hits.trailingZeroBitCount >> 3
                if equal(s, k, literal, cased: cased) { return true }
                hits &= hits &- 1
            }
            i += 8
        }
        while i <= last {
            if (cased ? s[i] : asciiLower(s[i])) == first && equal(s, i, literal, cased: cased) { return true }
            i += 1
        }
        return false
    }
}
