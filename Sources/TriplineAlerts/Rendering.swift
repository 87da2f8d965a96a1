import TriplineCore
import TriplineJSON

/// Escaping for attacker-controlled text (user agents, user names, request parameters) by destination.
///
/// Every medium first makes control characters visible (see `.plain`), so a value is always one line of inert
/// text; then it neutralises what its renderer would read as markup. Inserted breaks are U+200B (zero-width
/// space): invisible, and they split a token so no parser sees it.
public enum TextEscaper {
    public enum Medium: Sendable {
        /// Terminals and plain-text email: control characters (ANSI escapes, CR tricks, bidi overrides) become
        /// visible `\u{…}` sequences so nothing in an event can rewrite the screen or forge lines.
        case plain
        /// Slack mrkdwn: `&`, `<`, `>` entity-encoded (so no `<!channel>`, `<@U…>` or `<url|forged>` links),
        /// formatting characters (`*_~` and backtick) broken, `@` and `://` broken so nothing is auto-parsed into a
        /// mention or a link even where `verbatim` is ignored.
        case slack
        /// Teams Adaptive Card markdown: markdown punctuation (emphasis, links, images, code, headings, lists,
        /// quotes, tables), `&` (entities), `<` (tags such as `<at>`), `@` and `://` broken.
        case teams
        /// HTML text and attribute values: `&`, `<`, `>`, `"`, `'` as character references.
        case html
    }

    static let zeroWidthSpace = "\u{200B}"

    public static func escape(_ text: String, for medium: Medium = .plain, maxLength: Int = 512) -> String {
        // Most text is printable ASCII, which plain text keeps as it is: skip the walk (a scan renders thousands
        // of alerts, each with its rule's description and action).
        if medium == .plain, text.utf8.count <= maxLength, text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) { return text }
        var out = ""
        out.reserveCapacity(min(text.utf8.count, maxLength) + 8)
        var count = 0
        var previous: Unicode.Scalar? = nil
        let scalars = Array(text.unicodeScalars)
        for (index, scalar) in scalars.enumerated() {
            if count >= maxLength {
                out += "…"
                break
            }
            count += 1
            defer { previous = scalar }
            let v = scalar.value
            let dangerous = v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || (0x202A...0x202E).contains(v)
                || (0x2066...0x2069).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF
                || v == 0x200E || v == 0x200F || v == 0x061C  // bidi marks (LRM, RLM, ALM) reorder text too
            if dangerous {
                // (In Teams a backslash can escape what follows: keep it inert too.)
                out += (medium == .teams ? zeroWidthSpace : "") + "\\u{" + String(v, radix: 16) + "}"
                continue
            }
            let next = index + 1 < scalars.count ? scalars[index + 1] : nil
            // `://` and `www.` are where auto-linkers recognise a URL: break them after the colon, before the dot.
            let linkStart = (scalar == ":" && next == "/")
                || (scalar == "." && index >= 3 && scalars[index - 3] == "w" && scalars[index - 2] == "w" && previous == "w")
            let linkBreak = scalar == ":" ? ":" + zeroWidthSpace : zeroWidthSpace + String(scalar)
            switch medium {
            case .plain:
                break
            case .slack:
                switch scalar {
                case "&": out += "&amp;"; continue
                case "<": out += "&lt;"; continue
                case ">": out += "&gt;"; continue
                case "*", "_", "~", "`": out += zeroWidthSpace + String(scalar); continue  // break mrkdwn pairs
                case "@": out += "@" + zeroWidthSpace; continue
                default: if linkStart { out += linkBreak; continue }
                }
            case .teams:
                switch scalar {
                case "*", "_", "~", "`", "[", "]", "(", ")", "!", "#", "|", "\\", "<", ">", "&":
                    out += zeroWidthSpace + String(scalar); continue
                case "@": out += "@" + zeroWidthSpace; continue
                default:
                    if linkStart { out += linkBreak; continue }
                    // List items and setext headings start a line, and every value may start one.
                    if previous == nil, "-+=0123456789".unicodeScalars.contains(scalar) {
                        out += zeroWidthSpace + String(scalar); continue
                    }
                }
            case .html:
                switch scalar {
                case "&": out += "&amp;"; continue
                case "<": out += "&lt;"; continue
                case ">": out += "&gt;"; continue
                case "\"": out += "&quot;"; continue
                case "'": out += "&#39;"; continue
                default: break
                }
            }
            out.unicodeScalars.append(scalar)
        }
        return out
    }

    /// SNS subjects: printable ASCII only, one line, at most 100 characters.
    public static func subject(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            if out.count >= 100 { break }
            if scalar.value >= 0x20 && scalar.value < 0x7F { out.unicodeScalars.append(scalar) } else { out += "?" }
        }
        return out
    }
}

