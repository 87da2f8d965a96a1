import TriplineCore
import TriplineJSON

/// Slack incoming webhook, Block Kit: a header with the severity, the title, the facts as fields (actor,
/// account, region, time, event, source), the matched rules, the recommended action, the request, a button to
/// the event in the CloudTrail console, and the alert's ids.
///
/// Event text only ever lands in `mrkdwn` objects marked `verbatim` (Slack then links and mentions nothing on
/// its own) after ``TextEscaper`` `.slack` escaping; the header and the button hold our own words only.
public struct SlackFormat: AlertFormat {
    /// Block Kit limits (api.slack.com/reference/block-kit): blocks per message, section text, header text,
    /// fields per section and per field, button url.
    public static let maxBlocks = 50
    public static let maxSectionText = 3000
    public static let maxHeaderText = 150
    public static let maxFields = 10
    public static let maxFieldText = 2000
    public static let maxButtonURL = 3000
    /// The notification text (`text`): Slack truncates past 40,000; keep it a line.
    public static let maxFallbackText = 300

    public init() {}

    static func e(_ s: String, _ max: Int = 300) -> String { TextEscaper.escape(s, for: .slack, maxLength: max) }

    static func mrkdwn(_ text: String) -> JSONValue {
        .object([("type", "mrkdwn"), ("text", .string(Limit.cut(text, maxSectionText))), ("verbatim", .bool(true))])
    }

    static func plain(_ text: String, _ max: Int) -> JSONValue {
        .object([("type", "plain_text"), ("text", .string(Limit.cut(text, max))), ("emoji", .bool(true))])
    }

    static func section(_ text: String) -> JSONValue { .object([("type", "section"), ("text", mrkdwn(text))]) }

    static func emoji(_ s: Severity) -> String {
        switch s {
        case .critical: ":rotating_light:"
        case .high: ":red_circle:"
        case .medium: ":large_orange_circle:"
        case .low: ":large_yellow_circle:"
        case .info: ":white_circle:"
        }
    }

    /// Lines joined until the next would pass `max`; the rest are counted in a last line.
    static func lines(_ header: String, _ items: [String], max: Int = maxSectionText) -> String {
        var text = header
        for (k, item) in items.enumerated() {
            let more = "\n… and \(items.count - k) more"
            if text.utf16.count + 1 + item.utf16.count + (k + 1 < items.count ? more.utf16.count : 0) > max {
                return text + more
            }
            text += "\n" + item
        }
        return text
    }

    public func render(_ a: AlertContent, now: Int) -> JSONValue {
        let e = Self.e
        var blocks: [JSONValue] = []
        let rules = a.matches.count == 1 ? "1 rule" : "\(a.matches.count) rules"
        blocks.append(
            .object([
                ("type", "header"),
                ("text", Self.plain("\(Self.emoji(a.severity)) \(a.severity.label) · Tripline alert · \(rules)", Self.maxHeaderText)),
            ]))
        blocks.append(Self.section("*\(e(a.top.title, 600))*"))

        let facts = a.facts(escapedFor: .slack)
        blocks.append(
            .object([
                ("type", "section"),
                (
                    "fields",
                    .array(facts.prefix(Self.maxFields).map { Self.mrkdwn(Limit.cut("*\($0.0)*\n\($0.1)", Self.maxFieldText)) })
                ),
            ]))

        let matched = a.matches.map { "• *\($0.severity.label)* \(e($0.title, 400)) (`\(e($0.ruleID, 128))`)" }
        blocks.append(Self.section(Self.lines("*Matched rules*", matched)))

        if !a.top.action.isEmpty {
            blocks.append(Self.section("*Recommended action*\n" + e(a.top.action, 2800)))
        }
        if !a.request.isEmpty {
            blocks.append(Self.section(Self.lines("*Request*", a.request.map { "`\(e($0.key, 200))` = \(e($0.value, 300))" })))
        }
        if let url = a.consoleURL, url.utf8.count <= Self.maxButtonURL {
            blocks.append(
                .object([
                    ("type", "actions"),
                    (
                        "elements",
                        .array([
                            .object([
                                ("type", "button"), ("text", Self.plain("Open in CloudTrail", 75)), ("url", .string(url)),
                                ("action_id", "open_cloudtrail"),
                            ])
                        ])
                    ),
                ]))
        }
        blocks.append(
            .object([
                ("type", "context"),
                ("elements", .array([Self.mrkdwn("Alert `\(e(a.id, 128))` · dedup key `\(e(a.dedupKey, 256))`")])),
            ]))

        let fallback = Limit.cut("\(a.severity.label): \(e(a.top.title, 250))", Self.maxFallbackText)
        return .object([
            ("text", .string(fallback)),
            ("blocks", .array(Array(blocks.prefix(Self.maxBlocks)))),
            ("unfurl_links", .bool(false)),
            ("unfurl_media", .bool(false)),
        ])
    }
}
