import Foundation

// MARK: - Shared config and credentials files

/// The INI dialect of `~/.aws/credentials` and `~/.aws/config`: `[section]` headers, `key = value` lines,
/// `#`/`;` comment lines. Indented continuation lines (nested settings such as `s3 =`) are ignored.
public struct AWSProfileFile: Sendable, Equatable {
    /// Section name → (lower-cased key → value).
    public var sections: [String: [String: String]]

    public init(parsing text: String) {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let indented = rawLine.first.map { $0 == " " || $0 == "\t" } ?? false
            let line = String(rawLine).trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                let name = String(line[line.index(after: line.startIndex)..<close]).trimmingWhitespace()
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard !indented, let section = current, let eq = line.firstIndex(of: "=") else { continue }
            let key = String(line[..<eq]).trimmingWhitespace().lowercased()
            let value = String(line[line.index(after: eq)...]).trimmingWhitespace()
            sections[section]?[key] = value
        }
        self.sections = sections
    }

    /// Settings of `profile`: in the config file a non-default profile's section is `[profile name]`.
    public func profile(_ name: String, isConfigFile: Bool) -> [String: String]? {
        if isConfigFile, name != "default" { return sections["profile \(name)"] ?? sections[name] }
        return sections[name]
    }
}

/// Static keys from the shared files for `AWS_PROFILE` (or `default`). The credentials file
/// (`AWS_SHARED_CREDENTIALS_FILE`, default `~/.aws/credentials`) wins over the config file (`AWS_CONFIG_FILE`,
/// default `~/.aws/config`). Role assumption and SSO are not supported.
public struct ProfileCredentialProvider: CredentialProvider {
    let profile: String
    let credentialsPath: String
    let configPath: String

    public init(environment: [String: String] = ProcessInfo.processInfo.environment, profile: String? = nil) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        self.profile = profile ?? environment["AWS_PROFILE"] ?? "default"
        credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
    }

    public func credentials() async throws -> AWSCredentials {
        for (path, isConfig) in [(credentialsPath, false), (configPath, true)] {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8),
                let settings = AWSProfileFile(parsing: text).profile(profile, isConfigFile: isConfig)
            else { continue }
            if let id = settings["aws_access_key_id"], let secret = settings["aws_secret_access_key"] {
                return AWSCredentials(accessKeyId: id, secretAccessKey: secret, sessionToken: settings["aws_session_token"])
            }
        }
        throw CredentialProviderError.notConfigured("profile \(profile): no keys in \(credentialsPath) or \(configPath)")
    }

    /// The `region` setting of the profile in the config file, if any.
    public func region() -> String? {
        guard let text = try? String(contentsOfFile: configPath, encoding: .utf8) else { return nil }
        return AWSProfileFile(parsing: text).profile(profile, isConfigFile: true)?["region"]
    }
}

// MARK: - Container credentials (ECS, EKS Pod Identity, Lambda SnapStart)

