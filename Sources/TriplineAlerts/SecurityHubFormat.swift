import TriplineCore
import TriplineJSON

/// AWS Security Finding Format (ASFF, schema 2018-10-08) for `BatchImportFindings` into the hub's default
/// product: one finding per alert. Its `Id` is the alert id, so a repeat of the alert updates the finding
/// (`UpdatedAt` moves, `CreatedAt` stays the first event's time).
///
/// Security Hub shows titles, descriptions and resource ids as text: event values are kept to one line of visible
/// characters (``TextEscaper`` `.plain`) and cut to the documented lengths.
public struct SecurityHubFormat: AlertFormat {
    public static let schemaVersion = "2018-10-08"
    /// Documented ASFF limits.
    public static let maxTitle = 256
    public static let maxDescription = 1024
    public static let maxID = 512
    public static let maxRecommendation = 512
    public static let maxProductFields = 50
    public static let maxProductFieldValue = 2048

    /// The account and region of the hub the findings are imported into (the caller's), and its partition.
    public var hubAccountID: String
    public var hubRegion: String
    public var partition: String

    public init(hubAccountID: String, hubRegion: String, partition: String = "aws") {
        self.hubAccountID = hubAccountID
        self.hubRegion = hubRegion
        self.partition = partition
    }

    /// The hub's default product, which accepts findings from the account's own integrations.
    public var productArn: String {
        "arn:\(partition):securityhub:\(hubRegion):\(hubAccountID):product/\(hubAccountID)/default"
    }

    /// The finding id for an alert.
    public static func findingID(_ a: AlertContent) -> String { Limit.cut("tripline/" + a.id, maxID) }

    /// ASFF finding types (`namespace/category`) from the rules' ATT&CK tactic tags.
    public static func types(_ a: AlertContent) -> [String] {
        let tactics: [String: String] = [
            "initial-access": "TTPs/Initial Access", "execution": "TTPs/Execution", "persistence": "TTPs/Persistence",
            "privilege-escalation": "TTPs/Privilege Escalation", "defense-evasion": "TTPs/Defense Evasion",
            "credential-access": "TTPs/Credential Access", "discovery": "TTPs/Discovery",
            "lateral-movement": "TTPs/Lateral Movement", "collection": "TTPs/Collection",
            "command-and-control": "TTPs/Command and Control", "exfiltration": "Effects/Data Exfiltration",
            "impact": "Effects/Data Destruction",
        ]
        var out: [String] = []
        for tag in a.matches.flatMap(\.tags) where tag.hasPrefix("attack.") {
            let tactic = String(tag.dropFirst("attack.".count).map { $0 == "_" ? "-" : $0 })
            if let type = tactics[tactic], !out.contains(type) { out.append(type) }
        }
        return out.isEmpty ? ["Unusual Behaviors/User"] : Array(out.prefix(50))
    }

    public static func severityLabel(_ s: Severity) -> String {
        switch s {
        case .info: "INFORMATIONAL"
        case .low: "LOW"
        case .medium: "MEDIUM"
        case .high: "HIGH"
        case .critical: "CRITICAL"
        }
    }

