import ArgumentParser
import Foundation
import TriplineCore
import TriplineRules

/// `--rules PATH` (repeatable) and `--no-builtin`, shared by every command that loads rules.
struct RuleOptions: ParsableArguments {
    @Option(name: .customLong("rules"), help: "Extra rule file or folder (Tripline or Sigma YAML). Repeatable.")
    var paths: [String] = []

    @Flag(name: .customLong("no-builtin"), help: "Do not load the built-in catalog.")
    var noBuiltIn = false

    /// Loads the rules and prints diagnostics on stderr. Returns the result and whether any error was reported.
    /// Without `tests` the rules' embedded tests are not read (for commands that only run rules).
    func load(printDiagnostics: Bool = true, tests: Bool = true) -> (RuleLoadResult, hadErrors: Bool) {
        var files: [(path: String, text: String)] = []
        var readErrors: [RuleDiagnostic] = []
        for path in paths {
            for file in RuleOptions.ruleFiles(at: path) {
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
        var result = RuleCatalog.load(includeBuiltIn: !noBuiltIn, extra: files, tests: tests)
        result.diagnostics = readErrors + result.diagnostics
        if printDiagnostics { for d in result.diagnostics { printError(d.description) } }
        return (result, !result.errors.isEmpty)
    }

    static func ruleFiles(at path: String) -> [String] {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { return [] }
        guard isDir.boolValue else { return [path] }
        var out: [String] = []
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in walker where relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") {
                out.append((path as NSString).appendingPathComponent(relative))
            }
        }
        return out.sorted()
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
