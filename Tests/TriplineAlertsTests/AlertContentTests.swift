import Testing
import TriplineAlerts
import TriplineCore
import TriplineJSON

@Suite("AlertContent")
struct AlertContentTests {
    @Test("Built from the findings of one event: most severe first, one match per rule and key, event facts kept")
    func fromFindings() throws {
        let stop = finding("tripline.cloudtrail.logging-stopped")
        var other = stop
        other.ruleID = "tripline.test.critical"
        other.severity = .critical
        other.dedupKey = "tripline.test.critical:1"
        let alert = try #require(AlertContent(findings: [stop, other, stop], accountName: "prod"))
        #expect(alert.matches.map(\.ruleID) == ["tripline.test.critical", "tripline.cloudtrail.logging-stopped"])
        #expect(alert.severity == .critical)
        #expect(alert.actor == stop.actor && alert.eventID == stop.eventID && alert.userAgent == stop.userAgent)
        #expect(alert.request.count == stop.request.count)
        #expect(alert.dedupKey == "tripline.test.critical:1")
        #expect(alert.accountName == "prod")
        #expect(AlertContent(findings: []) == nil)
    }

    @Test("The id is stable for the same dedup keys (a redelivery or a repeat in the window) and differs otherwise")
    func stableID() throws {
        let a = finding("tripline.cloudtrail.logging-stopped", edits: [("eventID", "11111111-1111-4111-8111-111111111111")])
        let repeatSameTrail = finding("tripline.cloudtrail.logging-stopped", edits: [("eventID", "22222222-2222-4222-8222-222222222222")])
        let otherTrail = finding("tripline.cloudtrail.logging-stopped", edits: [("requestParameters.name", "another-trail")])
        let id = try #require(AlertContent(findings: [a])).id
        #expect(try #require(AlertContent(findings: [a])).id == id)
        #expect(try #require(AlertContent(findings: [repeatSameTrail])).id == id)
        #expect(try #require(AlertContent(findings: [otherTrail])).id != id)
    }

    @Test("The console link is built only from a real region and event id")
    func consoleLink() {
        #expect(CloudTrailConsole.eventURL(region: "eu-west-1", eventID: "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c")
            == "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c")
        #expect(CloudTrailConsole.eventURL(region: "cn-north-1", eventID: "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c")?.hasPrefix("https://cn-north-1.console.amazonaws.cn/") == true)
        #expect(CloudTrailConsole.eventURL(region: "us-gov-west-1", eventID: "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c")?.hasPrefix("https://console.amazonaws-us-gov.com/") == true)
        for region in ["evil.example/", "us-east-1#", "us-east-1.evil.example", "US-EAST-1", "us-east-", ""] {
            #expect(CloudTrailConsole.eventURL(region: region, eventID: "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c") == nil, "\(region)")
        }
        for id in ["6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c/../x", "<!channel>", "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2z", ""] {
            #expect(CloudTrailConsole.eventURL(region: "us-east-1", eventID: id) == nil, "\(id)")
        }
    }
}
