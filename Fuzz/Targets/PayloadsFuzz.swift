import TriplineAWS
import TriplineJSON
import TriplineService

/// Lambda payloads and queued message bodies from anyone who can reach the function or its queue: classified
/// or refused, never a crash; S3 keys from notifications decoded whatever their escapes.
enum PayloadsFuzz {
    static func run(_ p: UnsafeBufferPointer<UInt8>) throws {
        let text = String(decoding: p, as: UTF8.self)
        // Any text is a possible S3 key in a notification (`+` and %-escapes, invalid ones included).
        _ = S3Client.decodeNotificationKey(text)
        guard let value = try? JSONValue.parse(Array(p)) else { return }
        switch Payload.classify(value) {
        case .sqs(let records), .sns(let records):
            for r in records { _ = try? S3Notification.content(ofBody: r.body) }
        case .s3(let objects):
            for o in objects where o.key.isEmpty && o.bucket.isEmpty { throw FuzzFailure("object without bucket or key") }
        case .guardDuty(let detail):
            _ = GuardDutyFinding.finding(detail: detail, input: .init(path: "fuzz", record: 0))
        case .scheduled, .cloudTrailEvent, .unknown: break
        }
        _ = try? S3Notification.content(ofBody: text)
    }
}
