import TriplineJSON

/// A Sigma string pattern compiled for matching raw UTF-8 bytes without building Strings.
///
/// Sigma values are case-insensitive unless `|cased`; folding is ASCII-only (CloudTrail identifiers are ASCII;
/// non-ASCII bytes compare exactly). `*` and `?` are wildcards, `\*`, `\?`, `\\` their escapes.
///
/// A class, not a struct: rules hold patterns in arrays and the hot loop calls them through those arrays, where
/// copying a struct of four arrays and a string (five retains, five releases) cost more than the match itself.
public final class BytePattern: Sendable, Equatable {
    enum Shape: Sendable, Equatable {
        case exact, prefix, suffix, contains, glob
    }

    enum Token: Sendable, Equatable {
        case byte(UInt8)
        case anyOne
        case anyMany
    }

    let shape: Shape
    /// For exact/prefix/suffix/contains: the literal (lowercased unless cased).
    let literal: [UInt8]
    /// For glob: the token sequence.
    let tokens: [Token]
    let cased: Bool
    /// For contains: the literal's search.
    let search: LiteralSearch?
    /// The value as written in the rule (wildcards included), for generated EventBridge patterns.
    public let source: String
    public let wrap: Wrap

    public enum Wrap: Sendable, Equatable { case none, contains, startsWith, endsWith }

    /// Compiles a Sigma value. `wildcards: false` treats `*` and `?` literally (used for field references).
    public init(_ value: String, wrap: Wrap = .none, cased: Bool = false, wildcards: Bool = true) {
        var tokens: [Token] = []
        let bytes = Array(value.utf8)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if wildcards && c == UInt8(ascii: "\\") && i + 1 < bytes.count
                && [UInt8(ascii: "*"), UInt8(ascii: "?"), UInt8(ascii: "\\")].contains(bytes[i + 1])
            {
                tokens.append(.byte(bytes[i + 1]))
                i += 2
                continue
            }
            if wildcards && c == UInt8(ascii: "*") {
                if tokens.last != .anyMany { tokens.append(.anyMany) }
            } else if wildcards && c == UInt8(ascii: "?") {
                tokens.append(.anyOne)
            } else {
                tokens.append(.byte(cased ? c : asciiLower(c)))
            }
            i += 1
        }
        switch wrap {
        case .none: break
        case .contains:
            if tokens.first != .anyMany { tokens.insert(.anyMany, at: 0) }
            if tokens.last != .anyMany { tokens.append(.anyMany) }
        case .startsWith:
            if tokens.last != .anyMany { tokens.append(.anyMany) }
        case .endsWith:
            if tokens.first != .anyMany { tokens.insert(.anyMany, at: 0) }
        }
        self.cased = cased
        self.source = value
        self.wrap = wrap
        // Classify so the common cases avoid the general glob matcher.
        let inner = tokens.drop { $0 == .anyMany }.reversed().drop { $0 == .anyMany }.reversed()
        let innerIsLiteral = inner.allSatisfy { if case .byte = $0 { return true } else { return false } }
        let lead = tokens.first == .anyMany
        let trail = tokens.last == .anyMany && tokens.count > 0
        if innerIsLiteral && !(tokens.count == 1 && tokens[0] == .anyMany) {
            let literal = inner.map { if case .byte(let b) = $0 { return b } else { return 0 } }
            self.literal = literal
            switch (lead, trail) {
            case (false, false): shape = .exact
            case (false, true): shape = .prefix
            case (true, false): shape = .suffix
            case (true, true): shape = .contains
            }
            self.tokens = []
            search = lead && trail ? LiteralSearch([literal], cased: cased) : nil
        } else {
            self.literal = []
            search = nil
            self.tokens = tokens
            shape = .glob
        }
    }

    public static func == (a: BytePattern, b: BytePattern) -> Bool {
        a.shape == b.shape && a.literal == b.literal && a.tokens == b.tokens && a.cased == b.cased && a.source == b.source
            && a.wrap == b.wrap
    }

    /// True when the pattern is a plain literal with no wildcards: usable as an index key.
    public var exactLiteral: [UInt8]? { shape == .exact ? literal : nil }

    /// The EventBridge pattern operand equivalent to this pattern (EventBridge compares case-sensitively;
    /// CloudTrail writes API names and identifiers in one canonical case).
    public var eventBridgeOperand: JSONValue {
        let text = String(decoding: literal, as: UTF8.self)
        let original = cased ? text : source.replacingOccurrences(of: "\\*", with: "*")
        switch shape {
        case .exact: return wrap == .none ? .string(source) : .string(original)
        case .prefix where wrap == .startsWith: return .object([("prefix", .string(source))])
        case .suffix where wrap == .endsWith: return .object([("suffix", .string(source))])
        default:
            var w = source
            if wrap == .contains || wrap == .endsWith { w = "*" + w }
            if wrap == .contains || wrap == .startsWith { w += "*" }
            return .object([("wildcard", .string(w.replacingOccurrences(of: "**", with: "*")))])
        }
    }

    public func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        switch shape {
        case .exact:
            return s.count == literal.count && equal(s, 0, literal)
        case .prefix:
            return s.count >= literal.count && equal(s, 0, literal)
        case .suffix:
            return s.count >= literal.count && equal(s, s.count - literal.count, literal)
        case .contains:
            return search?.found(in: s) ?? false
        case .glob:
            return glob(s)
        }
    }

    public func matches(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { matches($0) }
    }

    @inline(__always)
    private func fold(_ c: UInt8) -> UInt8 { cased ? c : asciiLower(c) }

    @inline(__always)
    private func equal(_ s: UnsafeBufferPointer<UInt8>, _ at: Int, _ lit: [UInt8]) -> Bool {
        LiteralSearch.equal(s, at, lit, cased: cased)
    }

    /// Iterative wildcard matching with single-star backtracking: O(n·m) worst case, no recursion.
    private func glob(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        var si = 0, ti = 0, star = -1, mark = 0
        let n = s.count
        while si < n {
            if ti < tokens.count {
                switch tokens[ti] {
                case .anyMany:
                    star = ti; mark = si; ti += 1
                    continue
                case .anyOne:
                    // `?` is one character: skip a whole UTF-8 sequence.
                    si += utf8Length(s[si]); ti += 1
                    continue
                case .byte(let b):
                    if fold(s[si]) == b { si += 1; ti += 1; continue }
                }
            }
            if star >= 0 {
                ti = star + 1; mark += 1; si = mark
            } else {
                return false
            }
        }
        while ti < tokens.count && tokens[ti] == .anyMany { ti += 1 }
        return ti == tokens.count && si <= n
    }
}

@inline(__always)
public func asciiLower(_ c: UInt8) -> UInt8 {
    c &- 0x41 < 26 ? c | 0x20 : c
}

@inline(__always)
func utf8Length(_ lead: UInt8) -> Int {
    switch lead {
    case 0..<0xC0: return 1
    case 0xC0..<0xE0: return 2
    case 0xE0..<0xF0: return 3
    default: return 4
    }
}
