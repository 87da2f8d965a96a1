import Foundation
import Testing
import TriplineTestSupport

import TriplineJSON

/// Random JSON values from a seeded PRNG, serialized by both `JSONValue` and Foundation, parsed by our parser and
/// compared against Foundation's parse of the same bytes.
struct RandomJSON {
    var rng: SplitMix64

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func chance(_ p: Double) -> Bool { Double(rng.next() >> 11) / Double(1 << 53) < p }

    /// Scalars chosen to hit every serializer/parser path.
    mutating func scalar() -> Unicode.Scalar {
        switch int(0...13) {
        case 0: return Unicode.Scalar(UInt8(int(0...0x1F)))  // control characters
        case 1: return ["\"", "\\", "/", "<", ">", "&", "\u{7F}", "\u{2028}", "\u{2029}"][int(0...8)]
        case 2: return Unicode.Scalar(UInt32(int(0x80...0x7FF)))!  // 2-byte
        case 3: return Unicode.Scalar(UInt32(int(0x800...0xD7FF)))!  // 3-byte
        case 4:
            // 3-byte above the surrogates. Not U+FEFF: swift-corelibs-foundation's JSONSerialization drops or
            // mangles it (taken for a byte-order mark), which would be a Foundation difference, not ours; our
            // handling of U+FEFF is covered in ValueTests and AcceptanceTests.
            let v = UInt32(int(0xE000...0xFFFF))
            return v == 0xFEFF ? "?" : Unicode.Scalar(v)!
        case 5: return Unicode.Scalar(UInt32(int(0x10000...0x10FFFF)))!  // 4-byte
        case 6: return ["é", "€", "😀", "\u{FFFD}", "\u{2060}", "\u{301}", "\u{10FFFF}"][int(0...6)]
        default: return Unicode.Scalar(UInt8(int(0x20...0x7E)))  // printable ASCII (most common)
        }
    }

    mutating func string() -> String {
        var s = String.UnicodeScalarView()
        let n = chance(0.1) ? int(0...80) : int(0...12)
        for _ in 0..<n { s.append(scalar()) }
        return String(s)
    }

    mutating func number() -> String {
        switch int(0...5) {
        case 0: return String(int(-1_000_000...1_000_000))
        case 1: return String(int(-999_999_999_999_999...999_999_999_999_999))
        case 2: return ["0", "-0", "1", "-1", "0.5", "1e2", "1E-2", "-123.456e+7", "1.5e10", "2.5E+300", "1e-300"][int(0...10)]
        case 3:
            let mantissa = "\(int(0...9999)).\(int(0...99999))"
            return (chance(0.5) ? "-" : "") + mantissa
        case 4:
            return "\(int(1...9)).\(int(0...999))e\(["", "+", "-"][int(0...2)])\(int(0...200))"
        default:
            let d = Double(bitPattern: rng.next() & 0x7FEF_FFFF_FFFF_FFFF)  // finite
            return "\(chance(0.5) ? -d : d)"
        }
    }

    mutating func value(depth: Int = 0) -> JSONValue {
        let containerOdds = depth >= 5 ? 0 : 4
        switch int(0...(5 + containerOdds)) {
        case 0: return .null
        case 1: return .bool(chance(0.5))
        case 2, 3: return .number(number())
        case 4, 5: return .string(string())
        case 6, 7:
            return .array((0..<int(0...6)).map { _ in value(depth: depth + 1) })
        default:
            var keys = Set<String>()  // unique up to canonical equivalence, so Foundation dictionaries can hold them
            var members: [(String, JSONValue)] = []
            for _ in 0..<int(0...6) {
                let k = string()
                if keys.insert(k).inserted { members.append((k, value(depth: depth + 1))) }
            }
            return .object(members)
        }
    }
}

/// A Foundation object tree for a value.
func foundationObject(_ v: JSONValue) -> Any {
    switch v {
    case .null: return NSNull()
    case .bool(let b): return b
    case .number(let n): return Int(n).map { $0 as Any } ?? Double(n)! as Any
    case .string(let s): return s
    case .array(let a): return a.map(foundationObject)
    case .object(let o): return Dictionary(uniqueKeysWithValues: o.map { ($0.0, foundationObject($0.1)) })
    }
}

func foundationDouble(_ x: Any) -> Double? {
    if let n = x as? NSNumber { return n.doubleValue }
    if let d = x as? Double { return d }
    if let i = x as? Int { return Double(i) }
    return nil
}

/// Compares our value with Foundation's parse of the same bytes. Objects compare unordered, strings by scalars,
/// numbers by value. Returns a description of the first difference.
func difference(_ ours: JSONValue, _ theirs: Any, _ path: String = "$") -> String? {
    switch ours {
    case .null:
        return theirs is NSNull ? nil : "\(path): null vs \(theirs)"
    case .bool(let b):
        return (theirs as? Bool) == b ? nil : "\(path): \(b) vs \(theirs)"
    case .number(let n):
        guard let d = Double(n), let t = foundationDouble(theirs) else { return "\(path): number \(n) vs \(theirs)" }
        // Ours is Double(text), correctly rounded; Foundation's reader is a few ulps off for long mantissas with
        // large exponents, hence the tolerance.
        return d == t || abs(d - t) <= abs(d) * 1e-13 ? nil : "\(path): \(n) (\(d)) vs \(t)"
    case .string(let s):
        guard let t = theirs as? String else { return "\(path): string vs \(theirs)" }
        return scalars(s) == scalars(t) ? nil : "\(path): \(scalars(s)) vs \(scalars(t))"
    case .array(let a):
        guard let t = theirs as? [Any], t.count == a.count else { return "\(path): array vs \(theirs)" }
        for (k, (x, y)) in zip(a, t).enumerated() {
            if let d = difference(x, y, "\(path)[\(k)]") { return d }
        }
        return nil
    case .object(let o):
        guard let t = theirs as? [String: Any], t.count == o.count else { return "\(path): object vs \(theirs)" }
        let byScalars = Dictionary(t.map { (scalars($0.key), $0.value) }, uniquingKeysWith: { a, _ in a })
        for (k, v) in o {
            guard let tv = byScalars[scalars(k)] else { return "\(path): missing key \(scalars(k))" }
            if let d = difference(v, tv, "\(path).\(k)") { return d }
        }
        return nil
    }
}

