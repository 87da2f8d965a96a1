/// An IPv4 or IPv6 network for the Sigma `|cidr` modifier. Addresses are held as 128-bit values (IPv4 mapped
/// into the low 32 bits with a separate family so v4 never matches a v6 network by accident).
public struct IPNetwork: Sendable, Equatable {
    public let isV6: Bool
    let high: UInt64
    let low: UInt64
    let prefix: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])) else { return nil }
        let maxPrefix = address.isV6 ? 128 : 32
        var prefix = maxPrefix
        if parts.count == 2 {
            guard let p = Int(parts[1]), (0...maxPrefix).contains(p) else { return nil }
            prefix = p
        }
        isV6 = address.isV6
        self.prefix = address.isV6 ? prefix : prefix + 96
        (high, low) = IPNetwork.mask(address.high, address.low, self.prefix)
    }

    static func mask(_ h: UInt64, _ l: UInt64, _ prefix: Int) -> (UInt64, UInt64) {
        if prefix >= 128 { return (h, l) }
        if prefix <= 0 { return (0, 0) }
        if prefix >= 64 {
            let bits = prefix - 64
            return (h, bits == 0 ? 0 : l & (~UInt64(0) << UInt64(64 - bits)))
        }
        return (h & (~UInt64(0) << UInt64(64 - prefix)), 0)
    }

    public func contains(_ a: IPAddress) -> Bool {
        guard a.isV6 == isV6 else { return false }
        let (h, l) = IPNetwork.mask(a.high, a.low, prefix)
        return h == high && l == low
    }
}

public struct IPAddress: Sendable, Equatable {
    public let isV6: Bool
    let high: UInt64
    let low: UInt64

    public init?(_ text: String) {
        if text.contains(":") {
            guard let (h, l) = IPAddress.parseV6(text) else { return nil }
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is treated as the IPv4 address.
            if h == 0 && l >> 32 == 0xFFFF {
                isV6 = false; high = 0; low = l & 0xFFFF_FFFF
            } else {
                isV6 = true; high = h; low = l
            }
        } else {
            guard let v = IPAddress.parseV4(Substring(text)) else { return nil }
            isV6 = false; high = 0; low = UInt64(v)
        }
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var v: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy(\.isASCIIDigit), let n = UInt32(p), n <= 255 else { return nil }
            v = v << 8 | n
        }
        return v
    }

    static func parseV6(_ raw: String) -> (UInt64, UInt64)? {
        var text = Substring(raw)
        if let zone = text.firstIndex(of: "%") { text = text[..<zone] }  // drop a zone id
        var groups: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        let halves = text.components(separatedBy: "::")
        guard halves.count <= 2 else { return nil }
        func parse(_ part: Substring, into out: inout [UInt16]) -> Bool {
            if part.isEmpty { return true }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (k, piece) in pieces.enumerated() {
                if k == pieces.count - 1, piece.contains(".") {
                    guard let v4 = parseV4(piece) else { return false }
                    out.append(UInt16(v4 >> 16)); out.append(UInt16(v4 & 0xFFFF))
                } else {
                    guard !piece.isEmpty, piece.count <= 4, let v = UInt16(piece, radix: 16) else { return false }
                    out.append(v)
                }
            }
            return true
        }
        guard parse(halves[0], into: &groups) else { return nil }
        if halves.count == 2 {
            sawGap = true
            guard parse(halves[1], into: &tail) else { return nil }
        }
        let total = groups.count + tail.count
        if sawGap { guard total < 8 else { return nil } } else { guard total == 8 else { return nil } }
        let all = groups + Array(repeating: 0, count: 8 - total) + tail
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<4 { h = h << 16 | UInt64(all[k]) }
        for k in 4..<8 { l = l << 16 | UInt64(all[k]) }
        return (h, l)
    }
}

extension Character {
    var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension Substring {
    func components(separatedBy separator: String) -> [Substring] {
        var result: [Substring] = []
        var rest = self[...]
        while let r = rest.range(of: separator) {
            result.append(rest[..<r.lowerBound])
            rest = rest[r.upperBound...]
        }
        result.append(rest)
        return result
    }

    func range(of needle: String) -> Range<Index>? {
        let n = Array(needle)
        guard !n.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            var j = i
            var k = 0
            while k < n.count && j < endIndex && self[j] == n[k] {
                j = index(after: j)
                k += 1
            }
            if k == n.count { return i..<j }
            i = index(after: i)
        }
        return nil
    }
}
