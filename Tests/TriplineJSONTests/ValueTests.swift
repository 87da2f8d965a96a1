import Testing

import TriplineJSON

@Suite("JSONValue")
struct ValueTests {
    @Test("parse → serialize → parse is the identity", arguments: AcceptanceTests.values.map(\.json) + [
        #"{"a":[1,2,{"b":"c"}],"d":{"e":{"f":[[],{}]}},"g":"\u2028\u2029<>&","h":-0.0e-0}"#,
        #"["\u0000\u0001\u001f\u007f","\ud83d\ude00","\ud800","a\/b"]"#,
    ])
    func roundTrip(_ json: String) throws {
        let v = try JSONValue.parse(json)
        let text = v.serialized()
        let again = try JSONValue.parse(text)
        #expect(strictEqual(v, again), "\(text)")
        #expect(v == again)
        #expect(v.hashValue == again.hashValue)
        // Serializing is deterministic and idempotent.
        #expect(again.serialized() == text)
        // JSONDocument(value) holds the same value.
        #expect(strictEqual(JSONDocument(v).value, v))
        #expect(strictEqual(try JSONDocument(parsing: Array(json.utf8)).value, v))
    }

    struct EscapeCase: CustomTestStringConvertible, Sendable {
        let value: String
        let json: String
        var testDescription: String { json }
    }

