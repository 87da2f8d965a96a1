/// What to do after a failed attempt.
public enum RetryDecision: Sendable, Equatable {
    case retry(after: Duration)
    case doNotRetry
}

/// Decides whether and when to retry. `attempt` is the number of attempts already made (1 after the first failure).
public protocol RetryPolicy: Sendable {
    func decision(after error: any Error, attempt: Int) -> RetryDecision
}

/// AWS's standard policy: retry throttling, 5xx, 429, transient codes and connection failures, waiting a
/// random time in `0...min(cap, base * 2^attempt)` ("full jitter"), or the server's `Retry-After` when it sets one.
public struct StandardRetryPolicy: RetryPolicy {
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    /// The cap for refused or reset connections.
    public var connectionCap: Duration
    /// Returns a uniform value in `0...1`; injectable so tests are deterministic.
    public var random: @Sendable () -> Double

    public init(
        maxAttempts: Int = 4, base: Duration = .milliseconds(100), cap: Duration = .seconds(20),
        connectionCap: Duration = .milliseconds(100), random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
        self.connectionCap = connectionCap
        self.random = random
    }

    public func decision(after error: any Error, attempt: Int) -> RetryDecision {
        guard attempt < maxAttempts, Self.isRetryable(error) else { return .doNotRetry }
        if let aws = error as? AWSError, let retryAfter = aws.headers["retry-after"].flatMap(Self.parseRetryAfter) {
            return .retry(after: min(retryAfter, cap))
        }
        // A refused or reset connection is answered at once: waiting long teaches nothing, and a dead endpoint
        // must cost the invocation little (the call budget's breaker stops it being tried at all).
        let cap = Self.isConnectionFailure(error) ? min(self.cap, connectionCap) : self.cap
        let ceiling = min(cap, base * (1 << min(attempt, 30)))
        return .retry(after: ceiling * random())
    }

    /// Transient by nature: throttling, server faults, timeouts and dropped connections.
    public static func isRetryable(_ error: any Error) -> Bool {
        if let aws = error as? AWSError {
            return aws.statusCode >= 500 || aws.isThrottling || AWSError.transientCodes.contains(aws.code)
        }
        return error is HTTPTransportError
    }

    /// No connection, or it dropped before a response: nothing reached the service.
    static func isConnectionFailure(_ error: any Error) -> Bool {
        guard let e = error as? HTTPTransportError else { return false }
        return e.kind == .connectFailed || e.kind == .connectionClosed
    }

    /// `Retry-After` in delta-seconds (the form AWS uses); HTTP dates are ignored in favour of backoff.
    static func parseRetryAfter(_ value: String) -> Duration? {
        guard let seconds = Double(value.trimmingWhitespace()), seconds >= 0, seconds.isFinite else { return nil }
        return .milliseconds(Int64(seconds * 1000))
    }
}

/// Never retries (tests, or callers with their own loop).
public struct NoRetryPolicy: RetryPolicy {
    public init() {}
    public func decision(after error: any Error, attempt: Int) -> RetryDecision { .doNotRetry }
}

/// Sleeps between retries and rate-limited calls; injectable so tests run instantly.
public typealias AWSSleeper = @Sendable (Duration) async throws -> Void

/// The real sleeper: `Task.sleep` on the continuous clock (cancellation ends the wait with an error).
public let taskSleeper: AWSSleeper = { try await Task.sleep(for: $0) }
