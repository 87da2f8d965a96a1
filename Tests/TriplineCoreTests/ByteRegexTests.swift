import Testing
@testable import TriplineCore

/// The byte engine must answer exactly as Swift's `Regex` does on the inputs it is used for (printable ASCII).
@Suite("ByteRegex agrees with Swift Regex")
struct ByteRegexTests {
    static let patterns = [
        #":assumed-role/[^/]+/i-[0-9a-f]{8,17}$"#, #"^([0-9]{1,3}(\.[0-9]{1,3}){3}|[0-9A-Fa-f]*:[0-9A-Fa-f:.]+)$"#,
        "^[^!]", #"^[0-9]{12}$"#, "a|b|", "(ab)*c", "a{0}b", "x{2,}", "colou?r", "^$", "^", "$", "[-a]", "[a-]",
        #"[\d\s]+"#, #"\W\w"#, #"[^\w]"#, "(?:ab|cd)+e", "a.c", "a.*?c", "a+?b", #"\.amazonaws\.com$"#,
        "AKIA[A-Z0-9]{16}", "(a|ab)(c|bcd)(d*)", "[]a]", "[^]a]", #"\x41b"#, "((((a))))", "a{2,3}?", "[A-Fa-f0-9-]{36}",
        "^(?:get|list|describe)", "(root|admin)$", "(", "[z-a]", #"\b"#, "(?=a)", #"\1"#, "a{3,1}",
        // Anchored at the end only (read backwards), at both ends, or in some branches only.
        #"[0-9]+\.log$"#, "(a|bc)+$", "x$|^y", "^ab$", "b{2,}$", "(?:ab|cd)$|e$", "a.*c$", "[^/]+$", "c$|a",
        // Braces that open no counted repeat, nested and POSIX classes.
        "ab{1x|c", "x{,2}", "b{,1}c", "a{}", "[[a]b]", "[[:alpha:]]x", "[a-c[x]]",
        // Set operations inside a class, and look-alikes that are ranges.
        "[a-f0-9--a]", "[!--a]", "[ab&&b]", "[ab~~b]", #"[a\--z]"#, "[a-c-e]", "[--/]",
    ]

    static let inputs = [
        "", "a", "ab", "abc", "abbbc", "ac", "c", "color", "colour", "colouur", "x", "xx", "xxx", "!bang", "bang!",
        "arn:aws:sts::111122223333:assumed-role/web-app/i-0a1b2c3d4e5f60718",
        "arn:aws:sts::111122223333:assumed-role/web-app/i-0a1b2c3d", "arn:aws:sts::1:assumed-role/web/i-0A1B2C3D4E5F",
        "arn:aws:sts::111122223333:assumed-role/web-app/botocore-session-1", "203.0.113.7", "10.0.0.1", "1.2.3",
        "2001:db8::1", "fe80::1%eth0", "AWS Internal", "ec2.amazonaws.com", "123456789012", "12345678901", "a1 b2",
        "AKIAIOSFODNN7EXAMPLE", "abcd", "abcde", "GetObject", "ListBuckets", "DescribeInstances", "admin", "root ",
        "]a", "Ab", "aB", "-", "8c7a1d2e-0000-4000-8000-000000000001", "aaa", "aaaa", "zz-top",
        "12.log", "a.log.gz", "bcbca", "yz", "zx", "catalog", "abc/def", "abc/", "bb", "cab", "xe", "ecd", "#", "]", "d",
    ]

    @Test("every supported pattern, with and without case folding, on every input")
    func differential() throws {
        var compared = 0
        for pattern in Self.patterns {
            for ignoreCase in [false, true] {
                guard let fast = ByteRegex(pattern, ignoreCase: ignoreCase, multiline: false, dotAll: false) else { continue }
                // Anything the byte engine takes, Swift's Regex must take too (rules are compiled by both).
                var swift = try Regex(pattern)
                if ignoreCase { swift = swift.ignoresCase() }
                for input in Self.inputs {
                    var text = input
                    let ours = text.withUTF8 { fast.matches($0) }
                    let vm = text.withUTF8 { fast.matchesByVM($0) }
                    let theirs = (try? swift.firstMatch(in: input)) != nil
                    #expect(ours == theirs, "/\(pattern)/\(ignoreCase ? "i" : "") on '\(input)': ByteRegex \(ours), Regex \(theirs)")
                    #expect(vm == theirs, "/\(pattern)/\(ignoreCase ? "i" : "") on '\(input)': VM \(vm), Regex \(theirs)")
                    compared += 1
                }
            }
        }
        #expect(compared > 2000)
    }

