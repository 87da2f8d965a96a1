import Foundation
import Testing
import TriplineTestSupport

@Suite("tripline scan --notify and config check with destinations")
struct NotifyCLITests {
    static let sentinel = "SENTINELcliSLACKtoken"
    let samples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("samples").path

    func config(_ text: String) throws -> URL {
        let url = Fixtures.temporaryFolder().appendingPathComponent("tripline.yml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    static let destinations = """
        destinations:
          - name: chat
            type: slack
            webhook_url: env:SLACK_URL
            route:
              min_severity: critical
          - name: broken
            type: webhook
            url: env:HOOK_URL
            route:
              min_severity: critical
        """

    @Test("alerts go to their routed destinations; one refusing does not stop the other; exit 1; no secret on stderr")
    func notify() throws {
        let slack = try LoopbackHTTPServer { _ in .init(status: 200, text: "ok") }
        let hook = try LoopbackHTTPServer { _ in .init(status: 400, text: "bad request") }
        defer { slack.stop(); hook.stop() }
        let url = try config(Self.destinations)
        let env = CLI.environment([
            "SLACK_URL": "\(slack.baseURL)/services/T0/B0/\(Self.sentinel)", "HOOK_URL": "\(hook.baseURL)/h?token=\(Self.sentinel)",
        ])
        let r = try CLI.run(["scan", "--config", url.path, "--notify", "--format", "jsonl", samples], environment: env)
        #expect(r.status == 1, "\(r.stderr)")
        let sent = r.stderr.split(separator: "\n").filter { $0.contains("sent to chat") }
        #expect(!sent.isEmpty && sent.count == slack.requests.count, "\(r.stderr)")
        #expect(hook.requests.count == slack.requests.count)
        #expect(r.stderr.contains("delivery to broken failed after 1 attempt (HTTP 400)"))
        #expect(!r.stderr.contains("SENTINEL") && !r.stdout.contains("SENTINEL"))
        // Only critical alerts were routed: every Slack message says so.
        for request in slack.requests { #expect(String(decoding: request.body, as: UTF8.self).lowercased().contains("critical")) }
    }

    @Test("--dry-run says where each alert would go, sends nothing and reads no secret")
    func dryRun() throws {
        let url = try config(Self.destinations)
        let r = try CLI.run(["scan", "--config", url.path, "--notify", "--dry-run", "--format", "jsonl", samples])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("would send to chat, broken"), "\(r.stderr)")
        let none = try CLI.run(["scan", "--no-config", "--notify", "--format", "jsonl", samples])
        #expect(none.status == 2 && none.stderr.contains("no destinations configured"))
    }

    @Test("config check lists destinations and reports their errors with file and line")
    func check() throws {
        let good = try CLI.run(["config", "check", try config(Self.destinations).path])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(good.stdout.contains("destination chat (slack, ") && good.stdout.contains("min_severity critical"), "\(good.stdout)")
        let badURL = try config("""
            destinations:
              - name: chat
                type: slack
                webhook_url: https://hooks.slack.com/services/\(Self.sentinel)
            """)
        let bad = try CLI.run(["config", "check", badURL.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("\(badURL.path):4: error: webhook_url must be a secret reference"), "\(bad.stderr)")
        #expect(!bad.stderr.contains("SENTINEL") && !bad.stdout.contains("SENTINEL"))
    }
}
