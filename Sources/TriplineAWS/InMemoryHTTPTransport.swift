/// An ``HTTPTransport`` that never touches the network: it records every request and answers from a handler or a
/// scripted queue. Shipped with the library so every module's tests can use it.
public actor InMemoryHTTPTransport: HTTPTransport {
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse

    private enum Source {
        case handler(Handler)
        case queue([Result<HTTPResponse, any Error>])
    }

    private var source: Source
    /// Every request received, in order (already signed, so headers can be inspected).
    public private(set) var requests: [HTTPRequest] = []

    /// Answers each request with `handler`.
    public init(_ handler: @escaping Handler) { source = .handler(handler) }

    /// Answers requests with these outcomes in order; running out is a test bug and throws.
    public init(scripted outcomes: [Result<HTTPResponse, any Error>]) { source = .queue(outcomes) }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        requests.append(request)
        switch source {
        case .handler(let handler):
            return try await handler(request)
        case .queue(var outcomes):
            guard !outcomes.isEmpty else {
                throw AWSClientError.invalidResponse("InMemoryHTTPTransport: no scripted response left for \(request.method) \(request.url)")
            }
            let next = outcomes.removeFirst()
            source = .queue(outcomes)
            return try next.get()
        }
    }
}
