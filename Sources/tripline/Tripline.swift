import ArgumentParser
import Foundation
import TriplineAlerts

/// Exit statuses (documented in the README and `tripline --help`).
enum ExitStatus {
    static let ok: Int32 = 0
    /// Some input could not be read, or (`scan --notify`) an alert could not be delivered: each reported on stderr;
    /// findings from everything else were printed.
    static let inputErrors: Int32 = 1
    /// Usage error, or a rule file with errors.
    static let usageOrRules: Int32 = 2
    /// `--fail-on`: a finding at or above that severity exists (and every input was read).
    static let findingsAtThreshold: Int32 = 3
    /// `--fail-on` found a finding at or above that severity, and some input could not be read: both signals.
    static let findingsAndInputErrors: Int32 = 4
}

@main
struct Tripline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tripline",
        abstract: "Security monitoring and alerting for AWS CloudTrail.",
        discussion: """
            Exit status: 0 every input was read; 1 some input could not be read; 2 usage or rule errors; \
            3 with --fail-on, a finding at or above that severity; 4 both 3 and 1 (a finding at or above --fail-on \
            and some input could not be read).
            """,
        subcommands: [Scan.self, Watch.self, Replay.self, Findings.self, Rules.self, Config.self, EventBridgePattern.self, IPRanges.self]
    )

    /// Usage errors exit 2 (not ArgumentParser's 64), so scripts see one code for "you called it wrong".
    static func main() async {
        do {
            var command = try parseAsRoot()
            IPRanges.installCache()
            if var async = command as? AsyncParsableCommand {
                try await async.run()
            } else {
                try command.run()
            }
        } catch {
            let code = exitCode(for: error)
            if code == ExitCode.success || code.rawValue == ExitStatus.inputErrors || code.rawValue == ExitStatus.findingsAtThreshold
                || code.rawValue == ExitStatus.usageOrRules || code.rawValue == ExitStatus.findingsAndInputErrors
            {
                // Not a bare ExitCode: a help/version request (code 0) or an error ArgumentParser prints itself.
                if !(error is ExitCode) { exit(withError: error) }
                Foundation.exit(code.rawValue)
            }
            let message = fullMessage(for: error)
            if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
            Foundation.exit(ExitStatus.usageOrRules)
        }
    }
}

/// One message on stderr. File names, rule text and event text reach it: control characters (ESC, CR, newline,
/// NUL) and bidi overrides are shown as `\u{…}`, so no input can rewrite the terminal or forge a line.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((terminalSafe(text) + "\n").utf8))
}

/// Text from inputs and rule files, made safe for a terminal (no length limit).
func terminalSafe(_ text: String) -> String {
    TextEscaper.escape(text, for: .plain, maxLength: Int.max)
}

/// Buffered stdout: findings can be many; one write per chunk, not per line.
struct Output {
    private var buffer: [UInt8] = []

    mutating func line(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count > 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = write(1, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
        buffer.removeAll(keepingCapacity: true)
    }
}
