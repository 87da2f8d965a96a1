import Foundation
import TriplineJSON

/// Small CloudTrail inputs written on the fly: two events the built-in rules flag (high severity), one they do not.
enum Fixtures {
    static let account = "123456789012"

    /// One CloudTrail record. `time` is epoch seconds.
    static func event(
        id: String, name: String, source: String = "cloudtrail.amazonaws.com", time: Int = 1_741_082_833,
        trail: String = "org-audit", actor: String = "arn:aws:iam::123456789012:user/mallory"
    ) -> JSONValue {
        .object([
            ("eventVersion", "1.09"),
            ("userIdentity", .object([
                ("type", "IAMUser"), ("principalId", "AIDAEXAMPLEMALLORY"), ("arn", .string(actor)),
                ("accountId", .string(account)), ("userName", "mallory"),
            ])),
            ("eventTime", .string(iso8601(time))),
            ("eventSource", .string(source)),
            ("eventName", .string(name)),
            ("awsRegion", "us-east-1"),
            ("sourceIPAddress", "198.51.100.23"),
            ("userAgent", "aws-cli/2.15.30"),
            ("requestParameters", .object([("name", .string(trail))])),
            ("responseElements", .null),
            ("requestID", .string("req-" + id)),
            ("eventID", .string(id)),
            ("readOnly", false),
            ("eventType", "AwsApiCall"),
            ("managementEvent", true),
            ("recipientAccountId", .string(account)),
        ])
    }

    static let stopLogging = event(id: "ev-stop-1", name: "StopLogging", trail: "org-audit")
    static let deleteTrail = event(id: "ev-delete-1", name: "DeleteTrail", time: 1_741_083_000, trail: "legacy-trail")
    static let benign = event(id: "ev-benign-1", name: "DescribeInstances", source: "ec2.amazonaws.com", time: 1_741_083_100)

    /// `{"Records": [...]}`, the shape of a CloudTrail log file.
    static func log(_ events: [JSONValue]) -> [UInt8] {
        Array(JSONValue.object([("Records", .array(events))]).serialized().utf8)
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] { try shell("gzip", ["-c", "-n"], stdin: bytes) }

    /// A fresh folder under the system temporary folder.
    static func temporaryFolder() -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("tripline-cli-\(UUID().uuidString.prefix(12))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The relative key CloudTrail would use for a log file.
    static func logKey(_ name: String) -> String {
        "AWSLogs/\(account)/CloudTrail/us-east-1/2025/03/04/\(account)_CloudTrail_us-east-1_20250304T1010Z_\(name).json.gz"
    }

    static func digestKey(_ name: String) -> String {
        "AWSLogs/\(account)/CloudTrail-Digest/us-east-1/2025/03/04/\(account)_CloudTrail-Digest_us-east-1_trail_us-east-1_20250304T1010Z_\(name).json.gz"
    }

    /// A CloudTrail-style tree: two gzipped logs (the two flagged events and the benign one) and a digest file.
    /// Returns the root and the files' keys relative to it.
    static func cloudTrailTree() throws -> (root: URL, keys: [String]) {
        let root = temporaryFolder()
        let files: [(String, [UInt8])] = [
            (logKey("a"), try gzip(log([stopLogging, benign]))),
            (logKey("b"), try gzip(log([deleteTrail]))),
            (digestKey("a"), try gzip(Array(#"{"awsAccountId":"123456789012","digestStartTime":"2025-03-04T09:10:00Z","logFiles":[]}"#.utf8))),
        ]
        for (key, bytes) in files { try write(bytes, to: root.appendingPathComponent(key)) }
        return (root, files.map(\.0))
    }

    static func write(_ bytes: [UInt8], to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }

    static func iso8601(_ epoch: Int) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
    }
}

extension JSONValue {
    /// `self["a"]?["b"]` for a dotted path, as text.
    func text(_ path: String) -> String? { self[path: path]?.stringValue }
}
