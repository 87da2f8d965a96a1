import TriplineAlerts
import TriplineCore
import TriplineIO
import TriplineJSON

/// What tuning took out of a scan's report, counted by the entry that took it: suppression is never silent.
struct SuppressionSummary {
    let suppressors: [Suppressor]
    /// Suppressed findings (as they would have been reported), with their suppressor's index.
    let found: [(finding: Finding, suppressor: Int)]
    let stats: ScanStats
    /// Rules the configuration disabled.
    let disabled: Int

    /// Per suppressor that took anything: findings and matching events, in the configuration's order.
    var bySuppressor: [(index: Int, findings: Int, events: Int)] {
        var findings: [Int: Int] = [:]
        for f in found { findings[f.suppressor, default: 0] += 1 }
        return suppressors.indices.compactMap { i in
            let events = stats.suppressed[i] ?? 0
            return events > 0 ? (i, findings[i] ?? 0, events) : nil
        }
    }

    /// Text lines for the summary, or nil when there was no tuning at all.
    var summaryText: String? {
        guard !suppressors.isEmpty || disabled > 0 else { return nil }
        var lines: [String] = []
        let rows = bySuppressor
        let events = rows.reduce(0) { $0 + $1.events }
        lines.append("\(found.count) finding(s) suppressed (\(events) matching event(s)) by \(suppressors.count) tuning entr"
            + (suppressors.count == 1 ? "y" : "ies") + (rows.isEmpty ? "." : ":"))
        for row in rows {
            let s = suppressors[row.index]
            lines.append("  \(row.findings) finding(s), \(row.events) event(s): \(s.label): \(TextEscaper.escape(s.reason))")
        }
        if disabled > 0 { lines.append("\(disabled) rule(s) disabled by the configuration.") }
        if !found.isEmpty { lines.append("List them with --show-suppressed.") }
        return lines.joined(separator: "\n")
    }

    var summaryJSON: JSONValue {
        let rows = bySuppressor
        return .object([
            ("findings", .number(found.count)),
            ("events", .number(rows.reduce(0) { $0 + $1.events })),
            ("disabled_rules", .number(disabled)),
            ("by_entry", .array(rows.map { row in
                .object([
                    ("entry", .string(suppressors[row.index].label)), ("reason", .string(suppressors[row.index].reason)),
                    ("findings", .number(row.findings)), ("events", .number(row.events)),
                ])
            })),
        ])
    }

    /// One suppressed finding as the findings' JSON contract plus what suppressed it.
    func json(_ s: (finding: Finding, suppressor: Int)) -> JSONValue {
        let value = FindingJSON.value(s.finding)
        let by = suppressors[s.suppressor]
        return .object((value.objectValue ?? []) + [
            ("suppressed_by", .object([("entry", .string(by.label)), ("reason", .string(by.reason))])),
        ])
    }

    func textLine(_ s: (finding: Finding, suppressor: Int)) -> String {
        let by = suppressors[s.suppressor]
        return "  suppressed by \(by.label): \(TextEscaper.escape(by.reason))"
    }
}
