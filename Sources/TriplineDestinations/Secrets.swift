import Foundation
import TriplineAWS
import TriplineJSON

/// A secret value (webhook URL, routing key, signing key). It prints, dumps and reflects as `<redacted>`, so it
/// can sit in configuration values and errors that get logged; ``revealed`` is for the one place that sends it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    public init(_ value: String) { self.value = value }

    /// The value itself: only to put on the wire.
    public var revealed: String { value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// `text` with every occurrence of the secret (as is, and percent-encoded) replaced by `<redacted>`: for
    /// error texts from lower layers that might echo a request.
    public func redact(_ text: String) -> String {
        guard !value.isEmpty else { return text }
        var out = text
        var forms = [value]
        if let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics), encoded != value { forms.append(encoded) }
        // A URL's path and query are its secret part (webhook tokens); a receiver may echo just those.
        if let url = URLComponents(string: value), url.host != nil {
            if url.percentEncodedPath.count > 1 { forms.append(url.percentEncodedPath) }
            if let query = url.percentEncodedQuery, !query.isEmpty { forms.append(query) }
        }
        for form in forms { out = out.replacingOccurrences(of: form, with: "<redacted>") }
        return out
    }
}

/// Where a secret lives. Text forms (what configuration files hold):
/// - `env:NAME` — an environment variable;
/// - `ssm:/path/name` or `arn:aws:ssm:<region>:<account>:parameter/path/name` — SSM Parameter Store
///   (SecureStrings are decrypted);
/// - `secretsmanager:name` or `arn:aws:secretsmanager:<region>:<account>:secret:name-AbCdEf` — Secrets Manager's
///   `SecretString`; append `#key` to take one string member of a JSON secret.
public enum SecretReference: Sendable, Equatable, CustomStringConvertible {
    case environment(String)
    /// Name or ARN; the region of an ARN is used to call SSM.
    case ssmParameter(String)
    case secretsManager(id: String, jsonKey: String?)

    public init(parsing text: String) throws(SecretError) {
        let t = text.trimmingCharacters(in: .whitespaces)
        func nonEmpty(_ s: Substring) throws(SecretError) -> String {
            guard !s.isEmpty else { throw SecretError.invalidReference(text) }
            return String(s)
        }
        if t.hasPrefix("env:") {
            self = .environment(try nonEmpty(t.dropFirst(4)))
        } else if t.hasPrefix("ssm:") {
            self = .ssmParameter(try nonEmpty(t.dropFirst(4)))
        } else if t.hasPrefix("secretsmanager:") {
            self = try Self.secretsManager(try nonEmpty(t.dropFirst("secretsmanager:".count)))
        } else if t.hasPrefix("arn:"), let service = Self.arnService(t) {
            switch service {
            case "ssm": self = .ssmParameter(t)
            case "secretsmanager": self = try Self.secretsManager(t)
            default: throw SecretError.invalidReference(text)
            }
        } else {
            // A bare value would put the secret itself in the configuration file: refuse, and say what works.
            throw SecretError.invalidReference(text)
        }
    }

    private static func secretsManager(_ s: String) throws(SecretError) -> SecretReference {
        guard let hash = s.lastIndex(of: "#") else { return .secretsManager(id: s, jsonKey: nil) }
        let id = String(s[..<hash])
        let key = String(s[s.index(after: hash)...])
        guard !id.isEmpty, !key.isEmpty else { throw SecretError.invalidReference(s) }
        return .secretsManager(id: id, jsonKey: key)
    }

    /// `arn:<partition>:<service>:…` → service.
    static func arnService(_ arn: String) -> String? {
        let parts = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 ? String(parts[2]) : nil
    }

    /// The region named in an ARN reference, if any.
    var arnRegion: String? {
        let name: String
        switch self {
        case .environment: return nil
        case .ssmParameter(let n): name = n
        case .secretsManager(let id, _): name = id
        }
        guard name.hasPrefix("arn:") else { return nil }
        let parts = name.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        return parts.count == 6 && !parts[3].isEmpty ? String(parts[3]) : nil
    }

