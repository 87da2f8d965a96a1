@_spi(Fuzzing) import TriplineCore

/// The regex engines against each other: for a pattern the byte engine takes, its DFA and its Pike VM answer
/// alike on every printable-ASCII subject, and `RegexBox` (what rules run) answers as Swift's `Regex` does.
/// Swift's `Regex` backtracks, so it is consulted only for short subjects.
enum RegexFuzz {
    static func run(_ p: UnsafeBufferPointer<UInt8>) throws {
        guard let flags = p.first else { return }
        let parts = fields(UnsafeBufferPointer(rebasing: p[1...]), 2)
        let pattern = String(parts[0].prefix(64))
        let subject = parts.count > 1 ? String(parts[1].prefix(256)) : ""
        let probe = ByteRegexProbe(pattern: pattern, ignoreCase: flags & 1 != 0, multiline: flags & 2 != 0, dotAll: flags & 4 != 0)
        let verdict = probe.check(subject, consultSwiftRegex: subject.utf8.count <= 12 && pattern.utf8.count <= 24)
        if let verdict { throw FuzzFailure("/\(pattern)/ flags \(flags & 7) on \(subject.debugDescription): \(verdict)") }
    }
}
