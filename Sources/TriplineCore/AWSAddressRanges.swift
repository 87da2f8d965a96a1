import Synchronization
import TriplineJSON

/// The address ranges AWS publishes as its own (`ip-ranges.json`), as sorted, disjoint ranges searched by bisection:
/// the `|aws_ip` modifier asks whether a source address is inside AWS (an instance's public address, a NAT gateway,
/// an AWS service) or outside it.
///
/// The binary carries a snapshot (`AWSAddressSnapshot.swift`, written by `tripline ip-ranges snapshot`); the CLI and
/// the Lambda may install a fresher table at start (`install`), read from a cache that `tripline ip-ranges refresh`
/// downloads. Rules read `current` when they test an address, so an installed table applies to rules compiled before.
public struct AWSAddressRanges: Sendable {
    /// IPv4 ranges: `v4Starts[k]...v4Ends[k]`, sorted and disjoint.
    let v4Starts: [UInt32]
    let v4Ends: [UInt32]
    /// IPv6 ranges as 128-bit values.
    let v6Starts: [UInt128]
    let v6Ends: [UInt128]
    /// Where the table came from: `ip-ranges.json`'s createDate (`2026-08-22-15-17-05`), or a label.
    public let createDate: String

    public var count: (v4: Int, v6: Int) { (v4Starts.count, v6Starts.count) }

    /// A table from CIDR prefixes (IPv4 and IPv6, in any order, overlapping allowed). Text that is not a prefix is
    /// returned in `rejected`, not silently dropped.
    public init(prefixes: [String], createDate: String) {
        var v4: [(UInt32, UInt32)] = []
        var v6: [(UInt128, UInt128)] = []
        for text in prefixes {
            guard let n = IPNetwork(text) else { continue }
            let (start, end) = n.range
            if n.isV6 { v6.append((start, end)) } else { v4.append((UInt32(start), UInt32(end))) }
        }
        let m4 = AWSAddressRanges.merge(v4)
        let m6 = AWSAddressRanges.merge(v6)
        v4Starts = m4.map(\.0)
        v4Ends = m4.map(\.1)
        v6Starts = m6.map(\.0)
        v6Ends = m6.map(\.1)
        self.createDate = createDate
    }

    /// Sorts ranges and joins those that overlap or touch.
    static func merge<T: FixedWidthInteger & UnsignedInteger>(_ ranges: [(T, T)]) -> [(T, T)] {
        var out: [(T, T)] = []
        for (s, e) in ranges.sorted(by: { $0.0 < $1.0 }) {
            if let last = out.last, last.1 == T.max || s <= last.1 + 1 {
                if e > last.1 { out[out.count - 1].1 = e }
            } else {
                out.append((s, e))
            }
        }
        return out
    }

    public enum ParseError: Error, CustomStringConvertible {
        case notJSON(String), noPrefixes

        public var description: String {
            switch self {
            case .notJSON(let why): "not ip-ranges.json: \(why)"
            case .noPrefixes: "not ip-ranges.json: no prefixes or ipv6_prefixes"
            }
        }
    }

    /// A table from the text of AWS's `ip-ranges.json` (`prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix`).
    public init(ipRangesJSON bytes: [UInt8]) throws(ParseError) {
        let document: JSONDocument
        do { document = try JSONDocument(parsing: bytes) } catch { throw .notJSON("\(error)") }
        var prefixes: [String] = []
        var createDate = ""
        document.withView { view in
            if let d = view.member(of: 0, "createDate").flatMap(view.string) { createDate = d }
            for (list, key) in [("prefixes", "ip_prefix"), ("ipv6_prefixes", "ipv6_prefix")] {
                guard let array = view.member(of: 0, list), view.kind(array) == .array else { continue }
                view.forEachElement(of: array) { entry in
                    if view.kind(entry) == .object, let p = view.member(of: entry, key).flatMap(view.string) {
                        prefixes.append(p)
                    }
                    return true
                }
            }
        }
        guard !prefixes.isEmpty else { throw .noPrefixes }
        self.init(prefixes: prefixes, createDate: createDate)
    }

