import ArgumentParser
import Foundation
import TriplineConfig
import TriplineCore
import TriplineIO
import TriplineRules

/// `--rules PATH` (repeatable), `--no-builtin` and the configuration file (`--config`, `--no-config`), shared by
/// every command that loads rules: the configuration's named lists are what rules' `|expand` refers to, and its
/// tuning decides which rules run and at what severity.
struct RuleOptions: ParsableArguments {
    @Option(name: .customLong("rules"), help: "Extra rule or Sigma filter file or folder (YAML). Repeatable.")
    var paths: [String] = []

    @Flag(name: .customLong("no-builtin"), help: "Do not load the built-in catalog.")
    var noBuiltIn = false

    @Option(name: .customLong("config"), help: ArgumentHelp(
        "Configuration file (tuning, account names, named lists).",
        discussion: "Default: $TRIPLINE_CONFIG, else ./tripline.yml, else $XDG_CONFIG_HOME/tripline/config.yml (~/.config/tripline/config.yml), the first that exists."))
    var configPath: String?

    @Flag(name: .customLong("no-config"), help: "Read no configuration file, not even from the default locations.")
    var noConfig = false

    /// Everything a command needs from its rules, tuned as of now.
    struct Loaded {
        /// The rules with the configuration's disables and severities applied (and the filters found).
        var result: RuleLoadResult
        var tuned: TunedRules
        var configuration: Configuration?
        var hadErrors: Bool
        /// The configuration file named (or found) could not be read or has errors.
        var configErrors: Bool
    }

    /// Loads the rules and prints diagnostics on stderr. Returns the result and whether any error was reported.
    /// Without `tests` the rules' embedded tests are not read (for commands that only run rules).
    func load(printDiagnostics: Bool = true, tests: Bool = true) -> (RuleLoadResult, hadErrors: Bool) {
        let loaded = loadTuned(printDiagnostics: printDiagnostics, tests: tests)
        return (loaded.result, loaded.hadErrors)
    }

    func loadTuned(printDiagnostics: Bool = true, tests: Bool = false, now: Int = Int(Date().timeIntervalSince1970)) -> Loaded {
        let (configuration, configDiagnostics) = ConfigFile.load(explicit: noConfig ? nil : configPath, disabled: noConfig)
        var files: [(path: String, text: String)] = []
        var readErrors: [RuleDiagnostic] = []
        for path in paths {
            for file in RuleFiles.paths(at: path) {
                do {
                    files.append((file, try String(contentsOfFile: file, encoding: .utf8)))
                } catch {
                    readErrors.append(RuleDiagnostic(.error, file: file, line: 1, "cannot read rule file: \(error.localizedDescription)"))
                }
            }
            if !FileManager.default.fileExists(atPath: path) {
                readErrors.append(RuleDiagnostic(.error, file: path, line: 1, "no such rule file or folder"))
            }
        }
        var result = RuleCatalog.load(includeBuiltIn: !noBuiltIn, extra: files, tests: tests, lists: configuration?.lists)
        let tuned = (configuration ?? Configuration(path: "")).apply(to: result.rules, filters: result.filters, now: now)
        result.rules = tuned.rules
        result.diagnostics = configDiagnostics + readErrors + result.diagnostics + tuned.diagnostics
        if printDiagnostics { for d in result.diagnostics { printError(d.description) } }
        return Loaded(result: result, tuned: tuned, configuration: configuration, hadErrors: !result.errors.isEmpty,
                      configErrors: configDiagnostics.contains { $0.level == .error })
    }
}

/// Where the CLI finds its configuration file, and reading it.
enum ConfigFile {
    /// `--config`, else `$TRIPLINE_CONFIG`, else the first default location that exists; nil for none.
    /// The first two must exist (a named file that is missing is an error, not "no tuning").
    static func location(explicit: String?, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (path: String, named: Bool)?
    {
        if let explicit { return (explicit, true) }
        if let env = environment["TRIPLINE_CONFIG"], !env.isEmpty { return (env, true) }
        let home = environment["HOME"] ?? NSHomeDirectory()
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? home + "/.config"
        for candidate in ["tripline.yml", configHome + "/tripline/config.yml"]
        where FileManager.default.fileExists(atPath: candidate) {
            return (candidate, false)
        }
        return nil
    }

    static func load(explicit: String?, disabled: Bool = false) -> (Configuration?, [RuleDiagnostic]) {
        guard !disabled, let (path, _) = location(explicit: explicit) else { return (nil, []) }
        return read(path)
    }

    static func read(_ path: String) -> (Configuration?, [RuleDiagnostic]) {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let why = FileManager.default.fileExists(atPath: path) ? "cannot read configuration: \(error.localizedDescription)" : "no such configuration file"
            return (nil, [RuleDiagnostic(.error, file: path, line: 1, why)])
        }
        let (configuration, diagnostics) = Configuration.parse(yaml: text, path: path)
        return (configuration, diagnostics)
    }
}

extension Severity: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public static var allValueStrings: [String] { allCases.map(\.description) }
    public var defaultValueDescription: String { description }
    public static var allValueDescriptions: [String: String] {
        [
            "info": "everything", "low": "low and above", "medium": "medium and above", "high": "high and above",
            "critical": "critical only",
        ]
    }
}
