import Foundation
import TriplineAWS
import TriplineJSON
import TriplineService

/// One invocation as the Runtime API hands it out.
public struct Invocation: Sendable, Equatable {
    public var requestID: String
    /// Epoch milliseconds by which the function must answer.
    public var deadlineMs: Int64?
    public var invokedFunctionArn: String?
    public var traceID: String?
    public var payload: [UInt8]

    public init(requestID: String, deadlineMs: Int64? = nil, invokedFunctionArn: String? = nil, traceID: String? = nil, payload: [UInt8]) {
        self.requestID = requestID
        self.deadlineMs = deadlineMs
        self.invokedFunctionArn = invokedFunctionArn
        self.traceID = traceID
        self.payload = payload
    }
}

extension Invocation {
    /// The deadline the work of this invocation runs to: `Lambda-Runtime-Deadline-Ms`, or (a Runtime API that does
    /// not send it) the function's timeout from now. Read when the invocation is taken, so the time it had is the
    /// time left.
    public func workDeadline(
        fallbackTimeoutSeconds: Int64, clock: @escaping @Sendable () -> Int64 = Deadline.systemClock
    ) -> WorkDeadline {
        let end = deadlineMs ?? clock() + fallbackTimeoutSeconds * 1000
        return WorkDeadline(end: Deadline(epochMs: end, clock: clock))
    }
}

/// An error as the Runtime API wants it (`errorType`, `errorMessage`).
public struct RuntimeError: Error, Sendable, Equatable {
    public var type: String
    public var message: String

    public init(type: String, message: String) {
        self.type = type
        self.message = message
    }

    public init(_ error: any Error) {
        type = String(describing: Swift.type(of: error))
        message = String(describing: error)
    }

    var json: [UInt8] {
        var out: [UInt8] = []
        JSONValue.object([("errorType", .string(type)), ("errorMessage", .string(message))]).write(to: &out)
        return out
    }
}

/// The Runtime API, as the loop sees it: take the next invocation, report its result. Small so the loop is
/// tested against an in-memory fake and the HTTP client separately.
public protocol RuntimeAPIClient: Sendable {
    /// Blocks until the next invocation.
    func next() async throws -> Invocation
    func respond(_ requestID: String, _ body: [UInt8]) async throws
    func fail(_ requestID: String, _ error: RuntimeError) async throws
    /// The function could not start (bad configuration): Lambda records it and restarts the environment.
    func initFailed(_ error: RuntimeError) async throws
}

/// The handler the loop runs: bytes in, bytes out.
public typealias InvocationHandler = @Sendable (Invocation) async throws -> [UInt8]

/// The run loop. A handler error is reported for that invocation and the loop goes on; only a failure of the
/// Runtime API itself (or cancellation) ends it.
public struct RuntimeLoop<Client: RuntimeAPIClient>: Sendable {
    public let client: Client
    public let handler: InvocationHandler
    /// Called with each error the handler threw (for logging), after it was reported.
    public let onHandlerError: @Sendable (Invocation, any Error) -> Void

    public init(client: Client, handler: @escaping InvocationHandler, onHandlerError: @escaping @Sendable (Invocation, any Error) -> Void = { _, _ in }) {
        self.client = client
        self.handler = handler
        self.onHandlerError = onHandlerError
    }

    /// Runs until the client fails or `maxInvocations` have been served (tests).
    public func run(maxInvocations: Int? = nil) async throws {
        var served = 0
        while maxInvocations.map({ served < $0 }) ?? true {
            try Task.checkCancellation()
            let invocation = try await client.next()
            served += 1
            let body: [UInt8]
            do {
                body = try await handler(invocation)
            } catch {
                onHandlerError(invocation, error)
                try await client.fail(invocation.requestID, RuntimeError(error))
                continue
            }
            try await client.respond(invocation.requestID, body)
        }
    }
}

/// The Runtime API over HTTP (`AWS_LAMBDA_RUNTIME_API`, `/2018-06-01/runtime/...`).
public struct HTTPRuntimeAPIClient: RuntimeAPIClient {
    public let base: String
    public let transport: any HTTPTransport

    /// `api` is `host:port` as Lambda sets it in `AWS_LAMBDA_RUNTIME_API`.
    public init(api: String, transport: any HTTPTransport) {
        base = "http://\(api)/2018-06-01/runtime"
        self.transport = transport
    }

    public struct ProtocolError: Error, CustomStringConvertible {
        public var description: String
    }

    /// `next` waits as long as the environment is idle (frozen, in production): no deadline of its own.
    static let longPoll: Duration = .seconds(86400)

    public func next() async throws -> Invocation {
        let r = try await transport.send(HTTPRequest(method: "GET", url: base + "/invocation/next", timeout: Self.longPoll))
        guard r.status == 200, let id = r.headers["lambda-runtime-aws-request-id"], !id.isEmpty else {
            throw ProtocolError(description: "invocation/next answered \(r.status): \(String(decoding: r.body.prefix(300), as: UTF8.self))")
        }
        return Invocation(
            requestID: id, deadlineMs: r.headers["lambda-runtime-deadline-ms"].flatMap { Int64($0) },
            invokedFunctionArn: r.headers["lambda-runtime-invoked-function-arn"], traceID: r.headers["lambda-runtime-trace-id"],
            payload: r.body)
    }

    public func respond(_ requestID: String, _ body: [UInt8]) async throws {
        try await post("/invocation/\(requestID)/response", body, headers: ["content-type": "application/json"])
    }

    public func fail(_ requestID: String, _ error: RuntimeError) async throws {
        try await post("/invocation/\(requestID)/error", error.json, headers: errorHeaders(error))
    }

    public func initFailed(_ error: RuntimeError) async throws {
        try await post("/init/error", error.json, headers: errorHeaders(error))
    }

    private func errorHeaders(_ e: RuntimeError) -> HTTPHeaders {
        ["content-type": "application/json", "lambda-runtime-function-error-type": "Runtime.\(e.type.filter { $0.isLetter || $0.isNumber })"]
    }

    private func post(_ path: String, _ body: [UInt8], headers: HTTPHeaders) async throws {
        let r = try await transport.send(HTTPRequest(method: "POST", url: base + path, headers: headers, body: body, timeout: .seconds(30)))
        guard (200..<300).contains(r.status) else {
            throw ProtocolError(description: "\(path) answered \(r.status): \(String(decoding: r.body.prefix(300), as: UTF8.self))")
        }
    }
}

/// A Runtime API in memory: invocations queued by the test, results recorded. `next` fails once the queue is
/// empty, which ends the loop (as a lost control plane would).
public actor InMemoryRuntimeAPIClient: RuntimeAPIClient {
    public enum Result: Sendable, Equatable {
        case response(String, [UInt8])
        case error(String, RuntimeError)
        case initError(RuntimeError)
    }

    public struct Exhausted: Error {}

    private var pending: [Invocation]
    public private(set) var results: [Result] = []

    public init(_ invocations: [Invocation]) { pending = invocations }

    public func next() async throws -> Invocation {
        guard !pending.isEmpty else { throw Exhausted() }
        return pending.removeFirst()
    }

    public func respond(_ requestID: String, _ body: [UInt8]) async throws { results.append(.response(requestID, body)) }
    public func fail(_ requestID: String, _ error: RuntimeError) async throws { results.append(.error(requestID, error)) }
    public func initFailed(_ error: RuntimeError) async throws { results.append(.initError(error)) }
}
