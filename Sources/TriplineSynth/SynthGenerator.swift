// TriplineSynth: deterministic, realistic CloudTrail for benchmarks, tests and the bundled samples.
//
//     var gen = SynthGenerator(config: SynthConfig(seed: 42))
//     var buf: [UInt8] = []
//     gen.nextRecord(into: &buf)                    // one record object, appended
//     let file = gen.logFile(index: 0)              // {"Records":[…]} for log file 0
//     let key = gen.logFileKey(index: 0)            // AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/…json.gz
//
// The same config produces the same bytes on every machine: the PRNG is xoshiro256** and every choice is integer
// arithmetic. Output is uncompressed JSON; callers gzip it.

/// What to generate. Rates are per record.
public struct SynthConfig: Sendable, Equatable {
    public var seed: UInt64
    public var accountId: String
    /// Log file `i` belongs to `regions[i % regions.count]`; streaming records cycle through them at random.
    public var regions: [String]
    public var eventsPerFile: Int
    /// Epoch seconds of the first record.
    public var startTime: Int64
    /// Time covered by one log file (CloudTrail delivers about every 5 minutes per region).
    public var secondsPerFile: Int
    /// Records that carry errorCode/errorMessage.
    public var errorRate: Double
    /// Records drawn from the security-relevant menu (trail tampering, public exposure, IAM persistence, …).
    public var securityRate: Double
    /// Large records (RunInstances with big responseElements, policies as escaped JSON strings).
    public var largeRate: Double
    public var trailName: String
    public var bucket: String
    /// Records drawn from a busy organisation's ordinary write activity (autoscaling, CI and Terraform, instances on
    /// public AWS addresses, Identity Center sessions, backups). 0 (the default) draws none and consumes no randomness.
    public var busyRate: Double = 0

    public init(
        seed: UInt64 = 1, accountId: String = "123456789012", regions: [String] = ["us-east-1", "eu-west-1"],
        eventsPerFile: Int = 1000, startTime: Int64 = 1_740_830_400 /* 2025-03-01T12:00:00Z */, secondsPerFile: Int = 300,
        errorRate: Double = 0.03, securityRate: Double = 0.005, largeRate: Double = 0.012,
        trailName: String = "management-events", bucket: String? = nil
    ) {
        self.seed = seed
        self.accountId = accountId
        self.regions = regions.isEmpty ? ["us-east-1"] : regions
        self.eventsPerFile = max(1, eventsPerFile)
        self.startTime = startTime
        self.secondsPerFile = max(1, secondsPerFile)
        self.errorRate = errorRate
        self.securityRate = securityRate
        self.largeRate = largeRate
        self.trailName = trailName
        self.bucket = bucket ?? "aws-cloudtrail-logs-\(accountId)-3f9a1c2e"
    }
}

extension SynthConfig {
    /// A busy organisation's ordinary day: four regions, a third of records from the busy menu, nothing from the
    /// security menu. What high and critical rules must stay quiet on.
    public static func busyOrganisation(seed: UInt64 = 7, eventsPerFile: Int = 2000) -> SynthConfig {
        var c = SynthConfig(seed: seed, accountId: "210987654321", regions: ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2"],
                            eventsPerFile: eventsPerFile, securityRate: 0)
        c.busyRate = 0.33
        return c
    }
}

/// Counts of what a generator has written so far.
public struct SynthStats: Sendable, Equatable {
    public var records = 0
    public var bytes = 0
    public var errors = 0
    /// Records from the security menu, including every call of a GetSecretValue burst.
    public var security = 0
    public var large = 0
    public init() {}
}

/// Where one log file sits in time and in S3.
public struct SynthLogFile: Sendable, Equatable {
    public var index: Int
    public var region: String
    /// Epoch seconds; the file holds records in [startTime, endTime).
    public var startTime: Int64
    public var endTime: Int64
    public var key: String
}

public struct SynthGenerator: Sendable {
    public let config: SynthConfig
    public internal(set) var stats = SynthStats()

    let world: World
    var rng: SynthRNG
    var clockMs: Int64
    var stepMs: Int
    let pinnedRegion: Int?
    var region = 0

    let errorT: UInt64
    let securityT: UInt64
    let largeT: UInt64
    let busyT: UInt64
    let slashT = threshold(0.01)
    let asciiT = threshold(0.03)

    // An ongoing GetSecretValue burst.
    var wantError = false
    var burstLeft = 0
    var burstPrincipal: Principal?

    /// A generator that streams records across all configured regions, starting at `config.startTime`.
    public init(config: SynthConfig) {
        self.init(config: config, world: World(config: config), stream: 0, region: nil, startMs: config.startTime * 1000)
    }

