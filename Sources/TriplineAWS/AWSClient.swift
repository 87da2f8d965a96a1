import Foundation
import SigV4

/// The shared core of every service client: region, credentials, endpoints, signing, retries and error decoding.
///
/// A value type: copy it and change a field to get a variant (another region, a test transport). Service clients
/// (``S3Client``, ``SQSClient``, …) wrap one.
public struct AWSClient: Sendable {
    public var region: String
    public var credentials: any CredentialProvider
    public var transport: any HTTPTransport
    public var endpoints: EndpointOverrides
    /// S3 addressing. `.auto` uses virtual-hosted style on AWS endpoints and path style on overrides (moto, MinIO).
    public var s3AddressingStyle: S3AddressingStyle
    public var retryPolicy: any RetryPolicy
    /// Deadline per attempt (`nil`: the transport's default).
    public var timeout: Duration?
    /// Waits between retries and for rate limits.
    public var sleep: AWSSleeper
    /// Signing time source.
    public var now: @Sendable () -> Date

    public init(
        region: String,
        credentials: any CredentialProvider,
        transport: any HTTPTransport = AsyncHTTPClientTransport.shared,
        endpoint: String? = nil,
        endpoints: EndpointOverrides = EndpointOverrides(),
        s3AddressingStyle: S3AddressingStyle = .auto,
        retryPolicy: any RetryPolicy = StandardRetryPolicy(),
        timeout: Duration? = .seconds(30),
        sleep: @escaping AWSSleeper = taskSleeper,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.region = region
        self.credentials = credentials
        self.transport = transport
        var endpoints = endpoints
        if let endpoint { endpoints.global = endpoint }
        self.endpoints = endpoints
        self.s3AddressingStyle = s3AddressingStyle
        self.retryPolicy = retryPolicy
        self.timeout = timeout
        self.sleep = sleep
        self.now = now
    }

