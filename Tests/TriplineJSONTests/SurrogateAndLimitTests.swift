import Testing
import TriplineTestSupport

import TriplineJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Monotonic seconds, without Foundation.
func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

@Suite("Lone surrogates decode to U+FFFD")
struct SurrogateTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let json: String
        let scalars: [UInt32]
        var testDescription: String { json }
    }

    @Test(
        "lone and mismatched surrogates",
        arguments: [
            Case(json: #""\ud800""#, scalars: [0xFFFD]),
            Case(json: #""\udbff""#, scalars: [0xFFFD]),
            Case(json: #""\udc00""#, scalars: [0xFFFD]),
            Case(json: #""\udfff""#, scalars: [0xFFFD]),
            Case(json: #""a\ud83db""#, scalars: [0x61, 0xFFFD, 0x62]),
            Case(json: #""\ud83d\u0041""#, scalars: [0xFFFD, 0x41]),  // high followed by a non-surrogate escape
            Case(json: #""\ud83d\ud83d""#, scalars: [0xFFFD, 0xFFFD]),  // high followed by high
            Case(json: #""\ud83d\ud83d\ude00""#, scalars: [0xFFFD, 0x1F600]),  // second high pairs with the low
            Case(json: #""\ude00\ud83d""#, scalars: [0xFFFD, 0xFFFD]),  // reversed pair
            Case(json: #""\ud83d\n""#, scalars: [0xFFFD, 0x0A]),  // high followed by another escape
            Case(json: #""\ud83d\\ude00""#, scalars: [0xFFFD, 0x5C, 0x75, 0x64, 0x65, 0x30, 0x30]),  // escaped backslash
            Case(json: #""\ud83dx\ude00""#, scalars: [0xFFFD, 0x78, 0xFFFD]),
            Case(json: #""\ud83d""#, scalars: [0xFFFD]),  // high at the very end of the content
            Case(json: "\"\\ud83d\u{E9}\"", scalars: [0xFFFD, 0xE9]),
            Case(json: #""\uD7FF\uE000""#, scalars: [0xD7FF, 0xE000]),  // just outside the surrogate range
        ])
    func lone(_ c: Case) throws {
        let v = try JSONValue.parse(c.json)
        guard case .string(let s) = v else {
            Issue.record("not a string: \(v)")
            return
        }
        #expect(scalars(s) == c.scalars)
        // The decoded bytes are valid UTF-8 (U+FFFD is EF BF BD).
        withDoc(c.json) { view in
            view.withStringBytes(0) { bytes in
                #expect(Array(String(decoding: bytes, as: UTF8.self).utf8) == Array(bytes))
            }
        }
    }

    @Test("a lone surrogate in a key still matches U+FFFD")
    func loneInKey() {
        withDoc(#"{"\ud800":1}"#) { view in
            #expect(view.member(of: 0, "\u{FFFD}") == 2)
        }
    }
}

@Suite("Nesting depth limit")
struct DepthTests {
    static func nestedArrays(_ depth: Int) -> [UInt8] {
        [UInt8](repeating: UInt8(ascii: "["), count: depth) + [UInt8](repeating: UInt8(ascii: "]"), count: depth)
    }

    static func nestedObjects(_ depth: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(depth * 6 + 1)
        for _ in 0..<depth { out += Array(#"{"a":"#.utf8) }
        out += Array("1".utf8)
        out += [UInt8](repeating: UInt8(ascii: "}"), count: depth)
        return out
    }

    @Test("200,000 deep fails fast with .tooDeep, no stack overflow", arguments: ["array", "object", "array-open", "object-open"])
    func veryDeep(_ shape: String) {
        let depth = 200_000
        let doc: [UInt8]
        switch shape {
        case "array": doc = Self.nestedArrays(depth)
        case "object": doc = Self.nestedObjects(depth)
        case "array-open": doc = [UInt8](repeating: UInt8(ascii: "["), count: depth)
        default: doc = Array(String(repeating: #"{"a":"#, count: depth).utf8)
        }
        let t0 = now()
        let e = docError(doc)
        let elapsed = now() - t0
        let expectedOffset = shape.hasPrefix("array") ? 512 : 512 * 5
        #expect(e == JSONError(.tooDeep, at: expectedOffset))
        #expect(elapsed < 1.0)
        #expect(throws: JSONError(.tooDeep, at: expectedOffset)) { try JSONValue.parse(doc) }
    }

    @Test("exactly maxDepth parses, maxDepth + 1 fails", arguments: [1, 2, 7, 64, 512, 513, 2000])
    func boundary(_ maxDepth: Int) {
        let arrays = Self.nestedArrays(maxDepth)
        let objects = Self.nestedObjects(maxDepth)
        if maxDepth == 512 {
            // The default.
            #expect(docError(arrays) == nil)
            #expect(docError(Self.nestedArrays(513)) == JSONError(.tooDeep, at: 512))
            #expect(throws: Never.self) { try JSONValue.parse(objects) }
        }
        #expect(docError(arrays, maxDepth: maxDepth) == nil)
        #expect(docError(objects, maxDepth: maxDepth) == nil)
        #expect(docError(Self.nestedArrays(maxDepth + 1), maxDepth: maxDepth) == JSONError(.tooDeep, at: maxDepth))
        #expect(docError(Self.nestedObjects(maxDepth + 1), maxDepth: maxDepth) == JSONError(.tooDeep, at: maxDepth * 5))
        // Depth counts nesting, not the number of containers.
        let wide = "[" + Array(repeating: "[[]]", count: 1000).joined(separator: ",") + "]"
        #expect(docError(wide, maxDepth: 3) == nil)
        #expect(docError(wide, maxDepth: 2) == JSONError(.tooDeep, at: 2))
    }

    @Test("maxDepth 0 allows only scalars")
    func zeroDepth() {
        #expect(docError("1", maxDepth: 0) == nil)
        #expect(docError("\"s\"", maxDepth: 0) == nil)
        #expect(docError("[]", maxDepth: 0) == JSONError(.tooDeep, at: 0))
        #expect(docError(" {}", maxDepth: 0) == JSONError(.tooDeep, at: 1))
    }

    @Test("a parser stays usable after a depth error")
    func reuseAfterError() throws {
        var parser = JSONParser(maxDepth: 4)
        let deep = Self.nestedArrays(10)
        #expect(throws: JSONError(.tooDeep, at: 4)) {
            try deep.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        }
        let ok = Array("[[1]]".utf8)
        try ok.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        #expect(parser.nodes.count == 3)
        #expect(parser.nodes[0] == JSONNode(kind: .array, flags: 0, a: 1, b: 3))
    }
}

@Suite("Large inputs")
struct LargeInputTests {
    @Test("a 5 MB string value")
    func bigString() {
        let size = 5 << 20
        var doc: [UInt8] = [UInt8(ascii: "{"), 0x22, UInt8(ascii: "s"), 0x22, UInt8(ascii: ":"), 0x22]
        doc.reserveCapacity(size + 16)
        let pattern = Array("CloudTrail event é€😀 ".utf8)
        while doc.count < size { doc += pattern }
        let contentEnd = doc.count
        doc += [0x22, UInt8(ascii: "}")]
        let t0 = now()
        let r = parseDoc(doc)
        let elapsed = now() - t0
        guard case .success(let nodes) = r else {
            Issue.record("\(r)")
            return
        }
        #expect(nodes.count == 3)
        #expect(nodes[2] == JSONNode(kind: .string, flags: 0, a: 6, b: UInt32(contentEnd)))
        #expect(elapsed < 5)

        // The same with escapes sprinkled in: the unescaped value has the right length.
        var escaped: [UInt8] = [0x22]
        var expectedCount = 0
        while escaped.count < size {
            escaped += Array(#"abcdefghij\n\u00e9\"ok"#.utf8)
            expectedCount += 10 + 1 + 2 + 1 + 2
        }
        escaped.append(0x22)
        withDoc(escaped) { view in
            #expect(view.nodes[0].isEscaped)
            view.withStringBytes(0) { #expect($0.count == expectedCount) }
        }
    }

    @Test("a 5 MB array of numbers")
    func bigArray() {
        var doc: [UInt8] = [UInt8(ascii: "[")]
        doc.reserveCapacity((5 << 20) + 64)
        var count = 0
        var rng = SplitMix64(seed: 42)
        var sum = 0.0
        while doc.count < 5 << 20 {
            if count > 0 { doc.append(UInt8(ascii: ",")) }
            let v = Int(rng.next() % 2_000_001) - 1_000_000
            sum += Double(v)
            doc += Array(String(v).utf8)
            if count % 3 == 0 { doc += Array(".5e1".utf8); sum += v < 0 ? -5 + 9 * Double(v) : 5 + 9 * Double(v) }
            count += 1
        }
        doc.append(UInt8(ascii: "]"))
        let t0 = now()
        let parsed = withDoc(doc) { view -> (Int, Double) in
            var n = 0
            var total = 0.0
            view.forEachElement(of: 0) { e in
                n += 1
                total += view.double(e) ?? .nan
                return true
            }
            return (n, total)
        }
        let elapsed = now() - t0
        #expect(parsed?.0 == count)
        #expect(parsed.map { abs($0.1 - sum) < 1e-3 * max(1, abs(sum)) } == true)
        #expect(elapsed < 20)
        let nodes = try? parseDoc(doc).get()
        #expect(nodes?.count == count + 1)
        #expect(nodes?[0] == JSONNode(kind: .array, flags: 0, a: UInt32(count), b: UInt32(count + 1)))
    }
}
