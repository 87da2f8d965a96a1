import TriplineJSON

/// A regular expression compiled to a Thompson NFA over bytes, for printable ASCII input.
///
/// Rules use a small part of regex syntax (classes, counted repeats, anchors, groups, alternation), but Swift's
/// `Regex` costs microseconds per call and an event meets several of them. This engine covers that part and
/// runs in time linear in the input (a Pike VM without captures: no backtracking, so hostile values cannot make
/// it slow). `RegexBox` uses it when the pattern is within the subset and the value is printable ASCII (where a
/// byte is a character and no line-ending rules apply), and Swift's `Regex` otherwise; a differential test
/// checks the two agree.
///
/// Supported: literals and escaped punctuation, `.`, `[...]` and `[^...]` with ranges, `\d \D \w \W \s \S`,
/// `\t \n \r \xHH`, `* + ? {n} {n,} {n,m}` (greedy or lazy: the same for a yes/no answer), `( )` and `(?: )`,
/// `|`, `^ $`, and the i, m, s flags. Anything else (lookaround, backreferences, `\b`, Unicode classes,
/// non-ASCII pattern text) is left to Swift's `Regex`.
struct ByteRegex: Sendable {
    /// 256-bit byte set.
    struct ByteSet: Sendable, Equatable {
        var bits: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

        static func == (a: ByteSet, b: ByteSet) -> Bool { a.bits == b.bits }

        @inline(__always) func contains(_ b: UInt8) -> Bool {
            let word: UInt64
            switch b >> 6 {
            case 0: word = bits.0
            case 1: word = bits.1
            case 2: word = bits.2
            default: word = bits.3
            }
            return word & (1 << UInt64(b & 63)) != 0
        }

        mutating func insert(_ b: UInt8) {
            let bit = UInt64(1) << UInt64(b & 63)
            switch b >> 6 {
            case 0: bits.0 |= bit
            case 1: bits.1 |= bit
            case 2: bits.2 |= bit
            default: bits.3 |= bit
            }
        }

        mutating func insert(_ range: ClosedRange<UInt8>) { for b in range { insert(b) } }
        mutating func formUnion(_ o: ByteSet) {
            bits = (bits.0 | o.bits.0, bits.1 | o.bits.1, bits.2 | o.bits.2, bits.3 | o.bits.3)
        }

        /// The ASCII complement, plus `nonASCIIScalar`: printable ASCII input never holds it, and a value read one
        /// scalar per byte (`RegexBox`) holds it for each scalar beyond ASCII, which a negated class matches.
        var asciiComplement: ByteSet {
            var out = ByteSet()
            out.bits = (~bits.0, ~bits.1, 1, 0)
            return out
        }

        /// Adds the other case of every ASCII letter in the set.
        mutating func foldCase() {
            for c in UInt8(ascii: "a")...UInt8(ascii: "z") where contains(c) || contains(c - 0x20) {
                insert(c)
                insert(c - 0x20)
            }
        }
    }

    enum Inst: Sendable {
        case byte(ByteSet)
        case split(Int32, Int32)
        case jump(Int32)
        case lineStart
        case lineEnd
        case match
    }

    private indirect enum Node {
        case set(ByteSet)
        case concat([Node])
        case alternation([Node])
        case repeated(Node, min: Int, max: Int?)
        case lineStart
        case lineEnd
    }

    let program: [Inst]
    let multiline: Bool
    /// An EventBridge `wildcard` operand every value this regex matches also matches (its literal runs in order,
    /// anything else a `*`), or nil when it keeps no literal. For event patterns, which have no regexes.
    let wildcard: String?
    /// The same program as a DFA, when it stays small (nearly always): one table step per byte.
    let dfa: ByteRegexDFA?

    /// Longest program compiled; bigger counted repeats are left to Swift's `Regex`.
    static let maxInstructions = 4096

