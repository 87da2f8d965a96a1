import Foundation
import PackagePlugin

/// Compiles the rule catalog (`rules/**/*.yml` at the package root) into the target as Swift string literals,
/// so every binary carries its built-in rules and never depends on finding files at run time.
@main
struct EmbedCatalog: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let rulesDir = context.package.directoryURL.appending(path: "rules")
        var inputs: [URL] = []
        if let walker = FileManager.default.enumerator(at: rulesDir, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where ["yml", "yaml"].contains(url.pathExtension) {
                inputs.append(url)
            }
        }
        inputs.sort { $0.path < $1.path }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedCatalog.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) rule files",
                executable: try context.tool(named: "catalog-embed").url,
                arguments: [rulesDir.path, output.path],
                inputFiles: inputs + [rulesDir],
                outputFiles: [output]
            )
        ]
    }
}
