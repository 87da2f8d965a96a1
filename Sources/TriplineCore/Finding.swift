import TriplineJSON

/// Where an event came from: a file (or S3 object, or message) and its position in it.
public struct InputRef: Sendable, Equatable, Hashable {
    public var path: String
    /// Zero-based index of the record within the input.
    public var record: Int
    /// One-based line, for line-oriented inputs (JSON Lines).
    public var line: Int?

    public init(path: String, record: Int, line: Int? = nil) {
        self.path = path
        self.record = record
        self.line = line
    }
}

/// A rule that fired on an event, with everything a responder needs to act on it. Text fields hold raw event
/// data (attacker-controlled): renderers escape them for their medium.
public struct Finding: Sendable {
    public var ruleID: String
    public var title: String
    public var severity: Severity
    public var description: String
    public var action: String
    public var tags: [String]
    public var references: [String]

    public var eventID: String
    public var eventTime: String
    /// Seconds since 1970 parsed from `eventTime` (nil when absent or unreadable).
    public var epoch: Int?
    public var eventSource: String
    public var eventName: String
    public var accountID: String
    /// The account's name from the configuration (`accounts:`), set by whoever reports the finding.
    public var accountName: String? = nil
    public var region: String
    public var actor: String
    public var actorType: String
    public var sourceIP: String
    public var userAgent: String
    public var errorCode: String?
    /// The request, flattened to `path: value` lines (bounded), for alert bodies.
    public var request: [(key: String, value: String)]

    public var dedupKey: String
    public var dedupValues: [String]
    public var input: InputRef
    /// How many events this finding stands for after deduplication and thresholds.
    public var count: Int
    public var lastEventTime: String
    /// The whole record as compact JSON text. Kept as text because most findings of a scan are folded into
    /// others or never rendered: building a tree per finding cost more than detecting it.
    public var eventJSON: [UInt8]
    /// What makes two findings one: their rule and dedup key (the alert they fold into).
    public struct RuleKey: Hashable, Sendable {
        public var ruleID: String
        public var dedupKey: String
    }

    /// One rule firing on one event (the same event delivered twice is one finding).
    public struct RuleEvent: Hashable, Sendable {
        public var ruleID: String
        public var eventID: String

        public init(ruleID: String, eventID: String) {
            self.ruleID = ruleID
            self.eventID = eventID
        }
    }

    public var ruleKey: RuleKey { RuleKey(ruleID: ruleID, dedupKey: dedupKey) }
    public var ruleEvent: RuleEvent { RuleEvent(ruleID: ruleID, eventID: eventID) }

    /// For a sequence rule's finding: the steps as they happened (empty otherwise).
    public var chain: [ChainStep] = []

    /// One step of a sequence: which rule fired on which event, when.
    public struct ChainStep: Sendable, Equatable {
        public var ruleID: String
        public var title: String
        public var eventID: String
        public var eventTime: String

        public init(ruleID: String, title: String, eventID: String, eventTime: String) {
            self.ruleID = ruleID
            self.title = title
            self.eventID = eventID
            self.eventTime = eventTime
        }
    }

    /// The whole record (parsed from `eventJSON` on each access).
    public var event: JSONValue {
        get {
            guard let document = try? JSONDocument(parsing: eventJSON, maxDepth: .max) else { return .null }
            return document.withView { JSONValue($0, 0) }
        }
        set {
            eventJSON = []
            newValue.write(to: &eventJSON)
        }
    }

    public init(
        ruleID: String, title: String, severity: Severity, description: String, action: String, tags: [String],
        references: [String], eventID: String, eventTime: String, epoch: Int?, eventSource: String,
        eventName: String, accountID: String, region: String, actor: String, actorType: String, sourceIP: String,
        userAgent: String, errorCode: String?, request: [(key: String, value: String)], dedupKey: String,
        dedupValues: [String], input: InputRef, count: Int, lastEventTime: String, event: JSONValue
    ) {
        self.init(
            ruleID: ruleID, title: title, severity: severity, description: description, action: action, tags: tags,
            references: references, eventID: eventID, eventTime: eventTime, epoch: epoch, eventSource: eventSource,
            eventName: eventName, accountID: accountID, region: region, actor: actor, actorType: actorType,
            sourceIP: sourceIP, userAgent: userAgent, errorCode: errorCode, request: request, dedupKey: dedupKey,
            dedupValues: dedupValues, input: input, count: count, lastEventTime: lastEventTime,
            eventJSON: { var out: [UInt8] = []; event.write(to: &out); return out }())
    }

