/// A compiled Sigma condition over selection indices.
public indirect enum Condition: Sendable, Equatable {
    case selection(Int)
    case not(Condition)
    case and([Condition])
    case or([Condition])
    case constant(Bool)
}

/// A `Condition` laid out in two arrays of plain values (children before parents, the root last), so evaluating
/// it touches no reference counts. `and`/`or` keep their short-circuit order.
struct ConditionProgram: Sendable {
    enum Op: UInt8, Sendable { case selection, not, and, or, constant }

    /// selection: `a` = selection index; constant: `a` = 0/1; not: `a` = operand node;
    /// and/or: operand nodes are `children[a..<b]`.
    struct Node: Sendable {
        var op: Op
        var a: Int32
        var b: Int32
    }

    private(set) var nodes: [Node] = []
    private(set) var children: [Int32] = []

    init(_ condition: Condition) {
        _ = add(condition)
    }

    private mutating func add(_ c: Condition) -> Int32 {
        let node: Node
        switch c {
        case .selection(let i): node = Node(op: .selection, a: Int32(i), b: 0)
        case .constant(let v): node = Node(op: .constant, a: v ? 1 : 0, b: 0)
        case .not(let inner): node = Node(op: .not, a: add(inner), b: 0)
        case .and(let items), .or(let items):
            let operands = items.map { add($0) }
            let start = Int32(children.count)
            children += operands
            if case .and = c {
                node = Node(op: .and, a: start, b: Int32(children.count))
            } else {
                node = Node(op: .or, a: start, b: Int32(children.count))
            }
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }
}

/// Parses Sigma condition strings: `and`, `or`, `not`, parentheses, `1 of x*`, `any of x*`, `all of x*`,
/// `1 of them`, `all of them`. Precedence: not > and > or.
struct ConditionParser {
    private var tokens: [String]
    private var position = 0
    /// Parentheses open at the current token: the parser recurses once per level, so hostile nesting is refused.
    private var depth = 0
    static let maxDepth = 100
    private let names: [String]
    private let source: String

    static func parse(_ text: String, selections names: [String]) throws(DetectionError) -> Condition {
        var parser = ConditionParser(tokens: tokenize(text), names: names, source: text)
        if let pipe = text.firstIndex(of: "|") {
            let tail = text[pipe...].trimmingCharacters(in: " ")
            throw DetectionError(
                "condition '\(text)': aggregation '\(tail)' is the old Sigma count() syntax, which Tripline does not "
                    + "evaluate; use a rule `threshold:` instead")
        }
        guard !parser.tokens.isEmpty else { throw DetectionError("empty condition") }
        let result = try parser.parseOr()
        if parser.position != parser.tokens.count {
            throw DetectionError("condition '\(text)': unexpected '\(parser.tokens[parser.position])'")
        }
        return result
    }

    private init(tokens: [String], names: [String], source: String) {
        self.tokens = tokens
        self.names = names
        self.source = source
    }

    private static func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        for ch in text {
            if ch == "(" || ch == ")" {
                if !current.isEmpty { tokens.append(current); current = "" }
                tokens.append(String(ch))
            } else if ch == " " || ch == "\t" || ch == "\n" || ch == "\r" {
                if !current.isEmpty { tokens.append(current); current = "" }
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }

    private var peek: String? { position < tokens.count ? tokens[position] : nil }

    private mutating func next() -> String? {
        defer { position += 1 }
        return peek
    }

    private mutating func parseOr() throws(DetectionError) -> Condition {
        var items = [try parseAnd()]
        while peek?.lowercased() == "or" {
            position += 1
            items.append(try parseAnd())
        }
        return items.count == 1 ? items[0] : .or(items)
    }

    private mutating func parseAnd() throws(DetectionError) -> Condition {
        var items = [try parseNot()]
        while peek?.lowercased() == "and" {
            position += 1
            items.append(try parseNot())
        }
        return items.count == 1 ? items[0] : .and(items)
    }

    /// A run of `not`s is counted, not recursed into: only its parity matters, and a hostile rule may hold
    /// thousands of them.
    private mutating func parseNot() throws(DetectionError) -> Condition {
        var negations = 0
        while peek?.lowercased() == "not" {
            position += 1
            negations += 1
        }
        let operand = try parseAtom()
        return negations % 2 == 1 ? .not(operand) : operand
    }

    private mutating func parseAtom() throws(DetectionError) -> Condition {
        guard let token = next() else { throw DetectionError("condition '\(source)' ends too early") }
        let lower = token.lowercased()
        if token == "(" {
            depth += 1
            defer { depth -= 1 }
            guard depth <= ConditionParser.maxDepth else {
                throw DetectionError("condition '\(source.prefix(80))…': parentheses nested deeper than \(ConditionParser.maxDepth)")
            }
            let inner = try parseOr()
            guard next() == ")" else { throw DetectionError("condition '\(source)': missing ')'") }
            return inner
        }
        if lower == "1" || lower == "any" || lower == "all" {
            guard peek?.lowercased() == "of", let pattern = tokens[safe: position + 1] else {
                throw DetectionError("condition '\(source)': expected '\(token) of <selections>'")
            }
            position += 2
            let matched = try selections(matching: pattern)
            let items = matched.map(Condition.selection)
            return lower == "all" ? .and(items) : .or(items)
        }
        if ["and", "or", "not", ")", "of"].contains(lower) {
            throw DetectionError("condition '\(source)': unexpected '\(token)'")
        }
        guard let index = names.firstIndex(of: token) else {
            throw DetectionError("condition '\(source)' names '\(token)', which is not a selection of this rule")
        }
        return .selection(index)
    }

    private func selections(matching pattern: String) throws(DetectionError) -> [Int] {
        let indices: [Int]
        if pattern == "them" {
            // Sigma: identifiers starting with an underscore are not part of "them".
            indices = names.indices.filter { !names[$0].hasPrefix("_") }
        } else {
            indices = names.indices.filter { Glob.matches(names[$0], pattern: pattern) }
        }
        guard !indices.isEmpty else {
            throw DetectionError("condition '\(source)': '\(pattern)' matches no selection")
        }
        return indices
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { indices.contains(i) ? self[i] : nil }
}

extension StringProtocol {
    func trimmingCharacters(in set: Character) -> String {
        var s = Substring(self)
        while s.first == set { s = s.dropFirst() }
        while s.last == set { s = s.dropLast() }
        return String(s)
    }
}

/// `*`/`?` matching on Swift strings (selection names, not event data).
enum Glob {
    static func matches(_ text: String, pattern: String) -> Bool {
        let t = Array(text.unicodeScalars)
        let p = Array(pattern.unicodeScalars)
        var ti = 0, pi = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                ti += 1; pi += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
