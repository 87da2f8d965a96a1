import TriplineJSON

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

/// An IPv4 or IPv6 address, parsed from the bytes of a field value without building a String (the `|cidr`
/// modifier tests `sourceIPAddress` of many events).
public struct IPAddress: Sendable, Equatable {
    public let isV6: Bool
    let high: UInt64
    let low: UInt64

    public init?(_ text: String) {
        var text = text
        guard let address = text.withUTF8({ IPAddress(bytes: $0) }) else { return nil }
        self = address
    }

    public init?(bytes s: UnsafeBufferPointer<UInt8>) {
        if s.contains(UInt8(ascii: ":")) {
            guard let (h, l) = IPAddress.parseV6(s) else { return nil }
            // An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is treated as the IPv4 address.
            if h == 0 && l >> 32 == 0xFFFF {
                isV6 = false; high = 0; low = l & 0xFFFF_FFFF
            } else {
                isV6 = true; high = h; low = l
            }
        } else {
            guard let v = IPAddress.parseV4(s, s.startIndex, s.endIndex) else { return nil }
            isV6 = false; high = 0; low = UInt64(v)
        }
    }

    /// Dotted quad in `s[from..<to]`: four parts of 1–3 digits, each at most 255.
    static func parseV4(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> UInt32? {
        var value: UInt32 = 0
        var part: UInt32 = 0
        var digits = 0
        var parts = 0
        var i = from
        while true {
            if i == to || s[i] == UInt8(ascii: ".") {
                guard digits > 0, part <= 255, parts < 4 else { return nil }
                value = value << 8 | part
                parts += 1
                if i == to { return parts == 4 ? value : nil }
                part = 0
                digits = 0
            } else {
                let d = s[i] &- UInt8(ascii: "0")
                guard d < 10, digits < 3 else { return nil }
                part = part * 10 + UInt32(d)
                digits += 1
            }
            i += 1
        }
    }

    /// Eight groups of 1–4 hex digits, one `::` standing for a run of zero groups, an IPv4 dotted quad allowed as
    /// the last piece, a `%zone` suffix ignored.
    static func parseV6(_ s: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt64)? {
        let end = s.firstIndex(of: UInt8(ascii: "%")) ?? s.endIndex
        var gap: Int?
        var i = s.startIndex
        while i + 1 < end {
            if s[i] == UInt8(ascii: ":") && s[i + 1] == UInt8(ascii: ":") {
                guard gap == nil else { return nil }
                gap = i
                i += 2
            } else {
                i += 1
            }
        }
        var head = Groups()
        var tail = Groups()
        if let gap {
            guard head.parse(s, s.startIndex, gap), tail.parse(s, gap + 2, end), head.count + tail.count < 8 else {
                return nil
            }
        } else {
            guard head.parse(s, s.startIndex, end), head.count == 8 else { return nil }
        }
        var h: UInt64 = 0, l: UInt64 = 0
        for k in 0..<8 {
            // Zero groups fill the gap between head and tail.
            let g: UInt16 = k < head.count ? head[k] : (k >= 8 - tail.count ? tail[k - (8 - tail.count)] : 0)
            if k < 4 { h = h << 16 | UInt64(g) } else { l = l << 16 | UInt64(g) }
        }
        return (h, l)
    }

    /// Up to eight 16-bit groups, inline (no heap).
    private struct Groups {
        var values: (UInt64, UInt64) = (0, 0)
        var count = 0

        subscript(k: Int) -> UInt16 {
            let word = k < 4 ? values.0 : values.1
            return UInt16(truncatingIfNeeded: word >> UInt64(16 * (k & 3)))
        }

        mutating func append(_ g: UInt16) -> Bool {
            guard count < 8 else { return false }
            if count < 4 { values.0 |= UInt64(g) << UInt64(16 * count) } else { values.1 |= UInt64(g) << UInt64(16 * (count - 4)) }
            count += 1
            return true
        }

        /// Colon-separated pieces of `s[from..<to]` (empty range: no groups).
        mutating func parse(_ s: UnsafeBufferPointer<UInt8>, _ from: Int, _ to: Int) -> Bool {
            if from == to { return true }
            var start = from
            var k = from
            while true {
                if k == to || s[k] == UInt8(ascii: ":") {
                    let last = k == to
                    if last, s[start..<k].contains(UInt8(ascii: ".")) {
                        guard let v4 = IPAddress.parseV4(s, start, k), append(UInt16(v4 >> 16)),
                            append(UInt16(v4 & 0xFFFF))
                        else { return false }
                    } else {
                        guard k > start, k - start <= 4 else { return false }
                        var g: UInt16 = 0
                        for c in s[start..<k] {
                            guard let d = JSONScan.hexValue(c) else { return false }
                            g = g << 4 | UInt16(d)
                        }
                        guard append(g) else { return false }
                    }
                    if last { return true }
                    start = k + 1
                }
                k += 1
            }
        }
    }
}
