import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineRules
import TriplineTestSupport

@testable import TriplineService

/// Never called: these tests do not poll.
struct NoLookups: LookupEventsSource {
    func lookupEvents(_ request: CloudTrailLookupRequest) async throws -> CloudTrailLookupPage {
        throw HandlerError("no LookupEvents in this test")
    }
}

/// The three push paths end to end on moto: real S3 notifications into SQS, the real SNS topic with an SQS
/// subscription capturing alerts, DynamoDB as the store. Each test has its own resources.
@Suite("Ingestion paths on moto")
struct IngestionPathTests {
    @Test("S3 log → notification in SQS → handler → alert via SNS with attributes → finding in DynamoDB; redelivery sends nothing")
    func s3ToSQS() async throws {
        let stack = try await MotoStack.make()
        let (bucket, queue, queueArn) = try await stack.bucketWithNotifications()
        let t = nowEpoch() - 120
        let trail = uniqueName("org-audit")
        let events = (0..<40).map { noise(at: t - $0, n: $0) } + [stopLogging(trail: trail, at: t)]
        let key = logKey("20261122T0000Z_a b+c")
        try await stack.s3.putObject(bucket: bucket, key: key, body: gzip(logFile(events)))

        // The bucket's own notifications: the s3:TestEvent, then the ObjectCreated record.
        let delivered = try await drain(stack.sqs, queue, count: 2)
        #expect(delivered.contains { $0.body.contains("s3:TestEvent") })
        let created = try #require(delivered.first { $0.body.contains("ObjectCreated") })
        #expect(created.body.contains("a+b%2Bc"))  // form-encoded key, decoded by the handler
        let event = lambdaSQSEvent(delivered, queueArn: queueArn)

        let handler = try TriplineHandler.live(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        let response = try responseJSON(try await handler.handle(event, context: testContext()))
        #expect(failedItems(response) == [])
        #expect(response["records"]?.text == "41")

        let alerts = try await stack.capturedAlerts(expecting: 1)
        let alert = try #require(alerts.first)
        #expect(alerts.count == 1)
        #expect(alert.subject == "SECURITY ALERT - HIGH - CloudTrail trail ... stopped or deleted by ... (...)")
        #expect(alert.attributes["alert_id"]?.hasPrefix("evt-") == true)
        #expect(alert.attributes["severity"] == "high")
        #expect(alert.attributes["rule_id"] == stopLoggingRule)
        #expect(alert.attributes["account_id"] == "123456789012")
        #expect(alert.message.contains(trail))
        #expect(alert.message.contains("s3://\(bucket)/\(key)"))

        let all = try await stack.store.list(since: nil, limit: 10, minimumSeverity: .info)
        #expect(Set(all.map(\.ruleID)) == [stopLoggingRule, "tripline.cloudtrail.trail-config-changed"])
        #expect(all.first { $0.severity == .medium }?.state == .recorded)
        let stored = all.filter { $0.ruleID == stopLoggingRule }
        #expect(stored.count == 1)
        #expect(stored.first?.state == .alerted)
        #expect(stored.first?.json["request"]?["requestParameters.name"]?.stringValue == trail)

        // The same SQS event again (visibility timeout lapsed, a duplicate delivery): no second alert.
        let again = try responseJSON(try await handler.handle(event, context: testContext()))
        #expect(failedItems(again) == [])
        #expect(again["alerted"]?.text == "0")
        #expect(try await stack.capturedAlerts(expecting: 1, seconds: 3).isEmpty)
        #expect(try await stack.store.get(key: stored[0].key)?.count == 1)
    }

    @Test("an S3 notification fanned out through SNS (Notification envelope in the SQS body) is read the same way")
    func snsWrapped() async throws {
        let stack = try await MotoStack.make()
        let (bucket, queue, _) = try await stack.bucketWithNotifications()
        let trail = uniqueName("fanout")
        try await stack.s3.putObject(bucket: bucket, key: logKey("fan out"), body: gzip(logFile([stopLogging(trail: trail, at: nowEpoch() - 90)])))
        let notification = try #require(try await drain(stack.sqs, queue, count: 2).first { $0.body.contains("ObjectCreated") })

        // The bucket → SNS topic → SQS queue layout: moto's SNS wraps the S3 event in its Notification envelope.
        let sns = SNSClient(stack.client)
        let fanout = try await sns.createTopic(name: uniqueName("tripline-s3-fanout"))
        let wrappedQueue = try await stack.sqs.createQueue(name: uniqueName("tripline-wrapped"))
        let wrappedArn = try await stack.sqs.queueArn(queueUrl: wrappedQueue)
        try await sns.subscribe(topicArn: fanout, protocol: "sqs", endpoint: wrappedArn)
        try await sns.publish(topicArn: fanout, message: notification.body, subject: "Amazon S3 Notification")
        let wrapped = try #require(try await drain(stack.sqs, wrappedQueue, count: 1).first)
        #expect(try JSONValue.parse(wrapped.body)["Type"]?.stringValue == "Notification")

        let handler = try TriplineHandler.live(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        let response = try responseJSON(try await handler.handle(lambdaSQSEvent([wrapped], queueArn: wrappedArn), context: testContext()))
        #expect(failedItems(response) == [])
        #expect(response["alerted"]?.text == "1")
        let alerts = try await stack.capturedAlerts(expecting: 1)
        #expect(alerts.count == 1 && alerts.first?.message.contains(trail) == true)
    }

    @Test("a corrupt log object among good ones: only its message is in batchItemFailures")
    func corruptObject() async throws {
        let stack = try await MotoStack.make()
        let (bucket, queue, queueArn) = try await stack.bucketWithNotifications()
        let t = nowEpoch() - 120
        let good1 = gzip(logFile([stopLogging(trail: uniqueName("t1"), at: t)] + (0..<5).map { noise(at: t, n: $0) }))
        let good2 = gzip(logFile([stopLogging(trail: uniqueName("t2"), at: t + 1)]))
        let bad = gzip(logFile((0..<200).map { noise(at: t, n: $0) }))
        try await stack.s3.putObject(bucket: bucket, key: logKey("good1"), body: good1)
        try await stack.s3.putObject(bucket: bucket, key: logKey("corrupt"), body: Array(bad.prefix(bad.count / 2)))
        try await stack.s3.putObject(bucket: bucket, key: logKey("good2"), body: good2)
        let messages = try await drain(stack.sqs, queue, count: 4).filter { $0.body.contains("ObjectCreated") }
        #expect(messages.count == 3)
        let corruptID = try #require(messages.first { $0.body.contains("corrupt") }?.messageId)

        let handler = try TriplineHandler.live(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        let response = try responseJSON(try await handler.handle(lambdaSQSEvent(messages, queueArn: queueArn), context: testContext()))
        #expect(failedItems(response) == [corruptID])
        // Two events (one per good file), two alerts.
        let alerts = try await stack.capturedAlerts(expecting: 2)
        #expect(alerts.map(\.subject) == Array(repeating: "SECURITY ALERT - HIGH - CloudTrail trail ... stopped or deleted by ... (...)", count: 2))
    }

    @Test("SNS unavailable: the item fails and nothing is marked alerted; after recovery exactly one alert")
    func snsDown() async throws {
        let stack = try await MotoStack.make()
        let (bucket, queue, queueArn) = try await stack.bucketWithNotifications()
        let trail = uniqueName("prod")
        try await stack.s3.putObject(bucket: bucket, key: logKey("x"), body: gzip(logFile([stopLogging(trail: trail, at: nowEpoch() - 60)])))
        let messages = try await drain(stack.sqs, queue, count: 2).filter { $0.body.contains("ObjectCreated") }
        let id = try #require(messages.first?.messageId)
        let event = lambdaSQSEvent(messages, queueArn: queueArn)

        // SNS at a port nobody listens on; S3, SQS and DynamoDB still on moto.
        let dead = try freePort()
        let down = try TriplineHandler.live(
            environment: stack.environment(["AWS_ENDPOINT_URL_SNS": "http://127.0.0.1:\(dead)"]),
            log: Logger(level: .error, write: Logger.discard))
        let failed = try responseJSON(try await down.handle(event, context: testContext()))
        #expect(failedItems(failed) == [id])
        let pending = try await stack.store.list(since: nil, limit: 10, minimumSeverity: .high)
        #expect(pending.count == 1)
        #expect(pending.allSatisfy { $0.state != .alerted })

        let up = try TriplineHandler.live(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        let retried = try responseJSON(try await up.handle(event, context: testContext()))
        #expect(failedItems(retried) == [])
        let again = try responseJSON(try await up.handle(event, context: testContext()))
        #expect(failedItems(again) == [])
        let alerts = try await stack.capturedAlerts(expecting: 2, seconds: 5)
        #expect(alerts.count == 1)
        #expect(alerts.first?.message.contains(trail) == true)
        #expect(try await stack.store.get(key: pending[0].key)?.state == .alerted)
    }

    @Test("EventBridge: the generated pattern on a real rule delivers the envelope to SQS; handled, it alerts once across paths")
    func eventBridge() async throws {
        let stack = try await MotoStack.make()
        let events = EventBridgeClient(stack.client)
        let queue = try await stack.sqs.createQueue(name: uniqueName("tripline-eb-target"))
        let queueArn = try await stack.sqs.queueArn(queueUrl: queue)
        let rule = uniqueName("tripline-cloudtrail")
        let compiled = EventPattern.compile(catalog.rules)
        let pattern = try #require(compiled.patterns.first { !$0.fallback && $0.rules.contains(stopLoggingRule) }).text
        #expect(pattern.utf8.count <= EventPattern.defaultMaxLength)
        try await events.putRule(name: rule, eventPattern: pattern)
        #expect(try await events.putTargets(rule: rule, targets: [EventBridgeTarget(id: "tripline", arn: queueArn)]).isEmpty)

        let trail = uniqueName("eb-trail")
        let detail = stopLogging(trail: trail, at: nowEpoch() - 30)
        let result = try await events.putEvents([
            EventBridgeEntry(source: "aws.cloudtrail", detailType: "AWS API Call via CloudTrail", detail: detail.serialized())
        ])
        #expect(result.first?.errorCode == nil)
        let delivered = try #require(try await drain(stack.sqs, queue, count: 1).first)
        let envelope = try JSONValue.parse(delivered.body)
        #expect(envelope["detail-type"]?.stringValue == "AWS API Call via CloudTrail")
        #expect(envelope["detail"]?["eventID"] == detail["eventID"])

        let handler = try TriplineHandler.live(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        let response = try responseJSON(try await handler.handle(Array(delivered.body.utf8), context: testContext()))
        #expect(response["alerted"]?.text == "1")
        let alerts = try await stack.capturedAlerts(expecting: 1)
        #expect(alerts.count == 1)
        #expect(alerts.first?.attributes["rule_id"] == stopLoggingRule)

        // The same event reaching the function by the S3 path (or EventBridge → SQS): no second alert.
        let viaQueue = try responseJSON(try await handler.handle(lambdaSQSEvent([delivered], queueArn: queueArn), context: testContext()))
        #expect(failedItems(viaQueue) == [])
        #expect(viaQueue["alerted"]?.text == "0")
        #expect(try await stack.capturedAlerts(expecting: 1, seconds: 3).isEmpty)
    }

    @Test("a GuardDuty finding alerts with its own severity; its redelivery does not")
    func guardDuty() async throws {
        let stack = try await MotoStack.make()
        let handler = try TriplineHandler.live(environment: stack.environment(), log: Logger(level: .error, write: Logger.discard))
        let id = uniqueName("gd")
        let payload = Array("""
            {"version":"0","id":"\(UUID())","detail-type":"GuardDuty Finding","source":"aws.guardduty","account":"123456789012",
             "time":"2026-11-22T10:00:00Z","region":"us-east-1","resources":[],
             "detail":\(guardDutyDetail(id: id, updatedAt: EventTime.iso8601(nowEpoch() - 60), severity: 9.5))}
            """.utf8)
        let first = try responseJSON(try await handler.handle(payload, context: testContext()))
        #expect(first["alerted"]?.text == "1")
        _ = try await handler.handle(payload, context: testContext())
        let alerts = try await stack.capturedAlerts(expecting: 2, seconds: 4)
        #expect(alerts.map(\.subject) == ["SECURITY ALERT - CRITICAL - GuardDuty finding"])
        #expect(alerts.first?.attributes["severity"] == "critical")
        #expect(alerts.first?.message.contains("198.51.100.9") == true)
    }
}
