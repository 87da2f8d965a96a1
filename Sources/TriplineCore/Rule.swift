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
    /// Set for a rule made of other rules (its `detection` then never matches an event by itself).
    public var sequence: RuleSequence?
    /// False for a building block: a rule that only feeds a correlation (Sigma's `generate: false`), whose own
    /// matches are not alerts.
    public var generatesAlerts = true
    public var enabled: Bool
    public var detection: Detection
    public var tests: [RuleTest]
    /// Where the rule was written (rules/defense-evasion/x.yml, line 1), for diagnostics and `rules show`.
    public var source: SourceLocation
    /// The rule as written, for `rules show`.
    public var text: String
    /// Sigma's optional `name`: a stable handle Sigma filters may target instead of the id.
    public var name: String?

    /// Whether its alerts stand alone instead of being folded with the other rules that fired on the same event:
    /// a threshold's or a sequence's alert is about many events.
    public var standsAlone: Bool { threshold != nil || sequence != nil }

    public init(
        id: String, title: String, description: String = "", severity: Severity = .medium, action: String = "",
        tags: [String] = [], references: [String] = [], related: [RelatedRule] = [], falsePositives: [String] = [],
        dedupFields: [JSONPath] = [], dedupWindow: Int = 3600, threshold: Threshold? = nil, enabled: Bool = true,
        detection: Detection, tests: [RuleTest] = [], source: SourceLocation = .unknown, text: String = ""
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

extension JSONView {
    /// The bytes a threshold groups or counts value `i` by: a string's text, a number's or literal's JSON, an
    /// object's or array's compact JSON as `JSONValue` writes it (so escapes do not tell equal values apart).
    func withThresholdBytes<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch kind(i) {
        case .string: withStringBytes(i, body)
        case .number, .true, .false, .null: body(rawBytes(i))
        case .object, .array: Array(JSONValue(self, i).serialized().utf8).withUnsafeBufferPointer(body)
        }
    }
}

/// Alert only when `count` matching events with equal `groupBy` values fall within `window` seconds.
///
/// With `distinct` paths, what is counted is not events but the different values those paths hold in the matching
/// events (every element of an array counts: GetParameters' `names`): `count` different SSM parameters read,
/// however often each was read. A matching event without any such value counts for nothing.
public struct Threshold: Sendable, Equatable {
    public var count: Int
    public var window: Int
    public var groupBy: [JSONPath]
    public var distinct: [JSONPath]

    /// At most this many distinct values are taken from one event (the rest of a hostile 100,000-element array is
    /// ignored), so one event costs at most this many 16-byte matches.
    public static let maxDistinctPerEvent = 256

    public init(count: Int, window: Int, groupBy: [JSONPath], distinct: [JSONPath] = []) {
        self.count = count
        self.window = window
        self.groupBy = groupBy
        self.distinct = distinct
    }

    /// Hashes of the different values the `distinct` paths reach in the event at `root` (scalars by their text,
    /// objects and arrays at the end of a path by their JSON), at most `maxDistinctPerEvent`, in first-seen order.
    public func distinctValues(_ view: JSONView, _ root: Int) -> [UInt64] {
        var out: [UInt64] = []
        for path in distinct {
            func add(_ v: Int) -> Bool {
                guard view.kind(v) != .null else { return true }
                let h = view.withThresholdBytes(v) { Hashing.strong($0) }
                if !out.contains(h) { out.append(h) }
                return out.count < Threshold.maxDistinctPerEvent
            }
            view.forEachValue(at: path, from: root) { v in
                // A path that ends on a list (`requestParameters.names`) counts each element.
                guard view.kind(v) == .array else { return add(v) }
                var more = true
                view.forEachElement(of: v) { e in
                    more = add(e)
                    return more
                }
                return more
            }
            if out.count >= Threshold.maxDistinctPerEvent { break }
        }
        return out
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

/// Where something was written: a file and a one-based line (rules, their tests, tuning filters). Shown as
/// `file:line`, and kept as two values so nothing has to split that text again (paths may hold colons).
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int

    public init(file: String, line: Int) {
        self.file = file
        self.line = line
    }

    /// For values made in code rather than read from a file.
    public static let unknown = SourceLocation(file: "", line: 0)

    public var description: String { "\(file):\(line)" }
}