    /// Compiles `pattern`, or returns nil when it uses syntax outside the subset.
    init?(_ pattern: String, ignoreCase: Bool, multiline: Bool, dotAll: Bool) {
        var parser = Parser(bytes: Array(pattern.utf8), ignoreCase: ignoreCase, dotAll: dotAll)
        guard let node = parser.parseAlternation(), parser.i == parser.bytes.count else { return nil }
        var program: [Inst] = []
        guard ByteRegex.emit(node, into: &program) else { return nil }
        program.append(.match)
        self.program = program
        self.multiline = multiline
        wildcard = ByteRegex.wildcard(node, multiline: multiline)
        // A pattern whose every match ends at `$` (and that is not also tied to `^`) is decided near the end of
        // the value: read backwards, the reversed pattern is anchored at its start, and most values fail within a
        // few bytes instead of being scanned whole (an ARN that must end in an instance id, a host suffix).
        if ByteRegex.endsAnchored(node) && !ByteRegex.startsAnchored(node) {
            var reversed: [Inst] = []
            if ByteRegex.emit(ByteRegex.reversed(node), into: &reversed) {
                reversed.append(.match)
                dfa = ByteRegexDFA(reversed, backwards: true, multiline: multiline)
                return
            }
        }
        dfa = ByteRegexDFA(program, backwards: false, multiline: multiline)
    }

    // MARK: Parsing

    private struct Parser {
        let bytes: [UInt8]
        let ignoreCase: Bool
        let dotAll: Bool
        var i = 0

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func parseAlternation() -> Node? {
            var branches: [Node] = []
            while true {
                guard let branch = parseConcat() else { return nil }
                branches.append(branch)
                guard peek == UInt8(ascii: "|") else { break }
                i += 1
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func parseConcat() -> Node? {
            var items: [Node] = []
            while let c = peek, c != UInt8(ascii: "|"), c != UInt8(ascii: ")") {
                guard let atom = parseAtom(), let item = parseQuantifier(atom) else { return nil }
                items.append(item)
            }
            return .concat(items)
        }

        mutating func parseQuantifier(_ atom: Node) -> Node? {
            var node = atom
            var quantified = false
            while let c = peek {
                var min = 0
                var max: Int?
                switch c {
                case UInt8(ascii: "*"): i += 1
                case UInt8(ascii: "+"): i += 1; min = 1
                case UInt8(ascii: "?"): i += 1; max = 1
                case UInt8(ascii: "{"):
                    guard let (lo, hi) = parseBraces() else { return nil }
                    min = lo
                    max = hi
                default:
                    return node
                }
                // Stacked quantifiers (`a**`) mean different things in different dialects.
                if quantified { return nil }
                quantified = true
                if case .lineStart = node { return nil }
                if case .lineEnd = node { return nil }
                if peek == UInt8(ascii: "?") { i += 1 }  // lazy: same yes/no answer
                else if peek == UInt8(ascii: "+") { return nil }  // possessive
                node = .repeated(node, min: min, max: max)
            }
            return node
        }

        /// `{n}`, `{n,}` or `{n,m}` at `i`.
        mutating func parseBraces() -> (Int, Int?)? {
            var j = i + 1
            func number() -> Int? {
                var v = 0
                var digits = 0
                while j < bytes.count, bytes[j] &- 0x30 < 10, digits < 5 {
                    v = v * 10 + Int(bytes[j] - 0x30)
                    j += 1
                    digits += 1
                }
                return digits == 0 ? nil : v
            }
            guard let lo = number() else { return nil }
            var hi: Int? = lo
            if j < bytes.count && bytes[j] == UInt8(ascii: ",") {
                j += 1
                hi = number()
            }
            guard j < bytes.count, bytes[j] == UInt8(ascii: "}") else { return nil }
            if let hi, hi < lo { return nil }
            i = j + 1
            return (lo, hi)
        }

        mutating func parseAtom() -> Node? {
            guard let c = peek else { return nil }
            guard c < 0x80 else { return nil }
            i += 1
            switch c {
            case UInt8(ascii: "("):
                if peek == UInt8(ascii: "?") {
                    guard i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ":") else { return nil }
                    i += 2
                }
                guard let inner = parseAlternation(), peek == UInt8(ascii: ")") else { return nil }
                i += 1
                return inner
            case UInt8(ascii: "["): return parseClass()
            case UInt8(ascii: "."):
                var any = ByteSet()
                any.insert(0...0x80)  // 0x80: any non-ASCII scalar (see `nonASCIIScalar`)
                if !dotAll { any = any.removing(0x0A) }
                return .set(any)
            case UInt8(ascii: "^"): return .lineStart
            case UInt8(ascii: "$"): return .lineEnd
            case UInt8(ascii: "\\"):
                guard let set = parseEscape() else { return nil }
                return .set(set)
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"), UInt8(ascii: "{"), UInt8(ascii: ")"),
                UInt8(ascii: "]"), UInt8(ascii: "}"):
                return nil  // a quantifier with nothing to repeat, or a stray bracket: let Swift's Regex judge
            default:
                return .set(literal(c))
            }
        }

        func literal(_ c: UInt8) -> ByteSet {
            var s = ByteSet()
            s.insert(c)
            if ignoreCase { s.foldCase() }
            return s
        }

        /// After a backslash (outside or inside a class). Returns the bytes the escape stands for.
        mutating func parseEscape() -> ByteSet? {
            guard let e = peek, e < 0x80 else { return nil }
            i += 1
            var s = ByteSet()
            switch e {
            case UInt8(ascii: "d"): s.insert(0x30...0x39)
            case UInt8(ascii: "D"): s.insert(0x30...0x39); s = s.asciiComplement
            case UInt8(ascii: "w"): s = ByteSet.word
            case UInt8(ascii: "W"): s = ByteSet.word.asciiComplement
            case UInt8(ascii: "s"): s = ByteSet.space
            case UInt8(ascii: "S"): s = ByteSet.space.asciiComplement
            case UInt8(ascii: "t"): s.insert(0x09)
            case UInt8(ascii: "n"): s.insert(0x0A)
            case UInt8(ascii: "r"): s.insert(0x0D)
            case UInt8(ascii: "x"):
                guard i + 2 <= bytes.count, let h = JSONScan.hexValue(bytes[i]), let l = JSONScan.hexValue(bytes[i + 1]), h < 8
                else { return nil }
                i += 2
                s = literal(UInt8(h << 4 | l))
            default:
                // Escaped punctuation stands for itself; escaped letters and digits are classes, anchors or
                // references this engine does not know.
                guard !(e.isASCIILetter || e &- 0x30 < 10) else { return nil }
                s = literal(e)
            }
            return s
        }

        mutating func parseClass() -> Node? {
            var negate = false
            if peek == UInt8(ascii: "^") {
                negate = true
                i += 1
            }
            // Swift's Regex reads `--`, `&&` and `~~` in a class as set operations (`[a-f0-9--a]` is a hex digit
            // other than a), not as ranges and literals: leave such classes to it.
            var j = i
            while j + 1 < bytes.count, bytes[j] != UInt8(ascii: "]") {
                if bytes[j] == UInt8(ascii: "\\") {
                    j += 2
                    continue
                }
                if bytes[j + 1] == bytes[j], [UInt8(ascii: "-"), UInt8(ascii: "&"), UInt8(ascii: "~")].contains(bytes[j]) { return nil }
                j += 1
            }
            var set = ByteSet()
            var empty = true
            while true {
                guard let c = peek, c < 0x80 else { return nil }
                if c == UInt8(ascii: "]") {
                    // `[]` and `[^]` are errors (or special) in some dialects: leave them to Swift's Regex.
                    if empty { return nil }
                    i += 1
                    break
                }
                if c == UInt8(ascii: "[") { return nil }  // POSIX classes and nested sets
                empty = false
                var low: UInt8
                i += 1
                if c == UInt8(ascii: "\\") {
                    guard let escaped = parseEscape() else { return nil }
                    guard let single = escaped.single else {
                        set.formUnion(escaped)
                        continue
                    }
                    low = single
                } else {
                    low = c
                }
                if peek == UInt8(ascii: "-"), i + 1 < bytes.count, bytes[i + 1] != UInt8(ascii: "]") {
                    i += 1
                    guard var high = peek, high < 0x80 else { return nil }
                    i += 1
                    if high == UInt8(ascii: "\\") {
                        guard let escaped = parseEscape(), let single = escaped.single else { return nil }
                        high = single
                    }
                    guard low <= high else { return nil }
                    set.insert(low...high)
                } else {
                    set.insert(low)
                }
            }
            if ignoreCase { set.foldCase() }
            return .set(negate ? set.asciiComplement : set)
        }
    }

