import Foundation
import TriplineAlerts
import TriplineCore
import TriplineJSON
import TriplineService

/// Prints alert messages on stdout, one write per message so a reader (a pipe, a log shipper) never sees half of one.
/// Bodies quote event data: every line is escaped again for the terminal (escaping is idempotent, so text that the
/// composer already escaped is unchanged).
struct StdoutAlertSink: AlertSink {
    enum Format: String, Sendable { case text, jsonl }
    let format: Format

    func send(_ messages: [AlertMessage]) async throws {
        for m in messages {
            var text: String
            switch format {
            case .text:
                let body = m.body.split(separator: "\n", omittingEmptySubsequences: false)
                    .map { TextEscaper.escape(String($0), maxLength: 1 << 16) }
                    .joined(separator: "\n")
                text = "=== \(TextEscaper.subject(m.subject)) ===\n\(body)\n"
            case .jsonl:
                text = JSONValue.object([
                    ("subject", .string(m.subject)),
                    ("severity", .string(m.severity.description)),
                    ("rule_ids", .array(m.ruleIDs.map(JSONValue.string))),
                    ("account_ids", .array(m.accountIDs.map(JSONValue.string))),
                    ("finding_keys", .array(m.findingKeys.map(JSONValue.string))),
                    ("body", .string(m.body)),
                ]).serialized() + "\n"
            }
            try StandardOutput.write(text)
        }
    }
}

/// Sends to several sinks in order; fails if any fails (the pipeline then releases the claims and retries).
/// Put the sink most likely to fail (SNS) first so a failure is not preceded by a printed duplicate.
struct FanOutAlertSink: AlertSink {
    let sinks: [any AlertSink]

    func send(_ messages: [AlertMessage]) async throws {
        for sink in sinks { try await sink.send(messages) }
    }
}

enum StandardOutput {
    struct Failure: Error, CustomStringConvertible { var description: String }

    /// Writes all of `text` to fd 1 (retrying short writes).
    static func write(_ text: String) throws {
        var bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Foundation.write(1, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write to stdout: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        bytes.removeAll()
    }
}
