/// The kinds of JSON value on the tape.
public enum JSONKind: UInt8, Sendable {
    case object, array, string, number, `true`, `false`, null
}

/// One entry of the parse tape (12 bytes).
///
/// - string, number, literal: `a..<b` is the byte range in the input (for strings: between the quotes, still
///   escaped when `hasEscapes` is set).
/// - object, array: `a` is the member count and `b` is the index of the first node after the container, so a
///   lookup can skip a whole subtree in O(1). Object members are laid out as key node, value node(s), key, ….
public struct JSONNode: Sendable, Equatable {
    public var kind: JSONKind
    public var flags: UInt8
    public var a: UInt32
    public var b: UInt32

    public static let hasEscapes: UInt8 = 1

    @inlinable public init(kind: JSONKind, flags: UInt8, a: UInt32, b: UInt32) {
        self.kind = kind
        self.flags = flags
        self.a = a
        self.b = b
    }

    @inlinable public var isEscaped: Bool { flags & JSONNode.hasEscapes != 0 }
}

/// A parse error with the byte offset where it was detected.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedCharacter(UInt8)
        case trailingCharacters
        case expectedKey
        case expectedColon
        case expectedCommaOrBrace
        case expectedCommaOrBracket
        case invalidLiteral
        case invalidNumber
        case invalidEscape
        case controlCharacterInString
        case invalidUTF8
        case unterminatedString
        case tooDeep
        case documentTooLarge
    }

    public var reason: Reason
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedCharacter(let c):
            what = (0x21...0x7E).contains(c)
                ? "unexpected character '\(Character(Unicode.Scalar(c)))'" : "unexpected byte 0x\(String(c, radix: 16))"
        case .trailingCharacters: what = "unexpected data after the JSON value"
        case .expectedKey: what = "expected an object key (a string)"
        case .expectedColon: what = "expected ':' after an object key"
        case .expectedCommaOrBrace: what = "expected ',' or '}' in an object"
        case .expectedCommaOrBracket: what = "expected ',' or ']' in an array"
        case .invalidLiteral: what = "invalid literal (expected true, false or null)"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence in a string"
        case .controlCharacterInString: what = "unescaped control character in a string"
        case .invalidUTF8: what = "invalid UTF-8"
        case .unterminatedString: what = "unterminated string"
        case .tooDeep: what = "nesting too deep"
        case .documentTooLarge: what = "document larger than 4 GiB"
        }
        return "\(what) at byte \(offset)"
    }
}
