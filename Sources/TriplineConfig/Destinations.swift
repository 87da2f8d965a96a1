import TriplineCore
import TriplineRuleDocument
import TriplineRules

/// One entry of the configuration's `destinations:` list: where alerts go and which of them.
///
///     destinations:
///       - name: oncall                      # letters, digits, '-' and '_'; unique; what the stores record
///         type: pagerduty
///         routing_key: ssm:/tripline/pagerduty-routing-key   # secrets are references, never values
///         route:
///           min_severity: high
///           rules: [tripline.iam.*, tag:attack.persistence]
///           accounts: ["111122223333"]
///
/// Secrets (`webhook_url`, `url`, `signing_key`, `routing_key`) are references — `env:NAME`, `ssm:/name`,
/// `secretsmanager:name[#key]` or an SSM / Secrets Manager ARN — resolved when the program starts. The
/// configuration holds only where they are, so it can be logged, committed and checked.
public struct DestinationConfig: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case slack, teams, pagerduty, webhook, securityhub, eventbridge, sns
    }

    public var name: String
    public var kind: Kind
    /// Plain settings (`topic_arn`, `event_bus`, `region`, `account_id`, `endpoint`, `auto_resolve`).
    public var settings: [String: String]
    /// Secret settings: name → reference text (`env:SLACK_URL`). Never the value.
    public var secrets: [String: String]
    public var route: DestinationRoute
    /// Where the entry is written (`path:line`).
    public var location: String

    public init(
        name: String, kind: Kind, settings: [String: String] = [:], secrets: [String: String] = [:],
        route: DestinationRoute = DestinationRoute(), location: String = ""
    ) {
        self.name = name
        self.kind = kind
        self.settings = settings
        self.secrets = secrets
        self.route = route
        self.location = location
    }

    /// The keys each type reads: secret or plain, required or not.
    public struct Schema: Sendable {
        public var requiredSecrets: [String] = []
        public var optionalSecrets: [String] = []
        public var requiredSettings: [String] = []
        public var optionalSettings: [String] = []
        var all: [String] { requiredSecrets + optionalSecrets + requiredSettings + optionalSettings }
    }

    public static func schema(_ kind: Kind) -> Schema {
        switch kind {
        case .slack, .teams: Schema(requiredSecrets: ["webhook_url"])
        case .pagerduty: Schema(requiredSecrets: ["routing_key"], optionalSettings: ["endpoint", "auto_resolve"])
        case .webhook: Schema(requiredSecrets: ["url"], optionalSecrets: ["signing_key"])
        case .securityhub: Schema(requiredSettings: ["account_id"], optionalSettings: ["region", "partition"])
        case .eventbridge: Schema(optionalSettings: ["event_bus", "region"])
        case .sns: Schema(requiredSettings: ["topic_arn"], optionalSettings: ["region"])
        }
    }

    /// Whether `text` has the form of a secret reference (the value itself is looked up at start-up).
    public static func isSecretReference(_ text: String) -> Bool {
        for prefix in ["env:", "ssm:", "secretsmanager:"] where text.hasPrefix(prefix) { return text.count > prefix.count }
        let parts = text.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 && parts[0] == "arn" && (parts[2] == "ssm" || parts[2] == "secretsmanager") && !parts[5].isEmpty
    }

    /// Destination names go into logs and into the stores' per-destination records.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x61 && $0 <= 0x7A) || $0 == 0x2D || $0 == 0x5F }
    }
}

/// Which alerts a destination receives. Empty criteria match everything; an alert is sent when one of its matches
/// passes every criterion given (severity at least `minimumSeverity`, rule among `rules`, account among `accounts`).
public struct DestinationRoute: Sendable, Equatable {
    public var minimumSeverity: Severity?
    /// Ids, globs or `tag:NAME` (as in tuning).
    public var rules: [RuleSelector] = []
    public var accounts: [String] = []

    public init(minimumSeverity: Severity? = nil, rules: [RuleSelector] = [], accounts: [String] = []) {
        self.minimumSeverity = minimumSeverity
        self.rules = rules
        self.accounts = accounts
    }

    public func matches(ruleID: String, tags: [String], severity: Severity, accountID: String) -> Bool {
        if let minimumSeverity, severity < minimumSeverity { return false }
        if !accounts.isEmpty && !accounts.contains(accountID) { return false }
        if !rules.isEmpty && !rules.contains(where: { $0.matches(ruleID: ruleID, tags: tags) }) { return false }
        return true
    }
}

extension RuleSelector {
    /// As ``matches(_:)`` for a finding's rule id and tags.
    public func matches(ruleID: String, tags: [String]) -> Bool {
        if text.lowercased().hasPrefix("tag:") {
            let pattern = String(text.dropFirst(4))
            return tags.contains { Glob.matches(pattern, $0) }
        }
        return Glob.matches(text, ruleID)
    }
}

