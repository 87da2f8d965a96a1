import TriplineJSON

/// A message on the dead-letter queue, recognised for `tripline replay`: what it holds and how to re-drive it.
///
/// Two producers write there: the ingest queue's redrive policy (the message body exactly as it was queued: an S3
/// notification, plain or wrapped by SNS, or an EventBridge event) and Lambda's on-failure destination for
/// asynchronous invocations (a record whose `requestPayload` is the original invocation payload).
public enum DeadLetter: Sendable, Equatable {
    /// A queued message body, to be handled again as an SQS record (or sent back to the ingest queue as is).
    case queuedBody(String, summary: String)
    /// The original payload of an asynchronous invocation that failed, to be invoked again. `queueable` when the
    /// ingest queue understands it as a message body (S3 notifications and CloudTrail events; not schedules or
    /// GuardDuty findings, which only the function takes).
    case asyncPayload([UInt8], summary: String, queueable: Bool)
    /// Not something Tripline produced or can re-drive: left on the queue.
    case unrecognised(String)

    public static func recognise(_ body: String) -> DeadLetter {
        guard let value = try? JSONValue.parse(body), value.objectValue != nil else {
            return .unrecognised("body is not a JSON object")
        }
        if let payload = value["requestPayload"], value["requestContext"]?.objectValue != nil {
            // Lambda's async failure record: requestContext (requestId, functionArn, condition,
            // approximateInvokeCount), requestPayload, responseContext (statusCode, functionError), responsePayload.
            guard payload.objectValue != nil else { return .unrecognised("async failure record without an event payload") }
            let condition = value["requestContext"]?["condition"]?.stringValue ?? "failure"
            let attempts = value["requestContext"]?["approximateInvokeCount"]?.text ?? "?"
            let kind: String
            let queueable: Bool
            switch Payload.classify(payload) {
            case .s3(let objects): kind = "S3 notification (\(objects.count) object(s))"; queueable = true
            case .cloudTrailEvent: kind = "CloudTrail event"; queueable = true
            case .scheduled: kind = "scheduled poll"; queueable = false
            case .guardDuty: kind = "GuardDuty finding"; queueable = false
            case .sqs, .sns: kind = "queue batch"; queueable = false
            case .unknown(let what): return .unrecognised("async failure record of an unrecognised payload (\(what))")
            }
            var bytes: [UInt8] = []
            payload.write(to: &bytes)
            return .asyncPayload(bytes, summary: "\(kind), async invocation failed (\(condition), \(attempts) attempt(s))",
                                 queueable: queueable)
        }
        switch (try? S3Notification.content(ofBody: body)) ?? .ignore("unrecognised message") {
        case .objects(let objects):
            let wrapped = value["Type"]?.stringValue == "Notification" ? " via SNS" : ""
            let first = objects.first.map { " " + $0.path } ?? ""
            return .queuedBody(body, summary: "S3 notification\(wrapped): \(objects.count) object(s)\(first)")
        case .event:
            return .queuedBody(body, summary: "CloudTrail event \(value["detail"]?["eventName"]?.stringValue ?? "")")
        case .ignore(let why) where why != "unrecognised message":
            return .queuedBody(body, summary: "nothing to read (\(why))")
        case .ignore:
            return .unrecognised("not an S3 notification, an EventBridge event or a Lambda async failure record")
        }
    }

    /// One line for the replay's report.
    public var summary: String {
        switch self {
        case .queuedBody(_, let summary), .asyncPayload(_, let summary, _): summary
        case .unrecognised(let why): why
        }
    }
}
