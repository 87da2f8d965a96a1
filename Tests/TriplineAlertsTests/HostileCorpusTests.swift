import Testing
import TriplineAlerts
import TriplineCore
import TriplineJSON
import TriplineTestSupport

/// Every value of the hostile corpus, in every field an event controls, through every format: nothing becomes
/// a mention, a link or markup, and the JSON formats carry it back as the same string.
@Suite("Hostile text through every format")
struct HostileCorpusTests {
    static let now = 1_780_000_000
    static let cases: [(String, Bool)] = HostileText.corpus.flatMap { [($0, true), ($0, false)] } + [(HostileText.all, true)]

    /// Text-bearing strings of a chat payload (what Slack or Teams renders as text).
    static func texts(_ v: JSONValue, keys: Set<String>) -> [String: String] {
        Dictionary(uniqueKeysWithValues: strings(v).filter { s in keys.contains(String(s.path.split(separator: ".").last ?? "")) })
    }

    static func urls(_ v: JSONValue) -> [String] { strings(v).filter { $0.path.hasSuffix("url") }.map(\.value) }

    @Test("Slack: only our own markup, no mentions, no links but the console button, Block Kit limits kept", arguments: cases)
    func slack(_ text: String, _ wellFormed: Bool) {
        let format = SlackFormat()
        let hostile = format.render(hostileAlert(text, wellFormed: wellFormed), now: Self.now)
        let benign = format.render(benignAlert(wellFormed: wellFormed), now: Self.now)
        let ht = Self.texts(hostile, keys: ["text"])
        let bt = Self.texts(benign, keys: ["text"])
        #expect(Set(ht.keys) == Set(bt.keys))
        for (path, value) in ht {
            #expect(!value.contains("<") && !value.contains(">"), "\(path): \(value.prefix(200))")
            #expect(!value.contains("://") && !value.contains("www."), "\(path)")
            #expect(!value.unicodeScalars.enumerated().contains { i, s in s == "@" && value.unicodeScalars.dropFirst(i + 1).first != "\u{200B}" }, "\(path)")
            #expect(isOneVisibleLine(value.replacingNewlines()), "\(path)")
            #expect(liveMarkup(value, ["*", "_", "~", "`"]) == liveMarkup(bt[path] ?? "", ["*", "_", "~", "`"]), "\(path): \(value.prefix(300))")
        }
        #expect(Self.urls(hostile) == Self.urls(benign))
        // Every mrkdwn object is verbatim (Slack links and mentions nothing by itself); the header is our words.
        #expect(Self.verbatimEverywhere(hostile))
        #expect(hostile["blocks"]?.arrayValue?.first == benign["blocks"]?.arrayValue?.first)
        #expect((hostile["blocks"]?.arrayValue?.count ?? 99) <= SlackFormat.maxBlocks)
        for (path, value) in ht where path.hasPrefix("blocks") { #expect(value.utf16.count <= SlackFormat.maxSectionText, "\(path)") }
    }

    static func verbatimEverywhere(_ v: JSONValue) -> Bool {
        switch v {
        case .object(let o):
            if v["type"] == .string("mrkdwn"), v["verbatim"] != .bool(true) { return false }
            return o.allSatisfy { verbatimEverywhere($0.1) }
        case .array(let a): return a.allSatisfy(verbatimEverywhere)
        default: return true
        }
    }

    @Test("Teams: only our own markdown, no tags, mentions or links but the console action, under 28 KB", arguments: cases)
    func teams(_ text: String, _ wellFormed: Bool) {
        let markup: Set<Unicode.Scalar> = ["*", "_", "~", "`", "[", "]", "(", ")", "!", "#", "|", "\\", "<", ">", "&"]
        let format = TeamsFormat()
        let hostile = format.render(hostileAlert(text, wellFormed: wellFormed), now: Self.now)
        let benign = format.render(benignAlert(wellFormed: wellFormed), now: Self.now)
        let ht = Self.texts(hostile, keys: ["text", "title", "value"])
        let bt = Self.texts(benign, keys: ["text", "title", "value"])
        #expect(Set(ht.keys) == Set(bt.keys))
        for (path, value) in ht {
            #expect(liveMarkup(value, markup) == liveMarkup(bt[path] ?? "", markup), "\(path): \(value.prefix(300))")
            #expect(!value.contains("://") && !value.contains("www.") && !value.contains("<at>"), "\(path)")
            #expect(isOneVisibleLine(value), "\(path)")
        }
        #expect(Self.urls(hostile) == Self.urls(benign))
        #expect(hostile.serialized().utf8.count <= TeamsFormat.maxPayloadBytes)
    }

    @Test("PagerDuty: summary and details one visible line each, documented limits kept", arguments: cases)
    func pagerDuty(_ text: String, _ wellFormed: Bool) throws {
        let event = PagerDutyFormat(routingKey: "R0UTINGKEY").render(hostileAlert(text, wellFormed: wellFormed), now: Self.now)
        let payload = try #require(event["payload"])
        for s in strings(payload) { #expect(isOneVisibleLine(s.value), "\(s.path)") }
        #expect((event[path: "payload.summary"]?.stringValue?.utf16.count ?? 0) <= PagerDutyFormat.maxSummary)
        #expect((event["dedup_key"]?.stringValue?.utf16.count ?? 999) <= PagerDutyFormat.maxDedupKey)
        #expect(Self.urls(event) == Self.urls(PagerDutyFormat(routingKey: "R0UTINGKEY").render(benignAlert(wellFormed: wellFormed), now: Self.now)))
    }

    @Test("Webhook and EventBridge JSON: the value comes back as the same string, the structure is unchanged", arguments: cases)
    func json(_ text: String, _ wellFormed: Bool) throws {
        let alert = hostileAlert(text, wellFormed: wellFormed)
        for document in [WebhookFormat().render(alert, now: Self.now), EventBridgeFormat().render(alert, now: Self.now).detail] {
            let wire = document.serialized()
            #expect(!wire.contains("<") && !wire.contains(">"), "JSON text is also safe inside HTML")
            let parsed = try JSONValue.parse(wire)
            #expect(parsed == document)
            #expect(parsed[path: "event.user_agent"]?.stringValue == text)
            #expect(parsed[path: "event.actor"]?.stringValue == text)
            #expect(parsed["matches"]?.arrayValue?.first?["title"]?.stringValue == "High " + text)
            let shape = strings(parsed).map(\.path)
            let benignShape = strings(WebhookFormat().render(benignAlert(wellFormed: wellFormed), now: Self.now)).map(\.path)
            #expect(Set(shape).subtracting(["event.request." + text]) == Set(benignShape).subtracting(["event.request.plain"]))
        }
    }

    @Test("ASFF: required fields, lengths and one visible line in what the console shows", arguments: cases)
    func securityHub(_ text: String, _ wellFormed: Bool) {
        let finding = SecurityHubFormat(hubAccountID: "123456789012", hubRegion: "us-east-1").render(hostileAlert(text, wellFormed: wellFormed), now: Self.now)
        #expect((finding["Title"]?.stringValue?.utf16.count ?? 999) <= SecurityHubFormat.maxTitle)
        #expect((finding["Description"]?.stringValue?.utf16.count ?? 9999) <= SecurityHubFormat.maxDescription)
        for key in ["Title", "GeneratorId", "Id", "AwsAccountId", "Region"] {
            #expect(isOneVisibleLine(finding[key]?.stringValue ?? ""), "\(key)")
        }
        for s in strings(finding["ProductFields"] ?? .null) + strings(finding["Resources"] ?? .null) {
            #expect(isOneVisibleLine(s.value), "\(s.path)")
        }
        #expect(finding["AwsAccountId"]?.stringValue == "123456789012")
    }

    @Test("SNS: the subject names the top rule, ASCII, at most 100 characters, no event text", arguments: cases)
    func sns(_ text: String, _ wellFormed: Bool) {
        let hostile = SNSFormat().render(hostileAlert(text, wellFormed: wellFormed), now: Self.now)
        let benign = SNSFormat().render(benignAlert(wellFormed: wellFormed), now: Self.now)
        #expect(hostile.subject == benign.subject)
        #expect(hostile.subject == "Tripline HIGH: tripline.test.high (+1 more)")
        for line in hostile.message.split(separator: "\n", omittingEmptySubsequences: false) {
            #expect(isOneVisibleLine(String(line)))
        }
        #expect(hostile.message.utf8.count <= SNSFormat.maxMessageBytes)
        #expect(hostile.attributes["severity"] == "high")
        #expect(hostile.attributes.values.allSatisfy { $0.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F } })
    }

    @Test("A real finding with hostile event fields keeps them text in Slack and Teams")
    func realFinding() throws {
        let f = finding("tripline.cloudtrail.logging-stopped", edits: [
            ("userIdentity.arn", .string("<!channel> <http://evil.example|login>")),
            ("requestParameters.name", .string("[x](http://evil.example) <at>All</at>")),
            ("userAgent", .string("*bold* @here")),
        ])
        let alert = try #require(AlertContent(findings: [f]))
        #expect(alert.top.title.contains("<!channel>"))  // the raw title carries event text…
        let slack = SlackFormat().render(alert, now: Self.now)
        for (_, v) in Self.texts(slack, keys: ["text"]) { #expect(!v.contains("<")) }  // …no format lets it act
        #expect(Self.texts(slack, keys: ["text"]).values.contains { $0.contains("&lt;!channel&gt;") })
        let teams = TeamsFormat().render(alert, now: Self.now)
        for (_, v) in Self.texts(teams, keys: ["text", "value"]) { #expect(!v.contains("<at>") && !v.contains("](")) }
    }
}

extension String {
    /// Newlines are our own line structure in mrkdwn sections; other controls must not appear.
    func replacingNewlines() -> String { String(unicodeScalars.map { $0 == "\n" ? " " : Character($0) }) }
}