    /// A client configured the way the AWS CLI would be: region from `AWS_REGION`/`AWS_DEFAULT_REGION` (then the
    /// profile, then `us-east-1`), endpoints from `AWS_ENDPOINT_URL[_<SERVICE>]`, credentials from the default chain.
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = AsyncHTTPClientTransport.shared
    ) -> AWSClient {
        let region = environment["AWS_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? environment["AWS_DEFAULT_REGION"].flatMap { $0.isEmpty ? nil : $0 }
            ?? ProfileCredentialProvider(environment: environment).region()
            ?? "us-east-1"
        return AWSClient(
            region: region, credentials: AWSCredentials.defaultChain(environment: environment, transport: transport),
            transport: transport, endpoints: .fromEnvironment(environment))
    }

    // MARK: - Protocol-level calls (used by the service clients)

    /// JSON 1.0/1.1 call: POST `/` with `X-Amz-Target`.
    func json(_ service: AWSService, _ operation: String, _ body: AWSJSON, timeout: Duration? = nil) async throws -> AWSJSON {
        guard case .json(let version, let prefix) = service.wireProtocol else {
            preconditionFailure("\(service.signingName) is not a JSON service")
        }
        let response = try await execute(
            AWSRequest(
                service: service, operation: operation, method: "POST", path: "/",
                headers: ["content-type": "application/x-amz-json-\(version)", "x-amz-target": "\(prefix).\(operation)"],
                body: body.serialized(), timeout: timeout))
        return try AWSJSON.parse(response.body)
    }

    /// REST-JSON call: `method` on `path` with a JSON body (already serialised), JSON answer.
    func restJSON(_ service: AWSService, _ operation: String, method: String, path: String, body: [UInt8]) async throws -> AWSJSON {
        guard case .restJSON = service.wireProtocol else {
            preconditionFailure("\(service.signingName) is not a REST-JSON service")
        }
        let response = try await execute(
            AWSRequest(
                service: service, operation: operation, method: method, path: path,
                headers: ["content-type": "application/json"], body: body))
        return try AWSJSON.parse(response.body)
    }

    /// Query call: form body `Action=<operation>&Version=<api>&…`, XML answer (`<OperationResponse>`).
    func query(_ service: AWSService, _ action: String, _ parameters: [(String, String)]) async throws -> XMLTree {
        guard case .query(let version) = service.wireProtocol else {
            preconditionFailure("\(service.signingName) is not a query service")
        }
        let form = ([("Action", action), ("Version", version)] + parameters)
            .map { "\(SigV4Encoding.encode($0.0))=\(SigV4Encoding.encode($0.1))" }
            .joined(separator: "&")
        let response = try await execute(
            AWSRequest(
                service: service, operation: action, method: "POST", path: "/",
                headers: ["content-type": "application/x-www-form-urlencoded; charset=utf-8"], body: Array(form.utf8)))
        return try XMLTree.parse(response.body)
    }

    // MARK: - Execution

    /// Sends with retries and returns the buffered 2xx response; anything else is thrown as ``AWSError``.
    /// The whole exchange, body included, is bounded by the attempt's timeout.
    func execute(_ request: AWSRequest) async throws -> HTTPResponse {
        try await withRetries(request) { [transport] http in
            let limit = http.timeout ?? .seconds(60)
            return try await racing(limit, {
                let response = try await transport.send(http)
                guard (200..<300).contains(response.status) else {
                    throw AWSError.decode(response, service: request.service.signingName, operation: request.operation)
                }
                return response
            }, timeout: { HTTPTransportError(.timeout, "\(request.operation): no complete response within \(limit)") })
        }
    }

    /// Like ``execute(_:)`` but the body of a successful response is streamed. Retries cover everything up to the
    /// response head; a failure mid-body is the caller's to handle.
    func executeStreaming(_ request: AWSRequest) async throws -> HTTPStreamingResponse {
        try await withRetries(request) { http in
            let response = try await transport.stream(http)
            guard (200..<300).contains(response.status) else {
                let body = try await response.collect(upTo: 1 << 20)
                throw AWSError.decode(
                    HTTPResponse(status: response.status, headers: response.headers, body: body),
                    service: request.service.signingName, operation: request.operation)
            }
            return response
        }
    }

    /// Attempts until success, a final error or the policy gives up. Inside a ``CallBudget`` (an invocation) each
    /// attempt's timeout is cut to the time left, no wait outlives the deadline, and an endpoint the budget has
    /// given up on is not tried at all.
    private func withRetries<T>(_ request: AWSRequest, _ attempt: (HTTPRequest) async throws -> T) async throws -> T {
        let budget = CallBudget.current
        var attempts = 0
        var lastError: (any Error)?
        while true {
            // Signed afresh each attempt: the date (and possibly the credentials) change.
            var http = try await signedRequest(request)
            let endpoint = CallBudget.endpointKey(http.url)
            if let budget {
                func refuse(_ kind: CallBudgetError.Kind) -> CallBudgetError {
                    CallBudgetError(
                        kind: kind, operation: "\(request.service.signingName).\(request.operation)", endpoint: endpoint,
                        lastError: lastError.map { "\($0)" })
                }
                if budget.isSkipped(endpoint) { throw refuse(.endpointSkipped) }
                let left = budget.deadline.remaining
                guard left >= CallBudget.minimumAttempt else { throw refuse(.deadline) }
                http.timeout = min(http.timeout ?? .seconds(60), left)
            }
            attempts += 1
            do {
                let result = try await attempt(http)
                budget?.recordSuccess(endpoint)
                return result
            } catch {
                if error is CancellationError { throw error }
                budget?.record(error, endpoint: endpoint)
                lastError = error
                switch retryPolicy.decision(after: error, attempt: attempts) {
                case .doNotRetry: throw error
                case .retry(let wait):
                    if let budget, budget.isSkipped(endpoint) || wait + CallBudget.minimumAttempt > budget.deadline.remaining {
                        throw error
                    }
                    try await sleep(wait)
                }
            }
        }
    }

    /// Resolves the endpoint, adds the standard headers and signs.
    func signedRequest(_ request: AWSRequest) async throws -> HTTPRequest {
        let (endpoint, _) = try endpoints.resolve(request.service, region: region)
        let host = request.hostPrefix.map { "\($0).\(endpoint.hostHeader)" } ?? endpoint.hostHeader
        let path = endpoint.basePath + request.path
        let creds = try await credentials.credentials()
        let isS3 = request.service == .s3
        let signer = SigV4Signer(
            credentials: creds.signing, region: region, service: request.service.signingName,
            options: isS3 ? .s3 : .standard)
        let unsigned = SigV4Request(
            method: request.method, host: host, path: path, query: request.query,
            headers: request.headers.entries, payload: request.unsignedPayload ? .unsigned : .bytes(request.body))
        let signed = signer.sign(unsigned, date: now())
        var headers = HTTPHeaders(signed.headers)
        headers.set("user-agent", "tripline/1.0")
        let query = request.query.isEmpty ? "" : "?" + SigV4Encoding.queryString(request.query)
        return HTTPRequest(
            method: request.method, url: "\(endpoint.scheme)://\(host)\(path)\(query)", headers: headers,
            body: request.body, timeout: request.timeout ?? timeout)
    }
}

/// One service call before endpoint resolution and signing.
struct AWSRequest: Sendable {
    var service: AWSService
    var operation: String
    var method: String
    /// Percent-encoded path relative to the endpoint, starting with `/`.
    var path: String
    var query: [SigV4QueryItem] = []
    var headers: HTTPHeaders = [:]
    var body: [UInt8] = []
    /// Virtual-hosted S3: the bucket becomes the first host label.
    var hostPrefix: String? = nil
    /// S3 only: sign `UNSIGNED-PAYLOAD` instead of hashing the body.
    var unsignedPayload = false
    /// Overrides the client's per-attempt timeout (long polls need more than the default).
    var timeout: Duration? = nil
}
