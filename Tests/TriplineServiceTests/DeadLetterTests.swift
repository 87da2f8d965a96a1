import Testing
import TriplineJSON
@testable import TriplineService

/// What `tripline replay` recognises on the dead-letter queue (the end-to-end run is in CLITests/ReplayCLITests).
@Suite("Dead-letter messages")
struct DeadLetterTests {
    static let s3 = #"{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","awsRegion":"us-east-1","s3":{"bucket":{"name":"trail"},"object":{"key":"AWSLogs/1/CloudTrail/a+b%2Bc.json.gz"}}}]}"#

    static func asyncRecord(_ payload: String) -> String {
        #"{"version":"1.0","timestamp":"2026-12-02T10:00:00.000Z","requestContext":{"requestId":"r-1","functionArn":"arn:aws:lambda:us-east-1:1:function:f:$LATEST","condition":"RetriesExhausted","approximateInvokeCount":3},"requestPayload":"#
            + payload + #","responseContext":{"statusCode":200,"executedVersion":"$LATEST","functionError":"Unhandled"},"responsePayload":null}"#
    }

    @Test("a queued S3 notification, plain or SNS-wrapped, is re-driven as the body it was")
    func queued() throws {
        guard case .queuedBody(let body, let summary) = DeadLetter.recognise(Self.s3) else { Issue.record("not recognised"); return }
        #expect(body == Self.s3)
        #expect(summary == "S3 notification: 1 object(s) s3://trail/AWSLogs/1/CloudTrail/a b+c.json.gz")
        let sns = JSONValue.object([("Type", "Notification"), ("Message", .string(Self.s3))]).serialized()
        guard case .queuedBody(let wrapped, let s) = DeadLetter.recognise(sns) else { Issue.record("SNS not recognised"); return }
        #expect(wrapped == sns)
        #expect(s.hasPrefix("S3 notification via SNS"))
        guard case .queuedBody(_, let test) = DeadLetter.recognise(#"{"Event":"s3:TestEvent"}"#) else { Issue.record("test event"); return }
        #expect(test.contains("s3:TestEvent"))
    }

    @Test("an async failure record gives back its original payload; schedules and GuardDuty only go to the function")
    func asyncFailures() throws {
        let event = #"{"detail-type":"AWS API Call via CloudTrail","source":"aws.cloudtrail","detail":{"eventName":"StopLogging"}}"#
        guard case .asyncPayload(let bytes, let summary, let queueable) = DeadLetter.recognise(Self.asyncRecord(event)) else {
            Issue.record("not recognised"); return
        }
        #expect(try JSONValue.parse(bytes) == JSONValue.parse(event))
        #expect(queueable)
        #expect(summary == "CloudTrail event, async invocation failed (RetriesExhausted, 3 attempt(s))")
        for (payload, kind) in [(#"{"source":"aws.events","detail-type":"Scheduled Event","detail":{}}"#, "scheduled poll"),
                                (#"{"source":"aws.guardduty","detail-type":"GuardDuty Finding","detail":{"id":"x"}}"#, "GuardDuty finding")] {
            guard case .asyncPayload(_, let s, let q) = DeadLetter.recognise(Self.asyncRecord(payload)) else { Issue.record("\(kind) not recognised"); continue }
            #expect(!q && s.hasPrefix(kind))
        }
        guard case .asyncPayload(_, _, true) = DeadLetter.recognise(Self.asyncRecord(Self.s3)) else { Issue.record("direct S3"); return }
    }

    @Test("anything else stays on the queue", arguments: [
        "hello", "[]", "{}",
        asyncRecord(#"{"source":"x","detail-type":"y"}"#), asyncRecord(#""a string""#),
        #"{"requestContext":{},"requestPayload":null}"#,
    ])
    func unrecognised(_ body: String) {
        if case .unrecognised = DeadLetter.recognise(body) { return }
        Issue.record("\(body) was recognised: \(DeadLetter.recognise(body))")
    }
}
