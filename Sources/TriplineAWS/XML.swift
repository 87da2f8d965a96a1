/// A minimal XML element tree for the query (SNS) and REST-XML (S3) responses.
///
/// Hand-written rather than FoundationXML so the Lambda binary links statically without libxml2. It handles what
/// AWS sends: a declaration, elements, attributes (ignored), text, the five predefined entities, numeric character
/// references, CDATA and comments. Namespaces are kept out of names (`<ns:Tag>` is `Tag`).
struct XMLTree: Sendable, Equatable {
    var name: String
    var children: [XMLTree]
    /// Concatenated text directly inside this element, entities decoded.
    var text: String

    init(name: String, children: [XMLTree] = [], text: String = "") {
        self.name = name
        self.children = children
        self.text = text
    }

    /// The first child named `name`.
    subscript(name: String) -> XMLTree? { children.first { $0.name == name } }

    /// All children named `name`.
    func all(_ name: String) -> [XMLTree] { children.filter { $0.name == name } }

    /// Text of the first child named `name`.
    func text(_ name: String) -> String? { self[name]?.text }

    /// Depth-first search for the first descendant named `name` (error bodies nest differently per service).
    func find(_ name: String) -> XMLTree? {
        for child in children {
            if child.name == name { return child }
            if let found = child.find(name) { return found }
        }
        return nil
    }

    static func parse(_ bytes: [UInt8]) throws -> XMLTree {
        var parser = XMLMiniParser(bytes: bytes)
        return try parser.parseDocument()
    }
}

private struct XMLMiniParser {
    let bytes: [UInt8]
    var i = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    func fail(_ message: String) -> AWSClientError { .invalidResponse("XML: \(message) at byte \(i)") }

    mutating func parseDocument() throws -> XMLTree {
        while true {
            skipWhitespace()
            guard i < bytes.count else { throw fail("no root element") }
            if starts("<?") { try skip(past: "?>") } else if starts("<!--") { try skip(past: "-->") } else if starts("<!") {
                try skip(past: ">")
            } else if bytes[i] == UInt8(ascii: "<") {
                return try parseElement()
            } else {
                throw fail("unexpected text before root")
            }
        }
    }

    mutating func parseElement() throws -> XMLTree {
        i += 1  // <
        let name = localName(readName())
        // Attributes: skipped, but quoted values may contain '>' so walk them properly.
        while i < bytes.count, bytes[i] != UInt8(ascii: ">"), !starts("/>") {
            if bytes[i] == UInt8(ascii: "\"") || bytes[i] == UInt8(ascii: "'") {
                let quote = bytes[i]
                i += 1
                while i < bytes.count, bytes[i] != quote { i += 1 }
            }
            i += 1
        }
        guard i < bytes.count else { throw fail("unterminated tag") }
        var element = XMLTree(name: name)
        if starts("/>") {
            i += 2
            return element
        }
        i += 1  // >
        var text: [UInt8] = []
        while true {
            guard i < bytes.count else { throw fail("unterminated element \(name)") }
            if starts("</") {
                i += 2
                let closing = localName(readName())
                guard closing == name else { throw fail("mismatched </\(closing)> for <\(name)>") }
                try skip(past: ">")
                element.text = try decodeEntities(text)
                return element
            } else if starts("<!--") {
                try skip(past: "-->")
            } else if starts("<![CDATA[") {
                i += 9
                let start = i
                try skip(past: "]]>")
                text.append(contentsOf: bytes[start..<(i - 3)])
            } else if bytes[i] == UInt8(ascii: "<") {
                element.children.append(try parseElement())
            } else {
                text.append(bytes[i])
                i += 1
            }
        }
    }

    mutating func readName() -> String {
        let start = i
        while i < bytes.count, !isSpace(bytes[i]), bytes[i] != UInt8(ascii: ">"), bytes[i] != UInt8(ascii: "/") { i += 1 }
        return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    func localName(_ name: String) -> String {
        name.split(separator: ":").last.map(String.init) ?? name
    }

    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0a || b == 0x0d || b == 0x09 }

    mutating func skipWhitespace() { while i < bytes.count, isSpace(bytes[i]) { i += 1 } }

    func starts(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        return s.withUTF8Buffer { buf in (0..<n).allSatisfy { bytes[i + $0] == buf[$0] } }
    }

    mutating func skip(past s: StaticString) throws {
        while i < bytes.count {
            if starts(s) {
                i += s.utf8CodeUnitCount
                return
            }
            i += 1
        }
        throw fail("expected \(s)")
    }

    func decodeEntities(_ raw: [UInt8]) throws -> String {
        guard raw.contains(UInt8(ascii: "&")) else { return String(decoding: raw, as: UTF8.self) }
        var out: [UInt8] = []
        var j = 0
        while j < raw.count {
            guard raw[j] == UInt8(ascii: "&"), let semi = raw[j...].firstIndex(of: UInt8(ascii: ";")) else {
                out.append(raw[j])
                j += 1
                continue
            }
            let entity = String(decoding: raw[(j + 1)..<semi], as: UTF8.self)
            switch entity {
            case "amp": out.append(UInt8(ascii: "&"))
            case "lt": out.append(UInt8(ascii: "<"))
            case "gt": out.append(UInt8(ascii: ">"))
            case "quot": out.append(UInt8(ascii: "\""))
            case "apos": out.append(UInt8(ascii: "'"))
            default:
                let scalar: UInt32?
                if entity.hasPrefix("#x") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst())
                } else {
                    scalar = nil
                }
                guard let value = scalar.flatMap(Unicode.Scalar.init) else { throw fail("unknown entity &\(entity);") }
                out.append(contentsOf: Array(String(Character(value)).utf8))
            }
            j = semi + 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Escapes text for inclusion in an XML request body.
func xmlEscape(_ s: String) -> String {
    var out = ""
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        default: out.append(c)
        }
    }
    return out
}
