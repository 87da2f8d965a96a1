import TriplineCore

/// An SNS message: subject, plain-text body and the message attributes subscription filters use.
public struct SNSAlert: Sendable, Equatable {
    public var subject: String
    public var message: String
    public var attributes: [String: String]
}

/// SNS (e-mail and other text subscribers). The subject names the top rule by its id: ASCII, at most 100
/// characters, and no event text (rule ids come from rule files, not from events). The body is plain text.
public struct SNSFormat: AlertFormat {
    public static let maxSubject = 100
    /// SNS takes 256 KiB per message; keep well inside it.
    public static let maxMessageBytes = 200 * 1024
    /// Cap per attribute value.
    public static let maxAttribute = 1024

    public init() {}

    public static func subject(_ a: AlertContent) -> String {
        let more = a.matches.count > 1 ? " (+\(a.matches.count - 1) more)" : ""
        let head = "Tripline \(a.severity.label): "
        let room = maxSubject - head.count - more.count
        var rule = TextEscaper.subject(a.top.ruleID)
        if rule.count > room { rule = String(rule.prefix(max(0, room - 3))) + "..." }
        return TextEscaper.subject(head + rule + more)
    }

    public static func text(_ a: AlertContent) -> String {
        func e(_ s: String, _ max: Int = 512) -> String { TextEscaper.escape(s, for: .plain, maxLength: max) }
        var lines: [String] = []
        lines.append("[\(a.severity.label)] \(e(a.top.title))")
        lines.append("")
        var account = e(a.accountID)
        if let name = a.accountName, !name.isEmpty { account += " (\(e(name)))" }
        lines.append("  time     \(e(a.eventTime))" + (a.count > 1 ? "  (\(a.count) events)" : ""))
        lines.append("  account  \(account)   region \(e(a.region))")
        lines.append("  actor    \(e(a.actor))" + (a.actorType.isEmpty ? "" : " (\(e(a.actorType)))"))
        lines.append("  source   \(e(a.sourceIP))   agent \(e(a.userAgent))")
        lines.append("  event    \(e(a.eventSource)) \(e(a.eventName))   id \(e(a.eventID))"
            + (a.errorCode.map { "   error \(e($0))" } ?? ""))
        for (k, p) in a.request.enumerated() {
            lines.append((k == 0 ? "  request  " : "           ") + "\(e(p.key)) = \(e(p.value))")
        }
        if let url = a.consoleURL { lines.append("  console  \(url)") }
        lines.append("")
        lines.append("Matched rules:")
        func block(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).joined(separator: "\n           ")
        }
        for m in a.matches {
            lines.append("  [\(m.severity.label)] \(e(m.title)) (\(e(m.ruleID)))")
            if !m.action.isEmpty { lines.append("  action   \(block(m.action))") }
        }
        lines.append("")
        lines.append("  alert    \(a.id)   dedup key \(e(a.dedupKey))")
        return Limit.cutBytes(lines.joined(separator: "\n"), maxMessageBytes)
    }

    public func render(_ a: AlertContent, now: Int) -> SNSAlert {
        func list(_ values: [String]) -> String {
            var out = ""
            var seen = Set<String>()
            for v in values where !v.isEmpty && seen.insert(v).inserted {
                let next = out.isEmpty ? v : out + "," + v
                if next.utf8.count > Self.maxAttribute { break }
                out = next
            }
            return out.isEmpty ? "none" : out
        }
        return SNSAlert(
            subject: Self.subject(a), message: Self.text(a),
            attributes: [
                "severity": a.severity.description, "rule_id": list(a.matches.map(\.ruleID)),
                "account_id": list([TextEscaper.subject(a.accountID)]),
            ])
    }
}
