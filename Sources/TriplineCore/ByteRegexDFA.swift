/// A deterministic automaton built from a `ByteRegex` program when the regex is compiled, so matching costs one
/// table lookup per input byte instead of the Pike VM's walk over every live thread.
///
/// The subset construction is done eagerly (rules are compiled once and shared by all workers, so there is no
/// cache to guard) and gives up past `maxStates`; the VM then stays in charge. Bytes that no instruction tells
/// apart share a column (byte classes), which keeps the table small.
///
/// Anchors: the DFA is used only for values `ByteRegex.accepts` (printable ASCII, so no line breaks). In such a
/// value `^` holds only at offset 0 and `$` only at the end, with or without the m flag. A state therefore keeps
/// the `$` instructions it reached as pending, and `acceptsAtEnd` says whether any of them leads to a match when
/// the input ends there.
///
/// A DFA built from a reversed pattern (`backwards`) reads the value from its last byte to its first; `ByteRegex`
/// builds one for patterns anchored at `$`.
struct ByteRegexDFA: Sendable {
    static let maxStates = 2048
    /// Transition targets below zero: the search is decided.
    static let accept: Int32 = -1
    static let reject: Int32 = -2
    /// A byte outside printable ASCII: the DFA cannot answer for this value.
    static let unknown: Int32 = -3

    private let classOf: [UInt8]
    private let classCount: Int
    /// `table[row + class]`, where a state's row starts at `state * classCount`: the next state's row, `accept`,
    /// `reject` or `unknown` (every byte outside printable ASCII has a class of its own that leads there, so the
    /// input is checked by the same lookup that matches it).
    private let table: [Int32]
    private let acceptsAtEnd: [Bool]
    /// The pattern matches the empty string at offset 0: every input matches.
    private let alwaysMatches: Bool
    /// The program is the pattern reversed: the value is read from its end.
    let backwards: Bool
    /// With the m flag a line break lets `^` (read backwards, `$`) hold again after every thread has died, so a
    /// rejection stands only when no byte outside printable ASCII follows it.
    private let rejectionNeedsPrintableRest: Bool

    init?(_ program: [ByteRegex.Inst], backwards: Bool, multiline: Bool) {
        self.backwards = backwards
        rejectionNeedsPrintableRest = multiline
        // Byte classes: refine one class at a time by each set the program tests.
        var classOf = [UInt8](repeating: 0, count: 256)
        var classCount = 1
        for case .byte(let set) in program {
            var split: [Int: UInt8] = [:]
            var next = 0
            for b in 0..<256 {
                let key = Int(classOf[b]) << 1 | (set.contains(UInt8(b)) ? 1 : 0)
                if let c = split[key] {
                    classOf[b] = c
                } else {
                    classOf[b] = UInt8(truncatingIfNeeded: next)
                    split[key] = UInt8(truncatingIfNeeded: next)
                    next += 1
                }
            }
            classCount = next
        }
        // Bytes outside printable ASCII get a class of their own (the last), whatever the program tests.
        for b in 0..<256 where !ByteRegex.isPrintable(UInt8(b)) { classOf[b] = UInt8(truncatingIfNeeded: classCount) }
        let outside = classCount
        classCount += 1
        guard classCount <= 256 else { return nil }
        var representative = [UInt8](repeating: 0x20, count: classCount)
        for b in (0..<256).reversed() where ByteRegex.isPrintable(UInt8(b)) { representative[Int(classOf[b])] = UInt8(b) }

        var closure = Closure(program: program)
        let start = closure.run(seeds: [0], atStart: true, atEnd: false)
        alwaysMatches = start.matched
        self.classOf = classOf
        self.classCount = classCount
        if start.matched {
            table = []
            acceptsAtEnd = []
            return
        }

        // States are numbered in discovery order; the start state is kept apart from any later state with the
        // same threads, because only at offset 0 may `^` hold.
        struct Key: Hashable {
            var threads: [Int32]
            var isStart: Bool
        }
        var states: [Key] = [Key(threads: start.threads, isStart: true)]
        var index: [Key: Int32] = [states[0]: 0]
        var table: [Int32] = []
        var acceptsAtEnd: [Bool] = []
        var s = 0
        while s < states.count {
            let state = states[s]
            let pending = state.threads.compactMap { pc -> Int32? in
                if case .lineEnd = program[Int(pc)] { return pc + 1 }
                return nil
            }
            acceptsAtEnd.append(
                !pending.isEmpty && closure.run(seeds: pending, atStart: state.isStart, atEnd: true).matched)
            for c in 0..<classCount {
                if c == outside {
                    table.append(ByteRegexDFA.unknown)
                    continue
                }
                let byte = representative[c]
                var seeds: [Int32] = []
                for pc in state.threads {
                    if case .byte(let set) = program[Int(pc)], set.contains(byte) { seeds.append(pc + 1) }
                }
                seeds.append(0)  // unanchored search: a new thread starts at every offset
                let next = closure.run(seeds: seeds, atStart: false, atEnd: false)
                if next.matched {
                    table.append(ByteRegexDFA.accept)
                } else if next.threads.isEmpty {
                    table.append(ByteRegexDFA.reject)
                } else {
                    let key = Key(threads: next.threads, isStart: false)
                    if let known = index[key] {
                        table.append(known)
                    } else {
                        guard states.count < ByteRegexDFA.maxStates else { return nil }
                        index[key] = Int32(states.count)
                        table.append(Int32(states.count))
                        states.append(key)
                    }
                }
            }
            s += 1
        }
        // Targets as row offsets: one lookup per byte, no multiplication.
        let classes = Int32(classCount)
        self.table = table.map { $0 >= 0 ? $0 * classes : $0 }
        self.acceptsAtEnd = acceptsAtEnd
    }

