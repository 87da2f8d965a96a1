import Foundation
import TriplineAlerts
import TriplineAWS
import TriplineJSON

/// A chat service's incoming webhook: the alert rendered as `Format`'s JSON card and posted to the secret URL.
public struct ChatWebhookDestination<Format: ChatWebhookFormat>: AlertDestination {
    public var name: String
    public var webhookURL: Secret
    public var poster: WebhookPoster
    public var format = Format()
    public var now: @Sendable () -> Int

    public init(
        name: String = Format.destinationName, webhookURL: Secret, poster: WebhookPoster = WebhookPoster(),
        now: @escaping @Sendable () -> Int = epochNow
    ) {
        self.name = name
        self.webhookURL = webhookURL
        self.poster = poster
        self.now = now
    }

    public func deliver(_ alert: AlertContent) async throws(DeliveryError) {
        let body = Array(format.render(alert, now: now()).serialized().utf8)
        try await poster.post(name, url: webhookURL, body: body)
    }
}

/// A format whose output a chat webhook takes as its JSON body.
public protocol ChatWebhookFormat: AlertFormat where Output == JSONValue {
    init()
    /// The destination's name when the configuration gives none.
    static var destinationName: String { get }
}

/// Slack incoming webhook (`https://hooks.slack.com/services/…`): answers `200 ok`.
public typealias SlackDestination = ChatWebhookDestination<SlackFormat>
extension SlackFormat: ChatWebhookFormat {
    public static var destinationName: String { "slack" }
}

/// Microsoft Teams Workflows webhook ("When a Teams webhook request is received"): answers `202 Accepted`.
public typealias TeamsDestination = ChatWebhookDestination<TeamsFormat>
extension TeamsFormat: ChatWebhookFormat {
    public static var destinationName: String { "teams" }
}

/// PagerDuty Events API v2. Triggers with the alert's dedup key (repeats join one incident). With
/// `autoResolve`, each trigger is followed by its resolve: PagerDuty keeps the record without leaving an
/// incident open (for destinations that should notify, not page). ``resolve(_:)`` closes an alert's incident.
public struct PagerDutyDestination: AlertDestination {
    public static let defaultEndpoint = "https://events.pagerduty.com/v2/enqueue"

    public var name: String
    public var routingKey: Secret
    /// `https://events.pagerduty.com/v2/enqueue`, or the EU service `https://events.eu.pagerduty.com/v2/enqueue`.
    public var endpoint: String
    public var autoResolve: Bool
    public var poster: WebhookPoster
    public var now: @Sendable () -> Int

    public init(
        name: String = "pagerduty", routingKey: Secret, endpoint: String = PagerDutyDestination.defaultEndpoint,
        autoResolve: Bool = false, poster: WebhookPoster = WebhookPoster(), now: @escaping @Sendable () -> Int = epochNow
    ) {
        self.name = name
        self.routingKey = routingKey
        self.endpoint = endpoint
        self.autoResolve = autoResolve
        self.poster = poster
        self.now = now
    }

    public func deliver(_ alert: AlertContent) async throws(DeliveryError) {
        try await send(alert, .trigger)
        if autoResolve { try await send(alert, .resolve) }
    }

    public func resolve(_ alert: AlertContent) async throws(DeliveryError) { try await send(alert, .resolve) }

    func send(_ alert: AlertContent, _ action: PagerDutyFormat.Action) async throws(DeliveryError) {
        let format = PagerDutyFormat(routingKey: routingKey.revealed, action: action)
        let body = Array(format.render(alert, now: now()).serialized().utf8)
        // The routing key is in the body; the endpoint is not secret, but errors are redacted of the key anyway.
        do {
            try await poster.post(name, url: Secret(endpoint), body: body)
        } catch {
            var e = error
            e.reason = routingKey.redact(e.reason)
            throw e
        }
    }
}

/// The wall clock in epoch seconds (the default `now` of destinations).
public let epochNow: @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
