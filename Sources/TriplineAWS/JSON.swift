import Foundation

/// A AWSJSON document, used for the AWSJSON-protocol services (not the CloudTrail hot path).
///
/// Accessors return `nil` for missing keys, wrong types and explicit `null`s alike, because moto (and sometimes AWS)
/// writes `"NextToken": null` where a field is absent.
enum AWSJSON: Sendable, Equatable, Codable, ExpressibleByStringLiteral, ExpressibleByDictionaryLiteral,
    ExpressibleByArrayLiteral, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral
{
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([AWSJSON])
    case object([String: AWSJSON])

    init(stringLiteral value: String) { self = .string(value) }
    init(dictionaryLiteral elements: (String, AWSJSON)...) {
        self = .object(Dictionary(elements, uniquingKeysWith: { _, last in last }))
    }
    init(arrayLiteral elements: AWSJSON...) { self = .array(elements) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(integerLiteral value: Int) { self = .number(Double(value)) }

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([AWSJSON].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: AWSJSON].self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            // Integers are written without a fractional part (`MaxResults: 50`, not `50.0`).
            if n.rounded() == n, abs(n) < 9.0e15 { try c.encode(Int64(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// Parses bytes; an empty body is an empty object (some operations answer `200` with no content).
    static func parse(_ bytes: [UInt8]) throws -> AWSJSON {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09 }) { return .object([:]) }
        do {
            return try JSONDecoder().decode(AWSJSON.self, from: Data(bytes))
        } catch {
            throw AWSClientError.invalidResponse("not JSON: \(error)")
        }
    }

    /// Serialises with sorted keys, so identical values give identical (signable, comparable) bytes.
    func serialized() -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(self)) ?? Data("null".utf8))
    }

    // MARK: - Typed access

    subscript(key: String) -> AWSJSON? {
        if case .object(let o) = self, let v = o[key], v != .null { return v }
        return nil
    }

    var string: String? { if case .string(let s) = self { return s }; return nil }
    var double: Double? { if case .number(let n) = self { return n }; return nil }
    var int: Int? { double.flatMap { $0.rounded() == $0 ? Int(exactly: $0) : nil } }
    var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    var array: [AWSJSON]? { if case .array(let a) = self { return a }; return nil }
    var object: [String: AWSJSON]? { if case .object(let o) = self { return o }; return nil }

    /// Required field access for response decoding: throws a clear error naming the field.
    func require<T>(_ key: String, _ get: (AWSJSON) -> T?) throws -> T {
        guard let value = self[key].flatMap(get) else {
            throw AWSClientError.invalidResponse("missing or mistyped field \(key)")
        }
        return value
    }

    /// Builds an object from optional members, dropping `nil`s (request bodies omit unset fields).
    static func compact(_ members: [String: AWSJSON?]) -> AWSJSON {
        .object(members.compactMapValues { $0 })
    }
}

extension AWSJSON {
    init(_ string: String?) { self = string.map(AWSJSON.string) ?? .null }
}
