import ArgumentParser
import Foundation
import TriplineConfig
import TriplineCore
import TriplineRules

/// `tripline config check`: reads the configuration as a scan would and says what is wrong (file and line) and what
/// it does.
struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration file (tuning, account names, named lists).",
        subcommands: [Check.self]
    )

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every problem in a configuration with file and line; exit 2 if there is an error.",
            discussion: """
                Without FILE, checks the file a scan would read: --config, else $TRIPLINE_CONFIG, else ./tripline.yml, \
                else $XDG_CONFIG_HOME/tripline/config.yml (~/.config/tripline/config.yml). Rule selectors and filter \
                targets are checked against the built-in rules and --rules, as of today (expired entries are warned about).
                """
        )

        @Argument(help: "The configuration file to check.")
        var file: String?

        @OptionGroup var rules: RuleOptions

        func run() async throws {
            var options = rules
            if let file { options.configPath = file }
            options.noConfig = false
            guard let location = ConfigFile.location(explicit: options.configPath) else {
                printError("tripline: no configuration file: give one, or set TRIPLINE_CONFIG, or create ./tripline.yml "
                    + "or ~/.config/tripline/config.yml")
                throw ExitCode(ExitStatus.usageOrRules)
            }
            let loaded = options.loadTuned(printDiagnostics: true)
            var out = Output()
            if let c = loaded.configuration, !loaded.configErrors {
                let t = c.tuning
                out.line("\(location.path): \(c.accounts.count) account name(s), \(c.lists.count) named list(s), "
                    + "\(t.rules.count) rule entr\(t.rules.count == 1 ? "y" : "ies"), \(t.allow.count) allow-list entr\(t.allow.count == 1 ? "y" : "ies"), "
                    + "\(t.filters.count) filter(s); \(loaded.result.filters.count) filter(s) in rule files.")
                for d in c.destinations {
                    var route: [String] = []
                    if let s = d.route.minimumSeverity { route.append("min_severity \(s)") }
                    if !d.route.rules.isEmpty { route.append("rules \(d.route.rules.map(\.text).joined(separator: ", "))") }
                    if !d.route.accounts.isEmpty { route.append("accounts \(d.route.accounts.joined(separator: ", "))") }
                    // Secret references say where a secret is, never what it is; their values are read at start-up only.
                    out.line("  destination \(d.name) (\(d.kind.rawValue), \(d.location)): "
                        + (route.isEmpty ? "every alert" : route.joined(separator: "; ")))
                }
                for (id, by) in loaded.tuned.disabled { out.line("  disables \(id) (\(by.location): \(by.reason))") }
                for (id, from, to, by) in loaded.tuned.severities {
                    out.line("  \(id): severity \(from) -> \(to) (\(by.location): \(by.reason))")
                }
                for s in loaded.tuned.suppressors {
                    let scope = s.ruleIDs.map { "\($0.count) rule(s)" } ?? "every rule"
                    out.line("  \(s.label) on \(scope): \(s.reason)")
                }
            }
            let errors = loaded.result.errors.count
            let warnings = loaded.result.diagnostics.count - errors
            out.line("\(errors) error(s), \(warnings) warning(s).")
            out.flush()
            if loaded.hadErrors { throw ExitCode(ExitStatus.usageOrRules) }
        }
    }
}