    public func render(_ a: AlertContent, now: Int) -> JSONValue {
        func e(_ s: String, _ max: Int = 512) -> String { TextEscaper.escape(s, for: .plain, maxLength: max) }
        let account = CloudTrailConsole.isAccountID(a.accountID) ? a.accountID : hubAccountID
        let region = CloudTrailConsole.isRegion(a.region) ? a.region : hubRegion
        let observed = EventTime.iso8601(a.epoch ?? now)
        let top = a.top

        var description = top.description.isEmpty ? e(top.title, 600) : top.description
        description += "\n\nActor: \(e(a.actor, 300)). Event: \(e(a.eventSource, 128)) \(e(a.eventName, 128))"
            + " from \(e(a.sourceIP, 64))."
        if a.matches.count > 1 {
            description += " Also matched: " + a.matches.dropFirst().map { e($0.ruleID, 128) }.joined(separator: ", ") + "."
        }

        var fields: [(String, String)] = [
            ("Tripline/AlertId", a.id),
            ("Tripline/RuleIds", a.matches.map(\.ruleID).joined(separator: ",")),
            ("Tripline/DedupKey", a.dedupKey),
            ("Tripline/EventId", a.eventID),
            ("Tripline/EventName", a.eventName),
            ("Tripline/EventSource", a.eventSource),
            ("Tripline/Actor", a.actor),
            ("Tripline/SourceIp", a.sourceIP),
            ("Tripline/UserAgent", a.userAgent),
            ("Tripline/EventCount", String(a.count)),
        ]
        if let name = a.accountName { fields.append(("Tripline/AccountName", name)) }
        if let code = a.errorCode { fields.append(("Tripline/ErrorCode", code)) }

        var resources: [JSONValue] = [
            .object([
                ("Type", "AwsAccount"), ("Id", .string("AWS::::Account:\(account)")), ("Partition", .string(partition)),
                ("Region", .string(region)),
            ])
        ]
        if !a.actor.isEmpty {
            resources.append(
                .object([
                    ("Type", "Other"), ("Id", .string(Limit.cut(e(a.actor, Self.maxID), Self.maxID))),
                    ("Partition", .string(partition)), ("Region", .string(region)),
                ]))
        }

        var apiCall: [(String, JSONValue)] = [
            ("Api", .string(e(a.eventName, 128))), ("ServiceName", .string(e(a.eventSource, 128))),
        ]
        if Self.isIPv4(a.sourceIP) {
            apiCall += [("CallerType", "remoteip"), ("RemoteIpDetails", .object([("IpAddressV4", .string(a.sourceIP))]))]
        }
        if let epoch = a.epoch {
            apiCall += [("FirstSeen", .string(EventTime.iso8601(epoch))), ("LastSeen", .string(EventTime.iso8601(epoch)))]
        }

        var members: [(String, JSONValue)] = [
            ("SchemaVersion", .string(Self.schemaVersion)),
            ("Id", .string(Self.findingID(a))),
            ("ProductArn", .string(productArn)),
            ("ProductName", "Tripline"),
            ("CompanyName", "Tripline"),
            ("GeneratorId", .string(Limit.cut("tripline/" + top.ruleID, Self.maxID))),
            ("AwsAccountId", .string(account)),
            ("Region", .string(region)),
            ("Types", .array(Self.types(a).map(JSONValue.string))),
            ("FirstObservedAt", .string(observed)),
            ("LastObservedAt", .string(observed)),
            ("CreatedAt", .string(observed)),
            ("UpdatedAt", .string(EventTime.iso8601(now))),
            ("Severity", .object([("Label", .string(Self.severityLabel(a.severity))), ("Original", .string(a.severity.description))])),
            ("Title", .string(Limit.cut(e(top.title, Self.maxTitle), Self.maxTitle))),
            ("Description", .string(Limit.cut(description, Self.maxDescription))),
            (
                "ProductFields",
                .object(
                    fields.prefix(Self.maxProductFields).map {
                        ($0.0, JSONValue.string(Limit.cut(e($0.1, Self.maxProductFieldValue), Self.maxProductFieldValue)))
                    })
            ),
            ("Resources", .array(resources)),
            ("Action", .object([("ActionType", "AWS_API_CALL"), ("AwsApiCallAction", .object(apiCall))])),
            ("Workflow", .object([("Status", "NEW")])),
            ("RecordState", "ACTIVE"),
        ]
        if !top.action.isEmpty {
            members.append(("Remediation", .object([("Recommendation", .object([("Text", .string(Limit.cut(top.action, Self.maxRecommendation)))]))])))
        }
        if let url = a.consoleURL { members.append(("SourceUrl", .string(url))) }
        return .object(members)
    }

    /// Four decimal octets, each 0…255.
    static func isIPv4(_ s: String) -> Bool {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4
            && parts.allSatisfy { p in
                !p.isEmpty && p.count <= 3 && p.utf8.allSatisfy { (0x30...0x39).contains($0) } && Int(p)! <= 255
            }
    }
}