    public init(
        ruleID: String, title: String, severity: Severity, description: String, action: String, tags: [String],
        references: [String], eventID: String, eventTime: String, epoch: Int?, eventSource: String,
        eventName: String, accountID: String, region: String, actor: String, actorType: String, sourceIP: String,
        userAgent: String, errorCode: String?, request: [(key: String, value: String)], dedupKey: String,
        dedupValues: [String], input: InputRef, count: Int, lastEventTime: String, eventJSON: [UInt8]
    ) {
        self.ruleID = ruleID
        self.title = title
        self.severity = severity
        self.description = description
        self.action = action
        self.tags = tags
        self.references = references
        self.eventID = eventID
        self.eventTime = eventTime
        self.epoch = epoch
        self.eventSource = eventSource
        self.eventName = eventName
        self.accountID = accountID
        self.region = region
        self.actor = actor
        self.actorType = actorType
        self.sourceIP = sourceIP
        self.userAgent = userAgent
        self.errorCode = errorCode
        self.request = request
        self.dedupKey = dedupKey
        self.dedupValues = dedupValues
        self.input = input
        self.count = count
        self.lastEventTime = lastEventTime
        self.eventJSON = eventJSON
    }
}

extension Finding {
    static let paths = (
        eventID: JSONPath("eventID"), eventTime: JSONPath("eventTime"), eventSource: JSONPath("eventSource"),
        eventName: JSONPath("eventName"), recipient: JSONPath("recipientAccountId"),
        identityAccount: JSONPath("userIdentity.accountId"), region: JSONPath("awsRegion"),
        arn: JSONPath("userIdentity.arn"), type: JSONPath("userIdentity.type"),
        principal: JSONPath("userIdentity.principalId"), userName: JSONPath("userIdentity.userName"),
        invokedBy: JSONPath("userIdentity.invokedBy"), sourceIP: JSONPath("sourceIPAddress"),
        userAgent: JSONPath("userAgent"), errorCode: JSONPath("errorCode"),
        request: JSONPath("requestParameters"), additional: JSONPath("additionalEventData")
    )

    /// Builds the finding for `rule` firing on the event at node `root` of `view`.
    public init(rule: borrowing Rule, view: JSONView, root: Int = 0, input: InputRef) {
        let p = Finding.paths
        func text(_ path: JSONPath) -> String? { view.first(path, from: root).flatMap(view.scalarText) }
        var eventJSON: [UInt8] = []
        view.write(root, to: &eventJSON)
        let eventTime = text(p.eventTime) ?? ""
        let type = text(p.type) ?? ""
        let actor =
            text(p.arn) ?? (type == "AWSService" ? text(p.invokedBy) : nil) ?? text(p.principal) ?? text(p.userName)
            ?? text(p.invokedBy) ?? "unknown"
        let (eventID, dedupValues) = Finding.identity(rule: rule, view: view, root: root)
        let dedupKey = Finding.dedupKey(ruleID: rule.id, values: dedupValues)
        var request: [(key: String, value: String)] = []
        let rootNode = root
        for root in [p.request, p.additional] {
            // A null request (common: requestParameters: null) says nothing worth a line in an alert.
            if let node = view.first(root, from: rootNode), view.kind(node) != .null {
                Finding.flatten(view, node, prefix: root.description, into: &request)
            }
        }
        self.init(
            ruleID: rule.id,
            title: TitleTemplate.render(rule.title, view: view, root: root),
            severity: rule.severity,
            description: rule.description,
            action: rule.action,
            tags: rule.tags,
            references: rule.references,
            eventID: eventID,
            eventTime: eventTime,
            epoch: EventTime.epochSeconds(eventTime),
            eventSource: text(p.eventSource) ?? "",
            eventName: text(p.eventName) ?? "",
            accountID: text(p.recipient) ?? text(p.identityAccount) ?? "",
            region: text(p.region) ?? "",
            actor: actor,
            actorType: type,
            sourceIP: text(p.sourceIP) ?? "",
            userAgent: text(p.userAgent) ?? "",
            errorCode: text(p.errorCode),
            request: request,
            dedupKey: dedupKey,
            dedupValues: dedupValues,
            input: input,
            count: 1,
            lastEventTime: eventTime,
            eventJSON: eventJSON
        )
    }

