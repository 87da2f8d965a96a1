import TriplineCore

/// The shapes CloudTrail gives its record fields, for `tripline rules lint`: a test that cannot match them (a field
/// name in the wrong case, a path into a string, a whole-value test on an object) loads cleanly and never fires,
/// so the loader warns about it with the line of the selection key.
///
/// Only fields whose shape CloudTrail fixes are known; anything below an open object (`requestParameters.*`,
/// `responseElements.*`, `additionalEventData.*`) varies by API and is never warned about.
public enum CloudTrailShapes {
    indirect enum Shape {
        case string, bool
        /// An object whose members vary by API (nothing below is checked).
        case openObject
        /// An object with known members (others may appear and are not warned about, unless only the case differs).
        case object([String: Shape])
        /// An array of objects with known members.
        case arrayOfObjects([String: Shape])
    }

    static let sessionIssuer: [String: Shape] = [
        "type": .string, "principalId": .string, "arn": .string, "accountId": .string, "userName": .string,
    ]
    static let userIdentity: [String: Shape] = [
        "type": .string, "principalId": .string, "arn": .string, "accountId": .string, "accessKeyId": .string,
        "userName": .string, "invokedBy": .string, "sourceIdentity": .string, "identityProvider": .string,
        "credentialId": .string, "onBehalfOf": .openObject, "inScopeOf": .openObject,
        "webIdFederationData": .openObject,
        "sessionContext": .object([
            "attributes": .object(["creationDate": .string, "mfaAuthenticated": .string]),
            "sessionIssuer": .object(sessionIssuer),
            "webIdFederationData": .openObject, "sourceIdentity": .string, "ec2RoleDelivery": .string,
            "assumedRoot": .string,
        ]),
    ]
    static let record: [String: Shape] = [
        "eventVersion": .string, "eventTime": .string, "eventSource": .string, "eventName": .string,
        "awsRegion": .string, "sourceIPAddress": .string, "userAgent": .string, "errorCode": .string,
        "errorMessage": .string, "requestID": .string, "eventID": .string, "eventType": .string,
        "apiVersion": .string, "recipientAccountId": .string, "sharedEventID": .string, "vpcEndpointId": .string,
        "vpcEndpointAccountId": .string, "eventCategory": .string, "sessionCredentialFromConsole": .string,
        "readOnly": .bool, "managementEvent": .bool,
        "userIdentity": .object(userIdentity),
        "requestParameters": .openObject, "responseElements": .openObject, "additionalEventData": .openObject,
        "serviceEventDetails": .openObject, "insightDetails": .openObject, "edgeDeviceDetails": .openObject,
        "tlsDetails": .object(["tlsVersion": .string, "cipherSuite": .string, "clientProvidedHostHeader": .string]),
        "resources": .arrayOfObjects(["ARN": .string, "accountId": .string, "type": .string]),
    ]

    /// Why `spec` cannot match a CloudTrail record, or nil when it can (or the field's shape is not fixed).
    public static func problem(_ spec: FieldSpec) -> String? {
        let components = spec.field.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        var members = record
        var shape: Shape?
        var walked: [String] = []
        for (k, name) in components.enumerated() {
            let here = (walked + [name]).joined(separator: ".")
            guard let found = members[name] else {
                if let other = members.keys.first(where: { $0.lowercased() == name.lowercased() }) {
                    let fixed = (walked + [other]).joined(separator: ".")
                    return "CloudTrail writes '\(fixed)', not '\(here)': field names are case-sensitive, so this test never matches"
                }
                return nil  // not a field CloudTrail fixes
            }
            walked.append(name)
            shape = found
            let last = k == components.count - 1
            switch found {
            case .string, .bool:
                if !last {
                    let kind = if case .bool = found { "a boolean" } else { "a string" }
                    return "'\(here)' is \(kind) in CloudTrail: '\(spec.field)' reaches nothing and never matches"
                }
            case .openObject:
                if !last { return nil }
            case .object(let m), .arrayOfObjects(let m):
                members = m
            }
        }
        guard let shape else { return nil }
        switch shape {
        case .openObject, .object, .arrayOfObjects:
            return objectProblem(spec, isArray: { if case .arrayOfObjects = shape { true } else { false } }())
        case .string, .bool:
            return nil
        }
    }

    /// A test of a whole object (or array of objects) against values: string tests read its compact JSON text
    /// (`{"key":"value"}`), so only `|contains`, `|re`, wildcards and values written as JSON can match it.
    static func objectProblem(_ spec: FieldSpec, isArray: Bool) -> String? {
        let mods = Set(spec.modifiers)
        let what = isArray ? "an array of objects" : "a JSON object"
        let hint = "test a member ('\(spec.field).name') or use |contains"
        if !mods.isDisjoint(with: [.exists, .re, .contains, .publicpolicy, .externalprincipal, .fieldref, .actor, .neq]) {
            return nil
        }
        if let m = spec.modifiers.first(where: { $0 == .cidr || $0 == .awsIP || SigmaModifier.comparisons.contains($0) }) {
            return "'\(spec.field)' is \(what) in CloudTrail: '|\(m.rawValue)' never matches it; \(hint)"
        }
        let startsWith = mods.contains(.startswith)
        let endsWith = mods.contains(.endswith)
        for value in spec.values {
            switch value {
            case .null:
                continue  // absent or null: meaningful
            case .bool, .number:
                return "'\(spec.field)' is \(what) in CloudTrail: '\(value.text)' never matches it; \(hint)"
            case .string(let s):
                guard let first = s.first, let last = s.last else {
                    return "'\(spec.field)' is \(what) in CloudTrail: an empty value never matches it; \(hint)"
                }
                let wild: Set<Character> = ["*", "?"]
                let startOK = endsWith || wild.contains(first) || first == "{"
                let endOK = startsWith || wild.contains(last) || last == "}"
                if !(startOK && endOK) {
                    return "'\(spec.field)' is \(what) in CloudTrail, matched as its compact JSON text: '\(s)' never matches it; \(hint)"
                }
            }
        }
        return nil
    }
}