/// The finding as one JSON object: the `--format jsonl` contract other tools parse.
public enum FindingJSON {
    /// `alertID`: the ``Alert`` the finding belongs to (`alert_id`, shared by the findings of one alert).
    public static func value(_ f: Finding, alertID: String? = nil, includeEvent: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("rule_id", .string(f.ruleID)),
            ("title", .string(f.title)),
            ("severity", .string(f.severity.description)),
            ("description", .string(f.description)),
            ("action", .string(f.action)),
            ("event_id", .string(f.eventID)),
            ("event_time", .string(f.eventTime)),
            ("event_source", .string(f.eventSource)),
            ("event_name", .string(f.eventName)),
            ("account_id", .string(f.accountID)),
        ]
        if let name = f.accountName { members.append(("account_name", .string(name))) }
        members += [
            ("region", .string(f.region)),
            ("actor", .string(f.actor)),
            ("actor_type", .string(f.actorType)),
            ("source_ip", .string(f.sourceIP)),
            ("user_agent", .string(f.userAgent)),
            ("error_code", f.errorCode.map(JSONValue.string) ?? .null),
            // The event in the CloudTrail console of its partition (null when the region or id is not AWS's own).
            ("console_url", CloudTrailConsole.eventURL(region: f.region, eventID: f.eventID).map(JSONValue.string) ?? .null),
            ("dedup_key", .string(f.dedupKey)),
        ]
        if let alertID { members.append(("alert_id", .string(alertID))) }
        members += [
            ("count", .number(f.count)),
            ("last_event_time", .string(f.lastEventTime)),
            ("tags", .array(f.tags.map(JSONValue.string))),
        ]
        // A sequence's steps as they happened.
        if !f.chain.isEmpty {
            members.append(("chain", .array(f.chain.map { step in
                .object([("rule_id", .string(step.ruleID)), ("title", .string(step.title)), ("event_id", .string(step.eventID)),
                         ("event_time", .string(step.eventTime))])
            })))
        }
        members += [
            ("request", .object(f.request.map { ($0.key, JSONValue.string($0.value)) })),
        ]
        var input: [(String, JSONValue)] = [("path", .string(f.input.path)), ("record", .number(f.input.record))]
        if let line = f.input.line { input.append(("line", .number(line))) }
        members.append(("input", .object(input)))
        if includeEvent { members.append(("event", f.event)) }
        return .object(members)
    }

    public static func line(_ f: Finding, alertID: String? = nil) -> String { value(f, alertID: alertID).serialized() }
}

/// Human-readable findings: what a terminal or an alert email shows.
public enum FindingText {
    public static func render(_ f: Finding, medium: TextEscaper.Medium = .plain) -> String {
        func e(_ s: String) -> String { TextEscaper.escape(s, for: medium) }
        var lines: [String] = []
        lines.append("[\(f.severity.description.uppercased())] \(e(f.title))")
        lines.append("  rule     \(e(f.ruleID))")
        var when = e(f.eventTime)
        if f.count > 1 { when += "  (\(f.count) events, last \(e(f.lastEventTime)))" }
        lines.append("  time     \(when)")
        for (k, step) in f.chain.enumerated() {
            lines.append((k == 0 ? "  sequence " : "           ") + "\(e(step.eventTime))  \(e(step.title))  (\(e(step.ruleID)), event \(e(step.eventID)))")
        }
        lines.append("  account  \(e(f.accountID))" + (f.accountName.map { " (\(e($0)))" } ?? "") + "   region \(e(f.region))")
        lines.append("  actor    \(e(f.actor))" + (f.actorType.isEmpty ? "" : " (\(e(f.actorType)))"))
        lines.append("  source   \(e(f.sourceIP))   agent \(e(f.userAgent))")
        lines.append("  event    \(e(f.eventSource)) \(e(f.eventName))   id \(e(f.eventID))"
            + (f.errorCode.map { "   error \(e($0))" } ?? ""))
        if let url = CloudTrailConsole.eventURL(region: f.region, eventID: f.eventID) { lines.append("  console  \(url)") }
        for (k, (key, value)) in f.request.enumerated() {
            lines.append((k == 0 ? "  request  " : "           ") + "\(e(key)) = \(e(value))")
        }
        if !f.description.isEmpty { lines.append("  what     \(block(f.description, medium))") }
        if !f.action.isEmpty { lines.append("  action   \(block(f.action, medium))") }
        var input = "  input    \(e(f.input.path))"
        if let line = f.input.line { input += ":\(line)" } else { input += " record \(f.input.record)" }
        lines.append(input)
        return lines.joined(separator: "\n")
    }

    /// Rule text (a custom rule is as hostile as an event): escaped line by line, its line breaks kept inside the
    /// indented column.
    static func block(_ text: String, _ medium: TextEscaper.Medium = .plain) -> String {
        guard text.utf8.contains(0x0A) else { return TextEscaper.escape(text, for: medium, maxLength: 4096) }
        return text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { TextEscaper.escape(String($0), for: medium, maxLength: 4096) }
            .joined(separator: "\n           ")
    }
}

/// One alert for people: the rules that matched (severity, title, rule id, action), then the event once.
public enum AlertText {
    public static func render(_ alert: Alert, medium: TextEscaper.Medium = .plain) -> String {
        func e(_ s: String) -> String { TextEscaper.escape(s, for: medium) }
        let n = alert.findings.count
        var lines = ["Alert \(alert.id): \(alert.severity.description.uppercased()) severity, "
            + (n == 1 ? "1 rule matched." : "\(n) rules matched one event.")]
        if n > 1 {
            for f in alert.findings { lines.append("  [\(f.severity.description.uppercased())] \(e(f.title))  (\(e(f.ruleID)))") }
        }
        lines.append("")
        lines.append(FindingText.render(alert.top, medium: medium))
        // The event is the same; what the other rules add is their own meaning and advice.
        for f in alert.findings.dropFirst() {
            lines.append("")
            lines.append("[\(f.severity.description.uppercased())] \(e(f.title))")
            lines.append("  rule     \(e(f.ruleID))")
            if f.count > 1 { lines.append("  events   \(f.count), last \(e(f.lastEventTime))") }
            if !f.description.isEmpty { lines.append("  what     \(FindingText.block(f.description, medium))") }
            if !f.action.isEmpty { lines.append("  action   \(FindingText.block(f.action, medium))") }
        }
        return lines.joined(separator: "\n")
    }
}