    // MARK: Reading backwards

    /// Whether every match must end where `$` holds (conservative: false when unsure).
    private static func endsAnchored(_ node: Node) -> Bool {
        switch node {
        case .lineEnd: true
        case .concat(let items): items.last.map(endsAnchored) ?? false
        case .alternation(let branches): branches.allSatisfy(endsAnchored)
        case .set, .repeated, .lineStart: false
        }
    }

    /// See ``wildcard``. Only a leading `^` (without the m flag) drops the leading star; a trailing `$` keeps the
    /// trailing one, since `$` also matches before a final newline.
    private static func wildcard(_ node: Node, multiline: Bool) -> String? {
        var items: [Node] = if case .concat(let items) = node { items } else { [node] }
        var out = "*"
        var endsWithStar = true
        if !multiline, case .lineStart = items.first {
            items.removeFirst()
            out = ""
            endsWithStar = false
        }
        var literals = 0
        func star() {
            if !endsWithStar { out += "*" }
            endsWithStar = true
        }
        func literal(_ b: UInt8) {
            // EventBridge wildcards escape `*` and `\` with a backslash.
            if b == UInt8(ascii: "*") || b == UInt8(ascii: "\\") { out += "\\" }
            out.unicodeScalars.append(UnicodeScalar(b))
            endsWithStar = false
            literals += 1
        }
        for item in items {
            switch item {
            case .set(let set):
                if let b = set.single, (0x20...0x7E).contains(b) { literal(b) } else { star() }
            case .repeated(.set(let set), let min, let max) where min == max && min <= 16:
                if let b = set.single, (0x20...0x7E).contains(b) { for _ in 0..<min { literal(b) } } else { star() }
            default:
                star()
            }
        }
        star()
        return literals > 0 ? out : nil
    }

