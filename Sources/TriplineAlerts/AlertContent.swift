import TriplineCore

/// What every destination renders: the findings of one event, most severe first, with the event's facts.
///
/// A plain value built from `[Finding]` so the formats need nothing else. Text fields hold raw event data
/// (attacker-controlled: actor, user agent, request parameters, even the rendered titles); each format escapes
/// them for its medium. Only the rule fields (`ruleID`, `description`, `action`, `tags`) and the values
/// computed here (`id`, `consoleURL`) are ours.
public struct AlertContent: Sendable, Equatable {
    /// One matched rule.
    public struct Match: Sendable, Equatable {
        public var ruleID: String
        /// The rendered rule title: its placeholders carry event text.
        public var title: String
        public var severity: Severity
        public var description: String
        public var action: String
        public var tags: [String]
        /// Events this match stands for after dedup and thresholds.
        public var count: Int
        public var dedupKey: String

        public init(
            ruleID: String, title: String, severity: Severity, description: String = "", action: String = "",
            tags: [String] = [], count: Int = 1, dedupKey: String = ""
        ) {
            self.ruleID = ruleID
            self.title = title
            self.severity = severity
            self.description = description
            self.action = action
            self.tags = tags
            self.count = count
            self.dedupKey = dedupKey
        }
    }

    /// Stable across redeliveries and repeats of the same alert (same matches, same dedup keys): destinations
    /// that update in place (Security Hub) key on it, receivers dedupe on it.
    public var id: String
    /// The highest severity of the matches.
    public var severity: Severity
    /// Most severe first; never empty.
    public var matches: [Match]
    public var actor: String
    public var actorType: String
    public var accountID: String
    /// A friendly name for the account, from configuration (trusted).
    public var accountName: String?
    public var region: String
    public var eventTime: String
    /// Seconds since 1970 of `eventTime`, when it could be read.
    public var epoch: Int?
    public var eventName: String
    public var eventSource: String
    public var eventID: String
    public var sourceIP: String
    public var userAgent: String
    public var errorCode: String?
    /// The request, flattened to `path = value` lines (already bounded by the finding).
    public var request: [Parameter]
    /// The top match's dedup key: what PagerDuty groups incidents by.
    public var dedupKey: String
    /// The event in the CloudTrail console, when region and event id are well formed (nil otherwise: a link is
    /// never built from text that could point elsewhere).
    public var consoleURL: String?

    public struct Parameter: Sendable, Equatable {
        public var key: String
        public var value: String
        public init(key: String, value: String) {
            self.key = key
            self.value = value
        }
    }

    /// The matches of the top (most severe) rule.
    public var top: Match { matches[0] }

    public init(
        id: String, matches: [Match], actor: String, actorType: String = "", accountID: String,
        accountName: String? = nil, region: String, eventTime: String, eventName: String, eventSource: String,
        eventID: String, sourceIP: String = "", userAgent: String = "", errorCode: String? = nil,
        request: [Parameter] = [], dedupKey: String? = nil
    ) {
        precondition(!matches.isEmpty, "an alert has at least one match")
        let sorted = matches.enumerated().sorted {
            $0.element.severity != $1.element.severity ? $0.element.severity > $1.element.severity : $0.offset < $1.offset
        }.map(\.element)
        self.id = id
        self.severity = sorted[0].severity
        self.matches = sorted
        self.actor = actor
        self.actorType = actorType
        self.accountID = accountID
        self.accountName = accountName
        self.region = region
        self.eventTime = eventTime
        self.epoch = EventTime.epochSeconds(eventTime)
        self.eventName = eventName
        self.eventSource = eventSource
        self.eventID = eventID
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.errorCode = errorCode
        self.request = request
        self.dedupKey = dedupKey ?? sorted[0].dedupKey
        self.consoleURL = CloudTrailConsole.eventURL(region: region, eventID: eventID)
    }

