import Foundation

/// Rule files on disk, as the CLI's `--rules` and the Lambda's `SECURITY_EVENTS_PATH` name them: a file as named,
/// or every `.yml`/`.yaml` file under a folder (recursively), sorted so rules load in the same order everywhere.
public enum RuleFiles {
    public static let extensions = [".yml", ".yaml"]

    /// The rule files at `path`: none when nothing is there.
    public static func paths(at path: String) -> [String] {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else { return [] }
        guard isFolder.boolValue else { return [path] }
        var out: [String] = []
        if let walker = FileManager.default.enumerator(atPath: path) {
            for case let relative as String in walker where extensions.contains(where: relative.hasSuffix) {
                out.append((path as NSString).appendingPathComponent(relative))
            }
        }
        return out.sorted()
    }
}