    /// Whether every match must start where `^` holds: the reversed pattern's matches all end at `$`.
    private static func startsAnchored(_ node: Node) -> Bool { endsAnchored(reversed(node)) }

    /// The pattern that matches the reversed strings: a match of `node` in `s` is a match of this in `s` reversed.
    private static func reversed(_ node: Node) -> Node {
        switch node {
        case .set: node
        case .lineStart: .lineEnd
        case .lineEnd: .lineStart
        case .concat(let items): .concat(items.reversed().map(reversed))
        case .alternation(let branches): .alternation(branches.map(reversed))
        case .repeated(let inner, let min, let max): .repeated(reversed(inner), min: min, max: max)
        }
    }

    // MARK: Compiling

    private static func emit(_ node: Node, into p: inout [Inst]) -> Bool {
        guard p.count < maxInstructions else { return false }
        switch node {
        case .set(let s):
            p.append(.byte(s))
        case .lineStart:
            p.append(.lineStart)
        case .lineEnd:
            p.append(.lineEnd)
        case .concat(let items):
            for item in items where !emit(item, into: &p) { return false }
        case .alternation(let branches):
            // split L1, next; L1: a; jump end; next: split L2, … ; last branch
            var jumps: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k < branches.count - 1 {
                    let split = p.count
                    p.append(.split(Int32(split + 1), 0))
                    guard emit(branch, into: &p) else { return false }
                    jumps.append(p.count)
                    p.append(.jump(0))
                    p[split] = .split(Int32(split + 1), Int32(p.count))
                } else {
                    guard emit(branch, into: &p) else { return false }
                }
            }
            for j in jumps { p[j] = .jump(Int32(p.count)) }
        case .repeated(let inner, let min, let max):
            for _ in 0..<min where !emit(inner, into: &p) { return false }
            if let max {
                // (x(x(x)?)?)? for the optional copies.
                var splits: [Int] = []
                for _ in min..<max {
                    splits.append(p.count)
                    p.append(.split(Int32(p.count + 1), 0))
                    guard emit(inner, into: &p) else { return false }
                }
                for s in splits { p[s] = .split(Int32(s + 1), Int32(p.count)) }
            } else {
                // L: split body, end; body; jump L
                let loop = p.count
                p.append(.split(Int32(loop + 1), 0))
                guard emit(inner, into: &p) else { return false }
                p.append(.jump(Int32(loop)))
                p[loop] = .split(Int32(loop + 1), Int32(p.count))
            }
        }
        return p.count <= maxInstructions
    }

    // MARK: Matching

    /// Whether `s` is printable ASCII (0x20–0x7E), the input this engine is exact for.
    static func accepts(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        let base = UnsafeRawPointer(s.baseAddress!)
        var i = 0
        while i + 8 <= s.count {
            let x = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            // A byte below 0x20, at or above 0x80, or equal to 0x7F.
            let del = x ^ (ones &* 0x7F)
            if ((x &- ones &* 0x20) | x | ((del &- ones) & ~del)) & highs != 0 { return false }
            i += 8
        }
        while i < s.count {
            if !isPrintable(s[i]) { return false }
            i += 1
        }
        return true
    }

    @inline(__always) static func isPrintable(_ b: UInt8) -> Bool { b &- 0x20 < 0x5F }

    /// The byte that stands for one Unicode scalar beyond ASCII when a value is read one scalar per byte: only `.`
    /// and negated classes match it, as they match any such scalar.
    static let nonASCIIScalar: UInt8 = 0x80

