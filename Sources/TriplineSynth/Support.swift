// Building blocks of the generator: a seeded PRNG, a byte-level JSON writer, and date formatting.
// Everything here is integer arithmetic so the output is identical on every machine.

/// xoshiro256** seeded through splitmix64. Not cryptographic; chosen for speed and a fixed, documented sequence.
struct SynthRNG: Sendable {
    private var s0: UInt64, s1: UInt64, s2: UInt64, s3: UInt64

    init(seed: UInt64) {
        var x = seed
        s0 = splitmix64(&x); s1 = splitmix64(&x); s2 = splitmix64(&x); s3 = splitmix64(&x)
    }

    @inline(__always) mutating func next() -> UInt64 {
        let result = rotl(s1 &* 5, 7) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = rotl(s3, 45)
        return result
    }

    /// Uniform in 0..<n (multiply-shift; the bias is far below anything a test could see).
    @inline(__always) mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: ((next() >> 32) &* UInt64(n)) >> 32)
    }

    /// Uniform in lo...hi.
    @inline(__always) mutating func range(_ lo: Int, _ hi: Int) -> Int { lo + below(hi - lo + 1) }

    /// True with probability threshold / 2^32 (see `threshold(_:)`).
    @inline(__always) mutating func chance(_ threshold: UInt64) -> Bool { (next() >> 32) < threshold }

    @inline(__always) mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

@inline(__always) func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

