import Testing

import TriplineJSON

/// `JSONScan.scanString` skips plain bytes 16 at a time (SSE2), then 8 (SWAR), then one by one. These tests put
/// one special byte (or sequence) at every position of strings of every length 0…40, with the string itself
/// starting at every alignment 0…7, so that each special byte lands at every lane of both steps and at their
/// boundaries.
@Suite("String scanning across SWAR boundaries")
struct StringScanTests {
    struct Special: CustomTestStringConvertible, Sendable {
        let name: String
        /// The bytes inserted into the string content.
        let raw: [UInt8]
        /// The decoded bytes (nil: the insertion must be rejected).
        let decoded: [UInt8]?
        /// Expected error when rejected, relative to the insertion offset (reason, delta).
        let error: JSONError.Reason?
        var testDescription: String { name }
    }

    static let specials: [Special] = [
        Special(name: "escaped quote", raw: Array(#"\""#.utf8), decoded: [0x22], error: nil),
        Special(name: "escaped backslash", raw: Array(#"\\"#.utf8), decoded: [0x5C], error: nil),
        Special(name: "escaped slash", raw: Array(#"\/"#.utf8), decoded: [0x2F], error: nil),
        Special(name: "escaped newline", raw: Array(#"\n"#.utf8), decoded: [0x0A], error: nil),
        Special(name: "escaped tab", raw: Array(#"\t"#.utf8), decoded: [0x09], error: nil),
        Special(name: "\\u00e9", raw: Array(#"\u00e9"#.utf8), decoded: [0xC3, 0xA9], error: nil),
        Special(name: "surrogate pair", raw: Array(#"\ud83d\ude00"#.utf8), decoded: [0xF0, 0x9F, 0x98, 0x80], error: nil),
        Special(name: "2-byte UTF-8", raw: [0xC3, 0xA9], decoded: [0xC3, 0xA9], error: nil),
        Special(name: "3-byte UTF-8", raw: [0xE2, 0x82, 0xAC], decoded: [0xE2, 0x82, 0xAC], error: nil),
        Special(name: "4-byte UTF-8", raw: [0xF0, 0x9F, 0x98, 0x80], decoded: [0xF0, 0x9F, 0x98, 0x80], error: nil),
        Special(name: "DEL", raw: [0x7F], decoded: [0x7F], error: nil),
        Special(name: "space", raw: [0x20], decoded: [0x20], error: nil),
        Special(name: "!", raw: [0x21], decoded: [0x21], error: nil),
        Special(name: "#", raw: [0x23], decoded: [0x23], error: nil),
        Special(name: "[", raw: [0x5B], decoded: [0x5B], error: nil),
        Special(name: "]", raw: [0x5D], decoded: [0x5D], error: nil),
        Special(name: "raw NUL", raw: [0x00], decoded: nil, error: .controlCharacterInString),
        Special(name: "raw tab", raw: [0x09], decoded: nil, error: .controlCharacterInString),
        Special(name: "raw newline", raw: [0x0A], decoded: nil, error: .controlCharacterInString),
        Special(name: "raw 0x1F", raw: [0x1F], decoded: nil, error: .controlCharacterInString),
        Special(name: "lone continuation", raw: [0x80], decoded: nil, error: .invalidUTF8),
        Special(name: "0xFF", raw: [0xFF], decoded: nil, error: .invalidUTF8),
        Special(name: "overlong C0 80", raw: [0xC0, 0x80], decoded: nil, error: .invalidUTF8),
        Special(name: "encoded surrogate", raw: [0xED, 0xA0, 0x80], decoded: nil, error: .invalidUTF8),
        Special(name: "truncated 3-byte", raw: [0xE2, 0x82], decoded: nil, error: .invalidUTF8),
        Special(name: "bad escape", raw: Array(#"\x"#.utf8), decoded: nil, error: .invalidEscape),
        Special(name: "short \\u", raw: Array(#"\u12G"#.utf8), decoded: nil, error: .invalidEscape),
    ]

    /// Plain filler that contains bytes close to the special ones (0x21, 0x23, 0x5B, 0x5D, 0x7E, 0x20).
    static func filler(_ n: Int, seed: Int) -> [UInt8] {
        let alphabet: [UInt8] = Array("abc !#[]~XYZ019_-{}".utf8)
        return (0..<n).map { alphabet[($0 &* 7 &+ seed) % alphabet.count] }
    }

    @Test("special byte at every position of every length, at every alignment", arguments: specials)
    func everyPosition(_ s: Special) throws {
        var checked = 0
        for length in 0...40 {
            for pos in 0...length {
                let before = Self.filler(pos, seed: length)
                let after = Self.filler(length - pos, seed: pos + 3)
                let content = before + s.raw + after
                for align in 0..<8 {
                    // `align` bytes of prefix inside an array, then the string, then a trailing element so that
                    // the input continues past the closing quote (the SWAR load must not see past it).
                    let prefix: [UInt8] = [0x5B] + Array(repeating: 0x20, count: align)
                    let doc = prefix + [0x22] + content + [0x22] + Array(",\"zzzzzzzzzzzzzzzz\"]".utf8)
                    let e = docError(doc)
                    let contentStart = prefix.count + 1
                    if let decoded = s.decoded {
                        guard e == nil else {
                            Issue.record("\(s.name) len \(length) pos \(pos) align \(align): \(e!)")
                            return
                        }
                        let ok = withDoc(doc) { view -> Bool in
                            guard view.nodes.count == 3, view.kind(1) == .string else { return false }
                            let n = view.nodes[1]
                            guard Int(n.a) == contentStart, Int(n.b) == contentStart + content.count else { return false }
                            return view.withStringBytes(1) { Array($0) } == before + decoded + after
                        }
                        if ok != true {
                            Issue.record("\(s.name) len \(length) pos \(pos) align \(align): wrong node or bytes")
                            return
                        }
                    } else {
                        // Every error is reported at the first byte of the offending insertion.
                        let expected = JSONError(s.error!, at: contentStart + pos)
                        if e != expected {
                            Issue.record("\(s.name) len \(length) pos \(pos) align \(align): \(String(describing: e)) != \(expected)")
                            return
                        }
                    }
                    checked += 1
                }
            }
        }
        #expect(checked == 41 * 42 / 2 * 8)
    }

    @Test("closing quote is found at every length and alignment", arguments: 0...40)
    func closingQuote(_ length: Int) {
        for align in 0..<16 {
            let content = Self.filler(length, seed: align)
            let doc = Array(repeating: 0x20, count: align) + [0x22] + content + [0x22]
                + Array(repeating: 0x20, count: 9)
            let result = parseDoc(doc)
            guard case .success(let nodes) = result else {
                Issue.record("len \(length) align \(align): \(result)")
                continue
            }
            #expect(nodes == [JSONNode(kind: .string, flags: 0, a: UInt32(align + 1), b: UInt32(align + 1 + length))])
            // Without the closing quote the string is unterminated, whatever follows in the word.
            let open = Array(repeating: 0x20, count: align) + [0x22] + content
            #expect(docError(open) == JSONError(.unterminatedString, at: align))
        }
    }

    @Test("a quote right after a word of plain bytes ends the string (not the next one)")
    func quoteInsideWord() {
        // Two strings back to back inside one 8-byte word.
        for a in 0...9 {
            for b in 0...9 {
                let s1 = String(repeating: "x", count: a), s2 = String(repeating: "y", count: b)
                let json = "[\"\(s1)\",\"\(s2)\"]"
                let v = try? JSONValue.parse(json)
                #expect(v == .array([.string(s1), .string(s2)]), "\(json)")
            }
        }
    }

    @Test("every byte 0x20...0x7F except quote and backslash passes the fast path untouched")
    func everyASCIIByteInEveryLane() {
        for b in UInt8(0x20)...0x7F where b != 0x22 && b != 0x5C {
            for lane in 0..<16 {
                var content = [UInt8](repeating: UInt8(ascii: "a"), count: 24)
                content[lane] = b
                let doc = [0x22] + content + [0x22]
                let nodes = try? parseDoc(doc).get()
                #expect(nodes == [JSONNode(kind: .string, flags: 0, a: 1, b: 25)], "byte \(b) lane \(lane)")
            }
        }
    }

    @Test("scanString directly: offset of the closing quote and the escape flag")
    func scanStringDirect() throws {
        let cases: [(String, Int, Bool)] = [
            (#"""#, 0, false), (#"abcdefgh""#, 8, false), (#"abcdefghi""#, 9, false), (#"abcdefg\"h""#, 10, true),
            (#"\\""#, 2, true), (#"0123456789abcdef""#, 16, false),
        ]
        for (text, end, esc) in cases {
            let bytes = Array(text.utf8) + Array(" trailing bytes beyond".utf8)
            let r = try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in try JSONScan.scanString(p, 0) }
            #expect(r.0 == end && r.1 == esc, "\(text)")
        }
    }
}