/// Semantic equality: objects unordered, numbers by value (for values that went through Foundation's writer).
func semanticallyEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case let (.number(x), .number(y)): return Double(x) == Double(y)
    case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { semanticallyEqual($0, $1) }
    case let (.object(x), .object(y)):
        guard x.count == y.count else { return false }
        return x.allSatisfy { m in y.contains { scalars($0.0) == scalars(m.0) && semanticallyEqual($0.1, m.1) } }
    default: return strictEqual(a, b)
    }
}

/// Whether the document has a number that a Double cannot hold (|x| overflows to infinity).
func containsOverflowingNumber(_ bytes: [UInt8]) -> Bool {
    guard let doc = try? JSONDocument(parsing: bytes) else { return false }
    return doc.withView { view in
        (0..<view.nodes.count).contains { view.kind($0) == .number && view.double($0)?.isInfinite == true }
    }
}

@Suite("Differential against Foundation")
struct DifferentialTests {
    @Test("random values: our writer and Foundation's writer, parsed by us and by Foundation", arguments: 0..<8)
    func random(_ shard: Int) throws {
        var gen = RandomJSON(rng: SplitMix64(seed: 0x7219_0000 + UInt64(shard)))
        for iteration in 0..<400 {
            let value = gen.value()
            let label = "shard \(shard) #\(iteration)"

            // 1. Our serializer → our parser: exactly the same value back (order, number text, scalars).
            var ours: [UInt8] = []
            value.write(to: &ours)
            #expect(String(validating: ours, as: UTF8.self) != nil, "\(label)")
            let parsedOurs: JSONValue
            do { parsedOurs = try JSONValue.parse(ours) } catch {
                Issue.record("\(label): our parser rejected our output \(error): \(describe(ours))")
                continue
            }
            #expect(strictEqual(parsedOurs, value), "\(label)")
            // … and Foundation reads the same bytes the same way.
            let foundationOfOurs = try JSONSerialization.jsonObject(with: Data(ours), options: [.fragmentsAllowed])
            if let d = difference(parsedOurs, foundationOfOurs) {
                Issue.record("\(label) (our writer): \(d)\n\(describe(ours))")
            }

            // 2. Foundation's serializer → our parser vs Foundation's parser.
            let data = try JSONSerialization.data(withJSONObject: foundationObject(value), options: [.fragmentsAllowed])
            let theirs = [UInt8](data)
            let parsedTheirs: JSONValue
            do { parsedTheirs = try JSONValue.parse(theirs) } catch {
                Issue.record("\(label): our parser rejected Foundation's output \(error): \(describe(theirs))")
                continue
            }
            let foundationOfTheirs = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            if let d = difference(parsedTheirs, foundationOfTheirs) {
                Issue.record("\(label) (Foundation writer): \(d)\n\(describe(theirs))")
            }
            #expect(semanticallyEqual(parsedTheirs, value), "\(label): \(describe(theirs))")

            // 3. The tape of both is structurally sound.
            for bytes in [ours, theirs] {
                _ = withDoc(bytes) { view in checkTape(view) == view.nodes.count }
            }
        }
    }

    @Test("random byte mutations: we reject exactly what Foundation rejects (modulo documented differences)")
    func mutations() throws {
        var rng = SplitMix64(seed: 99)
        var gen = RandomJSON(rng: SplitMix64(seed: 7))
        var disagreements: [String] = []
        var checked = 0
        for _ in 0..<3000 {
            var bytes: [UInt8] = []
            gen.value().write(to: &bytes)
            guard !bytes.isEmpty else { continue }
            // Flip, insert or delete one structural-ish byte.
            let pos = Int(rng.next() % UInt64(bytes.count))
            let pool: [UInt8] = Array("{}[],:\"\\ 0-.eE1tfnu".utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xFF]
            let b = pool[Int(rng.next() % UInt64(pool.count))]
            switch rng.next() % 3 {
            case 0: bytes[pos] = b
            case 1: bytes.insert(b, at: pos)
            default: bytes.remove(at: pos)
            }
            let oursOK = docError(bytes) == nil
            let theirsOK = (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
            checked += 1
            if oursOK != theirsOK {
                // Documented difference: a lone \u surrogate is U+FFFD for us, an error for Foundation.
                let text = String(decoding: bytes, as: UTF8.self)
                if oursOK && !theirsOK && text.range(of: #"\\u[dD][89a-fA-F]"#, options: .regularExpression) != nil { continue }
                // Foundation rejects numbers out of Double's range (RFC 8259 §6 lets a parser accept them; we do,
                // keeping the text, and `double` gives ±inf or 0).
                if oursOK && !theirsOK && containsOverflowingNumber(bytes) { continue }
                disagreements.append("ours \(oursOK) foundation \(theirsOK): \(describe(bytes))")
            }
        }
        #expect(checked > 2500)
        #expect(disagreements.isEmpty, "\(disagreements.prefix(10).joined(separator: "\n"))")
    }
}