/// Credentials served over HTTP by the container agent: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` (against
/// `169.254.170.2`) or `AWS_CONTAINER_CREDENTIALS_FULL_URI`, with an `Authorization` header from
/// `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` or `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
public struct ContainerCredentialProvider: CredentialProvider {
    let environment: [String: String]
    let transport: any HTTPTransport
    let timeout: Duration

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = AsyncHTTPClientTransport.shared, timeout: Duration = .seconds(2)
    ) {
        self.environment = environment
        self.transport = transport
        self.timeout = timeout
    }

    /// Full URIs must not send the token anywhere but HTTPS or the known local agents.
    static let allowedPlainHosts: Set<String> = ["127.0.0.1", "localhost", "[::1]", "169.254.170.2", "169.254.170.23", "[fd00:ec2::23]"]

    public func credentials() async throws -> AWSCredentials {
        let url: String
        if let relative = environment["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"], !relative.isEmpty {
            url = "http://169.254.170.2" + relative
        } else if let full = environment["AWS_CONTAINER_CREDENTIALS_FULL_URI"], !full.isEmpty {
            guard let endpoint = Endpoint(url: full),
                endpoint.scheme == "https" || Self.allowedPlainHosts.contains(endpoint.hostName.lowercased())
            else { throw AWSClientError.invalidCredentials("container credentials URI not allowed: \(full)") }
            url = full
        } else {
            throw CredentialProviderError.notConfigured("container: AWS_CONTAINER_CREDENTIALS_*_URI not set")
        }
        var headers = HTTPHeaders()
        if let tokenFile = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"], !tokenFile.isEmpty {
            guard let token = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw AWSClientError.invalidCredentials("cannot read \(tokenFile)")
            }
            headers.set("Authorization", token.trimmingWhitespace())
        } else if let token = environment["AWS_CONTAINER_AUTHORIZATION_TOKEN"], !token.isEmpty {
            headers.set("Authorization", token)
        }
        let response = try await transport.send(HTTPRequest(method: "GET", url: url, headers: headers, timeout: timeout))
        guard response.status == 200 else {
            throw AWSClientError.invalidCredentials("container endpoint answered \(response.status)")
        }
        return try decodeTemporaryCredentials(response.body, source: "container endpoint")
    }
}

// MARK: - EC2 instance metadata (IMDSv2)

/// Role credentials from the EC2 instance metadata service, IMDSv2 only: a session token is obtained with
/// `PUT /latest/api/token`, then the role name and its credentials are read with it.
/// Disabled by `AWS_EC2_METADATA_DISABLED=true`; endpoint overridable with `AWS_EC2_METADATA_SERVICE_ENDPOINT`.
public struct InstanceMetadataCredentialProvider: CredentialProvider {
    let endpoint: String
    let disabled: Bool
    let transport: any HTTPTransport
    let timeout: Duration

    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = AsyncHTTPClientTransport.shared, timeout: Duration = .seconds(1)
    ) {
        var endpoint = environment["AWS_EC2_METADATA_SERVICE_ENDPOINT"] ?? "http://169.254.169.254"
        while endpoint.hasSuffix("/") { endpoint.removeLast() }
        self.endpoint = endpoint
        disabled = environment["AWS_EC2_METADATA_DISABLED"]?.lowercased() == "true"
        self.transport = transport
        self.timeout = timeout
    }

    public func credentials() async throws -> AWSCredentials {
        guard !disabled else { throw CredentialProviderError.notConfigured("IMDS: AWS_EC2_METADATA_DISABLED") }
        let token: HTTPResponse
        do {
            token = try await transport.send(HTTPRequest(
                method: "PUT", url: "\(endpoint)/latest/api/token",
                headers: ["x-aws-ec2-metadata-token-ttl-seconds": "21600"], timeout: timeout))
        } catch is HTTPTransportError {
            // Nothing listening: this is not an EC2 instance.
            throw CredentialProviderError.notConfigured("IMDS: \(endpoint) unreachable")
        }
        guard token.status == 200 else { throw AWSClientError.invalidCredentials("IMDS token request answered \(token.status)") }
        let auth: HTTPHeaders = ["x-aws-ec2-metadata-token": String(decoding: token.body, as: UTF8.self).trimmingWhitespace()]
        let base = "\(endpoint)/latest/meta-data/iam/security-credentials/"
        let roles = try await transport.send(HTTPRequest(method: "GET", url: base, headers: auth, timeout: timeout))
        guard roles.status == 200,
            let role = String(decoding: roles.body, as: UTF8.self).split(whereSeparator: \.isNewline).first.map(String.init)
        else { throw CredentialProviderError.notConfigured("IMDS: no instance role (\(roles.status))") }
        let creds = try await transport.send(HTTPRequest(method: "GET", url: base + role, headers: auth, timeout: timeout))
        guard creds.status == 200 else { throw AWSClientError.invalidCredentials("IMDS role \(role) answered \(creds.status)") }
        return try decodeTemporaryCredentials(creds.body, source: "IMDS")
    }
}
