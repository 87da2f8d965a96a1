import TriplineCore
import TriplineJSON

/// How one destination shows an alert: a pure rendering of ``AlertContent`` for its medium (Slack Block Kit, an
/// Adaptive Card, a PagerDuty event, ASFF, …). The network side lives in an adapter that sends the output.
///
/// Formats escape every attacker-controlled value for where it lands and keep within the medium's documented
/// limits, so a sender never has to look inside.
public protocol AlertFormat: Sendable {
    associatedtype Output: Sendable
    /// `now` (epoch seconds) is the delivery time, for formats that stamp one (Security Hub's `UpdatedAt`).
    func render(_ alert: AlertContent, now: Int) -> Output
}

/// Cutting text to a medium's limit.
enum Limit {
    /// At most `max` UTF-16 code units (the strictest way services count "characters"); a cut ends in `…`.
    static func cut(_ text: String, _ max: Int) -> String {
        guard text.utf16.count > max else { return text }
        var out = String.UnicodeScalarView()
        var units = 0
        for s in text.unicodeScalars {
            units += s.utf16.count
            if units > max - 1 { break }
            out.append(s)
        }
        return String(out) + "…"
    }

    /// At most `max` UTF-8 bytes, cut on a character boundary.
    static func cutBytes(_ text: String, _ max: Int) -> String {
        guard text.utf8.count > max else { return text }
        var out = ""
        for c in text {
            if out.utf8.count + c.utf8.count + 3 > max { break }
            out.append(c)
        }
        return out + "…"
    }
}

extension Severity {
    /// `HIGH`.
    var label: String { description.uppercased() }
}

/// The alert as one JSON document: the generic webhook's body and the EventBridge event's `detail`. Values are
/// the raw event text (JSON-encoded, so they stay strings); receivers escape them for their own medium.
public enum AlertJSON {
    public static let version = "1"

    public static func value(_ a: AlertContent) -> JSONValue {
        func optional(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
        return .object([
            ("version", .string(version)),
            ("id", .string(a.id)),
            ("severity", .string(a.severity.description)),
            ("title", .string(a.top.title)),
            ("rule_id", .string(a.top.ruleID)),
            ("dedup_key", .string(a.dedupKey)),
            ("count", .number(a.count)),
            (
                "matches",
                .array(
                    a.matches.map {
                        .object([
                            ("rule_id", .string($0.ruleID)), ("title", .string($0.title)),
                            ("severity", .string($0.severity.description)), ("description", .string($0.description)),
                            ("action", .string($0.action)), ("tags", .array($0.tags.map(JSONValue.string))),
                            ("count", .number($0.count)), ("dedup_key", .string($0.dedupKey)),
                        ])
                    })
            ),
            (
                "event",
                .object([
                    ("id", .string(a.eventID)), ("time", .string(a.eventTime)), ("name", .string(a.eventName)),
                    ("source", .string(a.eventSource)), ("account_id", .string(a.accountID)),
                    ("account_name", optional(a.accountName)), ("region", .string(a.region)),
                    ("actor", .string(a.actor)), ("actor_type", .string(a.actorType)),
                    ("source_ip", .string(a.sourceIP)), ("user_agent", .string(a.userAgent)),
                    ("error_code", optional(a.errorCode)),
                    ("request", .object(a.request.map { ($0.key, JSONValue.string($0.value)) })),
                ])
            ),
            ("console_url", optional(a.consoleURL)),
        ])
    }
}

/// Generic webhook: the ``AlertJSON`` document (the sender signs it; see docs/webhooks.md).
public struct WebhookFormat: AlertFormat {
    public init() {}
    public func render(_ alert: AlertContent, now: Int) -> JSONValue { AlertJSON.value(alert) }
}

/// An EventBridge event for `PutEvents`: source `tripline`, detail type `Tripline Alert`, the ``AlertJSON``
/// document as detail (rules match on `detail.severity`, `detail.rule_id`, `detail.event.account_id`).
public struct EventBridgeAlertEvent: Sendable, Equatable {
    public var source: String
    public var detailType: String
    public var detail: JSONValue
    /// Event time (epoch seconds), when the CloudTrail event's time is known.
    public var time: Int?
}

public struct EventBridgeFormat: AlertFormat {
    public static let source = "tripline"
    public static let detailType = "Tripline Alert"
    public init() {}
    public func render(_ alert: AlertContent, now: Int) -> EventBridgeAlertEvent {
        EventBridgeAlertEvent(source: Self.source, detailType: Self.detailType, detail: AlertJSON.value(alert), time: alert.epoch)
    }
}
