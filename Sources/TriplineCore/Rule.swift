import TriplineJSON

public enum Severity: Int, Sendable, Comparable, CaseIterable, Codable, CustomStringConvertible {
    case info = 0, low, medium, high, critical

    public init?(_ text: String) {
        switch text.lowercased() {
        case "info", "informational": self = .info
        case "low": self = .low
        case "medium": self = .medium
        case "high": self = .high
        case "critical": self = .critical
        default: return nil
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .info: return "info"
        case .low: return "low"
        case .medium: return "medium"
        case .high: return "high"
        case .critical: return "critical"
        }
    }
}

/// A rule ready to run: metadata plus a compiled detection.
public struct Rule: Sendable {
    public var id: String
    public var title: String
    public var description: String
    public var severity: Severity
    public var action: String
    public var tags: [String]
    public var references: [String]
    public var related: [RelatedRule]
    public var falsePositives: [String]
    /// Fields whose values make two findings the same finding. Empty: each event is its own finding.
    public var dedupFields: [JSONPath]
    /// Seconds within which findings with the same dedup key are one alert.
    public var dedupWindow: Int
    public var threshold: Threshold?
    public var enabled: Bool
    public var detection: Detection
    public var tests: [RuleTest]
    /// Where the rule came from ("rules/defense-evasion/x.yml:1"), for diagnostics and `rules show`.
    public var source: String
    /// The rule as written, for `rules show`.
    public var text: String
    /// Sigma's optional `name`: a stable handle Sigma filters may target instead of the id.
    public var name: String?

    public init(
        id: String, title: String, description: String = "", severity: Severity = .medium, action: String = "",
        tags: [String] = [], references: [String] = [], related: [RelatedRule] = [], falsePositives: [String] = [],
        dedupFields: [JSONPath] = [], dedupWindow: Int = 3600, threshold: Threshold? = nil, enabled: Bool = true,
        detection: Detection, tests: [RuleTest] = [], source: String = "", text: String = ""
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.severity = severity
        self.action = action
        self.tags = tags
        self.references = references
        self.related = related
        self.falsePositives = falsePositives
        self.dedupFields = dedupFields
        self.dedupWindow = dedupWindow
        self.threshold = threshold
        self.enabled = enabled
        self.detection = detection
        self.tests = tests
        self.source = source
        self.text = text
    }
}

public struct RelatedRule: Sendable, Equatable {
    public var id: String
    public var type: String

    public init(id: String, type: String) {
        self.id = id
        self.type = type
    }
}

/// Alert only when `count` matching events with equal `groupBy` values fall within `window` seconds.
public struct Threshold: Sendable, Equatable {
    public var count: Int
    public var window: Int
    public var groupBy: [JSONPath]

    public init(count: Int, window: Int, groupBy: [JSONPath]) {
        self.count = count
        self.window = window
        self.groupBy = groupBy
    }
}

/// An embedded test: an event and whether the rule must fire on it.
public struct RuleTest: Sendable {
    public var name: String
    public var expect: Bool
    public var event: JSONValue
    public var line: Int

    public init(name: String, expect: Bool, event: JSONValue, line: Int = 0) {
        self.name = name
        self.expect = expect
        self.event = event
        self.line = line
    }
}

/// Durations as rules write them: `90s`, `15m`, `24h`, `7d`, or plain seconds.
public enum Duration {
    public static func seconds(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: " ")
        guard let unit = t.last else { return nil }
        if unit.isASCIIDigit { return Int(t) }
        guard let n = Int(t.dropLast()), n >= 0 else { return nil }
        switch unit {
        case "s": return n
        case "m": return n * 60
        case "h": return n * 3600
        case "d": return n * 86400
        default: return nil
        }
    }
}
