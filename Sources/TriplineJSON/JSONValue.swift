/// An owned JSON value tree, for the places where convenience beats speed: rule files, test events, findings,
/// AWS request bodies. Object members keep their order. Numbers keep their original text so nothing is lost.
public enum JSONValue: Sendable, Equatable, Hashable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (l: JSONValue, r: JSONValue) -> Bool {
        switch (l, r) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b || (Double(a) != nil && Double(a) == Double(b))
        case let (.string(a), .string(b)): return a == b
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public func hash(into h: inout Hasher) {
        switch self {
        case .null: h.combine(0)
        case .bool(let b): h.combine(b)
        case .number(let n): h.combine(Double(n) ?? 0)
        case .string(let s): h.combine(s)
        case .array(let a): h.combine(a)
        case .object(let o):
            for (k, v) in o {
                h.combine(k)
                h.combine(v)
            }
        }
    }

    public static func number(_ n: Int) -> JSONValue { .number(String(n)) }

    /// Parses UTF-8 JSON text into a tree.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = 512) throws(JSONError) -> JSONValue {
        var parser = JSONParser(maxDepth: maxDepth)
        return try bytes.withUnsafeBufferPointer { (p) throws(JSONError) -> JSONValue in
            try parser.parseDocument(p)
            return parser.withNodes { nodes in
                JSONValue(JSONView(bytes: p, nodes: nodes), 0)
            }
        }
    }

    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Builds the tree for node `i` of a view.
    public init(_ view: JSONView, _ i: Int) {
        switch view.kind(i) {
        case .null: self = .null
        case .true: self = .bool(true)
        case .false: self = .bool(false)
        case .number: self = .number(String(decoding: view.rawBytes(i), as: UTF8.self))
        case .string: self = .string(view.string(i) ?? "")
        case .array:
            var items: [JSONValue] = []
            view.forEachElement(of: i) { e in
                items.append(JSONValue(view, e))
                return true
            }
            self = .array(items)
        case .object:
            var members: [(String, JSONValue)] = []
            view.forEachMember(of: i) { k, v in
                members.append((view.string(k) ?? "", JSONValue(view, v)))
                return true
            }
            self = .object(members)
        }
    }

    // MARK: Access

    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last { $0.0 == key }?.1  // a repeated key: the last one wins, as in the tape view
    }

    /// Follows a dotted path without crossing arrays.
    public subscript(path path: String) -> JSONValue? {
        var current: JSONValue? = self
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: [(String, JSONValue)]? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var doubleValue: Double? {
        switch self {
        case .number(let n): return Double(n)
        case .string(let s): return Double(s)
        default: return nil
        }
    }

    /// Scalars as text (what a human reads in an alert); containers as compact JSON.
    public var text: String {
        switch self {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .number(let n): return n
        case .string(let s): return s
        case .array, .object: return serialized()
        }
    }

    // MARK: Serialization

    /// Compact JSON text. Escapes everything RFC 8259 requires plus `<`, `>`, `&` and U+2028/2029 so the output
    /// is safe to embed in HTML or JavaScript contexts.
    public func serialized() -> String {
        var out: [UInt8] = []
        write(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .number(let n):
            // Number text is carried verbatim; text that is not an RFC 8259 number (NaN, inf, "") is written as
            // null so the output is always valid JSON.
            if JSONValue.isValidNumber(n) { out.append(contentsOf: n.utf8) } else { out.append(contentsOf: "null".utf8) }
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            for (k, (key, value)) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                JSONValue.writeString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func isValidNumber(_ text: String) -> Bool {
        var t = text
        return t.withUTF8 { p in
            guard !p.isEmpty, let end = try? JSONScan.scanNumber(p, 0) else { return false }
            return end == p.count
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    public static func writeString(_ s: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out.append(contentsOf: "\\\"".utf8)
            case "\\": out.append(contentsOf: "\\\\".utf8)
            case "\n": out.append(contentsOf: "\\n".utf8)
            case "\r": out.append(contentsOf: "\\r".utf8)
            case "\t": out.append(contentsOf: "\\t".utf8)
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                appendUnicodeEscape(scalar.value, to: &out)
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    appendUnicodeEscape(scalar.value, to: &out)
                } else {
                    JSONString.appendUTF8(scalar.value, to: &out)
                }
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendUnicodeEscape(_ v: UInt32, to out: inout [UInt8]) {
        out.append(contentsOf: "\\u".utf8)
        for shift in stride(from: 12, through: 0, by: -4) { out.append(hexDigits[Int(v >> UInt32(shift) & 0xF)]) }
    }
}

extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(integerLiteral value: Int) { self = .number(String(value)) }
    public init(arrayLiteral elements: JSONValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .object(elements) }
    public init(nilLiteral: ()) { self = .null }
}

/// An owned, parsed document: bytes plus tape. Use `withView` to read it.
public struct JSONDocument: Sendable {
    public let bytes: [UInt8]
    public let nodes: [JSONNode]

    public init(parsing bytes: [UInt8], maxDepth: Int = 512) throws(JSONError) {
        var parser = JSONParser(maxDepth: maxDepth)
        try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        self.bytes = bytes
        self.nodes = parser.nodes
    }

    public init(_ value: JSONValue) {
        var out: [UInt8] = []
        value.write(to: &out)
        // Our own serializer's output always parses. No depth limit here: the limit guards untrusted input, and a
        // value built in code (say a finding that wraps a 512-deep event) may legitimately be deeper.
        self = try! JSONDocument(parsing: out, maxDepth: .max)
    }

    public func withView<R>(_ body: (JSONView) throws -> R) rethrows -> R {
        try bytes.withUnsafeBufferPointer { b in
            try nodes.withUnsafeBufferPointer { n in try body(JSONView(bytes: b, nodes: n)) }
        }
    }

    public var value: JSONValue { withView { JSONValue($0, 0) } }
}
