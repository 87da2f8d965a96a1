import Foundation
import SigV4

/// AWS credentials with an optional expiry (temporary credentials from STS, containers, EC2).
public struct AWSCredentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?
    public var expiration: Date?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil, expiration: Date? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.expiration = expiration
    }

    var signing: SigV4Credentials {
        SigV4Credentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }
}

/// A source of credentials. Providers that do not apply in this environment throw
/// ``CredentialProviderError/notConfigured(_:)`` so a chain can move on.
public protocol CredentialProvider: Sendable {
    func credentials() async throws -> AWSCredentials
}

public enum CredentialProviderError: Error, Sendable, Equatable {
    /// This source is not set up here (no variables, no file, no profile).
    case notConfigured(String)
}

/// Fixed credentials (tests, moto).
public struct StaticCredentialProvider: CredentialProvider {
    public let value: AWSCredentials
    public init(_ value: AWSCredentials) { self.value = value }
    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        value = AWSCredentials(accessKeyId: accessKeyId, secretAccessKey: secretAccessKey, sessionToken: sessionToken)
    }
    public func credentials() async throws -> AWSCredentials { value }
}

/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and `AWS_SESSION_TOKEN` (what Lambda provides).
public struct EnvironmentCredentialProvider: CredentialProvider {
    let environment: [String: String]
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    public func credentials() async throws -> AWSCredentials {
        guard let id = environment["AWS_ACCESS_KEY_ID"], !id.isEmpty,
            let secret = environment["AWS_SECRET_ACCESS_KEY"], !secret.isEmpty
        else { throw CredentialProviderError.notConfigured("environment: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY not set") }
        let token = environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: token)
    }
}

/// Tries providers in order and uses the first that answers; later calls go straight to the one that worked.
public actor CredentialProviderChain: CredentialProvider {
    let providers: [any CredentialProvider]
    private var chosen: (any CredentialProvider)?

    public init(_ providers: [any CredentialProvider]) { self.providers = providers }

    public func credentials() async throws -> AWSCredentials {
        if let chosen { return try await chosen.credentials() }
        var tried: [String] = []
        for provider in providers {
            do {
                let value = try await provider.credentials()
                chosen = provider
                return value
            } catch CredentialProviderError.notConfigured(let why) {
                tried.append(why)
            } catch {
                tried.append("\(type(of: provider)): \(error)")
            }
        }
        throw AWSClientError.noCredentials(tried)
    }
}

/// Caches another provider's credentials and fetches new ones `refreshBefore` ahead of their expiry, so requests
/// never go out with credentials about to lapse. Concurrent callers share one refresh.
public actor CachedCredentialProvider: CredentialProvider {
    let base: any CredentialProvider
    let refreshBefore: Duration
    let now: @Sendable () -> Date
    private var cached: AWSCredentials?
    private var refreshing: Task<AWSCredentials, any Error>?

    public init(
        _ base: any CredentialProvider, refreshBefore: Duration = .seconds(300),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.base = base
        self.refreshBefore = refreshBefore
        self.now = now
    }

    public func credentials() async throws -> AWSCredentials {
        if let cached, !needsRefresh(cached) { return cached }
        if let refreshing { return try await refreshing.value }
        let task = Task { [base] in try await base.credentials() }
        refreshing = task
        defer { refreshing = nil }
        let value = try await task.value
        cached = value
        return value
    }

    func needsRefresh(_ credentials: AWSCredentials) -> Bool {
        guard let expiration = credentials.expiration else { return false }
        let margin = Double(refreshBefore.components.seconds) + Double(refreshBefore.components.attoseconds) / 1e18
        return expiration.timeIntervalSince(now()) <= margin
    }
}

extension AWSCredentials {
    /// The standard chain: environment → shared files (profile) → container endpoint → EC2 instance metadata,
    /// cached and refreshed five minutes before expiry.
    ///
    /// `transport` is used for the container and IMDS endpoints (short timeouts are applied per request).
    public static func defaultChain(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = AsyncHTTPClientTransport.shared
    ) -> any CredentialProvider {
        CachedCredentialProvider(
            CredentialProviderChain([
                EnvironmentCredentialProvider(environment: environment),
                ProfileCredentialProvider(environment: environment),
                ContainerCredentialProvider(environment: environment, transport: transport),
                InstanceMetadataCredentialProvider(environment: environment, transport: transport),
            ]))
    }
}

/// Reads the JSON shape shared by the container endpoint and IMDS:
/// `{"AccessKeyId", "SecretAccessKey", "Token", "Expiration": "2024-01-01T00:00:00Z"}`.
func decodeTemporaryCredentials(_ body: [UInt8], source: String) throws -> AWSCredentials {
    let json = try AWSJSON.parse(body)
    guard let id = json["AccessKeyId"]?.string, let secret = json["SecretAccessKey"]?.string else {
        throw AWSClientError.invalidCredentials("\(source): response lacks AccessKeyId/SecretAccessKey")
    }
    var expiration: Date?
    if let text = json["Expiration"]?.string {
        guard let date = parseISO8601(text) else {
            throw AWSClientError.invalidCredentials("\(source): unreadable Expiration \(text)")
        }
        expiration = date
    }
    return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: json["Token"]?.string, expiration: expiration)
}

/// ISO 8601 with or without fractional seconds (`2024-05-01T12:00:00Z`, `2024-05-01T12:00:00.123Z`).
func parseISO8601(_ text: String) -> Date? {
    if let d = try? Date(text, strategy: .iso8601) { return d }
    return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
}
