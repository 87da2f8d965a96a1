import Foundation

/// Least-privilege lint for IAM policy documents found anywhere in `terraform show -json` output.
///
/// For every `Allow` statement it reports:
/// - a wildcard action: `*`, `service:*`, or any `NotAction` (an allow-everything-except);
/// - a `*` resource (or `NotResource`), except
///   - statements whose only action is `cloudtrail:LookupEvents` (AWS offers no resource-level permission for it),
///   - KMS key policies: statements with a `Principal` and only `kms:` actions, where `*` means "this key".
/// `Deny` statements may use wildcards (e.g. the TLS-only guards).
struct PolicyLint {
    struct Finding: Hashable, CustomStringConvertible {
        var location: String
        var problem: String
        var description: String { "\(location): \(problem)" }
    }

    private(set) var findings: Set<Finding> = []
    /// Every policy document seen (location -> number of statements), to prove the lint looked at something.
    private(set) var policies: [String: Int] = [:]

    /// Walks any JSON value; strings that hold a policy document are parsed and checked.
    mutating func scan(_ value: Any, path: String = "$") {
        switch value {
        case let object as [String: Any]:
            if object["Statement"] != nil, object["Version"] != nil || object["Id"] != nil || object.count <= 3 {
                check(policy: object, location: path)
            }
            // In show -json, each resource object has an address: use it as the location of what is inside.
            let here = (object["address"] as? String) ?? path
            for (key, child) in object { scan(child, path: "\(here).\(key)") }
        case let array as [Any]:
            for (index, child) in array.enumerated() { scan(child, path: "\(path)[\(index)]") }
        case let string as String:
            let trimmed = string.trimmingCharacters(in: .whitespacesAndNewlines)
            guard trimmed.hasPrefix("{"), trimmed.contains("Statement"),
                let parsed = try? JSONSerialization.jsonObject(with: Data(trimmed.utf8)) as? [String: Any]
            else { return }
            check(policy: parsed, location: path)
        default:
            return
        }
    }

    mutating func check(policy: [String: Any], location: String) {
        let statements: [[String: Any]]
        if let list = policy["Statement"] as? [[String: Any]] {
            statements = list
        } else if let single = policy["Statement"] as? [String: Any] {
            statements = [single]
        } else {
            return
        }
        policies[location] = statements.count
        for (index, statement) in statements.enumerated() {
            let sid = (statement["Sid"] as? String).map { " (\($0))" } ?? ""
            let at = "\(location) statement \(index)\(sid)"
            guard (statement["Effect"] as? String) == "Allow" else { continue }
            let actions = strings(statement["Action"])
            if statement["NotAction"] != nil {
                findings.insert(Finding(location: at, problem: "Allow with NotAction"))
            }
            for action in actions where action == "*" || action.hasSuffix(":*") {
                findings.insert(Finding(location: at, problem: "wildcard action \(action)"))
            }
            if statement["NotResource"] != nil {
                findings.insert(Finding(location: at, problem: "Allow with NotResource"))
            }
            let resources = strings(statement["Resource"])
            if resources.contains("*") {
                let onlyLookupEvents = !actions.isEmpty && actions.allSatisfy { $0 == "cloudtrail:LookupEvents" }
                let keyPolicy = statement["Principal"] != nil && !actions.isEmpty && actions.allSatisfy { $0.hasPrefix("kms:") }
                if !onlyLookupEvents && !keyPolicy {
                    findings.insert(Finding(location: at, problem: "unscoped resource * for \(actions.joined(separator: ","))"))
                }
            }
        }
    }

    private func strings(_ value: Any?) -> [String] {
        if let s = value as? String { return [s] }
        if let list = value as? [Any] { return list.compactMap { $0 as? String } }
        return []
    }
}
