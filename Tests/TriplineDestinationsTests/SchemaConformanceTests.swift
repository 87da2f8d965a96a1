import Foundation
import Testing
import TriplineAlerts
import TriplineJSON
import TriplineTestSupport

/// The hostile corpus, rendered by every format, validated against each service's documented schema by an
/// independent validator (Python jsonschema): escaping never breaks a payload's shape or its limits.
@Suite("Payload schemas, hostile corpus")
struct SchemaConformanceTests {
    static let corpus = HostileText.corpus + [HostileText.all]
    static let now = 1_780_000_000

    static func rendered<F: AlertFormat>(_ format: F, _ wire: (F.Output) -> JSONValue) -> [[UInt8]] {
        corpus.map { Array(wire(format.render(alert($0), now: now)).serialized().utf8) }
    }

    @Test("Slack Block Kit") func slack() async throws {
        let errors = try await schemaErrors(Schemas.slack, Self.rendered(SlackFormat()) { $0 })
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test("Teams Adaptive Card, each under 28 KB") func teams() async throws {
        let payloads = Self.rendered(TeamsFormat()) { $0 }
        #expect(payloads.allSatisfy { $0.count <= 28 * 1024 })
        let errors = try await schemaErrors(Schemas.teams, payloads)
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test("PagerDuty trigger and resolve") func pagerDuty() async throws {
        let payloads = Self.rendered(PagerDutyFormat(routingKey: "R0UTINGKEY0000000000000000000000")) { $0 }
            + Self.rendered(PagerDutyFormat(routingKey: "R0UTINGKEY0000000000000000000000", action: .resolve)) { $0 }
        let errors = try await schemaErrors(Schemas.pagerDuty, payloads)
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test("ASFF") func asff() async throws {
        let errors = try await schemaErrors(Schemas.asff, Self.rendered(SecurityHubFormat(hubAccountID: "123456789012", hubRegion: "us-east-1")) { $0 })
        #expect(errors.isEmpty, "\(errors)")
    }

    @Test("The schemas reject what the services reject (a checker that cannot fail proves nothing)")
    func schemasBite() async throws {
        var slack = SlackFormat().render(alert(), now: Self.now)
        if case .object(var members) = slack, let i = members.firstIndex(where: { $0.0 == "blocks" }), case .array(let blocks) = members[i].1 {
            members[i].1 = .array(Array(repeating: blocks[1], count: 51))
            slack = .object(members)
        }
        #expect(try await !schemaErrors(Schemas.slack, [Array(slack.serialized().utf8)]).isEmpty)
        let longSummary = #"{"routing_key":"k","event_action":"trigger","payload":{"summary":"\#(String(repeating: "x", count: 1025))","source":"s","severity":"error"}}"#
        #expect(try await !schemaErrors(Schemas.pagerDuty, [Array(longSummary.utf8)]).isEmpty)
        #expect(try await !schemaErrors(Schemas.asff, [Array(#"{"SchemaVersion":"2018-10-08","Id":"x"}"#.utf8)]).isEmpty)
        #expect(try await !schemaErrors(Schemas.teams, [Array(#"{"type":"message","attachments":[]}"#.utf8)]).isEmpty)
    }
}
