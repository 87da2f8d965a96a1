import ArgumentParser
import Foundation
import TriplineAlerts
import TriplineConfig
import TriplineCore
import TriplineIO
import TriplineJSON
import TriplineRules
import TriplineService

struct Scan: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Scan CloudTrail logs (files, folders, - for stdin) and report findings.",
        discussion: """
            Reads CloudTrail log files (.json or .json.gz, multi-member gzip too), JSON Lines, JSON arrays of \
            events, single events, EventBridge envelopes and LookupEvents responses. Digest files are skipped.

            Exit status: 0 every input was read; 1 some input could not be read (each problem on stderr); 2 usage \
            or rule errors; 3 a finding at or above --fail-on; 4 a finding at or above --fail-on and some input \
            could not be read.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, jsonl, json }

    @Argument(help: "Files or folders to scan; - reads stdin; s3://bucket/prefix reads S3.")
    var paths: [String]

    @Option(help: "Output format: text, jsonl or json.")
    var format: Format = .text

    @Option(name: .customLong("min-severity"), help: ArgumentHelp(
        "Only report findings at or above this severity: info, low, medium, high or critical (default: info).",
        valueName: "severity"))
    var minSeverity: Severity?  // optional so help shows the name of the default, not its raw value

    @OptionGroup var rules: RuleOptions

    @Option(name: .customLong("only"), help: "Only run this rule id (repeatable).")
    var only: [String] = []

    @Option(name: .customLong("fail-on"), help: ArgumentHelp(
        "Exit 3 if a finding at or above this severity exists, 4 if some input could not be read too (judged on "
            + "every finding, whatever --min-severity shows): info, low, medium, high or critical.",
        valueName: "severity"))
    var failOn: Severity?

    @Flag(name: .customLong("show-suppressed"), help: "Also list the findings tuning suppressed, each with the entry that suppressed it.")
    var showSuppressed = false

    @Option(help: "Worker threads (default: all cores).")
    var workers: Int = ScanOptions.defaultWorkers

    @Option(name: .customLong("max-event-size"), help: ArgumentHelp(
        "Largest event (one record, or one value of JSON Lines) read, in MiB; a larger one is skipped and reported.",
        valueName: "MiB"))
    var maxEventMiB: Int = EventProcessor.defaultMaxEvent >> 20

    @Flag(help: "Send the alerts shown to the configured destinations (the configuration's destinations:, or TRIPLINE_DESTINATIONS), each destination on its own.")
    var notify = false

    @Flag(name: .customLong("dry-run"), help: "With --notify: say which destinations each alert would go to; send nothing, read no secret.")
    var dryRun = false

    @OptionGroup(title: "AWS (for s3:// paths and AWS destinations)") var aws: AWSOptions

    func validate() throws {
        if paths.isEmpty { throw ValidationError("give at least one file, folder or -") }
        if workers < 1 { throw ValidationError("--workers must be at least 1") }
        if maxEventMiB < 1 || maxEventMiB > 1024 { throw ValidationError("--max-event-size must be 1 to 1024 (MiB)") }
        if dryRun && !notify { throw ValidationError("--dry-run goes with --notify") }
    }

    func run() async throws {
        // Folders are walked while the rules load and compile: two cores busy from the start.
        let localPaths = paths.filter { !S3Scan.isS3($0) }
        let walk = Task.detached { LocalScanner.expandFiles(localPaths) }
        let tunedLoad = rules.loadTuned()
        let loaded = tunedLoad.result
        let ruleErrors = tunedLoad.hadErrors
        // A configuration with errors must not run half-applied: tuning that silently failed is worse than none.
        if tunedLoad.configErrors {
            printError("tripline: the configuration has errors (see above); nothing scanned")
            throw ExitCode(ExitStatus.usageOrRules)
        }
        var selected = loaded.rules
        if !only.isEmpty {
            let unknown = only.filter { id in !selected.contains { $0.id == id } }
            if !unknown.isEmpty {
                printError("tripline: unknown rule id: \(unknown.joined(separator: ", "))")
                throw ExitCode(ExitStatus.usageOrRules)
            }
            selected = selected.filter { only.contains($0.id) }.map { var r = $0; r.enabled = true; return r }
        }
        let engine = Engine(rules: selected, suppressors: tunedLoad.tuned.suppressors)
        let accounts = tunedLoad.configuration?.accounts ?? [:]
        // Destinations are set up (secrets read) before scanning: a missing secret fails fast, not after an hour.
        var router: DestinationRouter?
        if notify {
            if dryRun {
                router = try CLIDestinations.dryRunRouter(configuration: tunedLoad.configuration)
            } else {
                router = try await CLIDestinations.router(configuration: tunedLoad.configuration, aws: aws.client())
            }
            if router == nil {
                printError("tripline: --notify: no destinations configured (destinations: in the configuration, or TRIPLINE_DESTINATIONS)")
                throw ExitCode(ExitStatus.usageOrRules)
            }
        }
        func named(_ f: Finding) -> Finding {
            var f = f
            f.accountName = accounts[f.accountID]
            return f
        }

        let interactive = isatty(2) == 1
        let started = Date()
        let lastProgress = LockedDate()
        var progress: (@Sendable (ScanStats) -> Void)?
        if interactive {
            progress = { (stats: ScanStats) in
                guard lastProgress.elapsed(atLeast: 0.5) else { return }
                let seconds = Date().timeIntervalSince(started)
                let rate = seconds > 0 ? Int(Double(stats.records) / seconds) : 0
                let line = "\r\u{1B}[K  \(stats.inputs) files, \(stats.records) events, \(rate) events/s"
                FileHandle.standardError.write(Data(line.utf8))
            }
        }

        var result = LocalScanner.scan(expanded: await walk.value, engine: engine, options: .init(workers: workers, maxEvent: maxEventMiB << 20, progress: progress))
        let s3URLs = paths.filter(S3Scan.isS3)
        if !s3URLs.isEmpty { await S3Scan.scan(s3URLs, engine: engine, client: aws.client(), into: &result) }
        let elapsed = Date().timeIntervalSince(started)
        if interactive { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }

        let shown = minSeverity ?? .info
        // Findings are built only for rules whose alerts can be shown or can meet --fail-on (and for sequence
        // steps): with --min-severity high, a hundred thousand low findings are never built.
        let lowest = failOn.map { min($0, shown) } ?? shown
        let aggregator = Aggregator(rules: selected)
        let needed = Set(engine.rules.filter { aggregator.needsFindings(of: $0, toAlertAtOrAbove: lowest) }.map(\.id))
        let found = result.foldedFindings(rules: engine.rules, workers: workers) { needed.contains($0.id) }
        let allAlerts = aggregator.aggregate(found, thresholds: result.thresholds, engineRules: engine.rules).map(named)
        let alerts = allAlerts.filter { $0.severity >= shown }
        let suppressed = result.suppressed.findings(rules: engine.rules).filter { $0.finding.severity >= shown }
            .map { (finding: named($0.finding), suppressor: $0.suppressor) }
        let tally = SuppressionSummary(suppressors: engine.suppression.suppressors, found: suppressed, stats: result.stats,
                                       disabled: tunedLoad.tuned.disabled.count)

        // Every rule that matched one event is one alert; jsonl/json keep one finding per entry, tagged with it.
        let standalone = Set(selected.filter(\.standsAlone).map(\.id))
        let grouped = Alert.group(alerts, standsAlone: { standalone.contains($0.ruleID) })
        var alertIDs: [Finding.RuleKey: String] = [:]
        for a in grouped { for f in a.findings { alertIDs[f.ruleKey] = a.id } }
        func alertID(_ f: Finding) -> String? { alertIDs[f.ruleKey] }

        var out = Output()
        switch format {
        case .jsonl:
            for f in alerts { out.line(FindingJSON.line(f, alertID: alertID(f))) }
            if showSuppressed { for s in suppressed { out.line(tally.json(s).serialized()) } }
        case .json:
            var summary = Scan.summaryJSON(result: result, alerts: alerts, alertCount: grouped.count, elapsed: elapsed)
            summary = .object((summary.objectValue ?? []) + [("suppressed", tally.summaryJSON)])
            var members: [(String, JSONValue)] = [("findings", .array(alerts.map { FindingJSON.value($0, alertID: alertID($0)) }))]
            if showSuppressed { members.append(("suppressed_findings", .array(suppressed.map { tally.json($0) }))) }
            members += [("summary", summary), ("problems", .array(result.problems.map { JSONValue.string($0.description) }))]
            out.line(JSONValue.object(members).serialized())
        case .text:
            for a in grouped {
                out.line(AlertText.render(a))
                out.line("")
            }
            if showSuppressed {
                for s in suppressed {
                    out.line("[SUPPRESSED] " + FindingText.render(s.finding))
                    out.line(tally.textLine(s))
                    out.line("")
                }
            }
            out.line(Scan.summaryText(result: result, alerts: alerts, alertCount: grouped.count, elapsed: elapsed, rules: engine.ruleCount))
            if let text = tally.summaryText { out.line(text) }
        }
        out.flush()

        for problem in result.problems { printError("tripline: \(problem)") }
        if result.stats.digests > 0 {
            printError("tripline: note: skipped \(result.stats.digests) CloudTrail digest file(s)")
        }

        var notifyFailed = false
        if let router { notifyFailed = !(await CLIDestinations.notify(grouped, router: router, dryRun: dryRun)) }

        if ruleErrors { throw ExitCode(ExitStatus.usageOrRules) }
        // --fail-on sees every finding (--min-severity only trims what is shown); unreadable input is never hidden
        // by it: both at once is a status of its own.
        let atThreshold = failOn.map { f in allAlerts.contains { $0.severity >= f } } ?? false
        // An alert --notify could not deliver counts as unreadable input does: something did not get through.
        switch (atThreshold, !result.problems.isEmpty || notifyFailed) {
        case (true, true): throw ExitCode(ExitStatus.findingsAndInputErrors)
        case (true, false): throw ExitCode(ExitStatus.findingsAtThreshold)
        case (false, true): throw ExitCode(ExitStatus.inputErrors)
        case (false, false): break
        }
    }

    static func bySeverity(_ alerts: [Finding]) -> [(Severity, Int)] {
        Severity.allCases.reversed().map { s in (s, alerts.filter { $0.severity == s }.count) }
    }

    static func summaryText(result: ScanResult, alerts: [Finding], alertCount: Int, elapsed: Double, rules: Int) -> String {
        let s = result.stats
        let counts = bySeverity(alerts).filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
        let rate = elapsed > 0 ? Int(Double(s.records) / elapsed) : 0
        let mb = elapsed > 0 ? Double(s.decodedBytes) / elapsed / 1_000_000 : 0
        var text = "Scanned \(s.inputs) file(s), \(s.records) events with \(rules) rules in "
            + String(format: "%.2f", elapsed) + " s (\(rate) events/s, " + String(format: "%.0f", mb) + " MB/s)."
        text += "\n\(alerts.count) finding(s)" + (counts.isEmpty ? "" : ": \(counts)") + ", in \(alertCount) alert(s)."
        if s.digests > 0 { text += "\nSkipped \(s.digests) digest file(s)." }
        if !result.problems.isEmpty { text += "\n\(result.problems.count) input problem(s) in \(s.failedInputs) input(s): see stderr." }
        return text
    }

    static func summaryJSON(result: ScanResult, alerts: [Finding], alertCount: Int, elapsed: Double) -> JSONValue {
        let s = result.stats
        return .object([
            ("files", .number(s.inputs)),
            ("events", .number(s.records)),
            ("bytes", .number(s.decodedBytes)),
            ("digests_skipped", .number(s.digests)),
            ("failed_inputs", .number(s.failedInputs)),
            ("findings", .number(alerts.count)),
            ("alerts", .number(alertCount)),
            ("by_severity", .object(bySeverity(alerts).map { ($0.0.description, JSONValue.number($0.1)) })),
            ("seconds", .number(String(format: "%.3f", elapsed))),
        ] + (peakMemoryMiB().map { [("peak_rss_mib", JSONValue.number($0))] } ?? []))
    }

    /// This process's peak resident memory so far (Linux `VmHWM`), for capacity planning and the benchmark: a
    /// parent measuring its child from outside would count its own memory too, which the child had until exec.
    static func peakMemoryMiB() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kib = Int(line.dropFirst(6).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "")
        else { return nil }
        return kib / 1024
    }
}

/// Throttles progress output across worker threads.
final class LockedDate: @unchecked Sendable {
    private let lock = NSLock()
    private var last = Date.distantPast

    func elapsed(atLeast seconds: Double) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let now = Date()
        guard now.timeIntervalSince(last) >= seconds else { return false }
        last = now
        return true
    }
}
