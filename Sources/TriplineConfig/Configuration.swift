import TriplineCore
import TriplineRuleDocument
import TriplineRules

/// Tripline's one configuration file, as values. It tunes the rules without editing them (`tuning`), names
/// accounts for alerts (`accounts`) and holds the named lists rules and filters refer to (`lists`).
///
///     accounts:
///       "111122223333": production
///     lists:
///       ci_roles: ["arn:aws:iam::*:role/ci-*"]
///     tuning:
///       rules:  [{rule: tripline.x, severity: low, reason: …, expires: 2026-12-31}]
///       allow:  [{rules: [tag:persistence], principals: ["%ci_roles%"], reason: …}]
///       filters: [Sigma filter documents, with a reason]
///
///     destinations: [{name: chat, type: slack, webhook_url: "ssm:/tripline/slack", route: {min_severity: high}}]
///
/// Sections the file will carry later are reserved names: accepted and reported
/// as not yet supported, so a file written for a newer Tripline is not half-read in silence. Any other top-level
/// name is an error.
public struct Configuration: Sendable {
    /// Where it was read from (diagnostics and labels say `path:line`).
    public var path: String
    /// Account id → name.
    public var accounts: [String: String] = [:]
    public var lists: NamedLists = [:]
    public var tuning = Tuning()
    /// Where alerts go, each with its route (see ``DestinationConfig``). Empty: the default (SNS, stdout).
    public var destinations: [DestinationConfig] = []

    public init(path: String) { self.path = path }

    public static let sections: Set<String> = ["version", "accounts", "lists", "tuning", "destinations"]
    /// Names kept for sections to come; see the type's documentation. Routes are written per destination.
    public static let reservedSections: Set<String> = ["routes", "routing", "enrichment"]
}

/// The `tuning` section.
public struct Tuning: Sendable {
    public var rules: [RuleTuning] = []
    public var allow: [AllowEntry] = []
    /// Sigma filter documents written in the configuration (filter files come with `--rules`).
    public var filters: [RuleFilter] = []

    public init() {}
}

/// Where an entry was written and why, with its optional expiry: what every tuning entry carries.
public struct EntryOrigin: Sendable, Equatable {
    public var path: String
    public var line: Int
    public var reason: String
    public var expires: Expiry?

    public init(path: String, line: Int, reason: String, expires: Expiry? = nil) {
        self.path = path
        self.line = line
        self.reason = reason
        self.expires = expires
    }

    public var location: String { "\(path):\(line)" }
}

/// Which rules an entry is about: an id (or Sigma name), a glob over ids (`tripline.iam.*`), or `tag:NAME`
/// (a glob over the rule's tags, `tag:attack.t1078*`). Case-insensitive, as ids and tags are compared elsewhere.
public struct RuleSelector: Sendable, Equatable, CustomStringConvertible {
    public var text: String

    public init(_ text: String) { self.text = text }

    public func matches(_ rule: Rule) -> Bool {
        if text.lowercased().hasPrefix("tag:") {
            let pattern = String(text.dropFirst(4))
            return rule.tags.contains { Glob.matches(pattern, $0) }
        }
        return Glob.matches(text, rule.id) || rule.name.map { Glob.matches(text, $0) } == true
    }

    public var description: String { text }
}

/// Disable a rule, or change its severity.
public struct RuleTuning: Sendable {
    public var rules: [RuleSelector]
    public var disable: Bool
    public var severity: Severity?
    public var origin: EntryOrigin

    public init(rules: [RuleSelector], disable: Bool, severity: Severity?, origin: EntryOrigin) {
        self.rules = rules
        self.disable = disable
        self.severity = severity
        self.origin = origin
    }
}

/// An allow-list entry: matches whose event fits every criterion given (any value of each) are suppressed.
public struct AllowEntry: Sendable {
    public var name: String?
    /// Nil: every rule.
    public var rules: [RuleSelector]?
    public var accounts: [String] = []
    /// ARN globs, compared with the caller's ARN and, for role sessions, the role's own ARN.
    public var principals: [String] = []
    /// Addresses and CIDR networks; other names (`ec2.amazonaws.com`) exactly.
    public var sourceAddresses: [String] = []
    /// Globs.
    public var userAgents: [String] = []
    public var regions: [String] = []
    public var origin: EntryOrigin
    /// The criteria compiled into one detection, checked on matches only.
    public var detection: Detection

    public var label: String { "allow" + (name.map { " '\($0)'" } ?? "") + " (\(origin.location))" }
}

/// `*` and `?` globs (case-insensitive), for rule selectors.
public enum Glob {
    public static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.lowercased().unicodeScalars)
        let t = Array(text.lowercased().unicodeScalars)
        var pi = 0, ti = 0
        var star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
