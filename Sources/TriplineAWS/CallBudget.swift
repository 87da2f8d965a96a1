import Foundation
import Synchronization

/// A moment by which work must be done, on an injectable clock. Epoch milliseconds, as Lambda states its deadline
/// (`Lambda-Runtime-Deadline-Ms`), so one value is comparable across processes and stored claims.
public struct Deadline: Sendable {
    /// Epoch milliseconds.
    public let epochMs: Int64
    /// The current time in epoch milliseconds (injected in tests).
    public let clock: @Sendable () -> Int64

    public static let systemClock: @Sendable () -> Int64 = { Int64((Date().timeIntervalSince1970 * 1000).rounded(.down)) }

    public init(epochMs: Int64, clock: @escaping @Sendable () -> Int64 = Deadline.systemClock) {
        self.epochMs = epochMs
        self.clock = clock
    }

    /// `duration` from now on `clock`.
    public static func after(_ duration: Duration, clock: @escaping @Sendable () -> Int64 = Deadline.systemClock) -> Deadline {
        Deadline(epochMs: clock() + duration.milliseconds, clock: clock)
    }

    /// Time left (zero once passed).
    public var remaining: Duration { .milliseconds(max(0, epochMs - clock())) }
    public var hasPassed: Bool { clock() >= epochMs }

    /// The same clock, `duration` earlier.
    public func earlier(by duration: Duration) -> Deadline { Deadline(epochMs: epochMs - duration.milliseconds, clock: clock) }

    /// Epoch seconds, rounded up (a claim that expires "at the deadline" must not expire a moment before it).
    public var epochSeconds: Int { Int((epochMs + 999) / 1000) }
}

extension Duration {
    /// Whole milliseconds (truncated).
    var milliseconds: Int64 {
        let (s, atto) = components
        return s * 1000 + atto / 1_000_000_000_000_000
    }
}

/// The time every AWS call of one invocation shares, and which endpoints have stopped answering during it.
///
/// Installed as a task-local (``CallBudget/current``) around an invocation, so every call made inside it — by any
/// client, store or sink, in any child task — is bounded by the same deadline without threading it through each
/// signature. ``AWSClient`` reads it: each attempt's timeout is cut to the time left, no retry sleeps past the
/// deadline, and an endpoint that failed `breakerThreshold` times in a row at the transport level (refused, reset,
/// timed out) or with 5xx is skipped for the rest of the invocation instead of being waited on again.
public final class CallBudget: Sendable {
    @TaskLocal public static var current: CallBudget?

    public let deadline: Deadline
    /// Consecutive failures of one endpoint after which it is skipped.
    public let breakerThreshold: Int
    private let breaker: Breaker

    /// Below this much time left an attempt is not started: it could not complete.
    public static let minimumAttempt: Duration = .milliseconds(50)

    public init(deadline: Deadline, breakerThreshold: Int = 3) {
        self.deadline = deadline
        self.breakerThreshold = max(1, breakerThreshold)
        breaker = Breaker()
    }

    private init(deadline: Deadline, breakerThreshold: Int, breaker: Breaker) {
        self.deadline = deadline
        self.breakerThreshold = breakerThreshold
        self.breaker = breaker
    }

    /// The same invocation with a different deadline (clean-up after work stopped): endpoints already skipped stay
    /// skipped.
    public func with(deadline: Deadline) -> CallBudget {
        CallBudget(deadline: deadline, breakerThreshold: breakerThreshold, breaker: breaker)
    }

    /// Runs `operation` within the current budget's time left, cancelling it at the deadline (for work a single
    /// attempt's timeout does not cover, such as reading a streamed body); outside a budget it runs as is.
    public static func bounded<T: Sendable>(_ what: String, _ operation: @escaping @Sendable () async throws -> T) async throws -> T {
        guard let budget = current else { return try await operation() }
        return try await racing(budget.deadline.remaining, operation) {
            CallBudgetError(kind: .deadline, operation: what, endpoint: "", lastError: nil)
        }
    }

    /// Endpoints skipped so far (`scheme://host:port`), for logs.
    public var skippedEndpoints: [String] {
        breaker.state.withLock { s in s.filter { $0.value >= breakerThreshold }.map(\.key).sorted() }
    }

    func isSkipped(_ endpoint: String) -> Bool {
        breaker.state.withLock { ($0[endpoint] ?? 0) >= breakerThreshold }
    }

    /// Counts a failure against the endpoint when it says the endpoint (not the request) is at fault.
    func record(_ error: any Error, endpoint: String) {
        let counts: Bool
        if let e = error as? HTTPTransportError {
            counts = e.kind != .other
        } else if let e = error as? AWSError {
            counts = e.statusCode >= 500
        } else {
            counts = false
        }
        guard counts else { return }
        breaker.state.withLock { $0[endpoint, default: 0] += 1 }
    }

    func recordSuccess(_ endpoint: String) {
        breaker.state.withLock { $0[endpoint] = nil }
    }

    /// `scheme://host[:port]` of an absolute URL: the unit the breaker counts in.
    static func endpointKey(_ url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return url }
        let rest = url[schemeEnd.upperBound...]
        let hostEnd = rest.firstIndex { $0 == "/" || $0 == "?" } ?? rest.endIndex
        return String(url[..<hostEnd])
    }

    private final class Breaker: Sendable {
        let state = Mutex<[String: Int]>([:])
    }
}

/// An AWS call that was not made, or given up on, because the invocation's time or the endpoint ran out.
public struct CallBudgetError: Error, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// Too little time left for another attempt.
        case deadline
        /// The endpoint failed repeatedly during this invocation and is skipped.
        case endpointSkipped
    }

    public var kind: Kind
    public var operation: String
    public var endpoint: String
    /// What the last attempt failed with, if one was made.
    public var lastError: String?

    public var description: String {
        let what = kind == .deadline ? "no time left before the invocation's deadline" : "endpoint \(endpoint) skipped after repeated failures"
        return "\(operation): \(what)" + (lastError.map { " (last error: \($0))" } ?? "")
    }
}

/// Runs `operation`, cancelling it and throwing `timeout()` once `limit` has passed. Bounds what a transport's own
/// deadline does not cover (a response body that stalls after its head).
func racing<T: Sendable>(
    _ limit: Duration, _ operation: @escaping @Sendable () async throws -> T, timeout: @escaping @Sendable () -> any Error
) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await operation() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw timeout() }
        return value
    }
}