func splitmix64(_ x: inout UInt64) -> UInt64 {
    x &+= 0x9E37_79B9_7F4A_7C15
    var z = x
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// Mixes several values into one seed (used to derive per-file and per-scenario streams).
func mixSeed(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var x = a ^ (b &* 0xD6E8_FEB8_6659_FD93)
    _ = splitmix64(&x)
    return splitmix64(&x)
}

/// A probability as a threshold for `SynthRNG.chance`. IEEE multiplication by a power of two is exact everywhere.
func threshold(_ p: Double) -> UInt64 {
    let clamped = p.isNaN ? 0 : min(max(p, 0), 1)
    return UInt64(clamped * 4_294_967_296.0)
}

func stableHash(_ s: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
}

// MARK: - JSON writer

/// Appends JSON to a byte buffer. Commas are inserted by looking at the previous byte, so callers write keys and
/// elements in order and never track "first". Two per-record switches exercise parsers the way real producers do:
/// `escapeSlash` writes `/` as `\/`, `asciiOnly` writes non-ASCII as `\uXXXX` (surrogate pairs above U+FFFF).
struct JSONOut {
    var b: [UInt8]
    var escapeSlash = false
    var asciiOnly = false

    init(_ b: [UInt8] = []) { self.b = b }

    @inline(__always) mutating func raw(_ s: StaticString) {
        s.withUTF8Buffer { b.append(contentsOf: $0) }
    }

    @inline(__always) mutating func byte(_ c: UInt8) { b.append(c) }

    /// A comma unless the previous byte opened an object or array.
    @inline(__always) mutating func sep() {
        if let l = b.last, l != 0x7B, l != 0x5B { b.append(0x2C) }
    }

    @inline(__always) mutating func key(_ k: StaticString) {
        sep()
        b.append(0x22)
        k.withUTF8Buffer { b.append(contentsOf: $0) }
        b.append(0x22); b.append(0x3A)
    }

    mutating func str(_ s: String) {
        var s = s
        b.append(0x22)
        s.withUTF8 { escaped($0) }
        b.append(0x22)
    }

    mutating func str(_ s: StaticString) {
        b.append(0x22)
        s.withUTF8Buffer { escaped($0) }
        b.append(0x22)
    }

    /// The body of a JSON string (no quotes) for valid UTF-8 input.
    mutating func escaped(_ p: UnsafeBufferPointer<UInt8>) {
        let n = p.count
        var start = 0, i = 0
        while i < n {
            let c = p[i]
            if c >= 0x20 && c != 0x22 && c != 0x5C && (c != 0x2F || !escapeSlash) && (c < 0x80 || !asciiOnly) {
                i += 1
                continue
            }
            if i > start { b.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<i])) }
            switch c {
            case 0x22: raw("\\\"")
            case 0x5C: raw("\\\\")
            case 0x2F: raw("\\/")
            case 0x0A: raw("\\n")
            case 0x0D: raw("\\r")
            case 0x09: raw("\\t")
            case 0x08: raw("\\b")
            case 0x0C: raw("\\f")
            case ..<0x20:
                raw("\\u00"); hex(UInt64(c), digits: 2)
            default:
                // Non-ASCII in asciiOnly mode: decode one scalar and write it as \uXXXX.
                var scalar: UInt32, len: Int
                if c >= 0xF0 { scalar = UInt32(c & 0x07); len = 4 } else if c >= 0xE0 { scalar = UInt32(c & 0x0F); len = 3 } else { scalar = UInt32(c & 0x1F); len = 2 }
                for k in 1..<len where i + k < n { scalar = (scalar << 6) | UInt32(p[i + k] & 0x3F) }
                if scalar >= 0x10000 {
                    let v = scalar - 0x10000
                    raw("\\u"); hex(UInt64(0xD800 + (v >> 10)), digits: 4)
                    raw("\\u"); hex(UInt64(0xDC00 + (v & 0x3FF)), digits: 4)
                } else {
                    raw("\\u"); hex(UInt64(scalar), digits: 4)
                }
                i += len
                start = i
                continue
            }
            i += 1
            start = i
        }
        if n > start { b.append(contentsOf: UnsafeBufferPointer(rebasing: p[start..<n])) }
    }

    mutating func int(_ v: Int) {
        var v = v
        if v < 0 { b.append(0x2D); v = -v }
        let start = b.count
        repeat { b.append(UInt8(48 + v % 10)); v /= 10 } while v > 0
        b[start...].reverse()
    }

    mutating func fixed(_ v: Int, digits: Int) {
        var d = 1
        for _ in 1..<digits { d *= 10 }
        while d > 0 { b.append(UInt8(48 + (v / d) % 10)); d /= 10 }
    }

    mutating func hex(_ v: UInt64, digits: Int, upper: Bool = false) {
        let a: UInt8 = upper ? 55 : 87
        var shift = (digits - 1) * 4
        while shift >= 0 {
            let nib = UInt8((v >> UInt64(shift)) & 0xF)
            b.append(nib < 10 ? 48 + nib : a + nib)
            shift -= 4
        }
    }

    // Key/value shorthands.
    @inline(__always) mutating func kv(_ k: StaticString, _ v: String) { key(k); str(v) }
    @inline(__always) mutating func kv(_ k: StaticString, _ v: StaticString) { key(k); str(v) }
    @inline(__always) mutating func kv(_ k: StaticString, _ v: Int) { key(k); int(v) }
    @inline(__always) mutating func kv(_ k: StaticString, _ v: Bool) { key(k); v ? raw("true") : raw("false") }
    @inline(__always) mutating func null(_ k: StaticString) { key(k); raw("null") }
    @inline(__always) mutating func open(_ k: StaticString) { key(k); b.append(0x7B) }
    @inline(__always) mutating func openArray(_ k: StaticString) { key(k); b.append(0x5B) }
    @inline(__always) mutating func empty(_ k: StaticString) { key(k); raw("{}") }
    @inline(__always) mutating func close() { b.append(0x7D) }
    @inline(__always) mutating func closeArray() { b.append(0x5D) }
    @inline(__always) mutating func element() { sep(); b.append(0x7B) }
    @inline(__always) mutating func element(_ s: String) { sep(); str(s) }

    /// `2025-03-01T12:34:56Z`
    mutating func isoTime(_ ms: Int64) {
        let c = CivilTime(ms)
        b.append(0x22)
        fixed(c.year, digits: 4); b.append(0x2D); fixed(c.month, digits: 2); b.append(0x2D); fixed(c.day, digits: 2)
        b.append(0x54); fixed(c.hour, digits: 2); b.append(0x3A); fixed(c.minute, digits: 2); b.append(0x3A)
        fixed(c.second, digits: 2); b.append(0x5A)
        b.append(0x22)
    }

    /// IAM/STS style: `Mar 1, 2025, 1:34:56 PM`
    mutating func awsTime(_ ms: Int64) {
        let c = CivilTime(ms)
        b.append(0x22)
        b.append(contentsOf: CivilTime.months[c.month - 1].utf8)
        b.append(0x20); int(c.day); raw(", "); int(c.year); raw(", ")
        let h12 = c.hour % 12 == 0 ? 12 : c.hour % 12
        int(h12); b.append(0x3A); fixed(c.minute, digits: 2); b.append(0x3A); fixed(c.second, digits: 2)
        c.hour < 12 ? raw(" AM") : raw(" PM")
        b.append(0x22)
    }

    /// A version 4 UUID from the PRNG, quoted.
    mutating func uuid(_ rng: inout SynthRNG) {
        let a = rng.next(), c = rng.next()
        b.append(0x22)
        hex(a >> 32, digits: 8); b.append(0x2D)
        hex((a >> 16) & 0xFFFF, digits: 4); b.append(0x2D)
        hex(0x4000 | (a & 0x0FFF), digits: 4); b.append(0x2D)
        hex(0x8000 | ((c >> 48) & 0x3FFF), digits: 4); b.append(0x2D)
        hex(c & 0xFFFF_FFFF_FFFF, digits: 12)
        b.append(0x22)
    }
}

// MARK: - Time

struct CivilTime {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    var year, month, day, hour, minute, second: Int

    init(_ ms: Int64) {
        let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
        let days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400
        let rem = Int(secs - days * 86400)
        hour = rem / 3600; minute = (rem / 60) % 60; second = rem % 60
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = Int(doy - (153 * mp + 2) / 5 + 1)
        month = Int(mp < 10 ? mp + 3 : mp - 9)
        year = Int(yoe + era * 400) + (month <= 2 ? 1 : 0)
    }

    func pad(_ v: Int, _ n: Int) -> String {
        let s = String(v)
        return s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }

    /// `YYYYMMDDTHHMMZ` (log files) or `YYYYMMDDTHHMMSSZ` (digests).
    func compact(seconds: Bool) -> String {
        pad(year, 4) + pad(month, 2) + pad(day, 2) + "T" + pad(hour, 2) + pad(minute, 2) + (seconds ? pad(second, 2) : "") + "Z"
    }

    var datePath: String { pad(year, 4) + "/" + pad(month, 2) + "/" + pad(day, 2) }
    var iso: String { pad(year, 4) + "-" + pad(month, 2) + "-" + pad(day, 2) + "T" + pad(hour, 2) + ":" + pad(minute, 2) + ":" + pad(second, 2) + "Z" }
}