    @Test("RegexBox (DFA first, Swift's Regex for what it cannot decide) agrees with Regex, non-ASCII values and the m flag included")
    func regexBoxDifferential() throws {
        let inputs = Self.inputs + [
            "caf\u{E9}", "a\u{301}bc", "abc\u{301}", "/\u{301}x", "x/\u{301}", "colou\u{308}r", "\u{212A}ali",
            "arn:aws:sts::1:assumed-role/w\u{E9}b/i-0a1b2c3d4e5f60718", "10.0.0.1\u{301}", "tab\tGetObject", "line\nroot",
            // Read backwards: a prepended mark (U+0600) joins the character after it.
            "\u{600}root", "r\u{600}oot", "\u{600}c", "\u{600}/i-0a1b2c3d", "\u{E9}1.log", "\u{600}1.log", "root\u{600}",
            // With the m flag a line break far from where every thread died lets `^` or `$` hold again.
            "|x\ny", "|x$\u{0}a\ny", "zz\nab", "ab\nzz", "root\n!", "x\r\nroot", "12.log\nx", "bc\u{2028}a",
        ]
        var compared = 0
        for pattern in Self.patterns + ["^y", "^root", "^ab"] {
            for ignoreCase in [false, true] {
                for multiline in [false, true] {
                    guard ByteRegex(pattern, ignoreCase: ignoreCase, multiline: multiline, dotAll: false) != nil else { continue }
                    let box = try RegexBox(pattern, ignoreCase: ignoreCase, multiline: multiline, dotAll: false)
                    var swift = try Regex(pattern)
                    if ignoreCase { swift = swift.ignoresCase() }
                    if multiline { swift = swift.anchorsMatchLineEndings() }
                    for input in inputs {
                        let ours = box.matches(input)
                        let theirs = (try? swift.firstMatch(in: input)) != nil
                        let flags = (ignoreCase ? "i" : "") + (multiline ? "m" : "")
                        #expect(ours == theirs, "/\(pattern)/\(flags) on \(input.debugDescription): box \(ours), Regex \(theirs)")
                        compared += 1
                    }
                }
            }
        }
        #expect(compared > 4000)
    }

    @Test("the patterns compile to DFAs (the VM is the fallback), and a pattern too big for one still answers")
    func dfaBuilt() throws {
        for pattern in Self.patterns {
            guard let fast = ByteRegex(pattern, ignoreCase: false, multiline: false, dotAll: false) else { continue }
            #expect(fast.dfa != nil, "\(pattern): no DFA")
        }
        // Unanchored a[ab]{12}c: the subset construction needs 2^13 states, so the VM answers.
        let big = try #require(ByteRegex("a[ab]{12}c", ignoreCase: false, multiline: false, dotAll: false))
        #expect(big.dfa == nil)
        var yes = "bb" + "a" + "babababababa" + "c"
        var no = "bb" + "b" + "aaaaaaaaaaaa" + "c"
        #expect(yes.withUTF8 { big.matches($0) } == true && no.withUTF8 { big.matches($0) } == false)
    }

    @Test("patterns tied to the end are read backwards; others, and those tied to both ends, forwards")
    func direction() throws {
        for (pattern, backwards) in [(":assumed-role/[^/]+/i-[0-9a-f]{8,17}$", true), ("(root|admin)$", true),
                                     ("x$|y$", true), ("x$|y", false), ("^ab$", false), ("ab", false), ("a[ab]{12}$", true)] {
            let regex = try #require(ByteRegex(pattern, ignoreCase: false, multiline: false, dotAll: false))
            #expect(regex.dfa?.backwards == backwards, "\(pattern)")
        }
    }

    @Test("syntax outside the subset is left to Swift's Regex", arguments: [
        "(", "[z-a]", #"\b"#, "(?=a)", #"\1"#, "a{3,1}", #"\p{L}"#, "[]a]", "é", "(?<name>a)", "a++", "a**", "*a", "[[:alpha:]]",
    ])
    func unsupported(_ pattern: String) {
        #expect(ByteRegex(pattern, ignoreCase: false, multiline: false, dotAll: false) == nil)
    }

    @Test("only printable ASCII values go to the byte engine")
    func accepts() {
        for (text, expected) in [("plain text ~", true), ("tab\there", false), ("line\n", false), ("é", false),
                                 ("del\u{7F}", false), ("", true), (String(repeating: "x", count: 17), true)] {
            var t = text
            #expect(t.withUTF8 { ByteRegex.accepts($0) } == expected, "\(text.debugDescription)")
        }
    }

    @Test("a pathological pattern stays linear")
    func linear() {
        let fast = ByteRegex("(a*)*b", ignoreCase: false, multiline: false, dotAll: false)
        var input = String(repeating: "a", count: 20_000)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(input.withUTF8 { fast?.matches($0) } == false)
        }
        #expect(elapsed < .seconds(2))
    }
}