    /// The dedup key of a rule's finding with these dedup values: what the finding store claims and remembers.
    public static func dedupKey(ruleID: String, values: [String]) -> String {
        ruleID + ":" + Hashing.digest(values)
    }

    /// The event's id and the finding's dedup values: what decides which alert a match belongs to.
    public static func identity(rule: borrowing Rule, view: JSONView, root: Int) -> (eventID: String, dedupValues: [String]) {
        func text(_ path: JSONPath) -> String? { view.first(path, from: root).flatMap(view.scalarText) }
        var eventID = text(paths.eventID) ?? ""
        if eventID.isEmpty {
            // No eventID (hand-made or truncated events): identify the event by its content.
            eventID = "content:" + Hashing.digest([JSONValue(view, root).serialized()])
        }
        let dedupValues = rule.dedupFields.isEmpty ? [eventID] : rule.dedupFields.map { text($0) ?? "" }
        return (eventID, dedupValues)
    }

    static let maxRequestLines = 16
    static let maxValueLength = 200

    /// Flattens an object into `a.b.c: value` lines: what an alert body shows of the request.
    static func flatten(_ view: JSONView, _ node: Int, prefix: String, into out: inout [(key: String, value: String)]) {
        guard out.count < maxRequestLines else { return }
        switch view.kind(node) {
        case .object:
            view.forEachMember(of: node) { k, v in
                flatten(view, v, prefix: prefix + "." + (view.string(k) ?? ""), into: &out)
                return out.count < maxRequestLines
            }
        case .array:
            var index = 0
            view.forEachElement(of: node) { e in
                flatten(view, e, prefix: prefix + "[\(index)]", into: &out)
                index += 1
                return out.count < maxRequestLines
            }
        default:
            let value = view.scalarText(node) ?? ""
            out.append((prefix, value.count > maxValueLength ? String(value.prefix(maxValueLength)) + "…" : value))
        }
    }
}

/// `{dotted.path}` placeholders in rule titles. A placeholder may list alternatives, the first present one wins:
/// `{requestParameters.userName|requestParameters.roleName}`; a quoted last alternative is the wording when none is
/// present: `{requestParameters.userName|'a user'}`. `@principal` names who acted in words (`the root account`, an
/// IAM user's name, `role/session`, the calling service). A placeholder with nothing to show is left out and the
/// spacing around it closed up: a title never says `unknown`. `{{` and `}}` are literal braces.
public enum TitleTemplate {
    static let maxValueLength = 120

    public static func render(_ template: String, view: JSONView, root: Int = 0) -> String {
        var out = ""
        var dropped = false
        forEachPiece(template) { piece in
            switch piece {
            case .text(let t): out += t
            case .placeholder(let alternatives):
                if var value = fill(alternatives, view: view, root: root) {
                    if value.count > maxValueLength { value = String(value.prefix(maxValueLength)) + "…" }
                    out += value
                } else {
                    dropped = true
                }
            }
        }
        return dropped ? tidy(out) : out
    }

    /// The placeholders of `template` that neither the event nor a default fills (for tests and linting).
    public static func unfilled(_ template: String, view: JSONView, root: Int = 0) -> [String] {
        var result: [String] = []
        forEachPiece(template) { piece in
            if case .placeholder(let alternatives) = piece, fill(alternatives, view: view, root: root) == nil {
                result.append(alternatives.joined(separator: "|"))
            }
        }
        return result
    }

    /// The placeholder paths a template uses (for linting): each alternative, quoted defaults left out.
    public static func placeholders(_ template: String) -> [String] {
        var result: [String] = []
        forEachPiece(template) { piece in
            if case .placeholder(let alternatives) = piece {
                if alternatives.isEmpty { result.append("") }
                result += alternatives.filter { !isLiteral($0) }
            }
        }
        return result
    }

    enum Piece { case text(String), placeholder([String]) }

