import Foundation
import TriplineCore
import TriplineJSON

public enum LogLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case trace, debug, info, warning, error

    /// `LOG_LEVEL` spellings (Lambda's advanced logging uses upper case; `warn` is common).
    public init?(_ text: String) {
        switch text.lowercased() {
        case "trace": self = .trace
        case "debug": self = .debug
        case "info": self = .info
        case "warn", "warning": self = .warning
        case "error", "fatal": self = .error
        default: return nil
        }
    }

    public static func < (a: LogLevel, b: LogLevel) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        }
    }
}

/// Structured logs: one JSON object per line (CloudWatch Logs Insights parses the fields), with the request id
/// on every line of an invocation. A value: `with(requestID:)` gives the per-invocation logger.
public struct Logger: Sendable {
    public var level: LogLevel
    public var requestID: String?
    private let write: @Sendable (String) -> Void

    public init(level: LogLevel = .info, requestID: String? = nil, write: @escaping @Sendable (String) -> Void = Logger.stdout) {
        self.level = level
        self.requestID = requestID
        self.write = write
    }

    public func with(requestID: String?) -> Logger {
        var copy = self
        copy.requestID = requestID
        return copy
    }

    public func log(_ level: LogLevel, _ message: String, _ fields: [(String, JSONValue)] = []) {
        guard level >= self.level else { return }
        var members: [(String, JSONValue)] = [
            ("timestamp", .string(Logger.timestamp())), ("level", .string(level.description)), ("message", .string(message)),
        ]
        if let requestID { members.append(("request_id", .string(requestID))) }
        members += fields
        write(JSONValue.object(members).serialized())
    }

    public func debug(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.debug, message, fields) }
    public func info(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.info, message, fields) }
    public func warning(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.warning, message, fields) }
    public func error(_ message: String, _ fields: [(String, JSONValue)] = []) { log(.error, message, fields) }

    /// Writes a line to standard output at once (Lambda forwards stdout to CloudWatch line by line).
    public static let stdout: @Sendable (String) -> Void = { line in
        // One write(2) per line: unbuffered, and lines from concurrent tasks do not interleave.
        let bytes = Array((line + "\n").utf8)
        bytes.withUnsafeBytes { p in
            var offset = 0
            while offset < p.count {
                let n = Foundation.write(1, p.baseAddress! + offset, p.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }

    public static let discard: @Sendable (String) -> Void = { _ in }

    static func timestamp() -> String {
        let now = Date().timeIntervalSince1970
        let seconds = Int(now.rounded(.down))
        let millis = Int((now - Double(seconds)) * 1000)
        let iso = EventTime.iso8601(seconds)
        let ms = String(millis)
        return String(iso.dropLast()) + "." + String(repeating: "0", count: 3 - ms.count) + ms + "Z"
    }
}