    /// The alert for the findings of one event (nil when there are none). Findings of the same rule are one match.
    public init?(findings: [Finding], accountName: String? = nil) {
        guard let first = findings.first else { return nil }
        var seen = Set<Finding.RuleKey>()
        let matches = findings.filter { seen.insert($0.ruleKey).inserted }.map {
            Match(
                ruleID: $0.ruleID, title: $0.title, severity: $0.severity, description: $0.description,
                action: $0.action, tags: $0.tags, count: $0.count, dedupKey: $0.dedupKey)
        }
        // The id hashes the dedup keys, not the event id: a repeat inside the dedup window (same keys, another
        // event) updates the same alert where the destination can.
        let keys = matches.map(\.dedupKey).sorted()
        self.init(
            id: "tripline-" + Hashing.digest(keys), matches: matches, actor: first.actor,
            actorType: first.actorType, accountID: first.accountID, accountName: accountName, region: first.region,
            eventTime: first.eventTime, eventName: first.eventName, eventSource: first.eventSource,
            eventID: first.eventID, sourceIP: first.sourceIP, userAgent: first.userAgent, errorCode: first.errorCode,
            request: first.request.map { Parameter(key: $0.key, value: $0.value) })
    }

    /// Events behind the alert (the largest count of its matches).
    public var count: Int { matches.map(\.count).max() ?? 1 }
}

/// Links into the AWS console, built only from values that match their documented shapes.
public enum CloudTrailConsole {
    /// `https://<region>.console.aws.amazon.com/cloudtrailv2/home?region=<region>#/events/<eventID>`, with the
    /// console host of the region's partition; nil unless the region and the event id look like AWS's own.
    public static func eventURL(region: String, eventID: String) -> String? {
        guard isRegion(region), isEventID(eventID) else { return nil }
        let host: String
        if region.hasPrefix("cn-") {
            host = "\(region).console.amazonaws.cn"
        } else if region.hasPrefix("us-gov-") {
            host = "console.amazonaws-us-gov.com"
        } else {
            host = "\(region).console.aws.amazon.com"
        }
        return "https://\(host)/cloudtrailv2/home?region=\(region)#/events/\(eventID)"
    }

    /// `us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`: lower-case words, then a number.
    public static func isRegion(_ s: String) -> Bool {
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard s.utf8.count <= 32, parts.count >= 3, let last = parts.last, !last.isEmpty,
            last.utf8.allSatisfy({ (0x30...0x39).contains($0) })
        else { return false }
        return parts.dropLast().allSatisfy { !$0.isEmpty && $0.utf8.allSatisfy { (0x61...0x7A).contains($0) } }
    }

    /// CloudTrail event ids are UUIDs (hex and dashes).
    public static func isEventID(_ s: String) -> Bool {
        s.utf8.count == 36 && s.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) || (0x41...0x46).contains($0) || $0 == 0x2D }
    }

    /// Twelve digits.
    public static func isAccountID(_ s: String) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }
}

extension AlertContent {
    /// The event's facts as label and value, each value escaped for `medium` and cut to its own length: the same
    /// lines in every chat card.
    public func facts(escapedFor medium: TextEscaper.Medium) -> [(String, String)] {
        func e(_ s: String, _ max: Int) -> String { TextEscaper.escape(s, for: medium, maxLength: max) }
        var account = e(accountID, 64)
        if let name = accountName, !name.isEmpty { account += " (\(e(name, 128)))" }
        var facts: [(String, String)] = [
            ("Actor", e(actor, 500) + (actorType.isEmpty ? "" : " (\(e(actorType, 64)))")),
            ("Account", account),
            ("Region", e(region, 64)),
            ("Time", e(eventTime, 64) + (count > 1 ? " (\(count) events)" : "")),
            ("Event", e(eventSource, 128) + " " + e(eventName, 128)),
            ("Source IP", e(sourceIP, 128)),
            ("User agent", e(userAgent, 500)),
        ]
        if let code = errorCode { facts.append(("Error", e(code, 200))) }
        return facts
    }
}
