import Foundation
import Testing
import TriplineCore
import TriplineJSON

@testable import TriplineService

/// A sink that fails the first `failures` deliveries, then records.
actor FlakySink: AlertSink {
    var failures: Int
    private(set) var delivered: [AlertMessage] = []
    init(failures: Int) { self.failures = failures }
    func send(_ messages: [AlertMessage]) async throws {
        if failures > 0 {
            failures -= 1
            throw FailingAlertSink.Failure(description: "flaky")
        }
        delivered += messages
    }
}

@Suite("AlertPipeline")
struct AlertPipelineTests {
    let rules = catalog.rules

    /// One event per severity band the catalog has, each from its rule's own positive test.
    func eventsBySeverity() -> [(Severity, JSONValue)] {
        var out: [(Severity, JSONValue)] = []
        for severity in Severity.allCases {
            guard let rule = rules.first(where: { $0.severity == severity && $0.threshold == nil && $0.tests.contains { $0.expect } })
            else { continue }
            var e = rule.tests.first { $0.expect }!.event
            e = setting(e, "eventTime", .string(EventTime.iso8601(nowEpoch() - 60)))
            e = setting(e, "eventID", .string(UUID().uuidString))
            out.append((severity, e))
        }
        return out
    }

    @Test("one message per alert, most severe first; below the minimum recorded and not sent")
    func perAlert() async throws {
        let store = InMemoryFindingStore()
        let sink = RecordingAlertSink()
        let pipeline = AlertPipeline(rules: rules, store: store, sink: sink, minimumSeverity: .medium)
        let t = nowEpoch() - 300
        let events = [stopLogging(trail: "a", at: t), stopLogging(trail: "b", at: t + 1), stopLogging(trail: "c", at: t + 2)]
            + eventsBySeverity().map(\.1)
        let raw = findings(events)
        let outcome = await pipeline.run(raw, owner: "req-1")
        let messages = await sink.messages

        let aggregated = Aggregator(rules: rules).aggregate(raw)
        let sent = aggregated.filter { $0.severity >= .medium }
        let expected = Alert.group(sent, standsAlone: { f in rules.first { $0.id == f.ruleID }?.standsAlone ?? false })
        #expect(messages.count == expected.count)
        #expect(messages.map(\.severity) == expected.map(\.severity))
        #expect(messages.map(\.severity) == messages.map(\.severity).sorted(by: >))
        #expect(Set(messages.map(\.alertID)).count == messages.count)
        #expect(outcome.alerted.count == sent.count)
        #expect(outcome.recorded.count == aggregated.filter { $0.severity < .medium }.count)
        #expect(!outcome.recorded.isEmpty)
        #expect(outcome.failedInputs.isEmpty)

        // Each StopLogging event is one alert carrying both of its rules (high, medium), not two messages.
        let stop = messages.filter { $0.ruleIDs.contains(stopLoggingRule) }
        #expect(stop.count == 3)
        for m in stop {
            #expect(m.severity == .high)
            #expect(m.ruleIDs == [stopLoggingRule, "tripline.cloudtrail.trail-config-changed"])
            #expect(m.findingKeys.count == 2)
            #expect(m.subject.hasPrefix("SECURITY ALERT - HIGH - CloudTrail trail ... stopped or deleted by ... (...)"))
            #expect(m.subject.hasSuffix(" (+1 more rule)"))
            #expect(m.body.contains("2 rules matched one event"))
            for key in m.findingKeys { #expect(try await store.get(key: key)?.state == .alerted) }
        }
        for f in outcome.recorded { #expect(try await store.get(key: f.key)?.state == .recorded) }

        // The same findings again (a retried batch): nothing new is sent.
        let again = await pipeline.run(raw, owner: "req-2")
        #expect(again.alerted.isEmpty)
        #expect(again.duplicates.count == aggregated.count)
        #expect(await sink.messages.count == messages.count)
    }

    @Test("a root console login without MFA is one alert listing every rule that matched, each with title, severity and action")
    func rootLoginOneAlert() async throws {
        let login: JSONValue = [
            "eventVersion": "1.09", "eventTime": .string(EventTime.iso8601(nowEpoch() - 60)), "eventSource": "signin.amazonaws.com",
            "eventName": "ConsoleLogin", "awsRegion": "us-east-1", "sourceIPAddress": "203.0.113.9", "userAgent": "Mozilla/5.0",
            "userIdentity": ["type": "Root", "arn": "arn:aws:iam::123456789012:root", "accountId": "123456789012", "principalId": "123456789012"],
            "responseElements": ["ConsoleLogin": "Success"], "additionalEventData": ["MFAUsed": "No", "LoginTo": "https://console.aws.amazon.com/"],
            "eventID": .string(UUID().uuidString.lowercased()), "eventType": "AwsConsoleSignIn", "recipientAccountId": "123456789012",
        ]
        let raw = findings([login])
        #expect(Set(raw.map(\.ruleID)).count >= 2, "rules matched: \(raw.map(\.ruleID))")
        let sink = RecordingAlertSink()
        let pipeline = AlertPipeline(rules: rules, store: InMemoryFindingStore(), sink: sink, minimumSeverity: .info)
        let outcome = await pipeline.run(raw, owner: "r")
        let messages = await sink.messages
        #expect(messages.count == 1)
        let m = try #require(messages.first)
        #expect(m.severity == raw.map(\.severity).max())
        #expect(Set(m.ruleIDs) == Set(raw.map(\.ruleID)))
        #expect(outcome.alerted.count == raw.count)
        for f in raw {
            #expect(m.body.contains(f.ruleID))
            #expect(m.body.contains("[\(f.severity.description.uppercased())]"))
            if !f.action.isEmpty { #expect(m.body.contains(String(f.action.split(separator: "\n")[0]))) }
        }
        // Every stored finding names the alert it was sent in.
        #expect(Set(outcome.alerted.compactMap { $0.json["alert_id"]?.stringValue }) == [m.alertID])
        #expect(m.alertID == Alert.id(of: raw[0], standalone: false))
    }

    @Test("the body carries every incident field; hostile event text is escaped and never reaches the subject")
    func bodyAndSubject() async throws {
        let sink = RecordingAlertSink()
        let pipeline = AlertPipeline(rules: rules, store: InMemoryFindingStore(), sink: sink)
        var e = stopLogging(trail: "evil\u{1B}[31m\ntrail\u{202E}", at: nowEpoch() - 100)
        e = setting(e, "userAgent", .string("curl\r\nSubject: forged"))
        e = setting(e, "sourceIPAddress", .string("203.0.113.77"))
        _ = await pipeline.run(findings([e]), owner: "r")
        let m = try #require(await sink.messages.first)
        #expect(!m.subject.contains("evil") && !m.subject.contains("mallory") && !m.subject.contains("curl"))
        #expect(m.subject.utf8.count <= 100 && m.subject.allSatisfy { $0.isASCII && !$0.isNewline })
        for part in ["203.0.113.77", "arn:aws:sts::111122223333:assumed-role/OpsAdmin/mallory", "123456789012", "us-east-1",
                     "StopLogging", "requestParameters.name", "action", "what"] {
            #expect(m.body.contains(part), "body lacks \(part)")
        }
        #expect(!m.body.contains("\u{1B}"))
        #expect(!m.body.contains("\u{202E}"))
        #expect(!m.body.contains("curl\r\n"))
        #expect(m.body.contains("\\u{1b}[31m"))
    }

    @Test("a failed delivery releases the claims and fails exactly the inputs behind them; the retry alerts once")
    func failure() async throws {
        let store = InMemoryFindingStore()
        let sink = FlakySink(failures: 1)
        let pipeline = AlertPipeline(rules: rules, store: store, sink: sink)
        let t = nowEpoch() - 100
        // StopLogging also fires the medium trail-config rule; keep the high one so one band is in play.
        let fromA = findings([stopLogging(trail: "a", at: t)], path: "s3://b/a").filter { $0.ruleID == stopLoggingRule }
        let fromB = findings([noise(at: t, n: 1)], path: "s3://b/b")
        let ids = ["s3://b/a": "msg-A", "s3://b/b": "msg-B"]
        let first = await pipeline.run(fromA + fromB, owner: "r1", inputID: { ids[$0.input.path]! })
        #expect(first.failedInputs == ["msg-A"])
        #expect(first.alerted.isEmpty)
        #expect(!first.errors.isEmpty)
        let key = try #require(fromA.first?.dedupKey)
        #expect(try await store.get(key: key)?.state == .pending)

        let retry = await pipeline.run(fromA, owner: "r2", inputID: { ids[$0.input.path]! })
        #expect(retry.failedInputs.isEmpty)
        #expect(retry.alerted.map(\.key) == [key])
        let third = await pipeline.run(fromA, owner: "r3")
        #expect(third.alerted.isEmpty)
        #expect(await sink.delivered.count == 1)
        #expect(try await store.get(key: key)?.state == .alerted)
    }

    @Test("findings sharing a dedup key in one batch are one incident with a count")
    func folding() async throws {
        let sink = RecordingAlertSink()
        let store = InMemoryFindingStore()
        let pipeline = AlertPipeline(rules: rules, store: store, sink: sink)
        let t = nowEpoch() - 1000
        let raw = findings([stopLogging(trail: "same", at: t), stopLogging(trail: "same", at: t + 10), stopLogging(trail: "same", at: t + 20)])
            .filter { $0.ruleID == stopLoggingRule }
        #expect(raw.count == 3)
        let outcome = await pipeline.run(raw, owner: "r")
        #expect(outcome.alerted.count == 1)
        #expect(outcome.alerted.first?.count == 3)
        #expect(await sink.messages.count == 1)
        #expect(await sink.messages.first?.body.contains("(3 events") == true)
    }

    @Test("subjects stay within SNS limits, ASCII, free of event text, for any title, severity and rule count")
    func subjects() {
        let templates = ["CloudTrail trail {requestParameters.name} stopped by {userIdentity.arn}", String(repeating: "Very long title ", count: 20),
                         "Caf\u{e9} {a} {{literal}} \u{1B}[31m", ""]
        for severity in Severity.allCases {
            for template in templates {
                for more in [0, 1, 7] {
                    let s = AlertComposer.subject(severity: severity, titleTemplate: template, moreRules: more)
                    #expect(s.utf8.count <= 100)
                    #expect(s.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
                    #expect(s.hasPrefix("SECURITY ALERT - \(severity.description.uppercased()) - "))
                    #expect(!s.contains("{") || template.contains("{{"))
                    if more > 0 { #expect(s.hasSuffix("more \(more == 1 ? "rule" : "rules"))")) }
                }
            }
        }
        #expect(AlertComposer.subject(severity: .high, titleTemplate: "Trail {name} stopped by {arn}", moreRules: 0)
            == "SECURITY ALERT - HIGH - Trail ... stopped by ...")
    }
}