    /// Whether the pattern matches anywhere in `s`, or nil when `s` is not printable ASCII (then Swift's `Regex`
    /// must answer). The DFA checks and matches in one pass; the VM runs after `accepts`.
    func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool? {
        if let dfa { return dfa.matches(s) }
        return ByteRegex.accepts(s) ? matchesByVM(s) : nil
    }

    /// The Pike VM: linear in the input for any program, used when the DFA would be too big. `s` must satisfy
    /// `accepts`.
    func matchesByVM(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        let count = program.count
        return program.withUnsafeBufferPointer { prog in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: count * 5 + 1) { buffer in
                // Two thread lists, a stamp per instruction (the position a thread last reached it) and the work
                // stack of `add` (each instruction pushes at most two successors).
                let current = UnsafeMutableBufferPointer(rebasing: buffer[0..<count])
                let next = UnsafeMutableBufferPointer(rebasing: buffer[count..<(2 * count)])
                let stamp = UnsafeMutableBufferPointer(rebasing: buffer[(2 * count)..<(3 * count)])
                let work = UnsafeMutableBufferPointer(rebasing: buffer[(3 * count)...])
                stamp.update(repeating: -1)
                var lists = (current, next)
                var currentCount = 0
                let n = s.count
                var pos = 0
                while true {
                    // Unanchored search: a new thread starts at every position.
                    if add(0, at: pos, to: lists.0, &currentCount, stamp, work, prog, s) { return true }
                    if pos == n { return false }
                    let byte = s[pos]
                    var nextCount = 0
                    for t in 0..<currentCount {
                        let pc = Int(lists.0[t])
                        if case .byte(let set) = prog[pc], set.contains(byte) {
                            if add(pc + 1, at: pos + 1, to: lists.1, &nextCount, stamp, work, prog, s) { return true }
                        }
                    }
                    lists = (lists.1, lists.0)
                    currentCount = nextCount
                    pos += 1
                }
            }
        }
    }

    /// Adds the thread at `pc` and everything reachable from it without consuming input. True on a match.
    private func add(
        _ pc: Int, at pos: Int, to list: UnsafeMutableBufferPointer<Int32>, _ listCount: inout Int,
        _ stamp: UnsafeMutableBufferPointer<Int32>, _ work: UnsafeMutableBufferPointer<Int32>,
        _ prog: UnsafeBufferPointer<Inst>, _ s: UnsafeBufferPointer<UInt8>
    ) -> Bool {
        // An instruction is visited at most once per position (its stamp is the position).
        let mark = Int32(truncatingIfNeeded: pos)
        var top = 0
        @inline(__always) func push(_ pc: Int) {
            work[top] = Int32(truncatingIfNeeded: pc)
            top += 1
        }
        push(pc)
        while top > 0 {
            top -= 1
            let pc = Int(work[top])
            if stamp[pc] == mark { continue }
            stamp[pc] = mark
            switch prog[pc] {
            case .match:
                return true
            case .byte:
                list[listCount] = Int32(pc)
                listCount += 1
            case .jump(let to):
                push(Int(to))
            case .split(let a, let b):
                push(Int(b))
                push(Int(a))
            case .lineStart:
                if pos == 0 || (multiline && s[pos - 1] == 0x0A) { push(pc + 1) }
            case .lineEnd:
                if pos == s.count || (multiline && s[pos] == 0x0A) { push(pc + 1) }
            }
        }
        return false
    }
}

extension ByteRegex.ByteSet {
    static let word: Self = {
        var s = Self()
        s.insert(0x30...0x39)
        s.insert(0x41...0x5A)
        s.insert(0x61...0x7A)
        s.insert(0x5F)
        return s
    }()

    static let space: Self = {
        var s = Self()
        for b: UInt8 in [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D] { s.insert(b) }
        return s
    }()

    func removing(_ b: UInt8) -> Self {
        var out = self
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: out.bits.0 &= ~bit
        case 1: out.bits.1 &= ~bit
        case 2: out.bits.2 &= ~bit
        default: out.bits.3 &= ~bit
        }
        return out
    }

    /// The byte, when the set holds exactly one.
    var single: UInt8? {
        var found: UInt8?
        for b in 0...255 where contains(UInt8(b)) {
            if found != nil { return nil }
            found = UInt8(b)
        }
        return found
    }
}

extension UInt8 {
    var isASCIILetter: Bool { (self | 0x20) &- 0x61 < 26 }
}
