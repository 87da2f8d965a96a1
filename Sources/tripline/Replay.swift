import ArgumentParser
import Foundation
import TriplineAlerts
import TriplineAWS
import TriplineJSON
import TriplineService

/// `tripline replay`: re-drives what the dead-letter queue holds, once the cause of the failures is fixed.
struct Replay: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-drive dead-letter queue messages through the function (in process) or back to the ingest queue.",
        discussion: """
            Reads QUEUE-URL (the dead-letter queue) and recognises each message: an S3 notification as the ingest \
            queue held it (plain, SNS-wrapped, or an EventBridge event), or Lambda's record of a failed asynchronous \
            invocation (its requestPayload is the original event: schedule, GuardDuty finding, CloudTrail event, S3 \
            notification). Each is re-driven through the function's handler in this process, configured as the \
            function is (DYNAMODB_TABLE and ALERT_SNS_ARN, or --table and --sns-topic-arn; SECURITY_EVENTS_PATH, \
            TRIPLINE_MIN_SEVERITY), so dedup holds across the function and the replay: nothing already alerted is \
            alerted again. With --to-queue the message goes back to the ingest queue instead (schedules and GuardDuty \
            findings cannot: they stay). A message is deleted only after its re-drive succeeded; one that fails or is \
            not recognised stays on the queue and is visible again when the run ends. \
            Exit status: 0 every message re-driven; 1 some failed or were not recognised; 2 usage errors.
            """
    )

    @Argument(help: "URL of the dead-letter queue.")
    var queueURL: String

    @Option(name: .customLong("to-queue"), help: "Send each message to this queue (the ingest queue) instead of handling it here.")
    var toQueue: String?

    @Flag(help: "List what would be re-driven; change nothing.")
    var dryRun = false

    @Option(name: .customLong("max-messages"), help: "Stop after this many messages (default: until the queue is empty).")
    var maxMessages: Int?

    @Option(help: "DynamoDB table for dedup (default DYNAMODB_TABLE).")
    var table: String?

    @Option(name: .customLong("sns-topic-arn"), help: "SNS topic for alerts (default ALERT_SNS_ARN).")
    var snsTopicARN: String?

    @Option(name: .customLong("visibility-timeout"), help: "Seconds a received message stays hidden while it is re-driven.")
    var visibilityTimeout = 300

    @OptionGroup(title: "AWS") var aws: AWSOptions

    func validate() throws {
        if let maxMessages, maxMessages < 1 { throw ValidationError("--max-messages must be at least 1") }
        if !(30...43_200).contains(visibilityTimeout) { throw ValidationError("--visibility-timeout must be 30…43200 seconds") }
    }

    /// The function's environment, with the command line's AWS settings and stores on top.
    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let endpoint = aws.endpointURL { env["AWS_ENDPOINT_URL"] = endpoint }
        if let region = aws.region { env["AWS_REGION"] = region }
        if let profile = aws.profile { env["AWS_PROFILE"] = profile }
        if let table { env["DYNAMODB_TABLE"] = table }
        if let snsTopicARN { env["ALERT_SNS_ARN"] = snsTopicARN }
        return env
    }

    func run() async throws {
        let env = environment()
        let sqs = SQSClient(aws.client(environment: env))
        var handler: TriplineHandler?
        var log = Logger(level: .warning, write: { printError($0) })
        if toQueue == nil && !dryRun {
            let config: ServiceConfig
            do { config = try ServiceConfig.fromEnvironment(env) } catch { throw ValidationError(error.description) }
            // Without the function's table the replay cannot know what was alerted already, and without its topic
            // alerts would go nowhere: refuse rather than double or lose alerts.
            guard config.table != nil, config.topicArn != nil else {
                throw ValidationError("in-process replay needs the function's DynamoDB table and SNS topic: --table and --sns-topic-arn (or DYNAMODB_TABLE and ALERT_SNS_ARN), or use --to-queue")
            }
            log.level = config.logLevel
            handler = try TriplineHandler.live(environment: env, log: log)
        }

        var counts = (replayed: 0, failed: 0, unrecognised: 0)
        var kept: [String] = []  // receipt handles of messages left on the queue, made visible again at the end
        var seen: Set<String> = []
        var output = Output()
        receiving: while maxMessages.map({ seen.count < $0 }) ?? true {
            let want = min(10, (maxMessages ?? Int.max) - seen.count)
            let messages = try await sqs.receiveMessage(queueUrl: queueURL, maxMessages: want, visibilityTimeout: visibilityTimeout)
            if messages.isEmpty { break }
            for message in messages {
                // At-least-once delivery may hand the same message twice in one run: re-drive it once.
                guard seen.insert(message.messageId).inserted else { continue }
                let letter = DeadLetter.recognise(message.body)
                let id = TextEscaper.escape(message.messageId)
                switch letter {
                case .unrecognised(let why):
                    counts.unrecognised += 1
                    kept.append(message.receiptHandle)
                    output.line("kept      \(id)  \(TextEscaper.escape(why))")
                    continue
                case .asyncPayload(_, let summary, queueable: false) where toQueue != nil:
                    counts.failed += 1
                    kept.append(message.receiptHandle)
                    output.line("kept      \(id)  \(TextEscaper.escape(summary)): only the function takes it (replay without --to-queue)")
                    continue
                default: break
                }
                if dryRun {
                    counts.replayed += 1
                    kept.append(message.receiptHandle)
                    output.line("would \(toQueue == nil ? "handle" : "queue")  \(id)  \(TextEscaper.escape(letter.summary))")
                    continue
                }
                do {
                    try await redrive(letter, messageID: message.messageId, sqs: sqs, handler: handler, log: log)
                } catch {
                    counts.failed += 1
                    kept.append(message.receiptHandle)
                    output.line("failed    \(id)  \(TextEscaper.escape(letter.summary)): \(TextEscaper.escape(String(describing: error)))")
                    continue
                }
                do {
                    try await sqs.deleteMessage(queueUrl: queueURL, receiptHandle: message.receiptHandle)
                } catch {
                    // Re-driven but still queued: a later replay re-drives it again, and dedup keeps alerts single.
                    output.line("replayed  \(id)  \(TextEscaper.escape(letter.summary)) (not deleted: \(TextEscaper.escape(String(describing: error))))")
                    counts.replayed += 1
                    continue
                }
                counts.replayed += 1
                output.line("replayed  \(id)  \(TextEscaper.escape(letter.summary))")
            }
            output.flush()
            if Task.isCancelled { break receiving }
        }
        // What stays on the queue is visible again now, not after the visibility timeout.
        for receipt in kept {
            try? await sqs.changeMessageVisibility(queueUrl: queueURL, receiptHandle: receipt, visibilityTimeout: 0)
        }
        let verb = dryRun ? "would re-drive" : "re-drove"
        output.line("\(seen.count) message(s): \(verb) \(counts.replayed), \(counts.failed) failed, \(counts.unrecognised) not recognised (left on the queue).")
        output.flush()
        if counts.failed > 0 || counts.unrecognised > 0 { throw ExitCode(ExitStatus.inputErrors) }
    }

    func redrive(_ letter: DeadLetter, messageID: String, sqs: SQSClient, handler: TriplineHandler?, log: Logger) async throws {
        if let toQueue {
            let body: String
            switch letter {
            case .queuedBody(let text, _): body = text
            case .asyncPayload(let bytes, _, _): body = String(decoding: bytes, as: UTF8.self)
            case .unrecognised: return
            }
            try await sqs.sendMessage(queueUrl: toQueue, body: body)
            return
        }
        guard let handler else { return }
        let context = InvocationContext(requestID: "replay-\(messageID)", log: log.with(requestID: "replay-\(messageID)"))
        switch letter {
        case .queuedBody(let body, _):
            // Handled as the one record of an SQS batch, exactly as the ingest queue would have delivered it.
            let batch: JSONValue = ["Records": [["messageId": .string(messageID), "eventSource": "aws:sqs", "body": .string(body)]]]
            var payload: [UInt8] = []
            batch.write(to: &payload)
            let response = try JSONValue.parse(try await handler.handle(payload, context: context))
            if let failures = response["batchItemFailures"]?.arrayValue, !failures.isEmpty {
                throw HandlerError("the function failed the message again (see the log above)")
            }
        case .asyncPayload(let bytes, _, _):
            _ = try await handler.handle(bytes, context: context)
        case .unrecognised:
            return
        }
    }
}