    init(config: SynthConfig, world: World, stream: UInt64, region: Int?, startMs: Int64) {
        self.config = config
        self.world = world
        rng = SynthRNG(seed: mixSeed(config.seed, stream))
        clockMs = startMs
        stepMs = max(1, config.secondsPerFile * 1000 / config.eventsPerFile)
        pinnedRegion = region
        errorT = threshold(config.errorRate)
        // A burst draw yields ~14 records on average; scale so `securityRate` is the per-record rate.
        securityT = threshold(config.securityRate / (1 + 13.5 / Double(SecurityKind.allCases.count)))
        largeT = threshold(config.largeRate)
        busyT = config.busyRate > 0 ? threshold(config.busyRate) : 0
    }

    /// Appends one CloudTrail record (a JSON object, no separator) to `buffer` and advances the clock.
    public mutating func nextRecord(into buffer: inout [UInt8]) {
        clockMs += Int64(rng.below(2 * stepMs + 1))
        region = pinnedRegion ?? rng.below(world.regions.count)
        var o = JSONOut()
        swap(&o.b, &buffer)
        let before = o.b.count
        o.escapeSlash = rng.chance(slashT)
        o.asciiOnly = rng.chance(asciiT)

        if burstLeft > 0, let p = burstPrincipal {
            burstLeft -= 1
            stats.security += 1
            getSecretValue(&o, Call(p, at: clockMs, region: region), error: nil)
        } else if rng.chance(securityT) {
            stats.security += 1
            security(&o, SecurityKind.allCases[rng.below(SecurityKind.allCases.count)])
        } else if busyT > 0 && rng.chance(busyT) {
            busy(&o)
        } else if rng.chance(largeT) {
            stats.large += 1
            large(&o)
        } else {
            noise(&o)
        }
        stats.records += 1
        stats.bytes += o.b.count - before
        swap(&o.b, &buffer)
    }

    /// Position, time window and S3 key of log file `index`.
    public func logFileInfo(index: Int) -> SynthLogFile {
        let n = config.regions.count
        let start = config.startTime + Int64(index / n) * Int64(config.secondsPerFile)
        let end = start + Int64(config.secondsPerFile)
        var r = SynthRNG(seed: mixSeed(config.seed, 0x6B65_7900 &+ UInt64(index)))
        let random16 = World.token(&r, "", 16, World.alnum)
        let region = config.regions[index % n]
        return SynthLogFile(index: index, region: region, startTime: start, endTime: end,
                            key: Self.cloudTrailKey(account: config.accountId, region: region, time: end, random16: random16))
    }

    /// The S3 key of log file `index` (see `cloudTrailKey`).
    public func logFileKey(index: Int) -> String { logFileInfo(index: index).key }

    /// One CloudTrail log file, `{"Records":[…]}` with `eventsPerFile` records from its region and time window.
    /// Independent of every other index, so files can be generated in parallel or in any order. `injecting` records
    /// (e.g. from `attackScenario`) are spread evenly among the generated ones, in the order given.
    public func logFile(index: Int, injecting extra: [[UInt8]] = []) -> [UInt8] {
        var gen = fileGenerator(index: index)
        var out: [UInt8] = []
        out.reserveCapacity(config.eventsPerFile * 1700 + extra.reduce(0) { $0 + $1.count + 1 })
        Self.raw(&out, "{\"Records\":[")
        let total = config.eventsPerFile + extra.count
        var next = 0
        for i in 0..<total {
            if i > 0 { out.append(0x2C) }
            // Extra record k goes at position (k + 1) * total / (extra.count + 1).
            if next < extra.count && i == (next + 1) * total / (extra.count + 1) {
                out.append(contentsOf: extra[next])
                next += 1
            } else {
                gen.nextRecord(into: &out)
            }
        }
        Self.raw(&out, "]}")
        return out
    }

    /// The generator behind `logFile(index:)`, for callers that want its records one by one or its stats.
    public func fileGenerator(index: Int) -> SynthGenerator {
        let info = logFileInfo(index: index)
        return SynthGenerator(config: config, world: world, stream: 0x66_696C_6500 &+ UInt64(index) &+ 1,
                              region: index % config.regions.count, startMs: info.startTime * 1000)
    }

    /// CloudTrail's S3 key layout:
    /// `AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_YYYYMMDDTHHMMZ_<random16>.json.gz`.
    /// `time` is the delivery time in epoch seconds (UTC).
    public static func cloudTrailKey(account: String, region: String, time: Int64, random16: String, prefix: String = "") -> String {
        let c = CivilTime(time * 1000)
        return "\(prefix)AWSLogs/\(account)/CloudTrail/\(region)/\(c.datePath)/\(account)_CloudTrail_\(region)_\(c.compact(seconds: false))_\(random16).json.gz"
    }

    static func raw(_ out: inout [UInt8], _ s: StaticString) { s.withUTF8Buffer { out.append(contentsOf: $0) } }
}