    static func forEachPiece(_ template: String, _ body: (Piece) -> Void) {
        var text = ""
        var i = template.startIndex
        while i < template.endIndex {
            let c = template[i]
            let next = template.index(after: i)
            if c == "{", next < template.endIndex, template[next] == "{" {
                text.append("{")
                i = template.index(after: next)
            } else if c == "}", next < template.endIndex, template[next] == "}" {
                text.append("}")
                i = template.index(after: next)
            } else if c == "{", let close = template[next...].firstIndex(of: "}") {
                if !text.isEmpty { body(.text(text)); text = "" }
                let inner = template[next..<close]
                let alternatives = inner.isEmpty ? [] : inner.split(separator: "|", omittingEmptySubsequences: false)
                    .map { String($0).trimmingSpaces }
                body(.placeholder(alternatives))
                i = template.index(after: close)
            } else {
                text.append(c)
                i = next
            }
        }
        if !text.isEmpty { body(.text(text)) }
    }

    static func isLiteral(_ alternative: String) -> Bool {
        alternative.count >= 2 && alternative.hasPrefix("'") && alternative.hasSuffix("'")
    }

    static func fill(_ alternatives: [String], view: JSONView, root: Int) -> String? {
        for alternative in alternatives {
            if isLiteral(alternative) { return String(alternative.dropFirst().dropLast()) }
            let value = alternative == "@principal"
                ? Principal.describe(view: view, root: root)
                : view.first(JSONPath(alternative), from: root).flatMap { text(view, $0) }
            if let value, !value.isEmpty { return value }
        }
        return nil
    }

    /// A scalar's text, or a list of scalars joined with commas (`valuesToAdd: ["111…", "222…"]`).
    static func text(_ view: JSONView, _ node: Int) -> String? {
        guard view.kind(node) == .array else { return view.scalarText(node) }
        var items: [String] = []
        view.forEachElement(of: node) { e in
            if let t = view.scalarText(e), !t.isEmpty { items.append(t) }
            return items.count < 10
        }
        return items.joined(separator: ", ")
    }

    /// Closes up what a left-out placeholder leaves behind: doubled spaces, empty brackets, a space before
    /// punctuation.
    static func tidy(_ text: String) -> String {
        var s = text.replacingOccurrences(of: "()", with: "").replacingOccurrences(of: "''", with: "")
        while s.contains("  ") { s = s.replacingOccurrences(of: "  ", with: " ") }
        for p in [" )", " ,", " :", " ."] { s = s.replacingOccurrences(of: p, with: String(p.dropFirst())) }
        return s.trimmingSpaces
    }
}

/// Who acted, in words a responder reads at a glance.
public enum Principal {
    static let type = JSONPath("userIdentity.type"), arn = JSONPath("userIdentity.arn"),
        userName = JSONPath("userIdentity.userName"), invokedBy = JSONPath("userIdentity.invokedBy"),
        principalID = JSONPath("userIdentity.principalId"), account = JSONPath("userIdentity.accountId")

    public static func describe(view: JSONView, root: Int) -> String? {
        func text(_ path: JSONPath) -> String? {
            view.first(path, from: root).flatMap(view.scalarText).flatMap { $0.isEmpty ? nil : $0 }
        }
        switch text(type) {
        case "Root":
            return text(account).map { "the root account of \($0)" } ?? "the root account"
        case "IAMUser":
            return text(userName) ?? text(arn)
        case "AssumedRole":
            // arn:aws:sts::123456789012:assumed-role/Role/session → Role/session
            if let a = text(arn), let r = Substring(a).range(of: ":assumed-role/") { return String(a[r.upperBound...]) }
            return text(arn) ?? text(principalID)
        case "AWSService":
            return text(invokedBy)
        default:
            return text(arn) ?? text(userName) ?? text(invokedBy) ?? text(principalID)
        }
    }
}

extension String {
    func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var out = ""
        var rest = Substring(self)
        while let r = rest.range(of: target) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}

/// Hashing for ids and for grouping.
public enum Hashing {
    /// The 32-byte SHA-256 of `bytes` (the core's own implementation: see `SHA256`).
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { SHA256.hash(bytes) }

