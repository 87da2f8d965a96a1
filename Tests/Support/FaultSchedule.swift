import Foundation

/// A seeded, randomised fault schedule for a ``FaultProxy``: which fault each request gets.
///
/// Everything random comes from one ``SplitMix64`` seeded with ``seed``: the schedule's fault rate, the mix of
/// fault kinds, and each request's draw. Requests are drawn in the order they reach the proxies, so the same seed
/// over the same inputs gives the same faults (as far as the code under test makes the same calls in the same
/// order). Reproduce one with `TRIPLINE_FAULT_SEED=<seed>`; `TRIPLINE_FAULT_SCHEDULES` sets how many a run makes.
public final class FaultSchedule: @unchecked Sendable {
    /// Simulated death of the process the schedule's proxies serve (SIGKILL): from the kill point on, nothing it
    /// sends lands anywhere.
    public enum Kill: String, Sendable {
        case none
        /// After its claims, before SNS sees its first alert (the Publish is dropped).
        case beforePublish = "between claim and publish"
        /// After SNS accepted its first alert, before it is marked (the Publish lands, the answer is lost).
        case afterPublish = "between publish and mark"
    }

    public let seed: UInt64
    /// Probability that a request is faulted.
    public let rate: Double
    /// Fault kinds in play and their weights.
    public let mix: [(kind: String, weight: Int)]
    /// How long a `.latency` fault holds a request.
    public let latencyMilliseconds: Int
    public let kill: Kill
    /// Services faulted (others pass).
    public let services: Set<String>

    private let lock = NSLock()
    private var rng: SplitMix64
    private var enabled = true
    private var latencies = 0
    private var refusals = 0
    private var dead = false
    /// At most this many held (latency) requests per schedule: each costs an invocation its whole deadline.
    public var maxLatencies = 1
    public var maxRefusals = 2

    /// `rate`: overrides the drawn fault rate.
    public init(
        seed: UInt64, latencyMilliseconds: Int, kill: Kill = .none, rate: Double? = nil,
        services: Set<String> = ["s3", "dynamodb", "sns"]
    ) {
        self.seed = seed
        self.latencyMilliseconds = latencyMilliseconds
        self.kill = kill
        self.services = services
        var rng = SplitMix64(seed: seed)
        let rates = [0.0, 0.05, 0.1, 0.2, 0.35]
        let drawn = rates[rng.below(rates.count)]
        self.rate = rate ?? drawn
        var mix: [(String, Int)] = [("5xx", 3), ("throttle", 3), ("reset-mid-body", 3)]
        if rng.below(3) == 0 { mix.append(("latency", 1)) }
        if rng.below(3) == 0 { mix.append(("refused", 1)) }
        self.mix = mix
        self.rng = rng
    }

    /// Stops faulting (the replay of the DLQ runs without faults). A dead process stays dead.
    public func disable() { lock.withLock { enabled = false } }

    public var isDead: Bool { lock.withLock { dead } }

    public func decide(_ request: ProxiedRequest) -> ProxyFault {
        lock.withLock {
            if dead { return .drop }
            if kill != .none, request.service == "sns", request.operation == "Publish" {
                dead = true
                return kill == .beforePublish ? .drop : .resetMidBody
            }
            guard enabled, services.contains(request.service), rate > 0 else { return .pass }
            let draw = Double(rng.next() >> 11) / Double(1 << 53)
            guard draw < rate else { return .pass }
            let total = mix.reduce(0) { $0 + $1.weight }
            var pick = rng.below(total)
            var kind = mix[0].kind
            for (k, w) in mix {
                if pick < w {
                    kind = k
                    break
                }
                pick -= w
            }
            switch kind {
            case "5xx": return .serverError
            case "throttle": return .throttle
            case "reset-mid-body": return .resetMidBody
            case "latency":
                guard latencies < maxLatencies else { return .serverError }
                latencies += 1
                return .latency(milliseconds: latencyMilliseconds)
            default:
                guard refusals < maxRefusals else { return .resetMidBody }
                refusals += 1
                return .refuse
            }
        }
    }

    public var summary: String {
        "seed \(seed): rate \(rate), kinds \(mix.map(\.kind).joined(separator: ","))\(kill == .none ? "" : ", killed \(kill.rawValue)")"
    }

    // MARK: - Seeds

    /// The schedules' seeds for this run: `TRIPLINE_FAULT_SEED` alone (reproducing one), or
    /// `TRIPLINE_FAULT_SCHEDULES` (default `defaultCount`) seeds drawn from `TRIPLINE_FAULT_RUN_SEED` (random when
    /// unset; printed either way).
    public static func seeds(defaultCount: Int = 200, environment: [String: String] = ProcessInfo.processInfo.environment)
        -> (seeds: [UInt64], runSeed: UInt64?)
    {
        if let text = environment["TRIPLINE_FAULT_SEED"], let seed = UInt64(text) { return ([seed], nil) }
        let count = environment["TRIPLINE_FAULT_SCHEDULES"].flatMap(Int.init) ?? defaultCount
        let runSeed = environment["TRIPLINE_FAULT_RUN_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64.max)
        var rng = SplitMix64(seed: runSeed)
        return ((0..<max(0, count)).map { _ in rng.next() }, runSeed)
    }
}
