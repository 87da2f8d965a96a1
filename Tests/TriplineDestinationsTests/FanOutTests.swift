import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineDestinations
import TriplineTestSupport

@Suite("Fan-out to several destinations")
struct FanOutTests {
    @Test("A failing or unreachable destination does not block the others; results say which failed, with no secret")
    func independent() async throws {
        let sentinel = "SENTINEL" + UUID().uuidString.prefix(8)
        let slack = try receiver([.init(status: 200, text: "ok")])
        // Worst case: failing receivers echo the request line and body in their error answers.
        let echo: @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response = { r in
            .init(status: 500, body: Array("\(r.method) \(r.path) ".utf8) + r.body)
        }
        let teams = try LoopbackHTTPServer(handler: echo)
        let pagerDuty = try LoopbackHTTPServer { r in .init(status: 400, body: r.body) }
        defer { [slack, teams, pagerDuty].forEach { $0.stop() } }
        let sleeps = SleepRecorder()
        let p = poster(sleeps)
        let closed = try closedPortURL()
        let fanOut = AlertFanOut([
            SlackDestination(name: "slack", webhookURL: Secret(slack.baseURL + "/services/" + sentinel), poster: p),
            TeamsDestination(name: "teams", webhookURL: Secret(teams.baseURL + "/workflows/" + sentinel + "?sig=" + sentinel), poster: p),
            PagerDutyDestination(name: "pagerduty", routingKey: Secret(sentinel), endpoint: pagerDuty.baseURL + "/v2/enqueue", poster: p),
            WebhookDestination(name: "webhook", url: Secret(closed + "/" + sentinel), signingKey: Secret(sentinel), poster: p),
        ])
        let results = await fanOut.deliver(alert())
        #expect(results.map(\.destination) == ["slack", "teams", "pagerduty", "webhook"])
        #expect(results.map(\.succeeded) == [true, false, false, false])
        #expect(slack.requests.count == 1)
        #expect(teams.requests.count == 4, "5xx retried to the bound")
        #expect(pagerDuty.requests.count == 1, "4xx final")
        #expect(results[1].error?.transient == true && results[2].error?.transient == false && results[3].error?.transient == true)
        // What a caller logs: the results and their errors.
        var logged = results.map { String(describing: $0) + " " + ($0.error?.description ?? "") }.joined(separator: "\n")
        dump(fanOut, to: &logged)
        #expect(!logged.contains(sentinel), "\(logged.prefix(2000))")
        #expect(results[1].error?.description.contains("HTTP 500") == true)
    }

    @Test("AWS destinations fail alone too: a missing topic next to a working Slack")
    func awsNextToChat() async throws {
        let moto = try await MotoServer.shared()
        let slack = try receiver([.init(status: 200, text: "ok")])
        defer { slack.stop() }
        let results = await AlertFanOut([
            SNSDestination(client: motoClient(moto), topicArn: "arn:aws:sns:us-east-1:123456789012:" + uniqueName("missing")),
            SlackDestination(webhookURL: Secret(slack.baseURL + "/s"), poster: poster(SleepRecorder())),
        ]).deliver(alert())
        #expect(results.map(\.succeeded) == [false, true])
        #expect(results[0].error?.reason.contains("sns.Publish") == true)
    }
}
