import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineDestinations
import TriplineJSON
import TriplineTestSupport

@Suite("Slack, Teams and PagerDuty over HTTP")
struct ChatDeliveryTests {
    @Test("Slack: one POST of a valid Block Kit message to the webhook path")
    func slack() async throws {
        let server = try receiver([.init(status: 200, text: "ok")])
        defer { server.stop() }
        let a = alert("<!channel> *now*")
        let slack = SlackDestination(webhookURL: Secret(server.baseURL + "/services/T000/B000/XXXXSECRET"), poster: poster(SleepRecorder()))
        try await slack.deliver(a)
        let requests = server.requests
        #expect(requests.count == 1)
        let r = try #require(requests.first)
        #expect(r.method == "POST" && r.path == "/services/T000/B000/XXXXSECRET")
        #expect(r.headers["content-type"] == "application/json")
        #expect(try await schemaErrors(Schemas.slack, [r.body]) == "")
        let body = try JSONValue.parse(r.body)
        #expect(body[path: "blocks"]?.arrayValue?.contains { $0["type"] == "actions" } == true)
        #expect(!String(decoding: r.body, as: UTF8.self).contains("<!channel>"))
    }

    @Test("Slack: 429 with Retry-After is waited out, then delivered")
    func slackThrottled() async throws {
        let server = try receiver([.init(status: 429, headers: ["Retry-After": "2"], body: Array("rate_limited".utf8)), .init(status: 200, text: "ok")])
        defer { server.stop() }
        let sleeps = SleepRecorder()
        try await SlackDestination(webhookURL: Secret(server.baseURL + "/services/x"), poster: poster(sleeps)).deliver(alert())
        #expect(server.requests.count == 2)
        #expect(await sleeps.sleeps == [.seconds(2)])
    }

    @Test("Slack: a 400 (invalid_blocks) is not retried and says why, without the URL")
    func slackRefused() async throws {
        let server = try receiver([.init(status: 400, text: "invalid_blocks")])
        defer { server.stop() }
        let url = server.baseURL + "/services/T000/B000/SENTINEL400"
        do throws(DeliveryError) {
            try await SlackDestination(webhookURL: Secret(url), poster: poster(SleepRecorder())).deliver(alert())
            Issue.record("delivered despite 400")
        } catch {
            #expect(error.status == 400 && error.attempts == 1 && !error.transient)
            #expect(error.description.contains("invalid_blocks"))
            #expect(!error.description.contains("SENTINEL400") && !error.description.contains("127.0.0.1"))
        }
        #expect(server.requests.count == 1)
    }

    @Test("Teams: a Workflows message with a valid Adaptive Card, 202 accepted")
    func teams() async throws {
        let server = try receiver([.init(status: 202)])
        defer { server.stop() }
        try await TeamsDestination(webhookURL: Secret(server.baseURL + "/workflows/abc/triggers/manual/paths/invoke?sig=SECRET"), poster: poster(SleepRecorder()))
            .deliver(alert("[x](http://evil.example) <at>All</at>"))
        let r = try #require(server.requests.first)
        #expect(r.path == "/workflows/abc/triggers/manual/paths/invoke?sig=SECRET")
        #expect(try await schemaErrors(Schemas.teams, [r.body]) == "")
        #expect(r.body.count <= 28 * 1024)
    }

    @Test("PagerDuty: trigger keyed by the dedup key, then resolve with the same key when configured")
    func pagerDuty() async throws {
        let server = try receiver([.init(status: 202, json: #"{"status":"success","message":"Event processed"}"#)])
        defer { server.stop() }
        let a = alert()
        let pd = PagerDutyDestination(
            routingKey: Secret("R0UTINGKEY0000000000000000000001"), endpoint: server.baseURL + "/v2/enqueue", autoResolve: true,
            poster: poster(SleepRecorder()))
        try await pd.deliver(a)
        let requests = server.requests
        try #require(requests.count == 2, "\(requests.map(\.path))")
        #expect(requests.allSatisfy { $0.path == "/v2/enqueue" })
        #expect(try await schemaErrors(Schemas.pagerDuty, requests.map(\.body)) == "")
        let trigger = try JSONValue.parse(requests[0].body)
        let resolve = try JSONValue.parse(requests[1].body)
        #expect(trigger["event_action"] == "trigger" && resolve["event_action"] == "resolve")
        #expect(trigger["dedup_key"]?.stringValue == a.dedupKey && resolve["dedup_key"] == trigger["dedup_key"])
        #expect(trigger["routing_key"] == "R0UTINGKEY0000000000000000000001")
        #expect(trigger[path: "payload.severity"] == "error")
        #expect(trigger[path: "payload.timestamp"] == "2026-03-01T12:00:00Z")
    }

    @Test("PagerDuty: server errors are retried with backoff until accepted")
    func pagerDutyRetried() async throws {
        let server = try receiver([.init(status: 500), .init(status: 502), .init(status: 202, json: #"{"status":"success"}"#)])
        defer { server.stop() }
        let sleeps = SleepRecorder()
        try await PagerDutyDestination(routingKey: Secret("k"), endpoint: server.baseURL + "/v2/enqueue", poster: poster(sleeps)).deliver(alert())
        #expect(server.requests.count == 3)
        #expect(await sleeps.sleeps == [.milliseconds(500), .seconds(1)])
        #expect(Set(server.requests.map(\.body)).count == 1, "every attempt sends the same event")
    }
}
