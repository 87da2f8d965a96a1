/// What a person is told about: every rule that matched one event, folded into one alert.
///
/// Rules overlap (StopLogging is both "logging stopped" and "trail configuration changed"; a root console login
/// without MFA matches three rules); alerts must not. Each finding keeps its own identity and stored record (audit,
/// dedup); the alert groups them by event. A threshold alert (a burst of events) stands alone.
public struct Alert: Sendable {
    /// Stable across retries and re-scans of the same input: derived from the event id, or from a threshold
    /// alert's rule and key. Safe to show anywhere (hex of a hash, never event text).
    public var id: String
    /// Most severe first (then by rule id).
    public var findings: [Finding]

    public var severity: Severity { findings[0].severity }
    /// The finding whose rule names the alert.
    public var top: Finding { findings[0] }

    /// The alert id of a finding: by event, or for a threshold alert (`standalone`) by rule and key.
    public static func id(of f: Finding, standalone: Bool) -> String {
        if standalone || f.eventID.isEmpty {
            return "thr-" + Hashing.digest([f.ruleID, f.dedupKey])
        }
        return "evt-" + Hashing.digest([f.eventID])
    }

    /// Groups findings into alerts, keeping the order of each alert's first finding (so alert order follows the
    /// findings' order: most severe first for ``Aggregator`` output). `standsAlone` says which findings do not fold with others of their event.
    public static func group(_ findings: [Finding], standsAlone: (Finding) -> Bool) -> [Alert] {
        var index: [String: Int] = [:]
        var alerts: [Alert] = []
        for f in findings {
            let id = id(of: f, standalone: standsAlone(f))
            if let i = index[id] {
                alerts[i].findings.append(f)
            } else {
                index[id] = alerts.count
                alerts.append(Alert(id: id, findings: [f]))
            }
        }
        for i in alerts.indices where alerts[i].findings.count > 1 {
            alerts[i].findings.sort { ($0.severity, $1.ruleID) > ($1.severity, $0.ruleID) }
        }
        // Most severe first; otherwise first seen first.
        return alerts.enumerated().sorted { a, b in
            a.element.severity != b.element.severity ? a.element.severity > b.element.severity : a.offset < b.offset
        }.map(\.element)
    }
}

extension TitleTemplate {
    /// The template's own words with every placeholder (event text) shown as `...`: what may go where event text
    /// must not (an SNS subject).
    public static func ownWords(_ template: String) -> String {
        var out = ""
        var i = template.startIndex
        while i < template.endIndex {
            let c = template[i]
            let next = template.index(after: i)
            if (c == "{" || c == "}"), next < template.endIndex, template[next] == c {
                out.append(c)
                i = template.index(after: next)
            } else if c == "{", let close = template[next...].firstIndex(of: "}") {
                out += "..."
                i = template.index(after: close)
            } else {
                out.append(c)
                i = next
            }
        }
        return out
    }
}
