import TriplineCore
import TriplineJSON

/// Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is received"): a
/// message with one Adaptive Card attachment (schema 1.4): severity, title, the facts, matched rules,
/// recommended action, request, and a button to the event in the CloudTrail console.
///
/// Adaptive Card `TextBlock`s and facts render markdown with no way to turn it off, so every event value goes
/// through ``TextEscaper`` `.teams`.
public struct TeamsFormat: AlertFormat {
    /// Teams rejects cards over about 28 KB; stay under it with room for the envelope.
    public static let maxPayloadBytes = 27 * 1024
    public static let cardVersion = "1.4"

    public init() {}

    static func e(_ s: String, _ max: Int = 300) -> String { TextEscaper.escape(s, for: .teams, maxLength: max) }

    static func text(_ s: String, size: String? = nil, weight: String? = nil, color: String? = nil, subtle: Bool = false) -> JSONValue {
        var members: [(String, JSONValue)] = [("type", "TextBlock"), ("text", .string(s)), ("wrap", .bool(true))]
        if let size { members.append(("size", .string(size))) }
        if let weight { members.append(("weight", .string(weight))) }
        if let color { members.append(("color", .string(color))) }
        if subtle { members.append(("isSubtle", .bool(true))) }
        return .object(members)
    }

    static func factSet(_ facts: [(String, String)]) -> JSONValue {
        .object([
            ("type", "FactSet"),
            ("facts", .array(facts.map { .object([("title", .string($0.0)), ("value", .string($0.1))]) })),
        ])
    }

    static func color(_ s: Severity) -> String {
        switch s {
        case .critical, .high: "Attention"
        case .medium: "Warning"
        case .low, .info: "Default"
        }
    }

    public func render(_ a: AlertContent, now: Int) -> JSONValue {
        // Rules and request lines are added while the card stays under the size limit.
        var shownMatches = a.matches.count
        var shownRequest = a.request.count
        while true {
            let payload = envelope(card(a, matches: shownMatches, request: shownRequest))
            if payload.serialized().utf8.count <= Self.maxPayloadBytes || (shownMatches <= 1 && shownRequest == 0) {
                return payload
            }
            if shownRequest > 0 { shownRequest = shownRequest / 2 } else { shownMatches = max(1, shownMatches / 2) }
        }
    }

    func envelope(_ card: JSONValue) -> JSONValue {
        .object([
            ("type", "message"),
            (
                "attachments",
                .array([
                    .object([
                        ("contentType", "application/vnd.microsoft.card.adaptive"), ("contentUrl", .null), ("content", card),
                    ])
                ])
            ),
        ])
    }

    func card(_ a: AlertContent, matches shownMatches: Int, request shownRequest: Int) -> JSONValue {
        let e = Self.e
        var body: [JSONValue] = []
        let rules = a.matches.count == 1 ? "1 rule" : "\(a.matches.count) rules"
        body.append(Self.text("\(a.severity.label) · Tripline alert · \(rules)", size: "Medium", weight: "Bolder", color: Self.color(a.severity)))
        body.append(Self.text(e(a.top.title, 600), size: "Large", weight: "Bolder"))

        let facts = a.facts(escapedFor: .teams)
        body.append(Self.factSet(facts))

        body.append(Self.text("**Matched rules**", weight: "Bolder"))
        for m in a.matches.prefix(shownMatches) {
            body.append(Self.text("**\(m.severity.label)** \(e(m.title, 400)) (\(e(m.ruleID, 128)))"))
        }
        if shownMatches < a.matches.count {
            body.append(Self.text("… and \(a.matches.count - shownMatches) more", subtle: true))
        }
        if !a.top.action.isEmpty {
            body.append(Self.text("**Recommended action**", weight: "Bolder"))
            body.append(Self.text(e(a.top.action, 2000)))
        }
        if shownRequest > 0 {
            body.append(Self.text("**Request**", weight: "Bolder"))
            body.append(Self.factSet(a.request.prefix(shownRequest).map { (e($0.key, 200), e($0.value, 300)) }))
        }
        body.append(Self.text("Alert \(e(a.id, 128)) · dedup key \(e(a.dedupKey, 256))", size: "Small", subtle: true))

        var members: [(String, JSONValue)] = [
            ("$schema", "http://adaptivecards.io/schemas/adaptive-card.json"),
            ("type", "AdaptiveCard"),
            ("version", .string(Self.cardVersion)),
            ("msteams", .object([("width", "Full")])),
            ("body", .array(body)),
        ]
        if let url = a.consoleURL {
            members.append(
                ("actions", .array([.object([("type", "Action.OpenUrl"), ("title", "Open in CloudTrail"), ("url", .string(url))])])))
        }
        return .object(members)
    }
}
