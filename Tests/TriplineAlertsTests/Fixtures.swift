import TriplineAlerts
import TriplineCore
import TriplineJSON
import TriplineRules

let catalog = RuleCatalog.builtIn

/// An alert with `text` in every field an event controls (two matches, three request parameters). With
/// `wellFormed`, account, region, time and event id stay valid so the console link exists.
func hostileAlert(_ text: String, wellFormed: Bool = true) -> AlertContent {
    AlertContent(
        id: "tripline-00112233aabbccdd",
        matches: [
            .init(ruleID: "tripline.test.medium", title: "Medium " + text, severity: .medium, description: "Medium rule.",
                  action: "Look.", tags: ["attack.discovery"], count: 1, dedupKey: "tripline.test.medium:01"),
            .init(ruleID: "tripline.test.high", title: "High " + text, severity: .high, description: "High rule.",
                  action: "Revoke the caller's keys.", tags: ["attack.defense-evasion"], count: 3, dedupKey: "tripline.test.high:02"),
        ],
        actor: text, actorType: text, accountID: wellFormed ? "123456789012" : text, accountName: "prod",
        region: wellFormed ? "us-east-1" : text, eventTime: wellFormed ? "2026-03-01T12:00:00Z" : text,
        eventName: text, eventSource: text, eventID: wellFormed ? "6f1c2b3a-0d4e-4f5a-9b8c-7d6e5f4a3b2c" : text,
        sourceIP: text, userAgent: text, errorCode: text,
        request: [.init(key: "requestParameters.name", value: text), .init(key: text, value: text),
                  .init(key: "requestParameters.policy", value: text)])
}

/// The same shape with harmless values.
func benignAlert(wellFormed: Bool = true) -> AlertContent { hostileAlert("plain", wellFormed: wellFormed) }

/// A finding from a built-in rule on its own positive test event, with `edits` applied to the event.
func finding(_ ruleID: String, edits: [(String, JSONValue)] = []) -> Finding {
    let rule = catalog.rules.first { $0.id == ruleID }!
    var event = rule.tests.first { $0.expect }!.event
    for (path, value) in edits { event = setting(event, path, value) }
    return JSONDocument(event).withView { Finding(rule: rule, view: $0, input: InputRef(path: "test", record: 0)) }
}

/// Replaces (or adds) the member at a dotted path.
func setting(_ value: JSONValue, _ path: String, _ new: JSONValue) -> JSONValue {
    let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
    guard case .object(var members) = value else { return value }
    let child = members.first { $0.0 == parts[0] }?.1 ?? .object([])
    let replaced = parts.count == 1 ? new : setting(child, parts[1], new)
    if let i = members.firstIndex(where: { $0.0 == parts[0] }) { members[i].1 = replaced } else { members.append((parts[0], replaced)) }
    return .object(members)
}

/// Every string in a JSON value with its path (`blocks[2].text.text`).
func strings(_ v: JSONValue, _ path: String = "") -> [(path: String, value: String)] {
    switch v {
    case .string(let s): return [(path, s)]
    case .array(let a): return a.enumerated().flatMap { strings($1, "\(path)[\($0)]") }
    case .object(let o): return o.flatMap { strings($1, path.isEmpty ? $0 : "\(path).\($0)") }
    default: return []
    }
}

/// The markup characters of `text` that are live: not preceded by the zero-width space the escaper inserts.
func liveMarkup(_ text: String, _ markup: Set<Unicode.Scalar>) -> [Unicode.Scalar] {
    var out: [Unicode.Scalar] = []
    var previous: Unicode.Scalar? = nil
    for s in text.unicodeScalars {
        if markup.contains(s), previous != "\u{200B}" { out.append(s) }
        previous = s
    }
    return out
}

/// No control characters, C1 controls, bidi overrides or line separators: one line of visible text.
func isOneVisibleLine(_ s: String) -> Bool {
    s.unicodeScalars.allSatisfy { s in
        let v = s.value
        return !(v < 0x20 || v == 0x7F || (0x80...0x9F).contains(v) || (0x202A...0x202E).contains(v)
            || (0x2066...0x2069).contains(v) || v == 0x2028 || v == 0x2029 || v == 0xFEFF)
    }
}
