import Testing

import TriplineJSON

@Suite("RFC 8259 acceptance")
struct AcceptanceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let json: String
        let expected: JSONValue
        var testDescription: String { json }
    }

    static let values: [Case] = [
        Case(json: "null", expected: .null),
        Case(json: "true", expected: .bool(true)),
        Case(json: "false", expected: .bool(false)),
        Case(json: "0", expected: .number("0")),
        Case(json: "-0", expected: .number("-0")),
        Case(json: "7", expected: .number("7")),
        Case(json: "1.5e10", expected: .number("1.5e10")),
        Case(json: "1E-2", expected: .number("1E-2")),
        Case(json: "-123.456e+7", expected: .number("-123.456e+7")),
        Case(json: "1e400", expected: .number("1e400")),
        Case(json: "-1e-400", expected: .number("-1e-400")),
        Case(json: "123456789012345678901234567890", expected: .number("123456789012345678901234567890")),
        Case(json: "0.0000001", expected: .number("0.0000001")),
        Case(json: "0e0", expected: .number("0e0")),
        Case(json: "-0.0E+00", expected: .number("-0.0E+00")),
        Case(json: "\"\"", expected: .string("")),
        Case(json: "\"abc\"", expected: .string("abc")),
        Case(json: #""\"""#, expected: .string("\"")),
        Case(json: #""\\""#, expected: .string("\\")),
        Case(json: #""\/""#, expected: .string("/")),
        Case(json: #""\b""#, expected: .string("\u{08}")),
        Case(json: #""\f""#, expected: .string("\u{0C}")),
        Case(json: #""\n""#, expected: .string("\n")),
        Case(json: #""\r""#, expected: .string("\r")),
        Case(json: #""\t""#, expected: .string("\t")),
        Case(json: #""\u0041\u00e9\u20AC""#, expected: .string("Aé€")),
        Case(json: #""\u0000""#, expected: .string("\u{0}")),
        Case(json: #""\u001f\u007F""#, expected: .string("\u{1F}\u{7F}")),
        Case(json: #""\ud83d\ude00""#, expected: .string("😀")),
        Case(json: #""\uD83D\uDE00""#, expected: .string("😀")),
        Case(json: #""\uDBFF\uDFFF""#, expected: .string("\u{10FFFF}")),
        Case(json: #""\uD800\uDC00""#, expected: .string("\u{10000}")),
        Case(json: #""a\"b\\c\/d\be\ff\ng\rh\ti\u0020j""#, expected: .string("a\"b\\c/d\u{08}e\u{0C}f\ng\rh\ti j")),
        Case(json: "\"é€😀\"", expected: .string("é€😀")),
        Case(json: "\"\u{7F}\"", expected: .string("\u{7F}")),
        Case(json: "\"\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}\"", expected: .string("\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}")),
        Case(json: "\"\u{E000}\u{D7FF}\u{FFFD}\"", expected: .string("\u{E000}\u{D7FF}\u{FFFD}")),
        Case(json: "[]", expected: .array([])),
        Case(json: "{}", expected: .object([])),
        Case(json: "[[]]", expected: .array([.array([])])),
        Case(json: "[{}]", expected: .array([.object([])])),
        Case(json: "{\"\":{}}", expected: .object([("", .object([]))])),
        Case(json: "[1,\"a\",true,false,null,{},[]]", expected: [1, "a", true, false, nil, .object([]), []]),
        Case(json: "{\"a\":1,\"b\":[2,{\"c\":null}],\"d\":{\"e\":\"f\"}}", expected: ["a": 1, "b": [2, ["c": nil]], "d": ["e": "f"]]),
        Case(json: "{\"a\":1,\"a\":2}", expected: .object([("a", 1), ("a", 2)])),
        Case(json: " \t\r\n[ \t\r\n1 \t\r\n, \t\r\n{ \t\r\n\"k\" \t\r\n: \t\r\n\"v\" \t\r\n} \t\r\n] \t\r\n", expected: [1, ["k": "v"]]),
        Case(json: "[ ]", expected: []),
        Case(json: "{ }", expected: .object([])),
        Case(json: "{\n}", expected: .object([])),
        Case(json: "  \"x\"  ", expected: "x"),
        Case(json: "\n\n0\n\n", expected: 0),
        Case(json: "[[[[[[[[[[1]]]]]]]]]]", expected: [[[[[[[[[[1]]]]]]]]]]),
        Case(json: "[-0,0.5,-1.25e-3,1E+2]", expected: .array([.number("-0"), .number("0.5"), .number("-1.25e-3"), .number("1E+2")])),
        Case(json: "{\"k\\u0065y\":\"v\\u0061l\"}", expected: ["key": "val"]),
    ]

    @Test("accepted and decoded", arguments: values)
    func accepts(_ c: Case) throws {
        let v = try JSONValue.parse(c.json)
        #expect(strictEqual(v, c.expected), "got \(v)")
    }

    @Test("surrogate pair decodes to 4-byte UTF-8")
    func surrogatePairBytes() {
        withDoc(#""\ud83d\ude00""#) { view in
            view.withStringBytes(0) { #expect(Array($0) == [0xF0, 0x9F, 0x98, 0x80]) }
            #expect(view.nodes[0].isEscaped)
        }
    }

    @Test(
        "raw multi-byte UTF-8 is kept byte for byte",
        arguments: [
            [0xC2, 0x80], [0xDF, 0xBF], [0xE0, 0xA0, 0x80], [0xE2, 0x82, 0xAC], [0xED, 0x9F, 0xBF], [0xEE, 0x80, 0x80],
            [0xEF, 0xBF, 0xBF], [0xF0, 0x90, 0x80, 0x80], [0xF0, 0x9F, 0x98, 0x80], [0xF3, 0xBF, 0xBF, 0xBF],
            [0xF4, 0x8F, 0xBF, 0xBF],
        ] as [[UInt8]])
    func rawUTF8(_ seq: [UInt8]) {
        let doc: [UInt8] = [0x22] + seq + [0x22]
        withDoc(doc) { view in
            #expect(view.kind(0) == .string)
            #expect(!view.nodes[0].isEscaped)
            view.withStringBytes(0) { #expect(Array($0) == seq) }
        }
    }

    struct NumberCase: CustomTestStringConvertible, Sendable {
        let text: String
        let value: Double
        var testDescription: String { text }
    }

    @Test(
        "numbers: text kept, double() decodes",
        arguments: [
            NumberCase(text: "0", value: 0), NumberCase(text: "-0", value: -0.0), NumberCase(text: "1.5e10", value: 1.5e10),
            NumberCase(text: "1E-2", value: 0.01), NumberCase(text: "-123.456e+7", value: -123.456e7),
            NumberCase(text: "1e308", value: 1e308), NumberCase(text: "1e-320", value: 1e-320),
            NumberCase(text: "1e400", value: .infinity), NumberCase(text: "-1e400", value: -.infinity),
            NumberCase(text: "1e-400", value: 0), NumberCase(text: "9007199254740993", value: 9007199254740992),
            NumberCase(text: "0.1", value: 0.1), NumberCase(text: "1e00000000000000000000001", value: 10),
        ])
    func numbers(_ c: NumberCase) {
        withDoc("[\(c.text)]") { view in
            #expect(view.kind(1) == .number)
            #expect(view.scalarText(1) == c.text)
            let d = view.double(1)
            #expect(d == c.value)
            if c.value == 0 { #expect(d?.sign == c.value.sign) }
        }
    }
}
