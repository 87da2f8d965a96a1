import Foundation
import TriplineAlerts
import TriplineAWS

/// Somewhere an alert goes: a format from `TriplineAlerts` plus the call that carries it. Delivering throws
/// ``DeliveryError`` (whose text never holds a secret) when the alert did not arrive.
public protocol AlertDestination: Sendable {
    /// A name for logs and per-destination results (`slack`, `pagerduty-oncall`): from configuration, not secret.
    var name: String { get }
    func deliver(_ alert: AlertContent) async throws(DeliveryError)
}

/// Why a delivery failed. Built from status codes, service error codes and our own words only: URLs, keys and
/// response bodies that could echo them are left out.
public struct DeliveryError: Error, Sendable, Equatable, CustomStringConvertible {
    public var destination: String
    /// The last HTTP status, when the receiver answered.
    public var status: Int?
    /// Attempts made (retries included).
    public var attempts: Int
    public var reason: String
    /// Whether a later try could succeed (server faults, throttling, timeouts): the caller retries the input.
    public var transient: Bool

    public init(destination: String, status: Int? = nil, attempts: Int = 1, reason: String, transient: Bool) {
        self.destination = destination
        self.status = status
        self.attempts = attempts
        self.reason = reason
        self.transient = transient
    }

    public var description: String {
        "delivery to \(destination) failed after \(attempts) attempt\(attempts == 1 ? "" : "s")"
            + (status.map { " (HTTP \($0))" } ?? "") + ": \(reason)"
    }

    /// From an AWS call's error: the service code and status, never the message text.
    static func aws(_ destination: String, _ error: any Error) -> DeliveryError {
        if let e = error as? DeliveryError { return e }
        if let e = error as? AWSError {
            return DeliveryError(
                destination: destination, status: e.statusCode, reason: "\(e.service).\(e.operation): \(e.code)",
                transient: StandardRetryPolicy.isRetryable(e))
        }
        if let e = error as? HTTPTransportError {
            return DeliveryError(destination: destination, reason: "connection failed (\(e.kind))", transient: true)
        }
        return DeliveryError(destination: destination, reason: String(describing: type(of: error)), transient: false)
    }
}

/// How one destination fared.
public struct DeliveryResult: Sendable, Equatable {
    public var destination: String
    /// nil: delivered.
    public var error: DeliveryError?
    public var succeeded: Bool { error == nil }
}

/// Sends an alert to every destination at once. One failing (or slow: each call has its own timeouts and a
/// bounded retry budget) does not stop or delay the others; the results say which ones to retry.
public struct AlertFanOut: Sendable {
    public var destinations: [any AlertDestination]

    public init(_ destinations: [any AlertDestination]) { self.destinations = destinations }

    /// Results in the order of `destinations`.
    public func deliver(_ alert: AlertContent) async -> [DeliveryResult] {
        await withTaskGroup(of: (Int, DeliveryResult).self) { group in
            for (index, destination) in destinations.enumerated() {
                group.addTask {
                    do throws(DeliveryError) {
                        try await destination.deliver(alert)
                        return (index, DeliveryResult(destination: destination.name, error: nil))
                    } catch {
                        return (index, DeliveryResult(destination: destination.name, error: error))
                    }
                }
            }
            var results = [DeliveryResult?](repeating: nil, count: destinations.count)
            for await (index, result) in group { results[index] = result }
            return results.map { $0! }
        }
    }
}

/// Retries for webhook POSTs: connection failures, timeouts, 408, 429 and 5xx are retried with exponential
/// backoff and full jitter (or the receiver's `Retry-After`), within a number of attempts and a total wait.
public struct DeliveryRetry: Sendable {
    public var maxAttempts: Int
    public var base: Duration
    public var cap: Duration
    /// The most time spent waiting between attempts for one delivery: the bound on how long a failing
    /// destination can hold an invocation.
    public var budget: Duration
    public var random: @Sendable () -> Double

    public init(
        maxAttempts: Int = 4, base: Duration = .milliseconds(500), cap: Duration = .seconds(8), budget: Duration = .seconds(20),
        random: @escaping @Sendable () -> Double = { Double.random(in: 0...1) }
    ) {
        self.maxAttempts = maxAttempts
        self.base = base
        self.cap = cap
        self.budget = budget
        self.random = random
    }

    public static func isRetryable(status: Int) -> Bool { status == 408 || status == 429 || status >= 500 }

