import Foundation
import Testing
import TriplineAlerts
import TriplineCore
import TriplineTestSupport

@Suite("Escaping per medium")
struct EscapingTests {
    @Test("Slack: no angle brackets survive, so no <!channel>, <@U…>, <#C…> or <url|text>; mrkdwn and auto-links broken")
    func slack() {
        for text in HostileText.corpus {
            let e = TextEscaper.escape(text, for: .slack, maxLength: 1 << 20)
            #expect(!e.contains("<") && !e.contains(">"), "\(text)")
            #expect(liveMarkup(e, ["*", "_", "~", "`"]).isEmpty, "\(text)")
            #expect(!e.contains("://") && !e.contains("www."), "\(text)")
            #expect(!e.unicodeScalars.enumerated().contains { i, s in
                s == "@" && e.unicodeScalars.dropFirst(i + 1).first != "\u{200B}"
            }, "\(text)")
            #expect(isOneVisibleLine(e), "\(text)")
        }
        #expect(TextEscaper.escape("<!channel> & co", for: .slack) == "&lt;!channel&gt; &amp; co")
    }

    @Test("Teams: every markdown, tag and entity character is broken; lists and headings cannot start a value")
    func teams() {
        let markup: Set<Unicode.Scalar> = ["*", "_", "~", "`", "[", "]", "(", ")", "!", "#", "|", "\\", "<", ">", "&"]
        for text in HostileText.corpus {
            let e = TextEscaper.escape(text, for: .teams, maxLength: 1 << 20)
            #expect(liveMarkup(e, markup).isEmpty, "\(text)")
            #expect(!e.contains("://") && !e.contains("www.") && !e.contains("<at>"), "\(text)")
            #expect(isOneVisibleLine(e), "\(text)")
            if let first = e.unicodeScalars.first { #expect(!"-+=0123456789".unicodeScalars.contains(first), "\(text)") }
        }
        #expect(TextEscaper.escape("1. [x](y)", for: .teams) == "\u{200B}1. \u{200B}[x\u{200B}]\u{200B}(y\u{200B})")
    }

    @Test("HTML: only character references for & < > \" '")
    func html() {
        for text in HostileText.corpus {
            let e = TextEscaper.escape(text, for: .html, maxLength: 1 << 20)
            #expect(!e.contains("<") && !e.contains(">") && !e.contains("\"") && !e.contains("'"), "\(text)")
            // Every & starts one of our references.
            let amps = e.components(separatedBy: "&").dropFirst()
            #expect(amps.allSatisfy { $0.hasPrefix("amp;") || $0.hasPrefix("lt;") || $0.hasPrefix("gt;") || $0.hasPrefix("quot;") || $0.hasPrefix("#39;") }, "\(text)")
            #expect(isOneVisibleLine(e), "\(text)")
        }
        #expect(TextEscaper.escape("<a href='x'>&</a>", for: .html) == "&lt;a href=&#39;x&#39;&gt;&amp;&lt;/a&gt;")
    }

    @Test("Plain text keeps ordinary punctuation and makes controls visible")
    func plain() {
        #expect(TextEscaper.escape("a<b>*c* http://x") == "a<b>*c* http://x")
        #expect(TextEscaper.escape("a\nb\u{1B}[0m\u{202E}") == "a\\u{a}b\\u{1b}[0m\\u{202e}")
        // Bidi marks reorder what follows them too (issue 16: U+200F passed unescaped); NUL is a control.
        #expect(TextEscaper.escape("x\u{200F}y\u{200E}z\u{61C}\u{0}") == "x\\u{200f}y\\u{200e}z\\u{61c}\\u{0}")
    }

    @Test("Text output escapes rule text as well as event text: a custom rule is hostile input too")
    func ruleTextInTextOutput() {
        var f = finding("tripline.cloudtrail.logging-stopped")
        f.ruleID = "custom.evil\u{1B}[2J"
        f.description = "one\n\u{1B}[31mtwo\u{0}"
        f.action = "act \u{202E}now\u{200F}"
        let alert = Alert.group([f, f], standsAlone: { _ in false })[0]
        for text in [FindingText.render(f), AlertText.render(alert)] {
            #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0 || $0.value == 0x202E || $0.value == 0x200F },
                    "\(text)")
            #expect(text.contains("custom.evil\\u{1b}[2J"))
            #expect(text.contains("one\n           \\u{1b}[31mtwo\\u{0}"))  // line breaks kept in the column
            #expect(text.contains("act \\u{202e}now\\u{200f}"))
        }
    }
}
