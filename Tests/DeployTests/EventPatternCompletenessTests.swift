import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineRules
import TriplineTestSupport

/// The generated EventBridge patterns let through what the rules need, judged by a real pattern engine: moto's
/// EventBridge routes the events (its TestEventPattern is not implemented, so the patterns are deployed as rules
/// with an SQS target and the events sent with PutEvents).
@Suite("EventBridge patterns on moto")
struct EventPatternCompletenessTests {
    /// The EventBridge envelope CloudTrail's events arrive in: source `aws.<service>`, detail-type by eventType.
    static func entry(_ record: JSONValue) -> EventBridgeEntry {
        let source = record["eventSource"]?.stringValue ?? "unknown.amazonaws.com"
        let service = source.hasSuffix(".amazonaws.com") ? String(source.dropLast(".amazonaws.com".count)) : source
        let detailType = switch record["eventType"]?.stringValue {
        case "AwsConsoleSignIn": "AWS Console Signin via CloudTrail"
        case "AwsServiceEvent": "AWS Service Event via CloudTrail"
        case "AwsConsoleAction": "AWS Console Action via CloudTrail"
        default: "AWS API Call via CloudTrail"
        }
        return EventBridgeEntry(source: "aws.\(service)", detailType: detailType, detail: record.serialized())
    }

    /// Deploys `patterns` as rules targeting one new queue, sends `events`, and returns the labels of those that
    /// arrived.
    static func route(_ patterns: [String], _ events: [(label: String, record: JSONValue)], on moto: MotoServer) async throws -> Set<String> {
        let client = AWSClient(
            region: MotoServer.region,
            credentials: StaticCredentialProvider(accessKeyId: MotoServer.accessKeyId, secretAccessKey: MotoServer.secretAccessKey),
            endpoint: moto.endpoint, timeout: .seconds(120))  // moto matches each PutEvents batch against every rule: slow on a busy machine
        let sqs = SQSClient(client)
        let bridge = EventBridgeClient(client)
        let queue = try await sqs.createQueue(name: uniqueName("tripline-patterns"))
        let queueArn = try await sqs.queueArn(queueUrl: queue)
        let bus = uniqueName("tripline-patterns")
        try await bridge.createEventBus(name: bus)
        for (i, pattern) in patterns.enumerated() {
            let name = "p\(i)"
            try await bridge.putRule(name: name, eventPattern: pattern, eventBusName: bus)
            let failed = try await bridge.putTargets(rule: name, targets: [EventBridgeTarget(id: "q", arn: queueArn)], eventBusName: bus)
            #expect(failed.isEmpty, "\(failed)")
        }
        var labelByID: [String: String] = [:]
        var batch: [(String, EventBridgeEntry)] = []
        func flush() async throws {
            guard !batch.isEmpty else { return }
            let results = try await bridge.putEvents(batch.map { var e = $0.1; e.eventBusName = bus; return e })
            for (k, r) in results.enumerated() {
                #expect(r.errorCode == nil, "PutEvents refused \(batch[k].0): \(r.errorCode ?? "") \(r.errorMessage ?? "")")
                if let id = r.id { labelByID[id] = batch[k].0 }
            }
            batch.removeAll()
        }
        // One event per PutEvents: moto builds a JSONPath parser for every (event, matching rule) it delivers, about
        // 0.1 s each, and a batch of ten events matching several patterns each outlasted the transport's 30 s read
        // timeout on a busy machine.
        for e in events {
            batch.append((e.label, entry(e.record)))
            try await flush()
        }
        try await flush()

        var arrived = Set<String>()
        var empty = 0
        while empty < 2 {
            let messages = try await sqs.receiveMessage(queueUrl: queue, maxMessages: 10, waitTimeSeconds: 1)
            empty = messages.isEmpty ? empty + 1 : 0
            for m in messages {
                try await sqs.deleteMessage(queueUrl: queue, receiptHandle: m.receiptHandle)
                if let id = try JSONValue.parse(m.body)["id"]?.stringValue, let label = labelByID[id] { arrived.insert(label) }
            }
        }
        return arrived
    }

    @Test("every positive test event of every enabled rule matches a generated pattern; unrelated events match none")
    func completeness() async throws {
        let compiled = EventPattern.compile(RuleCatalog.builtIn.rules)
        let fallbackRules = Set(compiled.fallbacks.map(\.rule))
        var events: [(label: String, record: JSONValue)] = []
        for rule in RuleCatalog.builtIn.rules where rule.enabled && !fallbackRules.contains(rule.id) {
            for test in rule.tests where test.expect { events.append(("\(rule.id): \(test.name)", test.event)) }
        }
        #expect(events.count >= 150)
        // Controls: an API no rule watches, from a principal type no rule keys on.
        let unrelated: [(label: String, record: JSONValue)] = [
            ("control: unwatched API", ["eventVersion": "1.08", "eventSource": "tripline-probe.amazonaws.com", "eventName": "ProbeNothing",
                                         "eventType": "AwsApiCall", "awsRegion": "us-east-1", "userIdentity": ["type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/probe"],
                                         "sourceIPAddress": "192.0.2.1", "userAgent": "aws-cli/2.15.0", "readOnly": .bool(false)]),
        ]
        // A moto of its own: PutEvents matches every batch against every rule, and on the shared server, busy with the
        // other suites, a batch waited past the transport's 30 s read timeout.
        let moto = try await MotoServer.startDedicated()
        defer { moto.stop() }
        let arrived = try await Self.route(compiled.patterns.filter { !$0.fallback }.map(\.text), events + unrelated, on: moto)
        let missed = events.map(\.label).filter { !arrived.contains($0) }
        #expect(missed.isEmpty, "no generated pattern lets these through:\n\(missed.joined(separator: "\n"))")
        for control in unrelated { #expect(!arrived.contains(control.label), "\(control.label) should match no pattern") }

        // Rules no pattern can filter for are routed by the fallback pattern.
        if !fallbackRules.isEmpty {
            let fallback = try #require(compiled.patterns.first { $0.fallback })
            var theirs: [(label: String, record: JSONValue)] = []
            for rule in RuleCatalog.builtIn.rules where fallbackRules.contains(rule.id) {
                for test in rule.tests where test.expect { theirs.append(("\(rule.id): \(test.name)", test.event)) }
            }
            let through = try await Self.route([fallback.text], theirs, on: moto)
            #expect(through == Set(theirs.map(\.label)))
        }
    }
}
