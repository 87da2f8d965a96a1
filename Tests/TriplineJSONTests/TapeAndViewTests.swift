import Testing

import TriplineJSON

/// Checks every structural invariant of a tape against the bytes it was parsed from; returns the index after the
/// subtree rooted at `i`.
@discardableResult
func checkTape(_ view: JSONView, _ i: Int = 0, sourceLocation: SourceLocation = #_sourceLocation) -> Int {
    let n = view.nodes[i]
    switch n.kind {
    case .object, .array:
        var k = i + 1
        var members = 0
        while k < Int(n.b) {
            if n.kind == .object {
                #expect(view.kind(k) == .string, "key at \(k)", sourceLocation: sourceLocation)
                k += 1
            }
            k = checkTape(view, k, sourceLocation: sourceLocation)
            members += 1
        }
        #expect(k == Int(n.b), "container \(i) b", sourceLocation: sourceLocation)
        #expect(Int(n.a) == members, "container \(i) a", sourceLocation: sourceLocation)
        #expect(view.after(i) == Int(n.b), sourceLocation: sourceLocation)
        #expect(n.flags == 0, sourceLocation: sourceLocation)
        return Int(n.b)
    case .string:
        #expect(n.a <= n.b && Int(n.b) < view.bytes.count, sourceLocation: sourceLocation)
        #expect(view.bytes[Int(n.a) - 1] == 0x22 && view.bytes[Int(n.b)] == 0x22, sourceLocation: sourceLocation)
        let raw = Array(view.rawBytes(i))
        #expect(n.isEscaped == raw.contains(0x5C), sourceLocation: sourceLocation)
        #expect(view.after(i) == i + 1, sourceLocation: sourceLocation)
        return i + 1
    case .number, .true, .false, .null:
        let text = view.scalarText(i) ?? ""
        switch n.kind {
        case .true: #expect(text == "true", sourceLocation: sourceLocation)
        case .false: #expect(text == "false", sourceLocation: sourceLocation)
        case .null: #expect(text == "null", sourceLocation: sourceLocation)
        default: #expect(view.double(i) != nil, sourceLocation: sourceLocation)
        }
        #expect(n.flags == 0, sourceLocation: sourceLocation)
        #expect(view.after(i) == i + 1, sourceLocation: sourceLocation)
        return i + 1
    }
}

