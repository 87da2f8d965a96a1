import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineDestinations
import TriplineJSON
import TriplineTestSupport

@Suite("Security Hub, EventBridge and SNS against moto")
struct AWSDeliveryTests {
    @Test("Security Hub: one valid ASFF finding per alert; a repeat updates it in place (same Id)")
    func securityHub() async throws {
        let moto = try await MotoServer.shared()
        let aws = motoClient(moto)
        try await SecurityHubClient(aws).enableSecurityHub()
        let a = alert("<!channel>")
        let first = SecurityHubDestination(client: aws, hubAccountID: MotoServer.accountId, now: { 1_780_000_000 })
        try await first.deliver(a)
        let id = SecurityHubFormat.findingID(a)

        func stored() async throws -> [JSONValue] {
            try await SecurityHubClient(aws).getFindings().map { try JSONValue.parse($0) }.filter { $0["Id"]?.stringValue == id }
        }
        let once = try await stored()
        #expect(once.count == 1)
        let finding = try #require(once.first)
        #expect(try await schemaErrors(Schemas.asff, [Array(finding.serialized().utf8)]) == "")
        #expect(finding["ProductArn"]?.stringValue == "arn:aws:securityhub:us-east-1:123456789012:product/123456789012/default")
        #expect(finding[path: "Severity.Label"] == "HIGH")
        #expect(finding["Types"] == ["TTPs/Defense Evasion", "TTPs/Discovery"])
        #expect(finding["UpdatedAt"] == "2026-05-28T20:26:40Z")

        let repeatDelivery = SecurityHubDestination(client: aws, hubAccountID: MotoServer.accountId, now: { 1_780_003_600 })
        try await repeatDelivery.deliver(a)
        let twice = try await stored()
        #expect(twice.count == 1)
        #expect(twice.first?["UpdatedAt"] == "2026-05-28T21:26:40Z")
        #expect(twice.first?["CreatedAt"] == finding["CreatedAt"])
    }

    @Test("Security Hub: a refused finding is a failed delivery")
    func securityHubRefused() async throws {
        // A transport that answers like the service does when it refuses a finding (moto accepts everything
        // with a resource, which every ASFF finding of ours has).
        let transport = InMemoryHTTPTransport { _ in
            HTTPResponse(status: 200, body: Array(#"{"FailedCount":1,"SuccessCount":0,"FailedFindings":[{"Id":"x","ErrorCode":"InvalidInput","ErrorMessage":"m"}]}"#.utf8))
        }
        let aws = AWSClient(region: "us-east-1", credentials: StaticCredentialProvider(accessKeyId: "a", secretAccessKey: "b"), transport: transport)
        do throws(DeliveryError) {
            try await SecurityHubDestination(client: aws, hubAccountID: "123456789012").deliver(alert())
            Issue.record("a refused finding counted as delivered")
        } catch {
            #expect(error.reason.contains("InvalidInput") && !error.transient)
        }
    }

    @Test("EventBridge: the alert reaches a custom bus, and a rule on the bus routes it by source and detail type")
    func eventBridge() async throws {
        let moto = try await MotoServer.shared()
        let aws = motoClient(moto)
        let events = EventBridgeClient(aws)
        let sqs = SQSClient(aws)
        let bus = uniqueName("tripline-bus")
        try await events.createEventBus(name: bus)
        let queue = try await sqs.createQueue(name: uniqueName("tripline-alerts"))
        let rule = uniqueName("tripline-rule")
        try await events.putRule(name: rule, eventPattern: #"{"source":["tripline"],"detail-type":["Tripline Alert"],"detail":{"severity":["high","critical"]}}"#, eventBusName: bus)
        let failed = try await events.putTargets(rule: rule, targets: [EventBridgeTarget(id: "q", arn: try await sqs.queueArn(queueUrl: queue))], eventBusName: bus)
        #expect(failed.isEmpty)

        let a = alert("\"}, \"severity\": \"info")
        try await EventBridgeDestination(client: aws, eventBusName: bus).deliver(a)
        let messages = try await drain(sqs, queue, count: 1)
        #expect(messages.count == 1)
        let event = try JSONValue.parse(try #require(messages.first).body)
        #expect(event["source"] == "tripline" && event["detail-type"] == "Tripline Alert")
        #expect(event[path: "detail.id"]?.stringValue == a.id)
        #expect(event[path: "detail.severity"] == "high")
        #expect(event[path: "detail.event.user_agent"]?.stringValue == "\"}, \"severity\": \"info")
    }

    @Test("EventBridge: a bus that does not exist is a failed delivery")
    func eventBridgeMissingBus() async throws {
        let moto = try await MotoServer.shared()
        do throws(DeliveryError) {
            try await EventBridgeDestination(client: motoClient(moto), eventBusName: uniqueName("no-such-bus")).deliver(alert())
            Issue.record("delivered to a missing bus")
        } catch {
            #expect(error.destination == "eventbridge")
        }
    }

    @Test("SNS: subject names the top rule (ASCII, ≤ 100, no event text); attributes for filters")
    func sns() async throws {
        let moto = try await MotoServer.shared()
        let aws = motoClient(moto)
        let sns = SNSClient(aws)
        let sqs = SQSClient(aws)
        let topic = try await sns.createTopic(name: uniqueName("tripline-alerts"))
        let queue = try await sqs.createQueue(name: uniqueName("tripline-sns"))
        try await sns.subscribe(topicArn: topic, protocol: "sqs", endpoint: try await sqs.queueArn(queueUrl: queue))
        try await SNSDestination(client: aws, topicArn: topic).deliver(alert("\u{202E}<!channel>\r\nSubject: forged"))
        let messages = try await drain(sqs, queue, count: 1)
        let envelope = try JSONValue.parse(try #require(messages.first).body)
        let subject = try #require(envelope["Subject"]?.stringValue)
        #expect(subject == "Tripline HIGH: tripline.cloudtrail.logging-stopped (+1 more)")
        #expect(subject.utf8.count <= 100 && subject.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F })
        let message = try #require(envelope["Message"]?.stringValue)
        #expect(message.contains("tripline.cloudtrail.logging-stopped") && !message.contains("\u{202E}") && !message.contains("\r"))
        #expect(envelope[path: "MessageAttributes.severity.Value"] == "high")
    }
}