    /// Names where to look, never the value.
    public var description: String {
        switch self {
        case .environment(let name): "env:\(name)"
        case .ssmParameter(let name): "ssm:\(name)"
        case .secretsManager(let id, let key): "secretsmanager:\(id)" + (key.map { "#\($0)" } ?? "")
        }
    }
}

public enum SecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidReference(String)
    case notFound(String)
    case unreadable(String, String)

    public var description: String {
        switch self {
        case .invalidReference(let text):
            // The text may be a secret pasted where a reference belongs: never echo it.
            "invalid secret reference (\(text.count) characters): use env:NAME, ssm:/parameter/name, "
                + "secretsmanager:name[#json-key] or an SSM/Secrets Manager ARN"
        case .notFound(let reference): "secret \(reference) not found"
        case .unreadable(let reference, let why): "secret \(reference) could not be read: \(why)"
        }
    }
}

/// Resolves ``SecretReference``s with real calls (SSM `GetParameter`, Secrets Manager `GetSecretValue`, SigV4
/// signed), caching values for `ttl` seconds so a warm Lambda does not fetch them per invocation.
public actor SecretResolver {
    private let environment: [String: String]
    private let aws: AWSClient?
    private let ttl: Duration
    private let clock = ContinuousClock()
    private var cache: [String: (Secret, ContinuousClock.Instant)] = [:]

    /// `aws` is needed only for SSM and Secrets Manager references.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, aws: AWSClient?, ttl: Duration = .seconds(300)) {
        self.environment = environment
        self.aws = aws
        self.ttl = ttl
    }

    public func resolve(_ reference: SecretReference) async throws(SecretError) -> Secret {
        let key = reference.description
        if let (secret, at) = cache[key], clock.now - at < ttl { return secret }
        let secret = try await fetch(reference)
        cache[key] = (secret, clock.now)
        return secret
    }

    public func resolve(_ text: String) async throws(SecretError) -> Secret {
        try await resolve(try SecretReference(parsing: text))
    }

    private func client(for reference: SecretReference) throws(SecretError) -> AWSClient {
        guard var aws else { throw SecretError.unreadable(reference.description, "no AWS client configured") }
        if let region = reference.arnRegion { aws.region = region }
        return aws
    }

    private func fetch(_ reference: SecretReference) async throws(SecretError) -> Secret {
        let value: String
        switch reference {
        case .environment(let name):
            guard let v = environment[name], !v.isEmpty else { throw SecretError.notFound(reference.description) }
            value = v
        case .ssmParameter(let name):
            let ssm = SSMClient(try client(for: reference))
            do {
                value = try await ssm.getParameter(name: name).value
            } catch let e as AWSError where e.is("ParameterNotFound") {
                throw SecretError.notFound(reference.description)
            } catch {
                throw SecretError.unreadable(reference.description, Self.why(error))
            }
        case .secretsManager(let id, let jsonKey):
            let sm = SecretsManagerClient(try client(for: reference))
            let text: String
            do {
                text = try await sm.getSecretValue(id: id)
            } catch let e as AWSError where e.is("ResourceNotFound") {
                throw SecretError.notFound(reference.description)
            } catch {
                throw SecretError.unreadable(reference.description, Self.why(error))
            }
            if let jsonKey {
                guard let document = try? JSONValue.parse(text) else {
                    throw SecretError.unreadable(reference.description, "the secret is not a JSON object")
                }
                guard let member = document[jsonKey]?.stringValue else {
                    throw SecretError.unreadable(reference.description, "no string member \"\(jsonKey)\" in the secret")
                }
                value = member
            } else {
                value = text
            }
        }
        guard !value.isEmpty else { throw SecretError.notFound(reference.description) }
        return Secret(value)
    }

    /// A failed call's reason without the response text (which could quote a value).
    static func why(_ error: any Error) -> String {
        if let e = error as? AWSError { return "\(e.statusCode) \(e.code)" }
        if let e = error as? HTTPTransportError { return "connection failed (\(e.kind))" }
        return String(describing: type(of: error))
    }
}
