import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON

@testable import TriplineService

/// S3 objects served from memory.
struct MemoryObjects: ObjectSource {
    let objects: [String: [UInt8]]
    func fetch(_ object: S3ObjectRef) async throws -> [UInt8] {
        guard let bytes = objects[object.key] else { throw HandlerError("NoSuchKey \(object.key)") }
        return bytes
    }
}

@Suite("Threshold rules through the handler")
struct ThresholdTests {
    func handler(sink: any AlertSink, objects: [String: [UInt8]]) -> TriplineHandler {
        var config = ServiceConfig()
        config.minimumSeverity = .low
        return TriplineHandler(
            config: config, rules: catalog, store: InMemoryFindingStore(), checkpoints: InMemoryCheckpointStore(), sink: sink,
            objects: MemoryObjects(objects: objects), lookup: NoLookups())
    }

    func batch(_ keys: [String]) -> [UInt8] {
        lambdaSQSEvent(keys.map { key in
            (key, #"{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"\#(key)"}}}]}"#)
        }, queueArn: "arn:aws:sqs:us-east-1:123456789012:q")
    }

    @Test("a burst split over two log files crosses the threshold once, with the count of both")
    func burst() async throws {
        let t = nowEpoch() - 900
        let objects = [
            "a.json.gz": gzip(logFile((0..<30).map { noise(at: t + $0, n: $0) })),
            "b.json.gz": gzip(logFile((30..<60).map { noise(at: t + $0, n: $0) })),
        ]
        let sink = RecordingAlertSink()
        let h = handler(sink: sink, objects: objects)
        let response = try responseJSON(try await h.handle(batch(["a.json.gz", "b.json.gz"]), context: testContext()))
        #expect(failedItems(response) == [])
        let messages = await sink.messages
        #expect(messages.map(\.subject) == ["SECURITY ALERT - LOW - Burst of Describe/Get/List calls by ..."])
        #expect(messages.first?.alertID.hasPrefix("thr-") == true)
        #expect(messages.first?.ruleIDs == ["tripline.aws.api-enumeration-burst"])
        #expect(messages.first?.body.contains("(60 events") == true)

        // One file alone stays under the threshold.
        let single = RecordingAlertSink()
        _ = try await handler(sink: single, objects: objects).handle(batch(["a.json.gz"]), context: testContext())
        #expect(await single.messages.isEmpty)
    }

    @Test("when a tallied alert cannot be delivered, every message of the batch is retried")
    func failure() async throws {
        let t = nowEpoch() - 900
        let objects = [
            "a.json.gz": gzip(logFile((0..<30).map { noise(at: t + $0, n: $0) })),
            "b.json.gz": gzip(logFile((30..<60).map { noise(at: t + $0, n: $0) })),
        ]
        let response = try responseJSON(
            try await handler(sink: FailingAlertSink(), objects: objects).handle(batch(["a.json.gz", "b.json.gz"]), context: testContext()))
        #expect(failedItems(response) == ["a.json.gz", "b.json.gz"])
    }
}
