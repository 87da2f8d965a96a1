import TriplineAWS
import TriplineAlerts
import TriplineCore
import TriplineIO
import TriplineJSON

/// What a Lambda payload is, decided from its shape (never from configuration: one function takes every trigger).
public enum Payload: Sendable {
    /// SQS batch (`Records[].eventSource == "aws:sqs"`): S3 notifications, SNS-wrapped or not, or EventBridge events.
    case sqs([SQSRecord])
    /// S3 notification delivered straight to the function (no queue): objects to read.
    case s3([S3ObjectRef])
    /// SNS delivered straight to the function: each message body is handled like an SQS body.
    case sns([SQSRecord])
    /// EventBridge schedule (`source: aws.events`, `detail-type: Scheduled Event`): poll LookupEvents.
    case scheduled
    /// GuardDuty finding routed by EventBridge.
    case guardDuty(JSONValue)
    /// One CloudTrail record in an EventBridge envelope (`detail-type: AWS API Call via CloudTrail` …).
    case cloudTrailEvent
    case unknown(String)

    public struct SQSRecord: Sendable, Equatable {
        public var messageID: String
        public var body: String
    }

    public static func classify(_ value: JSONValue) -> Payload {
        if let records = value["Records"]?.arrayValue {
            let source = records.first.flatMap { $0["eventSource"]?.stringValue ?? $0["EventSource"]?.stringValue } ?? ""
            switch source {
            case "aws:sqs":
                return .sqs(records.map {
                    SQSRecord(messageID: $0["messageId"]?.stringValue ?? "", body: $0["body"]?.stringValue ?? "")
                })
            case "aws:sns":
                return .sns(records.map {
                    SQSRecord(
                        messageID: $0["Sns"]?["MessageId"]?.stringValue ?? "",
                        body: $0["Sns"].map { JSONValue.object($0.objectValue ?? []).serialized() } ?? "")
                })
            case "aws:s3":
                return .s3(S3Notification.objects(inRecords: records))
            default:
                return .unknown("Records from '\(TextEscaper.subject(source))'")
            }
        }
        let source = value["source"]?.stringValue ?? ""
        let detailType = value["detail-type"]?.stringValue ?? ""
        if source == "aws.events" && detailType == "Scheduled Event" { return .scheduled }
        if source == "aws.guardduty" && detailType == "GuardDuty Finding", let detail = value["detail"] { return .guardDuty(detail) }
        if EventPattern.cloudTrailDetailTypes.contains(detailType), value["detail"]?.objectValue != nil { return .cloudTrailEvent }
        return .unknown(detailType.isEmpty ? "unrecognised payload" : "EventBridge '\(TextEscaper.subject(detailType))'")
    }
}

/// An S3 object named by a notification (key already decoded).
public struct S3ObjectRef: Sendable, Equatable, Hashable {
    public var bucket: String
    public var key: String
    public var region: String?

    public init(bucket: String, key: String, region: String? = nil) {
        self.bucket = bucket
        self.key = key
        self.region = region
    }

    public var path: String { "s3://\(bucket)/\(key)" }
}

/// The body of one queued message, unwrapped.
public enum QueuedContent: Sendable, Equatable {
    /// Log objects to read (digest files and non-create events already dropped).
    case objects([S3ObjectRef])
    /// A message that is itself an event to evaluate (EventBridge → SQS).
    case event([UInt8])
    /// Nothing to do (`s3:TestEvent`, digest-only notifications).
    case ignore(String)
}

public enum S3Notification {
    /// Unwraps an SQS (or SNS) message body: an S3 event, an SNS Notification whose `Message` is one, an
    /// EventBridge `Object Created` event, or a CloudTrail event envelope.
    public static func content(ofBody body: String) throws(JSONError) -> QueuedContent {
        let value = try JSONValue.parse(body)
        if value["Type"]?.stringValue == "Notification", let message = value["Message"]?.stringValue {
            return try content(ofBody: message)
        }
        if value["Event"]?.stringValue == "s3:TestEvent" { return .ignore("s3:TestEvent") }
        if let records = value["Records"]?.arrayValue, records.contains(where: { $0["s3"] != nil }) {
            let objects = objects(inRecords: records)
            return objects.isEmpty ? .ignore("no log objects in the notification") : .objects(objects)
        }
        if value["source"]?.stringValue == "aws.s3", value["detail-type"]?.stringValue == "Object Created",
            let bucket = value["detail"]?["bucket"]?["name"]?.stringValue, let key = value["detail"]?["object"]?["key"]?.stringValue
        {
            // EventBridge S3 events carry the key as is (not form-encoded).
            if EventProcessor.isDigestPath(key) { return .ignore("digest file") }
            return .objects([S3ObjectRef(bucket: bucket, key: key, region: value["region"]?.stringValue)])
        }
        if let type = value["detail-type"]?.stringValue, EventPattern.cloudTrailDetailTypes.contains(type) {
            return .event(Array(body.utf8))
        }
        return .ignore("unrecognised message")
    }