    @Test(
        "serializer escapes",
        arguments: [
            EscapeCase(value: "plain", json: #""plain""#),
            EscapeCase(value: "", json: #""""#),
            EscapeCase(value: "\"", json: #""\"""#),
            EscapeCase(value: "\\", json: #""\\""#),
            EscapeCase(value: "/", json: #""/""#),
            EscapeCase(value: "\n\r\t", json: #""\n\r\t""#),
            EscapeCase(value: "\u{8}\u{C}", json: #""\u0008\u000c""#),
            EscapeCase(value: "\u{0}\u{1}\u{1F}", json: #""\u0000\u0001\u001f""#),
            EscapeCase(value: "\u{7F}", json: #""\u007f""#),
            EscapeCase(value: "<script>&</script>", json: #""\u003cscript\u003e\u0026\u003c/script\u003e""#),
            EscapeCase(value: "\u{2028}\u{2029}", json: #""\u2028\u2029""#),
            EscapeCase(value: "é€😀\u{80}\u{FFFD}\u{10FFFF}", json: "\"é€😀\u{80}\u{FFFD}\u{10FFFF}\""),
            EscapeCase(value: "e\u{301}", json: "\"e\u{301}\""),
            EscapeCase(value: "\u{FEFF}x\u{FEFF}", json: "\"\u{FEFF}x\u{FEFF}\""),
        ])
    func escapes(_ c: EscapeCase) throws {
        let text = JSONValue.string(c.value).serialized()
        #expect(Array(text.utf8) == Array(c.json.utf8))
        var out: [UInt8] = []
        JSONValue.writeString(c.value, to: &out)
        #expect(out == Array(c.json.utf8))
        // Valid UTF-8 and parses back to the same scalars.
        #expect(String(validating: out, as: UTF8.self) != nil)
        let back = try JSONValue.parse(out)
        #expect(back.stringValue.map(scalars) == scalars(c.value))
    }

    @Test("every scalar below U+0100 and a sample above survive serialization")
    func allLowScalars() throws {
        var s = ""
        for v in 0..<0x100 { s.unicodeScalars.append(Unicode.Scalar(UInt32(v))!) }
        for v in stride(from: 0x100, to: 0x110000, by: 0x101) {
            if let u = Unicode.Scalar(UInt32(v)) { s.unicodeScalars.append(u) }
        }
        let value = JSONValue.object([(s, .string(s))])
        var out: [UInt8] = []
        value.write(to: &out)
        #expect(String(validating: out, as: UTF8.self) != nil)
        // No raw control characters, DEL or HTML-significant bytes in the output except the structure.
        let forbidden: Set<UInt8> = Set(0..<0x20).union([0x7F, UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "&")])
        #expect(!out.contains { forbidden.contains($0) })
        #expect(!out.indices.dropLast(2).contains { out[$0] == 0xE2 && out[$0 + 1] == 0x80 && (out[$0 + 2] == 0xA8 || out[$0 + 2] == 0xA9) })
        let back = try JSONValue.parse(out)
        #expect(strictEqual(back, value))
    }

    @Test("containers and scalars serialize compactly")
    func compact() {
        let v: JSONValue = ["a": [1, true, false, nil, "x"], "b": .object([]), "c": [], "n": .number("-1.5e3")]
        #expect(v.serialized() == #"{"a":[1,true,false,null,"x"],"b":{},"c":[],"n":-1.5e3}"#)
        #expect(JSONValue.number(42).serialized() == "42")
        #expect(JSONValue.number(-7) == .number("-7"))
    }

    @Test("accessors")
    func accessors() throws {
        let v = try JSONValue.parse(#"{"a":{"b":{"c":"deep"}},"arr":[{"x":1}],"n":"12.5","t":true,"num":3,"dup":1,"dup":2}"#)
        #expect(v["a"]?["b"]?["c"] == "deep")
        #expect(v[path: "a.b.c"]?.stringValue == "deep")
        #expect(v[path: "a.b"]?.objectValue?.count == 1)
        #expect(v[path: "arr.x"] == nil)  // does not cross arrays
        #expect(v[path: "a.missing.c"] == nil)
        #expect(v["arr"]?.arrayValue?.count == 1)
        #expect(v["t"]?.boolValue == true)
        #expect(v["n"]?.doubleValue == 12.5)
        #expect(v["num"]?.doubleValue == 3)
        #expect(v["t"]?.doubleValue == nil)
        #expect(v["dup"] == 2)  // the last member wins, as in most JSON readers
        #expect(v["a"]?.stringValue == nil)
        #expect(JSONValue.string("x")["a"] == nil)
        #expect(v["n"]?.text == "12.5")
        #expect(v["num"]?.text == "3")
        #expect(v["t"]?.text == "true")
        #expect(JSONValue.null.text == "null")
        #expect(JSONValue.bool(false).text == "false")
        #expect(v["arr"]?.text == #"[{"x":1}]"#)
    }

    @Test("equality and hashing")
    func equality() {
        #expect(JSONValue.number("1") == .number("1.0"))
        #expect(JSONValue.number("1") == .number("1e0"))
        #expect(JSONValue.number("1").hashValue == JSONValue.number("1.0").hashValue)
        #expect(JSONValue.number("0").hashValue == JSONValue.number("-0").hashValue)
        #expect(JSONValue.number("1") != .number("2"))
        #expect(JSONValue.number("1") != .string("1"))
        #expect(JSONValue.bool(true) != .number("1"))
        #expect(JSONValue.null != .bool(false))
        #expect(JSONValue.array([1, 2]) != .array([2, 1]))
        #expect(JSONValue.object([("a", 1), ("b", 2)]) != .object([("b", 2), ("a", 1)]))  // members keep order
        #expect(JSONValue.object([("a", 1)]) != .object([("a", 1), ("a", 1)]))
        let set: Set<JSONValue> = [.number("1"), .number("1.0"), .string("1"), ["a": 1], ["a": .number("1.00")]]
        #expect(set.count == 3)
    }

    @Test("JSONDocument from a value and from bytes")
    func document() throws {
        let v: JSONValue = ["eventName": "ConsoleLogin", "userIdentity": ["type": "Root"], "list": [1, 2]]
        let doc = JSONDocument(v)
        #expect(String(decoding: doc.bytes, as: UTF8.self) == v.serialized())
        #expect(doc.value == v)
        doc.withView { view in
            #expect(view.first(JSONPath("userIdentity.type")).flatMap(view.string) == "Root")
            #expect(checkTape(view) == view.nodes.count)
        }
        #expect(throws: JSONError(.trailingCharacters, at: 3)) { try JSONDocument(parsing: Array("{} x".utf8)) }
        #expect(throws: JSONError(.tooDeep, at: 2)) { try JSONDocument(parsing: Array("[[[]]]".utf8), maxDepth: 2) }
    }

    @Test("JSONDocument(value) of a value nested deeper than the default parse limit")
    func deepValueDocument() {
        // Values built in code (e.g. a finding wrapping a 512-deep event) are not bound by the parse limit.
        var v: JSONValue = "leaf"
        for _ in 0..<600 { v = ["a": v] }
        let doc = JSONDocument(v)
        #expect(doc.nodes.count == 1201)
        #expect(doc.value == v)
    }

    @Test("JSONValue.parse honours maxDepth")
    func parseDepth() {
        #expect(throws: JSONError(.tooDeep, at: 1)) { try JSONValue.parse(Array("[[1]]".utf8), maxDepth: 1) }
        #expect(throws: Never.self) { try JSONValue.parse(Array("[[1]]".utf8), maxDepth: 2) }
    }
}
