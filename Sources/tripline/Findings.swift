import ArgumentParser
import Foundation
import TriplineAlerts
import TriplineCore
import TriplineJSON
import TriplineService

/// `tripline findings list|show`: what `watch` (or the Lambda function, with `--table`) has recorded.
struct Findings: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List and show recorded findings (local SQLite file, or DynamoDB with --table).",
        subcommands: [List.self, Show.self]
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, jsonl }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List findings, newest first.")

        @Option(help: "Only findings whose event is at most this old (90s, 20m, 24h, 7d).")
        var since: Span?

        @Option(name: .customLong("min-severity"), help: "Only findings at or above this severity.")
        var minSeverity: Severity = .info

        @Option(help: "At most this many findings.")
        var limit: Int = 100

        @Option(help: "Output format: text or jsonl.")
        var format: Format = .text

        @OptionGroup var state: StateOptions
        @OptionGroup(title: "AWS (with --table)") var aws: AWSOptions

        func validate() throws {
            if limit < 1 { throw ValidationError("--limit must be at least 1") }
        }

        func run() async throws {
            let store = try state.stores(aws: aws).findings
            let now = Int(Date().timeIntervalSince1970)
            let found = try await store.list(since: since.map { now - $0.seconds }, limit: limit, minimumSeverity: minSeverity)
            var out = Output()
            switch format {
            case .jsonl:
                for f in found { out.line(StoredFindingRendering.json(f).serialized()) }
            case .text:
                for f in found { out.line(StoredFindingRendering.line(f)) }
                out.line("\(found.count) finding(s) in \(state.location).")
            }
            out.flush()
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one finding by its key (as printed by list).")

        @Argument(help: "The finding's key.")
        var key: String

        @Option(help: "Output format: text or jsonl.")
        var format: Format = .text

        @OptionGroup var state: StateOptions
        @OptionGroup(title: "AWS (with --table)") var aws: AWSOptions

        func run() async throws {
            let store = try state.stores(aws: aws).findings
            guard let f = try await store.get(key: key) else {
                printError("tripline: no finding with key \(TextEscaper.escape(key)) in \(state.location)")
                throw ExitCode(ExitStatus.inputErrors)
            }
            var out = Output()
            switch format {
            case .jsonl: out.line(StoredFindingRendering.json(f).serialized())
            case .text: out.line(StoredFindingRendering.details(f))
            }
            out.flush()
        }
    }
}

/// How stored findings print. Stored text came from events (attacker-controlled): escaped for the terminal.
enum StoredFindingRendering {
    static func time(_ epoch: Int) -> String { EventTime.iso8601(epoch) }

    /// One line for `findings list`.
    static func line(_ f: StoredFinding) -> String {
        let e = { (s: String) in TextEscaper.escape(s, maxLength: 120) }
        return [
            time(f.eventTime), f.severity.description.uppercased(), f.state.rawValue, "x\(f.count)", e(f.ruleID),
            e(f.accountID), e(f.region), e(f.actor), e(f.title), "key=" + e(f.key),
        ].joined(separator: "  ")
    }

    /// Everything, for `findings show`.
    static func details(_ f: StoredFinding) -> String {
        let e = { (s: String) in TextEscaper.escape(s) }
        var lines = [
            "[\(f.severity.description.uppercased())] \(e(f.title))",
            "  key      \(e(f.key))",
            "  rule     \(e(f.ruleID))",
            "  state    \(f.state.rawValue), \(f.count) event(s), window until \(time(f.windowEnd))",
            "  time     \(time(f.eventTime))   event \(e(f.eventID))",
            "  account  \(e(f.accountID))   region \(e(f.region))",
            "  actor    \(e(f.actor))",
        ]
        if let members = f.json.objectValue {
            for (name, value) in members where ["description", "action", "event_source", "event_name", "source_ip", "user_agent"].contains(name) {
                if let text = value.stringValue, !text.isEmpty { lines.append("  \(name.padding(toLength: 12, withPad: " ", startingAt: 0)) \(e(text))") }
            }
        }
        lines.append("  finding  \(TextEscaper.escape(f.json.serialized(), maxLength: 1 << 20))")
        return lines.joined(separator: "\n")
    }

    /// One JSON object: the store's fields plus the finding as its JSON contract under `finding`.
    static func json(_ f: StoredFinding) -> JSONValue {
        .object([
            ("key", .string(f.key)),
            ("rule_id", .string(f.ruleID)),
            ("severity", .string(f.severity.description)),
            ("title", .string(f.title)),
            ("event_id", .string(f.eventID)),
            ("event_time", .string(time(f.eventTime))),
            ("account_id", .string(f.accountID)),
            ("region", .string(f.region)),
            ("actor", .string(f.actor)),
            ("count", .number(f.count)),
            ("state", .string(f.state.rawValue)),
            ("window_end", .string(time(f.windowEnd))),
            ("finding", f.json),
        ])
    }
}
