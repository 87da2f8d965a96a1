import Foundation

/// How a service speaks on the wire. It decides the content type, the target header and the body encoding.
public enum AWSProtocol: Sendable, Equatable {
    /// JSON 1.0/1.1 with `X-Amz-Target: <targetPrefix>.<Operation>` (SQS, DynamoDB, CloudTrail, EventBridge).
    case json(version: String, targetPrefix: String)
    /// Form-encoded `Action=…&Version=…` with an XML response (SNS).
    case query(apiVersion: String)
    /// REST with XML bodies (S3).
    case restXML
    /// REST with JSON bodies (Security Hub).
    case restJSON
}

/// A service's identity: names used for signing, the default endpoint and endpoint environment variables.
public struct AWSService: Sendable, Equatable {
    /// SigV4 signing name (`sqs`, `events`).
    public let signingName: String
    /// Host prefix of the default endpoint (`https://<prefix>.<region>.amazonaws.com`).
    public let endpointPrefix: String
    /// Suffix of `AWS_ENDPOINT_URL_<NAME>` (the SDK service id, upper-cased, spaces as underscores).
    public let environmentName: String
    public let wireProtocol: AWSProtocol

    public static let s3 = AWSService(signingName: "s3", endpointPrefix: "s3", environmentName: "S3", wireProtocol: .restXML)
    public static let sqs = AWSService(
        signingName: "sqs", endpointPrefix: "sqs", environmentName: "SQS", wireProtocol: .json(version: "1.0", targetPrefix: "AmazonSQS"))
    public static let sns = AWSService(signingName: "sns", endpointPrefix: "sns", environmentName: "SNS", wireProtocol: .query(apiVersion: "2010-03-31"))
    public static let dynamoDB = AWSService(
        signingName: "dynamodb", endpointPrefix: "dynamodb", environmentName: "DYNAMODB",
        wireProtocol: .json(version: "1.0", targetPrefix: "DynamoDB_20120810"))
    public static let cloudTrail = AWSService(
        signingName: "cloudtrail", endpointPrefix: "cloudtrail", environmentName: "CLOUDTRAIL",
        wireProtocol: .json(version: "1.1", targetPrefix: "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101"))
    public static let ssm = AWSService(
        signingName: "ssm", endpointPrefix: "ssm", environmentName: "SSM", wireProtocol: .json(version: "1.1", targetPrefix: "AmazonSSM"))
    public static let eventBridge = AWSService(
        signingName: "events", endpointPrefix: "events", environmentName: "EVENTBRIDGE",
        wireProtocol: .json(version: "1.1", targetPrefix: "AWSEvents"))
    public static let securityHub = AWSService(
        signingName: "securityhub", endpointPrefix: "securityhub", environmentName: "SECURITYHUB", wireProtocol: .restJSON)
    public static let secretsManager = AWSService(
        signingName: "secretsmanager", endpointPrefix: "secretsmanager", environmentName: "SECRETS_MANAGER",
        wireProtocol: .json(version: "1.1", targetPrefix: "secretsmanager"))
}

/// A parsed base URL: `scheme://host[:port][/base/path]`.
public struct Endpoint: Sendable, Equatable, CustomStringConvertible {
    public var scheme: String
    public var hostName: String
    public var port: Int?
    /// Path prefix without a trailing slash (usually empty).
    public var basePath: String

    /// Parses an absolute `http`/`https` URL; `nil` if it is not one.
    public init?(url: String) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
            scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty
        else { return nil }
        self.scheme = scheme
        hostName = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        port = components.port
        var path = components.percentEncodedPath
        while path.hasSuffix("/") { path.removeLast() }
        basePath = path
    }

    public init(scheme: String, hostName: String, port: Int? = nil, basePath: String = "") {
        self.scheme = scheme
        self.hostName = hostName
        self.port = port
        self.basePath = basePath
    }

    /// The `Host` header: the port only when it is not the scheme's default.
    public var hostHeader: String {
        guard let port, !(scheme == "https" && port == 443), !(scheme == "http" && port == 80) else { return hostName }
        return "\(hostName):\(port)"
    }

    public var description: String { "\(scheme)://\(hostHeader)\(basePath)" }
}

/// Endpoint overrides. Precedence: per-service, then global, then the AWS default for the region.
public struct EndpointOverrides: Sendable, Equatable {
    /// Used for every service without its own override (`AWS_ENDPOINT_URL`).
    public var global: String?
    /// Keyed by ``AWSService/environmentName`` (`"SQS"`, `"S3"`; `AWS_ENDPOINT_URL_SQS`).
    public var services: [String: String]

    public init(global: String? = nil, services: [String: String] = [:]) {
        self.global = global
        self.services = services
    }

    /// Reads `AWS_ENDPOINT_URL` and `AWS_ENDPOINT_URL_<SERVICE>`, unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`.
    public static func fromEnvironment(_ environment: [String: String]) -> EndpointOverrides {
        guard environment["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"]?.lowercased() != "true" else { return .init() }
        var overrides = EndpointOverrides(global: environment["AWS_ENDPOINT_URL"].flatMap { $0.isEmpty ? nil : $0 })
        let prefix = "AWS_ENDPOINT_URL_"
        for (key, value) in environment where key.hasPrefix(prefix) && !value.isEmpty {
            overrides.services[String(key.dropFirst(prefix.count))] = value
        }
        return overrides
    }

    /// The endpoint for `service` in `region`, and whether it is the AWS default (virtual-hosted S3 needs that).
    public func resolve(_ service: AWSService, region: String) throws -> (endpoint: Endpoint, isDefault: Bool) {
        if let url = services[service.environmentName] ?? global {
            guard let endpoint = Endpoint(url: url) else { throw AWSClientError.invalidEndpoint(url) }
            return (endpoint, false)
        }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        return (Endpoint(scheme: "https", hostName: "\(service.endpointPrefix).\(region).\(suffix)"), true)
    }
}
