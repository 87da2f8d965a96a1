import TriplineJSON
import Yams

/// One node of a rule file as the rule loader reads it: YAML's scalar, sequence and mapping, each with the line it
/// starts on (for diagnostics). Scalars remember whether they were written plain: only plain scalars are typed
/// (`true`, `12`, `null`); quoted ones are always strings.
///
/// Rule files on disk come here from YAML. The built-in catalog comes from the compiled form (``compiled(_:)``),
/// which the build writes once, so a cold start reads the catalog at JSON speed instead of parsing YAML.
public indirect enum RuleNode: Sendable {
    case scalar(String, plain: Bool, line: Int)
    case sequence([RuleNode], line: Int)
    case mapping([(key: RuleNode, value: RuleNode)], line: Int)

    public var line: Int {
        switch self {
        case .scalar(_, _, let line), .sequence(_, let line), .mapping(_, let line): return line
        }
    }

    /// The text of a scalar; nil for sequences and mappings.
    public var scalarText: String? {
        if case .scalar(let text, _, _) = self { return text }
        return nil
    }
}

/// A YAML syntax error, located.
public struct RuleSyntaxError: Error, Sendable {
    public var line: Int
    public var problem: String
}

// MARK: From YAML

extension RuleNode {
    /// The documents of a YAML text (`---`-separated). Nesting and alias expansion are bounded (`YAMLBounds`)
    /// before anything is built.
    public static func documents(yaml text: String) throws(RuleSyntaxError) -> [RuleNode] {
        try YAMLBounds.check(text)
        do {
            // An explicit encoding: Yams' default reads the process environment on every parser.
            var sequence = try compose_all(yaml: text, .basic, .default, .utf8)
            var nodes: [RuleNode] = []
            while let node = sequence.next() { nodes.append(RuleNode(node)) }
            // YamlSequence keeps a parse error in its `error` property instead of throwing it.
            if let error = sequence.error { throw error }
            return nodes
        } catch {
            throw RuleSyntaxError(line: line(of: error), problem: problem(of: error))
        }
    }

    init(_ node: Node) {
        let line = node.mark?.line ?? 1
        switch node {
        case .scalar(let s): self = .scalar(s.string, plain: s.style == .plain || s.style == .any, line: line)
        case .sequence(let seq): self = .sequence(seq.map(RuleNode.init), line: line)
        case .mapping(let map): self = .mapping(map.map { (RuleNode($0.key), RuleNode($0.value)) }, line: line)
        case .alias: self = .scalar("", plain: true, line: line)
        }
    }

    static func line(of error: Error) -> Int {
        if let e = error as? YamlError {
            switch e {
            case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
                return mark.line
            default: return 1
            }
        }
        return 1
    }

    static func problem(of error: Error) -> String {
        if let e = error as? YamlError {
            switch e {
            case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
                .composer(let context, let problem, _, _):
                return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ", ")
            default: return "\(e)"
            }
        }
        return "\(error)"
    }
}

// MARK: Compiled form

/// The compiled form is JSON: a list of documents, each node `[kind, line, payload]` where kind is 0 for a plain
/// scalar, 1 for a quoted one (payload: the text), 2 for a sequence (payload: the nodes) and 3 for a mapping
/// (payload: keys and values alternating).
extension RuleNode {
    public static func compiled(_ documents: [RuleNode]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (k, document) in documents.enumerated() {
            if k > 0 { out.append(UInt8(ascii: ",")) }
            document.write(to: &out)
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The documents of a compiled form, or nil if `text` is not one (the caller then parses the YAML instead).
    /// Members of a document's top-level mapping named in `skipping` are left out unread.
    public static func documents(compiled text: String, skipping: Set<String> = []) -> [RuleNode]? {
        guard let document = try? JSONDocument(parsing: Array(text.utf8)) else { return nil }
        return document.withView { view in
            var out: [RuleNode] = []
            var valid = view.kind(JSONView.root) == .array
            view.forEachElement(of: JSONView.root) { i in
                guard let node = RuleNode(view, i, skipping: skipping) else {
                    valid = false
                    return false
                }
                out.append(node)
                return true
            }
            return valid ? out : nil
        }
    }

    func write(to out: inout [UInt8]) {
        func head(_ kind: Int, _ line: Int) {
            out.append(contentsOf: "[\(kind),\(line),".utf8)
        }
        switch self {
        case .scalar(let text, let plain, let line):
            head(plain ? 0 : 1, line)
            JSONValue.writeString(text, to: &out)
        case .sequence(let items, let line):
            head(2, line)
            out.append(UInt8(ascii: "["))
            for (k, item) in items.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .mapping(let members, let line):
            head(3, line)
            out.append(UInt8(ascii: "["))
            for (k, member) in members.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                member.key.write(to: &out)
                out.append(UInt8(ascii: ","))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        }
        out.append(UInt8(ascii: "]"))
    }

    /// A small non-negative integer (a kind or a line), read without going through floating point.
    static func integer(_ view: JSONView, _ i: Int) -> Int? {
        guard view.kind(i) == .number else { return nil }
        let digits = view.rawBytes(i)
        guard !digits.isEmpty, digits.count < 10 else { return nil }
        var n = 0
        for d in digits {
            guard d >= UInt8(ascii: "0") && d <= UInt8(ascii: "9") else { return nil }
            n = n * 10 + Int(d - UInt8(ascii: "0"))
        }
        return n
    }

    init?(_ view: JSONView, _ i: Int, skipping: Set<String> = []) {
        guard view.kind(i) == .array else { return nil }
        var parts: [Int] = []
        view.forEachElement(of: i) { parts.append($0); return parts.count < 3 }
        guard parts.count == 3, let kind = Self.integer(view, parts[0]), let line = Self.integer(view, parts[1]) else {
            return nil
        }
        let payload = parts[2]
        switch kind {
        case 0, 1:
            guard let text = view.string(payload) else { return nil }
            self = .scalar(text, plain: kind == 0, line: line)
        case 2:
            var items: [RuleNode] = []
            var valid = view.kind(payload) == .array
            view.forEachElement(of: payload) { k in
                guard let item = RuleNode(view, k) else { valid = false; return false }
                items.append(item)
                return true
            }
            guard valid else { return nil }
            self = .sequence(items, line: line)
        case 3:
            var members: [(key: RuleNode, value: RuleNode)] = []
            var pending: RuleNode?
            var skip = false
            var valid = view.kind(payload) == .array
            view.forEachElement(of: payload) { k in
                if skip {
                    skip = false
                    return true
                }
                guard let node = RuleNode(view, k) else { valid = false; return false }
                if let key = pending {
                    members.append((key, node))
                    pending = nil
                } else if let name = node.scalarText, skipping.contains(name) {
                    skip = true
                } else {
                    pending = node
                }
                return true
            }
            guard valid, pending == nil, !skip else { return nil }
            self = .mapping(members, line: line)
        default:
            return nil
        }
    }
}

extension RuleNode: Equatable {
    public static func == (a: RuleNode, b: RuleNode) -> Bool {
        switch (a, b) {
        case let (.scalar(x, p, l), .scalar(y, q, m)): return x == y && p == q && l == m
        case let (.sequence(x, l), .sequence(y, m)): return x == y && l == m
        case let (.mapping(x, l), .mapping(y, m)):
            return l == m && x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        default: return false
        }
    }
}
