/// An error answered by an AWS service (any non-2xx response), whatever the protocol.
///
/// `code` is normalised so callers can compare one spelling: the namespace prefix (`com.amazonaws…#`) and the
/// `Exception` suffix are removed (`ConditionalCheckFailedException` → `ConditionalCheckFailed`). `rawCode` keeps
/// what the service sent.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: String
    public var rawCode: String
    public var message: String
    public var statusCode: Int
    public var headers: HTTPHeaders
    public var requestId: String?
    /// Signing name of the service and the operation that failed (for logs).
    public var service: String
    public var operation: String

    public init(
        rawCode: String, message: String, statusCode: Int, headers: HTTPHeaders = [:], requestId: String? = nil,
        service: String = "", operation: String = ""
    ) {
        self.rawCode = rawCode
        self.code = Self.normalise(rawCode)
        self.message = message
        self.statusCode = statusCode
        self.headers = headers
        self.requestId = requestId
        self.service = service
        self.operation = operation
    }

    /// Compares codes after normalising both sides: `error.is("ConditionalCheckFailedException")` and
    /// `error.is("ConditionalCheckFailed")` are the same test.
    public func `is`(_ code: String) -> Bool { self.code == Self.normalise(code) }

    /// Whether the service asked us to slow down.
    public var isThrottling: Bool {
        statusCode == 429 || Self.throttlingCodes.contains(code)
    }

    public var description: String {
        "\(service).\(operation) failed: \(statusCode) \(rawCode): \(message)" + (requestId.map { " (request id \($0))" } ?? "")
    }

    /// Normalised throttling codes across services (SDK lists, `Exception` suffix removed).
    static let throttlingCodes: Set<String> = [
        "Throttling", "Throttled", "RequestThrottled", "TooManyRequests", "ProvisionedThroughputExceeded",
        "TransactionInProgress", "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceeded", "SlowDown",
        "PriorRequestNotComplete", "EC2Throttled", "ThrottledException", "RequestThrottledException",
        "ThrottlingException",
    ].reduce(into: Set<String>()) { $0.insert(normalise($1)) }

    /// Transient server-side codes that may come with a 4xx status.
    static let transientCodes: Set<String> = ["RequestTimeout", "InternalError", "ServiceUnavailable", "IDPCommunicationError"]

    static func normalise(_ raw: String) -> String {
        var code = Substring(raw.trimmingWhitespace())
        if let hash = code.lastIndex(of: "#") { code = code[code.index(after: hash)...] }
        // x-amzn-ErrorType may carry a documentation URL: `Code:http://internal.amazon.com/...`.
        if let colon = code.firstIndex(of: ":") { code = code[..<colon] }
        if code.hasSuffix("Exception"), code.count > "Exception".count { code = code.dropLast("Exception".count) }
        return String(code)
    }

    /// Decodes an error response. The body is sniffed rather than trusting `Content-Type` or the protocol:
    /// moto labels JSON `text/html`, and authentication failures are XML even from JSON services.
    static func decode(_ response: HTTPResponse, service: String, operation: String) -> AWSError {
        var rawCode: String?
        var message: String?
        var requestId = response.headers["x-amzn-requestid"] ?? response.headers["x-amz-request-id"]
        let first = response.body.first { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }
        if first == UInt8(ascii: "{"), let json = try? AWSJSON.parse(response.body) {
            rawCode = json["__type"]?.string ?? json["code"]?.string ?? json["Code"]?.string
            message = json["message"]?.string ?? json["Message"]?.string ?? json["errorMessage"]?.string
        } else if first == UInt8(ascii: "<"), let xml = try? XMLTree.parse(response.body) {
            // Query: ErrorResponse/Error/Code; S3: Error/Code; some: Response/Errors/Error/Code.
            let error = xml.name == "Error" ? xml : xml.find("Error")
            rawCode = error?.text("Code")
            message = error?.text("Message")
            requestId = requestId ?? xml.find("RequestId")?.text ?? xml.find("RequestID")?.text
        }
        if rawCode == nil || rawCode == "" {
            rawCode = response.headers["x-amzn-errortype"] ?? Self.codeForStatus(response.status)
        }
        if message == nil {
            message = String(decoding: response.body.prefix(512), as: UTF8.self)
        }
        return AWSError(
            rawCode: rawCode!, message: message!, statusCode: response.status, headers: response.headers,
            requestId: requestId, service: service, operation: operation)
    }

    /// Bodiless errors (S3 HEAD, some proxies) only have a status.
    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 304: "NotModified"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 412: "PreconditionFailed"
        case 429: "TooManyRequests"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}

/// Failures on our side of the wire: malformed responses, configuration, credentials, limits.
public enum AWSClientError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The service answered 2xx with a body we could not decode.
    case invalidResponse(String)
    /// A streamed body exceeded the caller's limit.
    case bodyTooLarge(limit: Int)
    /// An endpoint URL (explicit or from the environment) could not be used.
    case invalidEndpoint(String)
    /// No credential provider in the chain could supply credentials; one line per provider tried.
    case noCredentials([String])
    /// A credentials source was configured but returned something unusable.
    case invalidCredentials(String)
    /// A request parameter was rejected before sending.
    case invalidParameter(String)

    public var description: String {
        switch self {
        case .invalidResponse(let m): "invalid response: \(m)"
        case .bodyTooLarge(let limit): "response body larger than \(limit) bytes"
        case .invalidEndpoint(let m): "invalid endpoint: \(m)"
        case .noCredentials(let tried): "no AWS credentials found (\(tried.joined(separator: "; ")))"
        case .invalidCredentials(let m): "invalid credentials: \(m)"
        case .invalidParameter(let m): "invalid parameter: \(m)"
        }
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s = s.dropFirst() }
        while let l = s.last, l.isWhitespace { s = s.dropLast() }
        return String(s)
    }
}
