import TriplineCore
import TriplineJSON

/// PagerDuty Events API v2 (`POST https://events.pagerduty.com/v2/enqueue`): a `trigger` keyed by the alert's
/// dedup key, so repeats of an alert group into one incident, or the `resolve` for it.
///
/// PagerDuty shows `summary`, `source` and `custom_details` as text; event values are kept to one line of
/// visible characters (``TextEscaper`` `.plain`).
public struct PagerDutyFormat: AlertFormat {
    public enum Action: String, Sendable { case trigger, resolve }

    /// Documented limits: summary 1024 characters, dedup key 255, source 255 (kept short).
    public static let maxSummary = 1024
    public static let maxDedupKey = 255
    public static let maxSource = 255

    /// The integration's routing key (a secret: keep the rendered event out of logs).
    public var routingKey: String
    public var action: Action

    public init(routingKey: String, action: Action = .trigger) {
        self.routingKey = routingKey
        self.action = action
    }

    /// Events API severities: `critical`, `error`, `warning`, `info`.
    public static func severity(_ s: Severity) -> String {
        switch s {
        case .critical: "critical"
        case .high: "error"
        case .medium: "warning"
        case .low, .info: "info"
        }
    }

    /// The dedup key PagerDuty sees: the alert's, within 255 characters (a longer one is hashed, stably).
    public static func dedupKey(_ a: AlertContent) -> String {
        let key = a.dedupKey.isEmpty ? a.id : a.dedupKey
        return key.utf8.count <= maxDedupKey ? key : "tripline:" + Hashing.digest([key])
    }

    public func render(_ a: AlertContent, now: Int) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("routing_key", .string(routingKey)),
            ("event_action", .string(action.rawValue)),
            ("dedup_key", .string(Self.dedupKey(a))),
        ]
        guard action == .trigger else { return .object(members) }
        func e(_ s: String, _ max: Int = 500) -> String { TextEscaper.escape(s, for: .plain, maxLength: max) }
        let summary = Limit.cut(
            "[\(a.severity.label)] \(e(a.top.title, 600)) (account \(e(a.accountID, 64)), \(e(a.region, 64)))", Self.maxSummary)
        var payload: [(String, JSONValue)] = [
            ("summary", .string(summary)),
            ("source", .string(Limit.cut("aws:\(e(a.accountID, 64)):\(e(a.region, 64))", Self.maxSource))),
            ("severity", .string(Self.severity(a.severity))),
        ]
        if let epoch = a.epoch { payload.append(("timestamp", .string(EventTime.iso8601(epoch)))) }
        payload += [
            ("component", .string(e(a.eventSource, 128))),
            ("group", .string(e(a.accountID, 64))),
            ("class", .string(e(a.top.ruleID, 128))),
        ]
        var details: [(String, JSONValue)] = [
            ("alert_id", .string(a.id)),
            (
                "rules",
                .array(
                    a.matches.prefix(20).map {
                        .object([
                            ("rule_id", .string(e($0.ruleID, 128))), ("severity", .string($0.severity.description)),
                            ("title", .string(e($0.title, 400))), ("action", .string(e($0.action, 1000))),
                        ])
                    })
            ),
            ("actor", .string(e(a.actor))),
            ("actor_type", .string(e(a.actorType, 64))),
            ("account_id", .string(e(a.accountID, 64))),
            ("region", .string(e(a.region, 64))),
            ("event_time", .string(e(a.eventTime, 64))),
            ("event", .string(e(a.eventSource, 128) + " " + e(a.eventName, 128))),
            ("event_id", .string(e(a.eventID, 128))),
            ("source_ip", .string(e(a.sourceIP, 128))),
            ("user_agent", .string(e(a.userAgent))),
        ]
        if let name = a.accountName { details.append(("account_name", .string(e(name, 128)))) }
        if let code = a.errorCode { details.append(("error_code", .string(e(code, 200)))) }
        if !a.request.isEmpty {
            details.append(("request", .object(a.request.map { (e($0.key, 200), JSONValue.string(e($0.value, 300))) })))
        }
        payload.append(("custom_details", .object(details)))
        members.append(("payload", .object(payload)))
        members.append(("client", "Tripline"))
        if let url = a.consoleURL {
            members.append(("links", .array([.object([("href", .string(url)), ("text", "Event in the CloudTrail console")])])))
        }
        return .object(members)
    }
}
