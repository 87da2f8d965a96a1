import TriplineJSON

/// Reads IAM-style resource policies (S3 bucket policies, trust policies, SNS/SQS/KMS/Lambda/ECR policies) the way
/// AWS evaluates them, to answer the two questions alerting needs: is this open to anyone, and does it grant to
/// another account.
public enum PolicyAnalysis {
    /// Condition keys that pin a wildcard principal to something the owner controls. A statement with one of
    /// these (and a value that is not itself a wildcard) is not public.
    static let restrictingConditionKeys: Set<String> = [
        "aws:sourcearn", "aws:sourceaccount", "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths",
        "aws:principalorgid", "aws:principalorgpaths", "aws:principalaccount", "aws:principalarn",
        "aws:sourcevpc", "aws:sourcevpce", "aws:sourceip", "aws:userid", "aws:username", "aws:resourceaccount",
        "aws:resourceorgid", "aws:vpcsourceip", "kms:calleraccount", "kms:viaservice", "lambda:functionurlauthtype",
        "aws:principalservicename", "s3:dataaccesspointaccount", "s3:dataaccesspointarn",
    ]

    /// Parses a policy given as a JSON object or as a JSON string (possibly percent-encoded, as IAM logs it).
    public static func document(_ value: JSONValue) -> JSONValue? {
        switch value {
        case .object: return value
        case .string(var text):
            text = text.trimmingCharacters(in: " ")
            if text.hasPrefix("%7B") || text.hasPrefix("%7b") { text = percentDecode(text) }
            guard let parsed = try? JSONValue.parse(text), case .object = parsed else { return nil }
            return parsed
        default: return nil
        }
    }

    static func statements(_ policy: JSONValue) -> [JSONValue] {
        switch policy["Statement"] ?? policy["statement"] {
        case .array(let items)?: return items
        case let single?: return [single]
        case nil: return []
        }
    }

    /// True when some `Allow` statement grants to everyone (`*`, `{"AWS": "*"}`, or `NotPrincipal`) without a
    /// condition that restricts it to known callers.
    public static func isPublic(_ value: JSONValue) -> Bool {
        guard let policy = document(value) else { return false }
        return statements(policy).contains { st in
            guard effectIsAllow(st) else { return false }
            let wildcard = st["NotPrincipal"] != nil || principals(st).contains { $0.kind == .aws && $0.value == "*" }
                || principals(st).contains { $0.kind == .any }
            return wildcard && !hasRestrictingCondition(st)
        }
    }

    /// True when some `Allow` statement grants to an AWS account other than `ownAccount` (or to everyone).
    public static func grantsExternal(_ value: JSONValue, ownAccount: String?) -> Bool {
        guard let policy = document(value) else { return false }
        return statements(policy).contains { st in
            guard effectIsAllow(st) else { return false }
            return principals(st).contains { p in
                switch p.kind {
                case .any: return !hasRestrictingCondition(st)
                case .aws:
                    if p.value == "*" { return !hasRestrictingCondition(st) }
                    guard let account = accountOf(p.value) else { return false }
                    return account != ownAccount
                case .other: return false
                }
            }
        }
    }

    /// The account id in a principal: a bare 12-digit id or an ARN's account field.
    public static func accountOf(_ principal: String) -> String? {
        if principal.count == 12 && principal.allSatisfy(\.isASCIIDigit) { return principal }
        let parts = principal.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count >= 5, parts[0] == "arn", parts[4].count == 12 { return String(parts[4]) }
        return nil
    }

    struct Principal {
        enum Kind { case any, aws, other }
        var kind: Kind
        var value: String
    }

    static func principals(_ st: JSONValue) -> [Principal] {
        guard let p = st["Principal"] ?? st["principal"] else { return [] }
        switch p {
        case .string(let s): return [Principal(kind: s == "*" ? .any : .aws, value: s)]
        case .object(let members):
            var out: [Principal] = []
            for (key, v) in members {
                let kind: Principal.Kind = key.lowercased() == "aws" ? .aws : .other
                let values = v.arrayValue ?? [v]
                for item in values { if let s = item.stringValue { out.append(Principal(kind: kind, value: s)) } }
            }
            return out
        default: return []
        }
    }

    static func effectIsAllow(_ st: JSONValue) -> Bool {
        (st["Effect"] ?? st["effect"])?.stringValue?.lowercased() == "allow"
    }

    static func hasRestrictingCondition(_ st: JSONValue) -> Bool {
        guard case .object(let operators)? = st["Condition"] ?? st["condition"] else { return false }
        for (_, block) in operators {
            guard case .object(let keys) = block else { continue }
            for (key, values) in keys where restrictingConditionKeys.contains(key.lowercased()) {
                let texts = (values.arrayValue ?? [values]).map(\.text)
                if !texts.isEmpty && !texts.allSatisfy({ $0 == "*" }) { return true }
            }
        }
        return false
    }

    static func percentDecode(_ s: String) -> String {
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == UInt8(ascii: "%"), i + 2 < b.count, let h = JSONHex.value(b[i + 1]), let l = JSONHex.value(b[i + 2]) {
                out.append(UInt8(h << 4 | l))
                i += 3
            } else if b[i] == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
                i += 1
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

enum JSONHex {
    static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - 0x30
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - 0x57
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - 0x37
        default: return nil
        }
    }
}