    /// Whether `address` is inside one of the ranges.
    public func contains(_ address: IPAddress) -> Bool {
        if address.isV6 {
            return AWSAddressRanges.find(UInt128(address.high) << 64 | UInt128(address.low), v6Starts, v6Ends)
        }
        return AWSAddressRanges.find(UInt32(truncatingIfNeeded: address.low), v4Starts, v4Ends)
    }

    /// Bisection for the last range starting at or below `value`, then its end.
    static func find<T: Comparable>(_ value: T, _ starts: [T], _ ends: [T]) -> Bool {
        var lo = 0
        var hi = starts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if starts[mid] <= value { lo = mid + 1 } else { hi = mid }
        }
        return lo > 0 && value <= ends[lo - 1]
    }

    /// The table as CIDR prefixes, one a line (the ranges split into the fewest prefixes): what the snapshot holds.
    public var prefixLines: [String] {
        var lines: [String] = []
        for k in v4Starts.indices {
            for (start, bits) in AWSAddressRanges.split(UInt128(v4Starts[k]), UInt128(v4Ends[k]), width: 32) {
                let v = UInt32(start)
                lines.append("\(v >> 24).\(v >> 16 & 255).\(v >> 8 & 255).\(v & 255)/\(bits)")
            }
        }
        for k in v6Starts.indices {
            for (start, bits) in AWSAddressRanges.split(v6Starts[k], v6Ends[k], width: 128) {
                lines.append(AWSAddressRanges.v6Text(start) + "/\(bits)")
            }
        }
        return lines
    }

    /// `start...end` as aligned prefixes of a `width`-bit space.
    static func split(_ start: UInt128, _ end: UInt128, width: Int) -> [(UInt128, Int)] {
        var out: [(UInt128, Int)] = []
        var s = start
        while true {
            // The largest block aligned at s that stays inside the range.
            var size = s == 0 ? width : min(width, s.trailingZeroBitCount)
            while size > 0, size < 128, s + ((UInt128(1) << size) - 1) > end { size -= 1 }
            if size == 128 { return [(0, 0)] }
            out.append((s, width - size))
            let last = s + ((UInt128(1) << size) - 1)
            if last >= end { return out }
            s = last + 1
        }
    }

    /// Eight hex groups, the longest run of zero groups (two or more) written `::`.
    static func v6Text(_ v: UInt128) -> String {
        let groups = (0..<8).map { UInt16(truncatingIfNeeded: v >> UInt128(112 - 16 * $0)) }
        var best = (start: -1, length: 0)
        var k = 0
        while k < 8 {
            if groups[k] == 0 {
                var j = k
                while j < 8 && groups[j] == 0 { j += 1 }
                if j - k > best.length && j - k >= 2 { best = (k, j - k) }
                k = j
            } else {
                k += 1
            }
        }
        func hex(_ r: Range<Int>) -> String { r.map { String(groups[$0], radix: 16) }.joined(separator: ":") }
        if best.start < 0 { return hex(0..<8) }
        return hex(0..<best.start) + "::" + hex((best.start + best.length)..<8)
    }

    /// The snapshot compiled into the binary.
    public static let snapshot = AWSAddressRanges(
        prefixes: AWSAddressSnapshot.prefixes.split(separator: "\n").map(String.init),
        createDate: AWSAddressSnapshot.createDate)

    private static let installed = Mutex<AWSAddressRanges?>(nil)

    /// The table rules test against: one installed by the CLI or the Lambda, else the snapshot.
    public static var current: AWSAddressRanges { installed.withLock { $0 } ?? snapshot }

    /// Makes `table` the one rules test against (a fresher download than the snapshot).
    public static func install(_ table: AWSAddressRanges?) { installed.withLock { $0 = table } }
}

extension IPNetwork {
    /// The first and last address of the network (IPv4 in the low 32 bits).
    var range: (UInt128, UInt128) {
        let start = UInt128(high) << 64 | UInt128(low)
        let hostBits = 128 - prefix
        let span: UInt128 = hostBits >= 128 ? .max : (UInt128(1) << hostBits) - 1
        if !isV6 {
            // IPv4 is stored mapped into the low 32 bits with 96 added to the prefix.
            return (start & 0xFFFF_FFFF, (start & 0xFFFF_FFFF) | (span & 0xFFFF_FFFF))
        }
        return (start, start | span)
    }
}
