import Foundation
import TriplineAWS
import TriplineAlerts
import TriplineConfig
import TriplineCore
import TriplineDestinations

/// The configured destinations with their routes: which of them an alert goes to, and delivering it to each at
/// once (``AlertFanOut``), one failing not stopping or delaying the others. ``AlertPipeline`` records per
/// finding which destinations have the alert, so a retried input is sent only where it is missing.
public struct DestinationRouter: Sendable {
    public struct Entry: Sendable {
        public var destination: any AlertDestination
        public var route: DestinationRoute
        public var name: String { destination.name }

        public init(_ destination: any AlertDestination, route: DestinationRoute = DestinationRoute()) {
            self.destination = destination
            self.route = route
        }
    }

    public var entries: [Entry]
    /// Account id → name (the configuration's `accounts:`), shown in alerts.
    public var accountNames: [String: String] = [:]

    public init(_ entries: [Entry], accountNames: [String: String] = [:]) {
        self.entries = entries
        self.accountNames = accountNames
    }

    public var names: [String] { entries.map(\.name) }

    /// The destinations whose route one of the alert's findings passes, in configuration order.
    public func targets(_ alert: Alert) -> [String] {
        entries.filter { e in
            alert.findings.contains { e.route.matches(ruleID: $0.ruleID, tags: $0.tags, severity: $0.severity, accountID: $0.accountID) }
        }.map(\.name)
    }

    /// Delivers to the named destinations at once; one result per name, in configuration order.
    public func deliver(_ alert: Alert, to names: Set<String>) async -> [DeliveryResult] {
        guard let content = AlertContent(findings: alert.findings, accountName: accountNames[alert.top.accountID]) else { return [] }
        let chosen = entries.filter { names.contains($0.name) }.map(\.destination)
        return await AlertFanOut(chosen).deliver(content)
    }
}

/// Builds destinations from configuration: secret references resolved (at start-up: a reference that cannot be
/// read fails the start, naming the destination and the reference, never the value).
public enum DestinationBuilder {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `aws`: the function's or CLI's client (Security Hub, EventBridge, SNS, and reading SSM / Secrets Manager).
    public static func build(
        _ configs: [DestinationConfig], accountNames: [String: String] = [:], aws: AWSClient, resolver: SecretResolver,
        poster: WebhookPoster = WebhookPoster()
    ) async throws(Failure) -> DestinationRouter {
        var entries: [DestinationRouter.Entry] = []
        for c in configs {
            func secret(_ key: String) async throws(Failure) -> Secret? {
                guard let reference = c.secrets[key] else { return nil }
                do {
                    return try await resolver.resolve(reference)
                } catch {
                    throw Failure(description: "destination '\(c.name)' (\(c.location)): \(key): \(error)")
                }
            }
            func required(_ key: String) async throws(Failure) -> Secret {
                guard let s = try await secret(key) else {
                    throw Failure(description: "destination '\(c.name)' (\(c.location)) needs \(key)")
                }
                return s
            }
            var client = aws
            if let region = c.settings["region"], !region.isEmpty { client.region = region }
            let destination: any AlertDestination
            switch c.kind {
            case .slack: destination = SlackDestination(name: c.name, webhookURL: try await required("webhook_url"), poster: poster)
            case .teams: destination = TeamsDestination(name: c.name, webhookURL: try await required("webhook_url"), poster: poster)
            case .pagerduty:
                destination = PagerDutyDestination(
                    name: c.name, routingKey: try await required("routing_key"),
                    endpoint: c.settings["endpoint"] ?? PagerDutyDestination.defaultEndpoint,
                    autoResolve: c.settings["auto_resolve"].flatMap { Bool($0.lowercased()) } ?? false, poster: poster)
            case .webhook:
                destination = WebhookDestination(
                    name: c.name, url: try await required("url"), signingKey: try await secret("signing_key"), poster: poster)
            case .securityhub:
                destination = SecurityHubDestination(
                    name: c.name, client: client, hubAccountID: c.settings["account_id"] ?? "",
                    partition: c.settings["partition"] ?? "aws")
            case .eventbridge:
                destination = EventBridgeDestination(name: c.name, client: client, eventBusName: c.settings["event_bus"])
            case .sns:
                // A topic is published to in its own region.
                let arn = (c.settings["topic_arn"] ?? "").split(separator: ":", omittingEmptySubsequences: false)
                if c.settings["region"] == nil, arn.count >= 6, !arn[3].isEmpty { client.region = String(arn[3]) }
                destination = SNSDestination(name: c.name, client: client, topicArn: c.settings["topic_arn"] ?? "")
            }
            entries.append(DestinationRouter.Entry(destination, route: c.route))
        }
        return DestinationRouter(entries, accountNames: accountNames)
    }
}

extension DestinationBuilder {
    /// The destinations in force: `TRIPLINE_DESTINATIONS` (the list alone, YAML or JSON) when set, else the
    /// configuration's `destinations:`. Errors carry `TRIPLINE_DESTINATIONS:line`.
    /// `TRIPLINE_DESTINATION_<NAME>` variables (one destination each, in name order) come after the list.
    public static func configs(configuration: Configuration?, environment: [String: String]) throws(Failure) -> [DestinationConfig] {
        var sources: [(name: String, text: String)] = []
        if let text = environment["TRIPLINE_DESTINATIONS"] { sources.append(("TRIPLINE_DESTINATIONS", text)) }
        for (name, text) in environment.sorted(by: { $0.key < $1.key }) where name.hasPrefix("TRIPLINE_DESTINATION_") {
            sources.append((name, text))
        }
        sources = sources.filter { !$0.text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }
        guard !sources.isEmpty else { return configuration?.destinations ?? [] }
        var list: [DestinationConfig] = []
        var errors: [String] = []
        for (name, text) in sources {
            let (some, problems) = Configuration.parseDestinations(yaml: text, path: name)
            errors += problems.filter { $0.level == .error }.map(\.description)
            list += some
        }
        var seen = Set<String>()
        for d in list where !seen.insert(d.name).inserted { errors.append("\(d.location): duplicate destination name '\(d.name)'") }
        guard errors.isEmpty else { throw Failure(description: errors.joined(separator: "\n")) }
        return list
    }

    /// The router for the configured destinations, nil when none are configured (the default sink then applies).
    public static func router(
        configuration: Configuration?, environment: [String: String], aws: AWSClient, poster: WebhookPoster = WebhookPoster()
    ) async throws(Failure) -> DestinationRouter? {
        let list = try configs(configuration: configuration, environment: environment)
        guard !list.isEmpty else { return nil }
        return try await build(
            list, accountNames: configuration?.accounts ?? [:], aws: aws, resolver: SecretResolver(environment: environment, aws: aws),
            poster: poster)
    }
}
