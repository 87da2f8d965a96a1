import Foundation
import Testing
import TriplineCore
import TriplineJSON
import TriplineIO

@testable import TriplineService

/// The Lambda's path for sequences: the handler's tallying processor, then the claim pipeline.
@Suite("Sequences through the alert pipeline")
struct SequencePipelineTests {
    let sequenceRule = "tripline.s3.versioning-suspended-then-mass-deletion"

    /// Versioning suspended on a bucket, then `deletes` objects deleted from it a few minutes later.
    func story(deletes: Int, bucket: String) -> [JSONValue] {
        let suspend = catalog.rules.first { $0.id == "tripline.s3.versioning-suspended" }!.tests.first { $0.expect }!.event
        let delete = catalog.rules.first { $0.id == "tripline.s3.mass-object-deletion" }!.tests.first { $0.expect }!.event
        let start = nowEpoch() - 3600
        var events = [setting(setting(setting(suspend, "eventTime", .string(EventTime.iso8601(start))), "eventID", .string("s-\(bucket)")),
                              "requestParameters.bucketName", .string(bucket))]
        for k in 0..<deletes {
            var e = setting(delete, "eventTime", .string(EventTime.iso8601(start + 300 + k)))
            e = setting(e, "eventID", .string("d-\(bucket)-\(k)"))
            events.append(setting(e, "requestParameters.bucketName", .string(bucket)))
        }
        return events
    }

    func run(_ pipeline: AlertPipeline, _ events: [JSONValue], owner: String) async -> AlertOutcome {
        let engine = Engine(rules: catalog.rules)
        var processor = EventProcessor(engine: engine, tallyThresholds: true)
        var found: [Finding] = []
        var problems: [InputProblem] = []
        var stats = ScanStats()
        logFile(events).withUnsafeBufferPointer { _ = processor.process($0, path: "batch", findings: &found, problems: &problems, stats: &stats) }
        return await pipeline.run(found, thresholds: processor.takeTally(), engineRules: engine.rules, owner: owner)
    }

    @Test("one critical alert of its own for the story, beside its steps' alerts; a redelivered batch sends nothing again")
    func once() async throws {
        let store = InMemoryFindingStore()
        let sink = RecordingAlertSink()
        let pipeline = AlertPipeline(rules: catalog.rules, store: store, sink: sink, minimumSeverity: .medium)
        let events = story(deletes: 55, bucket: "customer-docs")
        let first = await run(pipeline, events, owner: "req-1")
        #expect(first.failedInputs.isEmpty)
        let messages = await sink.messages
        let sequence = messages.filter { $0.ruleIDs.contains(sequenceRule) }
        #expect(sequence.count == 1)
        #expect(sequence.first?.ruleIDs == [sequenceRule], "a sequence's alert stands alone")
        #expect(sequence.first?.severity == .critical)
        #expect(sequence.first?.body.contains("sequence") == true)
        #expect(messages.contains { $0.ruleIDs.contains("tripline.s3.mass-object-deletion") })

        _ = await run(pipeline, events, owner: "req-2")
        #expect(await sink.messages.count == messages.count, "redelivery sends nothing")

        // Too few deletes: the threshold step never happens, so neither does the sequence.
        let short = await run(pipeline, story(deletes: 10, bucket: "other-bucket"), owner: "req-3")
        #expect(short.failedInputs.isEmpty)
        #expect(await sink.messages.filter { $0.ruleIDs.contains(sequenceRule) }.count == 1)
    }
}
