/// Spaces calls so that at most a given number reach the service per second for each key.
public protocol RequestRateLimiting: Sendable {
    /// Returns when a call for `key` may start (sleeping if needed). Throws on cancellation.
    func acquire(_ key: String) async throws
    /// The call `acquire` let through has ended (answered or failed).
    func finished(_ key: String) async
}

/// A per-key spacing limiter on an injected clock: with `perSecond = 2`, successive calls for the same key start at
/// least 500 ms apart, and a call after one that has finished starts at least 500 ms after it finished. Spacing
/// starts alone is not enough: the service counts arrivals, and a call delayed on the way (slow connection, a
/// retry) would arrive right before the next one. Keys are independent (CloudTrail's LookupEvents quota is per
/// account and region).
public actor RateLimiter<C: Clock>: RequestRateLimiting where C.Duration == Duration {
    let clock: C
    let interval: Duration
    private var nextSlot: [String: C.Instant] = [:]

    public init(perSecond: Int, clock: C) {
        precondition(perSecond > 0)
        self.clock = clock
        interval = .seconds(1) / perSecond
    }

    public func acquire(_ key: String) async throws {
        let now = clock.now
        let slot = nextSlot[key].map { max($0, now) } ?? now
        // Reserve before sleeping so concurrent callers queue behind this one instead of sharing the slot.
        nextSlot[key] = slot.advanced(by: interval)
        if slot > now { try await clock.sleep(until: slot, tolerance: nil) }
    }

    public func finished(_ key: String) {
        let earliest = clock.now.advanced(by: interval)
        nextSlot[key] = nextSlot[key].map { max($0, earliest) } ?? earliest
    }
}

extension RateLimiter where C == ContinuousClock {
    public init(perSecond: Int) { self.init(perSecond: perSecond, clock: ContinuousClock()) }
}
