import ArgumentParser
import Foundation
import TriplineAWS
import TriplineAlerts
import TriplineConfig
import TriplineCore
import TriplineDestinations
import TriplineService

/// The configured destinations for the CLI (`scan --notify`, `watch`): `TRIPLINE_DESTINATIONS`, else the
/// configuration's `destinations:`, secrets resolved at start.
enum CLIDestinations {
    static func router(configuration: Configuration?, aws: AWSClient) async throws -> DestinationRouter? {
        do {
            return try await DestinationBuilder.router(
                configuration: configuration, environment: ProcessInfo.processInfo.environment, aws: aws)
        } catch {
            printError("tripline: destinations: \(error)")
            throw ExitCode(ExitStatus.usageOrRules)
        }
    }

    /// For `--dry-run`: the routes alone, with destinations that send nothing (no secret is read).
    static func dryRunRouter(configuration: Configuration?) throws -> DestinationRouter? {
        let list: [DestinationConfig]
        do {
            list = try DestinationBuilder.configs(configuration: configuration, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError("tripline: destinations: \(error)")
            throw ExitCode(ExitStatus.usageOrRules)
        }
        guard !list.isEmpty else { return nil }
        return DestinationRouter(list.map { .init(DryRunDestination(name: $0.name), route: $0.route) }, accountNames: configuration?.accounts ?? [:])
    }

    /// Sends each alert to the destinations its routes name, each destination on its own; prints one line per
    /// alert on stderr. Returns whether every delivery succeeded.
    static func notify(_ alerts: [Alert], router: DestinationRouter, dryRun: Bool) async -> Bool {
        var ok = true
        for alert in alerts {
            let targets = router.targets(alert)
            let head = "alert \(alert.id) (\(alert.severity), \(alert.top.ruleID))"
            if targets.isEmpty {
                printError("tripline: \(head): routed to no destination")
                continue
            }
            if dryRun {
                printError("tripline: \(head): would send to \(targets.joined(separator: ", "))")
                continue
            }
            let results = await router.deliver(alert, to: Set(targets))
            let sent = results.filter(\.succeeded).map(\.destination)
            if !sent.isEmpty { printError("tripline: \(head): sent to \(sent.joined(separator: ", "))") }
            for failure in results.compactMap(\.error) {
                ok = false
                printError("tripline: \(head): \(failure)")
            }
        }
        return ok
    }
}

/// Stands for a destination in `--dry-run`: never called.
struct DryRunDestination: AlertDestination {
    let name: String
    func deliver(_ alert: AlertContent) async throws(DeliveryError) {}
}