@Suite("Tape layout and JSONView")
struct TapeAndViewTests {
    @Test("exact tape for a small document")
    func exactTape() throws {
        let json = #"{"a":[1,{"b":null}],"c":"x\ny","d":{},"e":true}"#
        let nodes = try parseDoc(json).get()
        func node(_ k: JSONKind, _ a: Int, _ b: Int, _ f: UInt8 = 0) -> JSONNode {
            JSONNode(kind: k, flags: f, a: UInt32(a), b: UInt32(b))
        }
        #expect(
            nodes == [
                node(.object, 4, 13),  // 0
                node(.string, 2, 3),  // 1  "a"
                node(.array, 2, 7),  // 2  [
                node(.number, 6, 7),  // 3  1
                node(.object, 1, 7),  // 4  {
                node(.string, 10, 11),  // 5  "b"
                node(.null, 13, 17),  // 6  null
                node(.string, 21, 22),  // 7  "c"
                node(.string, 25, 29, JSONNode.hasEscapes),  // 8  "x\ny"
                node(.string, 32, 33),  // 9  "d"
                node(.object, 0, 11),  // 10 {}
                node(.string, 39, 40),  // 11 "e"
                node(.true, 42, 46),  // 12 true
            ])
        withDoc(json) { view in
            checkTape(view)
            #expect(view.after(0) == 13)
            #expect(view.after(2) == 7)
            #expect(view.after(3) == 4)
            #expect(view.after(10) == 11)
            #expect(view.string(8) == "x\ny")
        }
    }

    @Test(
        "tape invariants hold",
        arguments: [
            "0", "[]", "{}", "[[],[[]],{}]", #"{"a":{"b":{"c":[1,2,{"d":[]}]}},"e":[{},{"f":"g"}]}"#,
            #"[1,"two",true,false,null,{"k":[]},[{}]]"#, #"{"":"","\u0000":"\\"}"#,
        ])
    func invariants(_ json: String) {
        withDoc(json) { view in
            #expect(checkTape(view) == view.nodes.count)
        }
    }

    @Test("tape node is 12 bytes")
    func nodeSize() {
        #expect(MemoryLayout<JSONNode>.size == 12)
        #expect(MemoryLayout<JSONNode>.stride == 12)
    }

    static let doc = #"{"a":[{"b":1},{"c":[{"b":2}]},{"b":3}],"x":{"y":{"z":"deep"}},"k\u0065y":1,"n":null,"s":"4.5","t":" 7 ","arr":[[{"q":1}],[{"q":2}]]}"#

    struct PathCase: CustomTestStringConvertible, Sendable {
        let path: String
        let values: [String]
        var testDescription: String { path }
    }

    @Test(
        "forEachValue crosses arrays as any element",
        arguments: [
            PathCase(path: "a.b", values: ["1", "3"]),
            PathCase(path: "a.c.b", values: ["2"]),
            PathCase(path: "a.c", values: [#"[{"b":2}]"#]),
            PathCase(path: "a", values: [#"[{"b":1},{"c":[{"b":2}]},{"b":3}]"#]),
            PathCase(path: "x.y.z", values: ["deep"]),
            PathCase(path: "x.y", values: [#"{"z":"deep"}"#]),
            PathCase(path: "x.y.z.w", values: []),
            PathCase(path: "x.nope", values: []),
            PathCase(path: "nope", values: []),
            PathCase(path: "key", values: ["1"]),
            PathCase(path: "k\\u0065y", values: []),
            PathCase(path: "n", values: ["null"]),
            PathCase(path: "arr.q", values: ["1", "2"]),
            PathCase(path: "", values: []),
            PathCase(path: "a.", values: []),
        ])
    func forEachValue(_ c: PathCase) {
        withDoc(Self.doc) { view in
            var seen: [String] = []
            let completed = view.forEachValue(at: JSONPath(c.path)) { v in
                seen.append(view.scalarText(v) ?? JSONValue(view, v).serialized())
                return true
            }
            #expect(completed)
            #expect(seen == c.values)
            let first = view.first(JSONPath(c.path))
            #expect(first.map { view.scalarText($0) ?? JSONValue(view, $0).serialized() } == c.values.first)
        }
    }

    @Test("forEachValue stops when body returns false")
    func forEachValueStops() {
        withDoc(Self.doc) { view in
            var seen: [String] = []
            let completed = view.forEachValue(at: JSONPath("a.b")) { v in
                seen.append(view.scalarText(v)!)
                return false
            }
            #expect(!completed)
            #expect(seen == ["1"])
        }
    }

    @Test("forEachValue from a non-root node and from an array root")
    func forEachValueFrom() {
        withDoc(Self.doc) { view in
            let x = view.member(of: 0, "x")!
            #expect(view.first(JSONPath("y.z"), from: x).flatMap(view.string) == "deep")
        }
        withDoc(#"[{"a":1},{"a":2},[{"a":3}],5,"a"]"#) { view in
            var seen: [String] = []
            view.forEachValue(at: JSONPath("a")) { seen.append(view.scalarText($0)!); return true }
            #expect(seen == ["1", "2", "3"])
        }
    }

    @Test("member(of:) and keyEquals")
    func member() {
        withDoc(Self.doc) { view in
            #expect(view.member(of: 0, "a") == 2)
            #expect(view.member(of: 0, "key").flatMap(view.scalarText) == "1")
            #expect(view.member(of: 0, "k\\u0065y") == nil)
            #expect(view.member(of: 0, "A") == nil)
            #expect(view.member(of: 0, "") == nil)
            #expect(view.member(of: 0, "ke") == nil)
            #expect(view.member(of: 0, "keyy") == nil)
            #expect(view.member(of: 2, "b") == nil)  // an array
            #expect(view.member(of: 1, "a") == nil)  // a string
            let bytes = Array("x".utf8)
            let x = bytes.withUnsafeBufferPointer { view.member(of: 0, $0) }
            #expect(x.map(view.kind) == .object)
        }
        withDoc(#"{"":1,"longer-than-eight-bytes":2,"longer-than-eight-bytez":3,"a":4,"a":5}"#) { view in
            #expect(view.member(of: 0, "").flatMap(view.scalarText) == "1")
            #expect(view.member(of: 0, "longer-than-eight-bytes").flatMap(view.scalarText) == "2")
            #expect(view.member(of: 0, "longer-than-eight-bytez").flatMap(view.scalarText) == "3")
            #expect(view.member(of: 0, "longer-than-eight-byte") == nil)
            #expect(view.member(of: 0, "a").flatMap(view.scalarText) == "5")  // the last one wins
        }
        withDoc(#"{"\u00e9t\u00e9":1,"\"q\"":2,"a\/b":3,"😀":4,"\ud83d\ude00x":5}"#) { view in
            #expect(view.member(of: 0, "été").flatMap(view.scalarText) == "1")
            #expect(view.member(of: 0, "\"q\"").flatMap(view.scalarText) == "2")
            #expect(view.member(of: 0, "a/b").flatMap(view.scalarText) == "3")
            #expect(view.member(of: 0, "😀").flatMap(view.scalarText) == "4")
            #expect(view.member(of: 0, "😀x").flatMap(view.scalarText) == "5")
            #expect(view.member(of: 0, "a\\/b") == nil)
        }
    }

    @Test("forEachMember and forEachElement visit in order and stop on false")
    func iteration() {
        withDoc(#"{"a":[1,[2,3],{"x":4}],"b":{},"c":"s"}"#) { view in
            var keys: [String] = []
            var values: [JSONKind] = []
            view.forEachMember(of: 0) { k, v in
                keys.append(view.string(k)!)
                values.append(view.kind(v))
                #expect(v == k + 1)
                return true
            }
            #expect(keys == ["a", "b", "c"])
            #expect(values == [.array, .object, .string])

            var count = 0
            view.forEachMember(of: 0) { _, _ in count += 1; return false }
            #expect(count == 1)

            let a = view.member(of: 0, "a")!
            var elements: [String] = []
            view.forEachElement(of: a) { e in elements.append(JSONValue(view, e).serialized()); return true }
            #expect(elements == ["1", "[2,3]", #"{"x":4}"#])
            count = 0
            view.forEachElement(of: a) { _ in count += 1; return count < 2 }
            #expect(count == 2)

            // Wrong kinds are no-ops.
            view.forEachElement(of: 0) { _ in Issue.record("object iterated as array"); return true }
            view.forEachMember(of: a) { _, _ in Issue.record("array iterated as object"); return true }
            view.forEachMember(of: view.member(of: 0, "b")!) { _, _ in Issue.record("empty object"); return true }
        }
    }

    @Test("string, withStringBytes, scalarText, rawBytes")
    func scalars() {
        withDoc(#"["plain","esc\"aped\u0021",12.50,-0,true,false,null,{},[],""]"#) { view in
            #expect(view.string(1) == "plain")
            #expect(view.string(2) == "esc\"aped!")
            #expect(view.string(3) == nil)
            #expect(view.string(5) == nil)
            #expect(view.string(8) == nil)
            #expect(view.string(10) == "")
            #expect(Array(view.rawBytes(2)) == Array(#"esc\"aped\u0021"#.utf8))
            view.withStringBytes(2) { #expect(Array($0) == Array("esc\"aped!".utf8)) }
            view.withStringBytes(1) { buf in
                // No copy for an unescaped string: the bytes are the input's.
                #expect(buf.baseAddress == view.bytes.baseAddress! + 2)
            }
            view.withStringBytes(10) { #expect($0.isEmpty) }
            #expect(view.scalarText(1) == "plain")
            #expect(view.scalarText(2) == "esc\"aped!")
            #expect(view.scalarText(3) == "12.50")
            #expect(view.scalarText(4) == "-0")
            #expect(view.scalarText(5) == "true")
            #expect(view.scalarText(6) == "false")
            #expect(view.scalarText(7) == "null")
            #expect(view.scalarText(8) == nil)
            #expect(view.scalarText(9) == nil)
            #expect(view.scalarText(0) == nil)
        }
    }

    struct DoubleCase: CustomTestStringConvertible, Sendable {
        let json: String
        let value: Double?
        var testDescription: String { json }
    }

    @Test(
        "double() on numbers, numeric strings and everything else",
        arguments: [
            DoubleCase(json: "12.5", value: 12.5),
            DoubleCase(json: "-3e2", value: -300),
            DoubleCase(json: #""4.5""#, value: 4.5),
            DoubleCase(json: #"" 7 ""#, value: 7),
            DoubleCase(json: #""\u0031\u0030""#, value: 10),
            DoubleCase(json: #""1e3""#, value: 1000),
            DoubleCase(json: #""""#, value: nil),
            DoubleCase(json: #""abc""#, value: nil),
            DoubleCase(json: #""12abc""#, value: nil),
            DoubleCase(json: #""   ""#, value: nil),
            DoubleCase(json: "true", value: nil),
            DoubleCase(json: "null", value: nil),
            DoubleCase(json: "[]", value: nil),
            DoubleCase(json: "{}", value: nil),
        ])
    func double(_ c: DoubleCase) {
        withDoc(c.json) { view in
            #expect(view.double(0) == c.value)
        }
    }

    @Test("JSONPath splits on dots and keeps empty components")
    func path() {
        #expect(JSONPath("a.b.c").components == [[0x61], [0x62], [0x63]])
        #expect(JSONPath("").components == [[]])
        #expect(JSONPath("a..b").components.count == 3)
        #expect(JSONPath("userIdentity.arn").description == "userIdentity.arn")
        #expect(JSONPath("a.b") == JSONPath("a.b"))
    }
}

@Suite("parseValue walks a stream, parseDocument rejects trailing data")
struct ParseValueTests {
    @Test("parseValue returns the offset just after the value", arguments: [
        ("1", 0, 1), ("  1  ", 0, 3), ("[1,2] x", 0, 5), (#"{"a":1}}"#, 0, 7), (#""s"junk"#, 0, 3), ("true false", 0, 4),
        ("true false", 4, 10), ("-12.5e3,", 0, 7), ("null", 0, 4), ("xx [] yy", 2, 5),
    ])
    func offsets(_ input: String, _ start: Int, _ end: Int) throws {
        var parser = JSONParser()
        let bytes = Array(input.utf8)
        let r = try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseValue(p, at: start) }
        #expect(r == end)
        #expect(!parser.nodes.isEmpty)
        if case .success = parseDoc(bytes), bytes.withUnsafeBufferPointer({ JSONScan.skipWhitespace($0, end) }) != bytes.count {
            Issue.record("parseDocument accepted trailing data in \(input)")
        }
    }

    @Test("parseValue at the end of input or on bad data throws")
    func errors() {
        var parser = JSONParser()
        let bytes = Array("[1]  ".utf8)
        #expect(throws: JSONError(.unexpectedEnd, at: 5)) {
            try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseValue(p, at: 3) }
        }
        #expect(throws: JSONError(.unexpectedCharacter(UInt8(ascii: "]")), at: 2)) {
            try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseValue(p, at: 2) }
        }
        let empty: [UInt8] = []
        #expect(throws: JSONError(.unexpectedEnd, at: 0)) {
            try empty.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseValue(p, at: 0) }
        }
    }

    /// The way the CloudTrail reader walks `{"Records":[…]}` one record at a time.
    @Test("walking {\"Records\":[…]} element by element")
    func walkRecords() throws {
        let records = (0..<50).map { i in
            #"{"eventName":"E\#(i)","n":\#(i),"nested":{"list":[\#(i),{"deep":"\u00e9"}]},"s":"a,b]}"}"#
        }
        let json = " {\n \"Records\" : [ " + records.joined(separator: " ,\n") + " ] \n} "
        let bytes = Array(json.utf8)
        var parser = JSONParser()
        var names: [String] = []
        try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in
            var i = JSONScan.skipWhitespace(p, 0)
            #expect(p[i] == UInt8(ascii: "{"))
            i = JSONScan.skipWhitespace(p, i + 1)
            let (keyEnd, _) = try JSONScan.scanString(p, i + 1)
            #expect(String(decoding: UnsafeBufferPointer(rebasing: p[(i + 1)..<keyEnd]), as: UTF8.self) == "Records")
            i = JSONScan.skipWhitespace(p, keyEnd + 1)
            #expect(p[i] == UInt8(ascii: ":"))
            i = JSONScan.skipWhitespace(p, i + 1)
            #expect(p[i] == UInt8(ascii: "["))
            i += 1
            while true {
                i = try parser.parseValue(p, at: i)
                let nodes = parser.nodes
                nodes.withUnsafeBufferPointer { n in
                    let view = JSONView(bytes: p, nodes: n)
                    #expect(checkTape(view) == n.count)
                    names.append(view.first(JSONPath("eventName")).flatMap(view.string) ?? "?")
                    #expect(view.first(JSONPath("nested.list.deep")).flatMap(view.string) == "é")
                }
                i = JSONScan.skipWhitespace(p, i)
                if p[i] == UInt8(ascii: ",") { i += 1; continue }
                #expect(p[i] == UInt8(ascii: "]"))
                break
            }
        }
        #expect(names == (0..<50).map { "E\($0)" })
        // And the whole thing is one valid document.
        #expect(docError(bytes) == nil)
    }

    @Test("the parser tape is reused between values")
    func reuse() throws {
        var parser = JSONParser()
        let big = Array(("[" + Array(repeating: "1", count: 5000).joined(separator: ",") + "]").utf8)
        try big.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        #expect(parser.nodes.count == 5001)
        let small = Array("7".utf8)
        try small.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        #expect(parser.nodes == [JSONNode(kind: .number, flags: 0, a: 0, b: 1)])
        // A failed parse leaves no stale root behind that looks valid.
        let bad = Array("[1,".utf8)
        _ = try? bad.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        let good = Array("{}".utf8)
        try good.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        #expect(parser.nodes == [JSONNode(kind: .object, flags: 0, a: 0, b: 1)])
    }
}

@Suite("Duplicate keys")
struct DuplicateKeyTests {
    @Test("the last one wins everywhere: members, nested paths, JSONValue, escaped spellings of one key")
    func lastWins() throws {
        withDoc(#"{"k":1,"o":{"t":"first","t":"second"},"k":2,"k":3}"#) { view in
            #expect(view.member(of: 0, "k").flatMap(view.scalarText) == "3")
            #expect(view.first(JSONPath("o.t")).flatMap(view.string) == "second")
        }
        // The same key written plainly and escaped is one key.
        withDoc(#"{"eventName":"A","event\u004eame":"B"}"#) { view in
            #expect(view.member(of: 0, "eventName").flatMap(view.string) == "B")
        }
        let value = try JSONDocument(parsing: Array(#"{"a":"x","b":1,"a":"y"}"#.utf8)).withView { JSONValue($0, 0) }
        #expect(value["a"] == .string("y"))
        #expect(value[path: "b"] == .number("1"))
    }
}
