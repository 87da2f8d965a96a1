/// The regex engines side by side, for the regex fuzz target (Fuzz/Targets/RegexFuzz.swift): the engines are
/// internal to this module, and the fuzzer must reach each one directly to compare them.
@_spi(Fuzzing) public struct ByteRegexProbe {
    let pattern: String
    let flags: (ignoreCase: Bool, multiline: Bool, dotAll: Bool)
    let fast: ByteRegex?
    let box: RegexBox?

    public init(pattern: String, ignoreCase: Bool, multiline: Bool, dotAll: Bool) {
        self.pattern = pattern
        flags = (ignoreCase, multiline, dotAll)
        fast = ByteRegex(pattern, ignoreCase: ignoreCase, multiline: multiline, dotAll: dotAll)
        box = try? RegexBox(pattern, ignoreCase: ignoreCase, multiline: multiline, dotAll: dotAll)
    }

    /// Nil when every engine that can answer for `subject` agrees, else what disagreed. Swift's `Regex` (the
    /// reference, a backtracking engine) is run only when `consultSwiftRegex`.
    public func check(_ subject: String, consultSwiftRegex: Bool) -> String? {
        var text = subject
        return text.withUTF8 { s -> String? in
            // The DFA may decide before it meets a byte outside printable ASCII (a match already found): such
            // an answer is checked against the reference below; on printable ASCII it must equal the VM's.
            var vm: Bool?
            var early: Bool?
            if let fast {
                let printable = ByteRegex.accepts(s)
                if printable { vm = fast.matchesByVM(s) }
                if let dfa = fast.dfa, let d = dfa.matches(s) {
                    if let vm, vm != d { return "DFA \(d), Pike VM \(vm)" }
                    if !printable { early = d }
                }
            }
            guard consultSwiftRegex, let box else { return nil }
            guard var reference = try? Regex(pattern) else { return "RegexBox compiled a pattern Regex rejects" }
            if flags.ignoreCase { reference = reference.ignoresCase() }
            if flags.multiline { reference = reference.anchorsMatchLineEndings() }
            if flags.dotAll { reference = reference.dotMatchesNewlines() }
            let expected = (try? reference.firstMatch(in: subject)) != nil
            if let vm, vm != expected { return "Pike VM \(vm), Regex \(expected)" }
            if let early, early != expected { return "DFA (deciding early) \(early), Regex \(expected)" }
            let ours = box.matches(s)
            if ours != expected { return "RegexBox \(ours), Regex \(expected)" }
            return nil
        }
    }
}
