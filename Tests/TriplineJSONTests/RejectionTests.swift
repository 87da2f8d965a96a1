import Testing

import TriplineJSON

@Suite("RFC 8259 rejections")
struct RejectionTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let bytes: [UInt8]
        let reason: JSONError.Reason
        let offset: Int
        init(_ text: String, _ reason: JSONError.Reason, at offset: Int) {
            self.bytes = Array(text.utf8)
            self.reason = reason
            self.offset = offset
        }
        init(bytes: [UInt8], _ reason: JSONError.Reason, at offset: Int) {
            self.bytes = bytes
            self.reason = reason
            self.offset = offset
        }
        var testDescription: String { describe(bytes) }
    }

    static func ch(_ c: Character) -> JSONError.Reason { .unexpectedCharacter(c.asciiValue!) }

    static let syntax: [Case] = [
        // Numbers.
        Case("01", .invalidNumber, at: 0),
        Case("-01", .invalidNumber, at: 0),
        Case("00", .invalidNumber, at: 0),
        Case("[1,01]", .invalidNumber, at: 3),
        Case("1.", .invalidNumber, at: 0),
        Case("[1.]", .invalidNumber, at: 1),
        Case("1.e5", .invalidNumber, at: 0),
        Case(".5", ch("."), at: 0),
        Case("-.5", .invalidNumber, at: 0),
        Case("-", .invalidNumber, at: 0),
        Case("[-]", .invalidNumber, at: 1),
        Case("- 1", .invalidNumber, at: 0),
        Case("+1", ch("+"), at: 0),
        Case("1e", .invalidNumber, at: 0),
        Case("1e+", .invalidNumber, at: 0),
        Case("1E-", .invalidNumber, at: 0),
        Case("[1e]", .invalidNumber, at: 1),
        Case("1e5.5", .trailingCharacters, at: 3),
        Case("0x10", .trailingCharacters, at: 1),
        Case("1_000", .trailingCharacters, at: 1),
        Case("NaN", ch("N"), at: 0),
        Case("Infinity", ch("I"), at: 0),
        Case("-Infinity", .invalidNumber, at: 0),
        Case("[NaN]", ch("N"), at: 1),
        // Literals.
        Case("tru", .invalidLiteral, at: 0),
        Case("trUe", .invalidLiteral, at: 0),
        Case("nul", .invalidLiteral, at: 0),
        Case("fals", .invalidLiteral, at: 0),
        Case("[nulL]", .invalidLiteral, at: 1),
        Case("True", ch("T"), at: 0),
        Case("None", ch("N"), at: 0),
        Case("truex", .trailingCharacters, at: 4),
        Case("[truex]", .expectedCommaOrBracket, at: 5),
        // Strings.
        Case("'single'", ch("'"), at: 0),
        Case("{'a':1}", .expectedKey, at: 1),
        Case("\"abc", .unterminatedString, at: 0),
        Case("[\"abc", .unterminatedString, at: 1),
        Case("\"abc\\", .unterminatedString, at: 0),
        Case("\"abc\\\"", .unterminatedString, at: 0),
        Case("\"", .unterminatedString, at: 0),
        Case("\"a\tb\"", .controlCharacterInString, at: 2),
        Case("\"a\nb\"", .controlCharacterInString, at: 2),
        Case("\"\r\"", .controlCharacterInString, at: 1),
        Case("\"\u{1F}\"", .controlCharacterInString, at: 1),
        Case("{\"a\u{0}\":1}", .controlCharacterInString, at: 3),
        Case(#""\x""#, .invalidEscape, at: 1),
        Case(#""ab\'""#, .invalidEscape, at: 3),
        Case(#""\a""#, .invalidEscape, at: 1),
        Case(#""\U0041""#, .invalidEscape, at: 1),
        Case(#""\0""#, .invalidEscape, at: 1),
        Case(#""\u12""#, .invalidEscape, at: 1),
        Case(#""\u12"]"#, .invalidEscape, at: 1),
        Case(#""\u123"#, .invalidEscape, at: 1),
        Case(#""\uZZZZ""#, .invalidEscape, at: 1),
        Case(#""\u00G0""#, .invalidEscape, at: 1),
        Case(#""\u 123""#, .invalidEscape, at: 1),
        Case(#""x\ud83d\uZZZZ""#, .invalidEscape, at: 8),
        Case("\"\\\u{e9}\"", .invalidEscape, at: 1),
        // Containers.
        Case("[1,]", ch("]"), at: 3),
        Case("[1, ]", ch("]"), at: 4),
        Case("[,1]", ch(","), at: 1),
        Case("[,]", ch(","), at: 1),
        Case("[1,,2]", ch(","), at: 3),
        Case("{\"a\":1,}", .expectedKey, at: 7),
        Case("{,}", .expectedKey, at: 1),
        Case("{\"a\" 1}", .expectedColon, at: 5),
        Case("{\"a\",1}", .expectedColon, at: 4),
        Case("{\"a\"=1}", .expectedColon, at: 4),
        Case("{\"a\":1 \"b\":2}", .expectedCommaOrBrace, at: 7),
        Case("{\"a\":1;\"b\":2}", .expectedCommaOrBrace, at: 6),
        Case("[1 2]", .expectedCommaOrBracket, at: 3),
        Case("[1:2]", .expectedCommaOrBracket, at: 2),
        Case("[1}", .expectedCommaOrBracket, at: 2),
        Case("{\"a\":1]", .expectedCommaOrBrace, at: 6),
        Case("{\"a\":}", ch("}"), at: 5),
        Case("{\"a\"}", .expectedColon, at: 4),
        Case("{a:1}", .expectedKey, at: 1),
        Case("{1:1}", .expectedKey, at: 1),
        Case("{null:1}", .expectedKey, at: 1),
        Case("[", .unexpectedEnd, at: 1),
        Case("[1", .unexpectedEnd, at: 2),
        Case("[1,", .unexpectedEnd, at: 3),
        Case("[1, ", .unexpectedEnd, at: 4),
        Case("[[]", .unexpectedEnd, at: 3),
        Case("{", .unexpectedEnd, at: 1),
        Case("{ ", .unexpectedEnd, at: 2),
        Case("{\"a\"", .unexpectedEnd, at: 4),
        Case("{\"a\":", .unexpectedEnd, at: 5),
        Case("{\"a\":1", .unexpectedEnd, at: 6),
        Case("{\"a\":1,", .unexpectedEnd, at: 7),
        Case("{\"a\":{}", .unexpectedEnd, at: 7),
        Case("]", ch("]"), at: 0),
        Case("}", ch("}"), at: 0),
        Case(":", ch(":"), at: 0),
        Case(",", ch(","), at: 0),
        // Whole-document shape.
        Case("", .unexpectedEnd, at: 0),
        Case(" ", .unexpectedEnd, at: 1),
        Case(" \t\r\n ", .unexpectedEnd, at: 5),
        Case("{} x", .trailingCharacters, at: 3),
        Case("{}x", .trailingCharacters, at: 2),
        Case("[]]", .trailingCharacters, at: 2),
        Case("{}}", .trailingCharacters, at: 2),
        Case("1 2", .trailingCharacters, at: 2),
        Case("\"a\" \"b\"", .trailingCharacters, at: 4),
        Case("{},{}", .trailingCharacters, at: 2),
        Case("null\u{0}", .trailingCharacters, at: 4),
        Case("\u{0}", ch("\u{0}"), at: 0),
        Case("\u{0C}1", ch("\u{0C}"), at: 0),  // form feed is not JSON whitespace
        Case("\u{A0}1", .unexpectedCharacter(0xC2), at: 0),  // nor is NBSP
        Case("\u{FEFF}{}", .unexpectedCharacter(0xEF), at: 0),  // BOM
        // Comments.
        Case("// c\n{}", ch("/"), at: 0),
        Case("/* c */ {}", ch("/"), at: 0),
        Case("{} // c", .trailingCharacters, at: 3),
        Case("[1 /* c */]", .expectedCommaOrBracket, at: 3),
        Case("# c\n1", ch("#"), at: 0),
    ]

    static let utf8: [Case] = [
        Case(bytes: [0x22, 0x80, 0x22], .invalidUTF8, at: 1),  // lone continuation
        Case(bytes: [0x22, 0x61, 0xBF, 0x22], .invalidUTF8, at: 2),
        Case(bytes: [0x22, 0xC3, 0x22], .invalidUTF8, at: 1),  // truncated 2-byte
        Case(bytes: [0x22, 0xC3], .invalidUTF8, at: 1),  // truncated at end of input
        Case(bytes: [0x22, 0xE2, 0x82, 0x22], .invalidUTF8, at: 1),  // truncated 3-byte
        Case(bytes: [0x22, 0xE2, 0x22, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xE2, 0x82], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xF0, 0x9F, 0x98, 0x22], .invalidUTF8, at: 1),  // truncated 4-byte
        Case(bytes: [0x22, 0xF0, 0x9F, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xF0, 0x9F, 0x98], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xC3, 0xC3, 0xA9, 0x22], .invalidUTF8, at: 1),  // lead where continuation expected
        Case(bytes: [0x22, 0xC0, 0x80, 0x22], .invalidUTF8, at: 1),  // overlong NUL
        Case(bytes: [0x22, 0xC1, 0xBF, 0x22], .invalidUTF8, at: 1),  // overlong
        Case(bytes: [0x22, 0xE0, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),  // overlong 3-byte
        Case(bytes: [0x22, 0xE0, 0x9F, 0xBF, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xF0, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),  // overlong 4-byte
        Case(bytes: [0x22, 0xF0, 0x8F, 0xBF, 0xBF, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], .invalidUTF8, at: 1),  // encoded high surrogate
        Case(bytes: [0x22, 0xED, 0xBF, 0xBF, 0x22], .invalidUTF8, at: 1),  // encoded low surrogate
        Case(bytes: [0x22, 0xED, 0xA0, 0xBD, 0xED, 0xB8, 0x80, 0x22], .invalidUTF8, at: 1),  // CESU-8 pair
        Case(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),  // > U+10FFFF
        Case(bytes: [0x22, 0xF5, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xF7, 0xBF, 0xBF, 0xBF, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xF8, 0x88, 0x80, 0x80, 0x80, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xFC, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xFE, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x22, 0xFF, 0x22], .invalidUTF8, at: 1),
        Case(bytes: [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D], .invalidUTF8, at: 2),  // in a key
        Case(bytes: [0x5B, 0xC3, 0xA9, 0x5D], .unexpectedCharacter(0xC3), at: 1),  // outside a string
    ]

    @Test("syntax errors: reason and offset", arguments: syntax)
    func rejectsSyntax(_ c: Case) {
        #expect(docError(c.bytes) == JSONError(c.reason, at: c.offset))
        // JSONValue.parse and JSONDocument report the same error.
        #expect(throws: JSONError(c.reason, at: c.offset)) { try JSONValue.parse(c.bytes) }
        #expect(throws: JSONError(c.reason, at: c.offset)) { try JSONDocument(parsing: c.bytes) }
    }

    @Test("invalid UTF-8: reason and offset", arguments: utf8)
    func rejectsUTF8(_ c: Case) {
        #expect(docError(c.bytes) == JSONError(c.reason, at: c.offset))
    }

    @Test("every single byte value as a whole document")
    func singleBytes() {
        for b in 0...255 {
            let e = docError([UInt8(b)])
            if (0x30...0x39).contains(b) {
                #expect(e == nil, "\(b)")
            } else if b == 0x2D {
                #expect(e == JSONError(.invalidNumber, at: 0))
            } else if b == 0x22 {
                #expect(e == JSONError(.unterminatedString, at: 0))
            } else if [0x5B, 0x7B].contains(b) {
                #expect(e == JSONError(.unexpectedEnd, at: 1))
            } else if [0x74, 0x66, 0x6E].contains(b) {
                #expect(e == JSONError(.invalidLiteral, at: 0))
            } else if [0x20, 0x09, 0x0A, 0x0D].contains(b) {
                #expect(e == JSONError(.unexpectedEnd, at: 1))
            } else {
                #expect(e == JSONError(.unexpectedCharacter(UInt8(b)), at: 0))
            }
        }
    }

    @Test("every byte 0x00...0x1F is rejected raw inside a string and accepted as \\u00XX")
    func controlCharacters() {
        for b in UInt8(0)..<0x20 {
            #expect(docError([0x22, 0x61, b, 0x22]) == JSONError(.controlCharacterInString, at: 2))
            let escaped = "\"\\u00" + String(b >> 4, radix: 16) + String(b & 0xF, radix: 16) + "\""
            let v = try? JSONValue.parse(escaped)
            #expect(v.map { strictEqual($0, .string(String(Unicode.Scalar(b)))) } == true, "\(escaped)")
        }
        // DEL is not a control character for JSON.
        #expect(docError([0x22, 0x7F, 0x22]) == nil)
    }

    @Test("every escape letter other than the eight allowed is rejected")
    func escapeLetters() {
        let allowed = Set(#""\/bfnrtu"#.utf8)
        for b in UInt8(0x20)..<0x7F {
            let bytes: [UInt8] = [0x22, 0x5C, b] + Array("0041\"".utf8)
            let e = docError(bytes)
            if allowed.contains(b) {
                #expect(e == nil || b == 0x22, "\\\(Character(Unicode.Scalar(b)))")
            } else {
                #expect(e == JSONError(.invalidEscape, at: 1), "\\\(Character(Unicode.Scalar(b)))")
            }
        }
    }

    @Test("error description names the problem and the offset")
    func errorDescription() {
        #expect(JSONError(.unexpectedCharacter(UInt8(ascii: "x")), at: 3).description == "unexpected character 'x' at byte 3")
        #expect(JSONError(.unexpectedCharacter(0xC3), at: 0).description == "unexpected byte 0xc3 at byte 0")
        #expect(JSONError(.tooDeep, at: 512).description.contains("512"))
    }
}
