import TriplineJSON

/// Generates the EventBridge event pattern that delivers to the Lambda exactly the CloudTrail events some
/// enabled rule could fire on, within EventBridge's 4096-character limit.
public enum EventPattern {
    public static let maxLength = 4096
    public static let cloudTrailDetailTypes = [
        "AWS API Call via CloudTrail", "AWS Console Signin via CloudTrail", "AWS Console Action via CloudTrail",
        "AWS Service Event via CloudTrail",
    ]

    public static func generate(_ rules: [Rule]) -> JSONValue {
        let active = rules.filter(\.enabled)
        let detailTypes = JSONValue.array(cloudTrailDetailTypes.map(JSONValue.string))
        let everything = JSONValue.object([("detail-type", detailTypes)])

        // Per rule: the narrowest field constraint available.
        var names: [JSONValue] = []
        var sources: [JSONValue] = []
        var branches: [JSONValue] = []  // other fields, for rules that look at every API
        var sourcesOfNamed: [JSONValue] = []
        var namesWithoutSource: [JSONValue] = []  // named rules whose source is not pinned keep their names
        for rule in active {
            let d = rule.detection
            if let p = d.requiredPatterns(of: "eventName") {
                names += p.map(\.eventBridgeOperand)
                if let s = d.requiredPatterns(of: "eventSource") {
                    sourcesOfNamed += s.map(\.eventBridgeOperand)
                } else {
                    namesWithoutSource += p.map(\.eventBridgeOperand)
                }
            } else if let p = d.requiredPatterns(of: "eventSource") {
                sources += p.map(\.eventBridgeOperand)
            } else if let branch = otherBranch(d) {
                branches.append(branch)
            } else {
                return everything  // some rule needs every event
            }
        }
        func pattern(_ nameLevel: Bool) -> JSONValue {
            var or: [JSONValue] = []
            if nameLevel {
                if !names.isEmpty { or.append(.object([("detail", .object([("eventName", .array(unique(names)))]))])) }
                if !sources.isEmpty { or.append(.object([("detail", .object([("eventSource", .array(unique(sources)))]))])) }
            } else {
                let all = unique(sources + sourcesOfNamed)
                if !all.isEmpty { or.append(.object([("detail", .object([("eventSource", .array(all))]))])) }
                if !namesWithoutSource.isEmpty {
                    or.append(.object([("detail", .object([("eventName", .array(unique(namesWithoutSource)))]))]))
                }
            }
            or += unique(branches)
            if or.count == 1, case .object(let members) = or[0] {
                return .object([("detail-type", detailTypes)] + members)
            }
            return .object([("detail-type", detailTypes), ("$or", .array(or))])
        }
        let byName = pattern(true)
        if byName.serialized().utf8.count <= maxLength { return byName }
        let bySource = pattern(false)
        if bySource.serialized().utf8.count <= maxLength { return bySource }
        return everything
    }

    /// Fields other than eventName/eventSource that a rule may be routed on. Only fields AWS writes in one
    /// canonical case: EventBridge compares case-sensitively while Sigma does not, so routing on free text
    /// (user agents, names) could silently drop an event the rule would have caught.
    static let otherFields = ["userIdentity.type", "errorCode"]

    static func otherBranch(_ d: Detection) -> JSONValue? {
        for field in otherFields {
            if let p = d.requiredPatterns(of: field) {
                var value: JSONValue = .array(p.map(\.eventBridgeOperand))
                for part in field.split(separator: ".").reversed() { value = .object([(String(part), value)]) }
                return .object([("detail", value)])
            }
        }
        return nil
    }

    static func unique(_ values: [JSONValue]) -> [JSONValue] {
        var seen = Set<JSONValue>()
        return values.filter { seen.insert($0).inserted }
    }
}