    var stateCount: Int { acceptsAtEnd.count }

    /// Whether the pattern matches anywhere in `s`, in one pass that also checks the input: nil when `s` holds a
    /// byte outside printable ASCII before the answer is known, or as the next byte to read after the one that
    /// decided it (read forwards, a combining mark there would make that byte part of a different character for
    /// Swift's `Regex`; read backwards, a prepended mark would).
    func matches(_ s: UnsafeBufferPointer<UInt8>) -> Bool? {
        if alwaysMatches { return true }
        return table.withUnsafeBufferPointer { table in
            classOf.withUnsafeBufferPointer { classOf in
                var row = 0
                let n = s.count
                let step = backwards ? -1 : 1
                var i = backwards ? n - 1 : 0
                for _ in 0..<n {
                    let next = table[row &+ Int(classOf[Int(s[i])])]
                    if next < 0 {
                        let after = i + step
                        if next == ByteRegexDFA.unknown || after >= 0 && after < n && !ByteRegex.isPrintable(s[after]) {
                            return nil
                        }
                        if next == ByteRegexDFA.reject && rejectionNeedsPrintableRest {
                            var j = after
                            while j >= 0 && j < n {
                                if !ByteRegex.isPrintable(s[j]) { return nil }
                                j += step
                            }
                        }
                        return next == ByteRegexDFA.accept
                    }
                    row = Int(next)
                    i += step
                }
                return acceptsAtEnd[row / classCount]
            }
        }
    }

    /// Epsilon closure over the program: the instructions reachable from `seeds` without consuming input.
    private struct Closure {
        let program: [ByteRegex.Inst]
        /// `stamp[pc] == generation`: pc already visited in this run (no set to clear between runs).
        private var stamp: [UInt32]
        private var generation: UInt32 = 0
        private var work: [Int32] = []

        init(program: [ByteRegex.Inst]) {
            self.program = program
            stamp = Array(repeating: 0, count: program.count)
        }

        /// `threads`: the byte tests and pending `$` reached (sorted, so equal sets compare equal); `matched`:
        /// whether `match` was reached.
        mutating func run(seeds: [Int32], atStart: Bool, atEnd: Bool) -> (threads: [Int32], matched: Bool) {
            generation += 1
            work.removeAll(keepingCapacity: true)
            work.append(contentsOf: seeds.reversed())
            var threads: [Int32] = []
            while let pc = work.popLast() {
                guard stamp[Int(pc)] != generation else { continue }
                stamp[Int(pc)] = generation
                switch program[Int(pc)] {
                case .match:
                    return ([], true)
                case .byte:
                    threads.append(pc)
                case .jump(let to):
                    work.append(to)
                case .split(let a, let b):
                    work.append(b)
                    work.append(a)
                case .lineStart:
                    if atStart { work.append(pc + 1) }
                case .lineEnd:
                    if atEnd { work.append(pc + 1) } else { threads.append(pc) }
                }
            }
            threads.sort()
            return (threads, false)
        }
    }
}