extension Configuration {
    /// The environment forms: `TRIPLINE_DESTINATIONS` holds the `destinations:` list alone, as YAML or JSON (JSON
    /// is YAML), e.g. `[{"name":"chat","type":"slack","webhook_url":"ssm:/tripline/slack"}]`; each
    /// `TRIPLINE_DESTINATION_<NAME>` holds one destination (a mapping), which is what the deploy templates set.
    public static func parseDestinations(yaml text: String, path: String = "TRIPLINE_DESTINATIONS") -> ([DestinationConfig], [RuleDiagnostic]) {
        var reader = ConfigReader(path: path)
        let documents: [RuleNode]
        do {
            documents = try RuleNode.documents(yaml: text)
        } catch {
            return ([], [RuleDiagnostic(.error, file: path, line: error.line, "invalid YAML: \(error.problem)")])
        }
        guard let root = documents.first else { return ([], []) }
        // One destination (a mapping) or a list of them.
        let out: [DestinationConfig]
        if case .mapping = root { out = reader.readDestination(root).map { [$0] } ?? [] } else { out = reader.readDestinations(root) }
        return (out, reader.diagnostics)
    }
}

extension ConfigReader {
    static let destinationCommonKeys = ["name", "type", "route"]

    mutating func readDestinations(_ node: RuleNode) -> [DestinationConfig] {
        var out: [DestinationConfig] = []
        var names = Set<String>()
        for entry in list(node, "destinations") {
            guard let d = readDestination(entry) else { continue }
            if !names.insert(d.name).inserted {
                error(entry, "duplicate destination name '\(d.name)': each destination needs its own name")
                continue
            }
            out.append(d)
        }
        return out
    }

    mutating func readDestination(_ entry: RuleNode) -> DestinationConfig? {
        guard let fields = members(entry, "a destinations entry") else { return nil }
        let errorsBefore = diagnostics.count { $0.level == .error }
        guard let typeNode = fields.first(where: { $0.key == "type" })?.value else {
            error(entry, "a destination needs type: (\(DestinationConfig.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        guard let kind = typeNode.scalarText.flatMap({ DestinationConfig.Kind(rawValue: $0.lowercased()) }) else {
            error(typeNode, "unknown destination type '\(typeNode.scalarText ?? "")' (\(DestinationConfig.Kind.allCases.map(\.rawValue).joined(separator: ", ")))")
            return nil
        }
        let schema = DestinationConfig.schema(kind)
        var name = kind.rawValue
        if let n = fields.first(where: { $0.key == "name" }) {
            name = string(n.value, "name") ?? name
            if !DestinationConfig.isValidName(name) {
                error(n.value, "destination name '\(name)' must be 1 to 64 letters, digits, '-' or '_'")
            }
        }
        var d = DestinationConfig(name: name, kind: kind, location: "\(path):\(entry.line)")
        for (key, keyNode, value) in fields {
            if key == "name" || key == "type" { continue }
            if key == "route" {
                d.route = readRoute(value)
                continue
            }
            let secret = schema.requiredSecrets.contains(key) || schema.optionalSecrets.contains(key)
            guard secret || schema.requiredSettings.contains(key) || schema.optionalSettings.contains(key) else {
                error(keyNode, "unknown key '\(key)' in a \(kind.rawValue) destination (\((Self.destinationCommonKeys + schema.all).joined(separator: ", ")))")
                continue
            }
            guard let text = value.scalarText else {
                error(value, "\(key) must be a string")
                continue
            }
            if secret {
                // Never echo the text: it may be the secret itself pasted where its reference belongs.
                guard DestinationConfig.isSecretReference(text) else {
                    error(value, "\(key) must be a secret reference (env:NAME, ssm:/parameter/name, secretsmanager:name[#key] "
                        + "or an SSM / Secrets Manager ARN), not a value; the \(text.count) characters given are not shown")
                    continue
                }
                d.secrets[key] = text
            } else {
                d.settings[key] = text
            }
        }
        for key in schema.requiredSecrets where d.secrets[key] == nil && !fields.contains(where: { $0.key == key }) {
            error(entry, "a \(kind.rawValue) destination needs \(key): (a secret reference)")
        }
        for key in schema.requiredSettings where d.settings[key] == nil && !fields.contains(where: { $0.key == key }) {
            error(entry, "a \(kind.rawValue) destination needs \(key):")
        }
        if let v = d.settings["auto_resolve"], Bool(v.lowercased()) == nil { error(entry, "auto_resolve must be true or false") }
        if let v = d.settings["account_id"], v.utf8.count != 12 || !v.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
            error(entry, "account_id '\(v)' is not a 12-digit AWS account id (quote ids that start with 0)")
        }
        if let v = d.settings["topic_arn"], !v.hasPrefix("arn:") { error(entry, "topic_arn '\(v)' is not an SNS topic ARN") }
        if let v = d.settings["endpoint"], !(v.hasPrefix("https://") || v.hasPrefix("http://")) {
            error(entry, "endpoint must be an http(s) URL")
        }
        guard diagnostics.count(where: { $0.level == .error }) == errorsBefore else { return nil }
        return d
    }

    mutating func readRoute(_ node: RuleNode) -> DestinationRoute {
        var route = DestinationRoute()
        for (key, keyNode, value) in members(node, "route") ?? [] {
            switch key {
            case "min_severity":
                route.minimumSeverity = value.scalarText.flatMap(Severity.init)
                if route.minimumSeverity == nil { error(value, "min_severity must be one of info, low, medium, high, critical") }
            case "rules": route.rules = selectors(value, "route.rules")
            case "accounts":
                route.accounts = strings(value, "route.accounts")
                for a in route.accounts where a.utf8.count != 12 || !a.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                    error(value, "account '\(a)' is not a 12-digit AWS account id (quote ids that start with 0)")
                }
            default: error(keyNode, "unknown key '\(key)' in route (min_severity, rules, accounts)")
            }
        }
        return route
    }
}