    /// The id of a list of values: the first 128 bits of SHA-256 over each value's UTF-8 length (8 bytes,
    /// big-endian) and bytes, in hex. Stable across versions and runs (dedup keys and alert ids are stored and
    /// sent), and collision-resistant: dedup keys are made of event text an attacker chooses (role session names,
    /// user agents, bucket names), and a key made to equal one already alerted would be taken for a repeat.
    /// Length prefixes keep `["a\u{1F}b", "c"]` apart from `["a", "b\u{1F}c"]`.
    public static func digest(_ values: [String]) -> String {
        var message: [UInt8] = []
        message.reserveCapacity(values.reduce(0) { $0 + 8 + $1.utf8.count })
        for value in values {
            let n = UInt64(value.utf8.count)
            for shift in stride(from: 56, through: 0, by: -8) { message.append(UInt8(truncatingIfNeeded: n >> UInt64(shift))) }
            message += value.utf8
        }
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for byte in SHA256.hash(message).prefix(16) {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// 64 bits of SHA-256: for values an attacker chooses that must stay apart in memory, and whose hashes must
    /// also order the same way in every run (the values a `distinct` threshold counts are its hits' ids). Two
    /// chosen values share one only after a birthday search of about 2^32 SHA-256 computations; with `words`,
    /// two 16-character user names that collide are found in a millisecond.
    public static func strong(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        SHA256.hash(Array(bytes)).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// A fast 64-bit hash, eight bytes per step (FNV-1a takes one byte per multiply), for telling events apart in
    /// memory during one run by ids the attacker does not choose (CloudTrail's event ids). Not stable across
    /// versions, and not collision-resistant: values an attacker chooses use `strong` or a seeded `Hasher`, and
    /// anything stored or sent uses `digest`.
    public static func words(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        let n = bytes.count
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ (UInt64(n) &* 0xFF51_AFD7_ED55_8CCD)
        guard n > 0 else { return h }
        let base = UnsafeRawPointer(bytes.baseAddress!)
        var i = 0
        // Each step is a bijection of the state, so inputs of one length that differ anywhere stay apart unless
        // a later word happens to undo the difference.
        while i + 8 <= n {
            h = (h ^ base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
            i += 8
        }
        if i < n {
            var tail: UInt64 = 0
            for k in i..<n { tail |= UInt64(bytes[k]) << UInt64(8 * (k - i)) }
            h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 29
        }
        // MurmurHash3's finalizer: every input bit reaches every output bit.
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h = h &* 0xC4CE_B9FE_1A85_EC53
        return h ^ (h >> 33)
    }

    public static func words(_ text: String) -> UInt64 {
        var t = text
        return t.withUTF8 { words($0) }
    }

}

/// CloudTrail timestamps (`2025-03-01T12:34:56Z`, with optional fraction; also `2025-03-01 12:34:56`) to epoch
/// seconds, without Foundation's date formatters.
public enum EventTime {
    public static func epochSeconds(_ text: String) -> Int? {
        var t = text
        return t.withUTF8 { epochSeconds($0) }
    }

    public static func epochSeconds(_ b: UnsafeBufferPointer<UInt8>) -> Int? {
        guard b.count >= 19 else { return nil }
        func num(_ from: Int, _ len: Int) -> Int? {
            var v = 0
            for k in from..<(from + len) {
                let d = Int(b[k]) - 48
                guard (0...9).contains(d) else { return nil }
                v = v * 10 + d
            }
            return v
        }
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"), b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: " "),
            b[13] == UInt8(ascii: ":"), b[16] == UInt8(ascii: ":"),
            let y = num(0, 4), let mo = num(5, 2), let d = num(8, 2), let h = num(11, 2), let mi = num(14, 2),
            let s = num(17, 2), (1...12).contains(mo), (1...31).contains(d), h < 24, mi < 60, s < 61
        else { return nil }
        return daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s
    }

    /// Days since 1970-01-01 (Howard Hinnant's algorithm).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// Epoch seconds → `2025-03-01T12:34:56Z`.
    public static func iso8601(_ epoch: Int) -> String {
        let days = epoch >= 0 ? epoch / 86400 : (epoch - 86399) / 86400
        let secs = epoch - days * 86400
        let z = days + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp + (mp < 10 ? 3 : -9)
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(y)-\(two(m))-\(two(d))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))Z"
    }
}