    /// The wait before attempt `attempt + 1` (full jitter over `min(cap, base·2^(attempt-1))`), or the server's
    /// `Retry-After` seconds, capped.
    public func wait(after attempt: Int, retryAfter: String?) -> Duration {
        if let text = retryAfter?.trimmingCharacters(in: .whitespaces), let seconds = Double(text), seconds.isFinite, seconds >= 0 {
            return min(cap, .milliseconds(Int64(seconds * 1000)))
        }
        let ceiling = min(cap, base * (1 << min(attempt - 1, 30)))
        return ceiling * random()
    }
}

/// POSTs a JSON body to a secret URL with ``DeliveryRetry``: the HTTP part of the chat, paging and webhook
/// destinations.
public struct WebhookPoster: Sendable {
    public var transport: any HTTPTransport
    public var retry: DeliveryRetry
    /// Per attempt.
    public var timeout: Duration
    public var sleep: AWSSleeper

    public init(
        transport: any HTTPTransport = AsyncHTTPClientTransport.shared, retry: DeliveryRetry = DeliveryRetry(),
        timeout: Duration = .seconds(10), sleep: @escaping AWSSleeper = taskSleeper
    ) {
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
    }

    /// Sends until a 2xx, a non-retryable answer, or the attempts or the wait budget run out. `headers` is called
    /// per attempt (signatures carry the time of sending).
    @discardableResult
    public func post(
        _ destination: String, url: Secret, body: [UInt8], headers: @Sendable (_ attempt: Int) -> HTTPHeaders = { _ in [:] }
    ) async throws(DeliveryError) -> HTTPResponse {
        guard let scheme = URLComponents(string: url.revealed)?.scheme?.lowercased(), scheme == "https" || scheme == "http" else {
            throw DeliveryError(destination: destination, attempts: 0, reason: "the configured URL is not an http(s) URL", transient: false)
        }
        var waited = Duration.zero
        var attempt = 0
        while true {
            attempt += 1
            var h = headers(attempt)
            h.set("content-type", "application/json")
            h.set("user-agent", "tripline/1.0")
            let request = HTTPRequest(method: "POST", url: url.revealed, headers: h, body: body, timeout: timeout)
            let failure: DeliveryError
            var retryAfter: String? = nil
            do {
                // The body is read up to 64 KiB: a receiver cannot make us buffer without bound.
                let streamed = try await transport.stream(request)
                let body = (try? await streamed.collect(upTo: 1 << 16)) ?? []
                let response = HTTPResponse(status: streamed.status, headers: streamed.headers, body: body)
                if (200..<300).contains(response.status) { return response }
                retryAfter = response.headers["retry-after"]
                failure = DeliveryError(
                    destination: destination, status: response.status, attempts: attempt,
                    reason: Self.summary(response, redacting: url), transient: DeliveryRetry.isRetryable(status: response.status))
            } catch let e as HTTPTransportError {
                failure = DeliveryError(destination: destination, attempts: attempt, reason: "connection failed (\(e.kind))", transient: true)
            } catch is CancellationError {
                throw DeliveryError(destination: destination, attempts: attempt, reason: "cancelled", transient: true)
            } catch {
                failure = DeliveryError(destination: destination, attempts: attempt, reason: String(describing: type(of: error)), transient: true)
            }
            guard failure.transient, attempt < retry.maxAttempts else { throw failure }
            let wait = retry.wait(after: attempt, retryAfter: retryAfter)
            guard waited + wait <= retry.budget else {
                var f = failure
                f.reason += " (retry budget spent)"
                throw f
            }
            waited += wait
            do { try await sleep(wait) } catch {
                throw DeliveryError(destination: destination, attempts: attempt, reason: "cancelled", transient: true)
            }
        }
    }

    /// A short, printable summary of an error answer (Slack says `invalid_blocks`, PagerDuty names the field),
    /// with the URL's secret removed in case the receiver echoes it.
    static func summary(_ response: HTTPResponse, redacting url: Secret) -> String {
        let text = String(decoding: response.body.prefix(200), as: UTF8.self)
        let printable = String(text.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7F ? Character($0) : " " })
        let trimmed = url.redact(printable).trimmingCharacters(in: .whitespaces)
        return trimmed.isEmpty ? "receiver refused the alert" : "receiver said: \(trimmed)"
    }
}
