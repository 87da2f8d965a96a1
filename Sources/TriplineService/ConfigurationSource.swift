import Foundation
import TriplineAWS
import TriplineConfig
import TriplineRules

/// Where the service reads its configuration at cold start (`TRIPLINE_CONFIG`): a file (bundled in the deployment
/// package: a relative path is read from the package, `LAMBDA_TASK_ROOT`), an S3 object (`s3://bucket/key`) or a
/// Parameter Store parameter (`ssm:/name`, String or SecureString). Without `TRIPLINE_CONFIG`, a `tripline.yml`
/// bundled at the root of the package (`$LAMBDA_TASK_ROOT/tripline.yml`) is read if there is one.
public enum ConfigurationSource: Sendable, Equatable, CustomStringConvertible {
    case file(String)
    case s3(bucket: String, key: String)
    case ssm(name: String)

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    public static func parse(_ text: String, taskRoot: String? = nil) throws(Invalid) -> ConfigurationSource {
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex, rest.index(after: slash) != rest.endIndex else {
                throw Invalid(description: "TRIPLINE_CONFIG=\(text): an S3 location is s3://bucket/key")
            }
            return .s3(bucket: String(rest[..<slash]), key: String(rest[rest.index(after: slash)...]))
        }
        if text.hasPrefix("ssm:") {
            let name = String(text.dropFirst(4))
            guard !name.isEmpty else { throw Invalid(description: "TRIPLINE_CONFIG=\(text): a parameter is ssm:/name") }
            return .ssm(name: name)
        }
        if !text.hasPrefix("/"), let taskRoot, !taskRoot.isEmpty { return .file(taskRoot + "/" + text) }
        return .file(text)
    }

    /// The source the environment names, or the bundled default if it exists; nil when there is none.
    public static func fromEnvironment(_ env: [String: String]) throws(Invalid) -> ConfigurationSource? {
        let taskRoot = env["LAMBDA_TASK_ROOT"].flatMap { $0.isEmpty ? nil : $0 }
        if let named = env["TRIPLINE_CONFIG"], !named.isEmpty { return try parse(named, taskRoot: taskRoot) }
        guard let taskRoot else { return nil }
        let bundled = taskRoot + "/tripline.yml"
        return FileManager.default.fileExists(atPath: bundled) ? .file(bundled) : nil
    }

    public var description: String {
        switch self {
        case .file(let path): return path
        case .s3(let bucket, let key): return "s3://\(bucket)/\(key)"
        case .ssm(let name): return "ssm:\(name)"
        }
    }

    /// The configuration's text.
    public func read(aws: AWSClient) async throws -> String {
        switch self {
        case .file(let path):
            do {
                return try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw HandlerError("configuration \(path) cannot be read: \(error.localizedDescription)")
            }
        case .s3(let bucket, let key):
            let object = try await S3Client(aws).getObject(bucket: bucket, key: key, maxBytes: 4 << 20)
            return String(decoding: object.body, as: UTF8.self)
        case .ssm(let name):
            return try await SSMClient(aws).getParameter(name: name).value
        }
    }

    /// Reads and parses the configuration. Any error in it fails: a function that silently ran untuned (or half
    /// tuned) would page people for what they had allowed, or worse, hide what they had not. Warnings are returned.
    public func load(aws: AWSClient) async throws -> (Configuration, warnings: [RuleDiagnostic]) {
        let text: String
        do {
            text = try await read(aws: aws)
        } catch let error as HandlerError {
            throw error
        } catch {
            throw HandlerError("configuration \(self) cannot be read: \(error)")
        }
        let (configuration, diagnostics) = Configuration.parse(yaml: text, path: description)
        let errors = diagnostics.filter { $0.level == .error }
        guard errors.isEmpty else {
            throw HandlerError("configuration \(self) has \(errors.count) error(s): " + errors.map(\.description).joined(separator: "; "))
        }
        return (configuration, diagnostics)
    }
}