    /// `Records[]` of an S3 event: created objects, keys decoded (`+` is a space, then percent escapes), digest
    /// files dropped.
    public static func objects(inRecords records: [JSONValue]) -> [S3ObjectRef] {
        records.compactMap { r -> S3ObjectRef? in
            guard let name = r["eventName"]?.stringValue, name.hasPrefix("ObjectCreated"),
                let bucket = r["s3"]?["bucket"]?["name"]?.stringValue, let raw = r["s3"]?["object"]?["key"]?.stringValue
            else { return nil }
            let key = S3Client.decodeNotificationKey(raw)
            guard !EventProcessor.isDigestPath(key) else { return nil }
            return S3ObjectRef(bucket: bucket, key: key, region: r["awsRegion"]?.stringValue)
        }
    }
}

/// GuardDuty findings become alerts with GuardDuty's own severity scale.
public enum GuardDutyFinding {
    /// GuardDuty severity (0.1–10) to ours: 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0+ critical.
    public static func severity(_ score: Double) -> Severity {
        switch score {
        case 9.0...: .critical
        case 7.0..<9.0: .high
        case 4.0..<7.0: .medium
        default: .low
        }
    }

    /// Builds the finding for a GuardDuty `detail`. Deduplicated by finding id and `updatedAt`: an update of the
    /// same finding (GuardDuty republishes with a new count) alerts again, a redelivery does not.
    public static func finding(detail d: JSONValue, input: InputRef) -> Finding {
        func s(_ path: String) -> String { d[path: path]?.text ?? "" }
        let id = s("id")
        let updatedAt = d["updatedAt"]?.stringValue ?? s("createdAt")
        let type = safeIdentifier(s("type"))
        let score = d["severity"]?.doubleValue ?? 0
        var sourceIP = ""
        var actionType = ""
        if let action = d[path: "service.action"]?.objectValue {
            for (name, value) in action {
                if name == "actionType" { actionType = value.text; continue }
                if sourceIP.isEmpty, let ip = value[path: "remoteIpDetails.ipAddressV4"]?.stringValue { sourceIP = ip }
            }
        }
        let actor = [
            "resource.accessKeyDetails.userName", "resource.accessKeyDetails.principalId", "resource.instanceDetails.instanceId",
            "resource.s3BucketDetails", "resource.resourceType",
        ].lazy.compactMap { d[path: $0]?.stringValue }.first ?? "unknown"
        var request: [(key: String, value: String)] = [("finding.type", s("type")), ("finding.id", id),
                                                       ("guardduty.severity", d["severity"]?.text ?? "")]
        if !actionType.isEmpty { request.append(("service.action.actionType", actionType)) }
        if let count = d[path: "service.count"] { request.append(("service.count", count.text)) }
        if let rt = d[path: "resource.resourceType"]?.stringValue { request.append(("resource.resourceType", rt)) }
        let ruleID = "GuardDuty." + (type.isEmpty ? "Finding" : type)
        return Finding(
            ruleID: ruleID, title: "GuardDuty: " + (d["title"]?.stringValue ?? type), severity: severity(score),
            description: d["description"]?.stringValue ?? "",
            action: "Open the finding in the GuardDuty console (id \(safeIdentifier(id))), confirm whether the activity is expected and follow the remediation for its type.",
            tags: ["guardduty"], references: [], eventID: "guardduty:\(id):\(updatedAt)", eventTime: updatedAt,
            epoch: EventTime.epochSeconds(updatedAt), eventSource: "guardduty.amazonaws.com", eventName: "GuardDuty Finding",
            accountID: s("accountId"), region: s("region"), actor: actor, actorType: "", sourceIP: sourceIP, userAgent: "",
            errorCode: nil, request: request,
            dedupKey: Finding.dedupKey(ruleID: ruleID, values: [id, updatedAt]), dedupValues: [id, updatedAt],
            input: input, count: 1, lastEventTime: updatedAt, event: d)
    }

    /// Rule ids appear unescaped in message attributes: keep GuardDuty's type names to their own alphabet.
    static func safeIdentifier(_ text: String) -> String {
        String(text.unicodeScalars.filter { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || ":/._-".unicodeScalars.contains($0)) }.prefix(128).map(Character.init))
    }
}
