import Foundation
import TriplineAWS
import TriplineAlerts
import TriplineConfig
import TriplineCore
import TriplineDestinations
import TriplineIO
import TriplineJSON
import TriplineRules

/// Configuration, read once at start from the environment (the names the deploy templates set).
public struct ServiceConfig: Sendable, Equatable {
    public var topicArn: String?
    public var table: String?
    public var logLevel: LogLevel = .info
    /// Folder of extra rule files (`SECURITY_EVENTS_PATH`), loaded on top of the built-in catalog.
    public var rulesPath: String?
    public var minimumSeverity: Severity = .medium
    public var lookbackMinutes = 20
    public var overlapMinutes = 10
    public var retentionDays = 90
    public var region = "us-east-1"
    /// Regions the scheduled poll reads (`TRIPLINE_POLL_REGIONS`, comma-separated); empty: the function's region.
    public var pollRegions: [String] = []
    public var endpoint: String?

    public init() {}

    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// `xx-name-N` or `xx-name-name-N` (us-east-1, ap-southeast-4, us-gov-west-1, cn-north-1, eu-isoe-west-1).
    static func isRegionName(_ name: String) -> Bool {
        let parts = name.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, let last = parts.last, !last.isEmpty, last.allSatisfy(\.isASCII), Int(last) != nil else { return false }
        return parts.dropLast().allSatisfy { p in !p.isEmpty && p.allSatisfy { $0.isASCII && $0.isLowercase } }
    }

    public static func fromEnvironment(_ env: [String: String]) throws(Invalid) -> ServiceConfig {
        func value(_ name: String) -> String? { env[name].flatMap { $0.isEmpty ? nil : $0 } }
        func int(_ name: String, _ range: ClosedRange<Int>) throws(Invalid) -> Int? {
            guard let text = value(name) else { return nil }
            guard let n = Int(text), range.contains(n) else {
                throw Invalid(description: "\(name)=\(text) is not a whole number in \(range.lowerBound)…\(range.upperBound)")
            }
            return n
        }
        var c = ServiceConfig()
        c.topicArn = value("ALERT_SNS_ARN") ?? value("SNS_TOPIC_ARN")
        c.table = value("DYNAMODB_TABLE")
        if let text = value("LOG_LEVEL") {
            guard let level = LogLevel(text) else { throw Invalid(description: "LOG_LEVEL=\(text): use debug, info, warn or error") }
            c.logLevel = level
        }
        c.rulesPath = value("SECURITY_EVENTS_PATH")
        if let text = value("TRIPLINE_MIN_SEVERITY") {
            guard let s = Severity(text) else { throw Invalid(description: "TRIPLINE_MIN_SEVERITY=\(text): use info, low, medium, high or critical") }
            c.minimumSeverity = s
        }
        c.lookbackMinutes = try int("TRIPLINE_LOOKBACK_MINUTES", 1...(90 * 1440)) ?? c.lookbackMinutes
        c.overlapMinutes = try int("TRIPLINE_OVERLAP_MINUTES", 0...1440) ?? c.overlapMinutes
        c.retentionDays = try int("TRIPLINE_RETENTION_DAYS", 1...3650) ?? c.retentionDays
        c.region = value("AWS_REGION") ?? value("AWS_DEFAULT_REGION") ?? c.region
        c.endpoint = value("AWS_ENDPOINT_URL")
        if let text = value("TRIPLINE_POLL_REGIONS") {
            let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            for name in names where !Self.isRegionName(name) {
                throw Invalid(description: "TRIPLINE_POLL_REGIONS=\(text): \(name) is not a region name (like eu-west-1)")
            }
            c.pollRegions = PollRegions(names, home: c.region).regions
        }
        return c
    }
}

/// Reads a whole S3 object (the one call the handler needs from S3).
public protocol ObjectSource: Sendable {
    func fetch(_ object: S3ObjectRef) async throws -> [UInt8]
}

/// ``ObjectSource`` over S3 GetObject: the body is streamed into one buffer pre-sized from `Content-Length`.
public struct S3ObjectSource: ObjectSource {
    public let client: AWSClient
    /// CloudTrail log files are a few MB; anything far larger is not one of them.
    public let maxBytes: Int

    public init(client: AWSClient, maxBytes: Int = 512 << 20) {
        self.client = client
        self.maxBytes = maxBytes
    }

    public func fetch(_ object: S3ObjectRef) async throws -> [UInt8] {
        var client = self.client
        // Read the bucket in its own region (organization trails may log to a bucket elsewhere).
        if let region = object.region, !region.isEmpty { client.region = region }
        // The body streams after the response head: bound the whole read by the invocation's time left.
        return try await CallBudget.bounded("s3.GetObject \(object.path)") { [client, maxBytes] in
            try await S3Client(client).getObject(bucket: object.bucket, key: object.key, maxBytes: maxBytes).body
        }
    }
}

/// Where alerts go when no topic is configured: the function's log.
public struct LogAlertSink: AlertSink {
    public let log: Logger
    public init(log: Logger) { self.log = log }
    public func send(_ messages: [AlertMessage]) async throws {
        for m in messages {
            log.log(.warning, "alert", [("subject", .string(m.subject)), ("severity", .string(m.severity.description)), ("body", .string(m.body))])
        }
    }
}

/// Per-invocation context.
public struct InvocationContext: Sendable {
    public var requestID: String
    public var log: Logger
    /// When the invocation must be answered (`nil`: no limit, e.g. tests and local runs).
    public var deadline: WorkDeadline?

    public init(requestID: String, log: Logger, deadline: WorkDeadline? = nil) {
        self.requestID = requestID
        self.log = log
        self.deadline = deadline
    }
}

/// A failed invocation: the runtime reports it and the trigger retries.
public struct HandlerError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// The Lambda function: one entry point for every payload shape. Rules are compiled once, at construction.
public struct TriplineHandler: Sendable {
    public let config: ServiceConfig
    public let engine: Engine
    public let ruleDiagnostics: [RuleDiagnostic]
    public let pipeline: AlertPipeline
    /// One poller per region of ``ServiceConfig/pollRegions`` (checkpoint `lookup-events/<region>`), in order.
    public let pollers: [LookupPoller]
    public let pollRegions: PollRegions
    /// The first region's poller.
    public var poller: LookupPoller { pollers[0] }
    public let objects: any ObjectSource

    /// `configuration`: the tuning (applied as of `now()` at construction), account names and named lists
    /// (`rules` must have been loaded with its lists).
    public init(
        config: ServiceConfig, rules loaded: RuleLoadResult, configuration: Configuration? = nil, store: any FindingStore,
        checkpoints: any CheckpointStore, sink: any AlertSink, router: DestinationRouter? = nil, objects: any ObjectSource,
        lookup: any LookupEventsSource, now: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.config = config
        let tuned = (configuration ?? Configuration(path: "")).apply(to: loaded.rules, filters: loaded.filters, now: now())
        var rules = loaded
        rules.rules = tuned.rules
        let engine = Engine(rules: rules.rules, suppressors: tuned.suppressors)
        self.engine = engine
        self.ruleDiagnostics = rules.diagnostics + tuned.diagnostics
        // Claims expire at each invocation's deadline plus the pipeline's margin (see WorkDeadline).
        var pipeline = AlertPipeline(
            rules: rules.rules, store: store, sink: sink, minimumSeverity: config.minimumSeverity, now: now)
        pipeline.accountNames = configuration?.accounts ?? [:]
        pipeline.router = router
        self.pipeline = pipeline
        let regions = PollRegions(config.pollRegions, home: config.region)
        self.pollRegions = regions
        self.pollers = regions.regions.map { region in
            LookupPoller(
                source: lookup.inRegion(region), engine: engine, pipeline: pipeline, checkpoints: checkpoints,
                checkpointName: "lookup-events/\(region)", lookback: config.lookbackMinutes * 60,
                overlap: config.overlapMinutes * 60, region: region, regions: regions, now: now)
        }
        self.objects = objects
    }

    /// The production wiring: AWS clients from the environment, DynamoDB and SNS when configured (in-memory and
    /// the log otherwise, so the function still works, without cross-invocation dedup, in a bare test deploy).
    public static func live(environment env: [String: String], log: Logger) throws -> TriplineHandler {
        let config = try ServiceConfig.fromEnvironment(env)
        return try live(environment: env, config: config, rules: loadRules(extraPath: config.rulesPath), log: log)
    }

    /// The whole cold start: settings from the environment, the configuration file from where `TRIPLINE_CONFIG`
    /// says (or bundled), rules with its named lists. A configuration that cannot be read or has errors throws.
    public static func configured(environment env: [String: String], log: Logger) async throws -> TriplineHandler {
        let config = try ServiceConfig.fromEnvironment(env)
        let configuration = try await loadConfiguration(environment: env, log: log)
        let rules = try loadRules(extraPath: config.rulesPath, lists: configuration?.lists)
        let router = try await destinations(environment: env, configuration: configuration)
        return try live(environment: env, config: config, rules: rules, configuration: configuration, router: router, log: log)
    }

    /// The configured destinations (`TRIPLINE_DESTINATIONS`, else the configuration's `destinations:`) with their
    /// secrets resolved; nil when none are configured (alerts then go to SNS, or the log). A secret that cannot be
    /// read fails the cold start, naming the destination and the reference, never the value.
    public static func destinations(
        environment env: [String: String], configuration: Configuration?, poster: WebhookPoster = WebhookPoster()
    ) async throws -> DestinationRouter? {
        try await DestinationBuilder.router(configuration: configuration, environment: env, aws: AWSClient.fromEnvironment(env), poster: poster)
    }

    /// The configuration `TRIPLINE_CONFIG` names (or the bundled `tripline.yml`), nil when there is none; its
    /// warnings (expiring entries) are logged.
    public static func loadConfiguration(environment env: [String: String], log: Logger) async throws -> Configuration? {
        guard let source = try ConfigurationSource.fromEnvironment(env) else { return nil }
        let (configuration, warnings) = try await source.load(aws: AWSClient.fromEnvironment(env))
        for w in warnings { log.warning("configuration", [("diagnostic", .string(w.description))]) }
        return configuration
    }

    /// As above, with configuration and rules already loaded (the bootstrap times rule loading on its own).
    public static func live(
        environment env: [String: String], config: ServiceConfig, rules: RuleLoadResult, configuration: Configuration? = nil,
        router: DestinationRouter? = nil, log: Logger
    ) throws -> TriplineHandler {
        let aws = AWSClient.fromEnvironment(env)
        let dynamo = DynamoDBClient(aws)
        let store: any FindingStore = config.table.map { DynamoDBFindingStore(dynamo: dynamo, table: $0, retentionDays: config.retentionDays) }
            ?? InMemoryFindingStore()
        let checkpoints: any CheckpointStore = config.table.map { DynamoDBCheckpointStore(dynamo: dynamo, table: $0) }
            ?? InMemoryCheckpointStore()
        let sink: any AlertSink = config.topicArn.map { SNSAlertSink(sns: SNSClient(aws), topicArn: $0) } ?? LogAlertSink(log: log)
        return TriplineHandler(
            config: config, rules: rules, configuration: configuration, store: store, checkpoints: checkpoints, sink: sink,
            router: router, objects: S3ObjectSource(client: aws), lookup: CloudTrailClient(aws))
    }

    /// Built-in catalog plus the `.yml`/`.yaml` files under `extraPath`, without embedded tests (a function never runs them).
    public static func loadRules(extraPath: String?, lists: NamedLists? = nil) throws -> RuleLoadResult {
        guard let path = extraPath else { return RuleCatalog.load(extra: [], tests: false, lists: lists) }
        var files: [(path: String, text: String)] = []
        guard FileManager.default.fileExists(atPath: path) else {
            throw HandlerError("SECURITY_EVENTS_PATH \(path) does not exist")
        }
        for p in RuleFiles.paths(at: path) {
            files.append((p, try String(contentsOfFile: p, encoding: .utf8)))
        }
        return RuleCatalog.load(extra: files, tests: false, lists: lists)
    }

    // MARK: - Dispatch

    /// Handles one invocation. Inside a deadline every AWS call shares one ``CallBudget`` ending at the deadline's
    /// safety margin; work stops there, claims are released and unfinished inputs are reported failed.
    public func handle(_ payload: [UInt8], context: InvocationContext) async throws -> [UInt8] {
        guard let deadline = context.deadline else { return try await dispatch(payload, context: context) }
        let budget = CallBudget(deadline: deadline.stop)
        defer {
            let skipped = budget.skippedEndpoints
            if !skipped.isEmpty { context.log.warning("endpoints skipped after repeated failures", [("endpoints", .string(skipped.joined(separator: ",")))]) }
        }
        return try await CallBudget.$current.withValue(budget) { try await dispatch(payload, context: context) }
    }

    private func dispatch(_ payload: [UInt8], context: InvocationContext) async throws -> [UInt8] {
        let value: JSONValue
        do {
            value = try JSONValue.parse(payload)
        } catch {
            throw HandlerError("payload is not JSON: \(error)")
        }
        let response: JSONValue
        switch Payload.classify(value) {
        case .sqs(let records): response = try await queued(records, context: context)
        case .sns(let records):
            // Direct SNS invocations cannot report partial failure: any failed record fails the invocation.
            let r = try await queued(records, context: context)
            if let failures = r["batchItemFailures"]?.arrayValue, !failures.isEmpty {
                throw HandlerError("\(failures.count) SNS record(s) failed")
            }
            response = r
        case .s3(let objects):
            var batch = Batch(context: context)
            for object in objects { batch.add(object, inputID: "s3") }
            try await batch.finish(self, failIfAny: true)
            response = batch.summary
        case .cloudTrailEvent:
            var batch = Batch(context: context)
            batch.add(payload, path: "eventbridge:\(value["id"]?.stringValue ?? "event")", inputID: "event")
            try await batch.finish(self, failIfAny: true)
            response = batch.summary
        case .guardDuty(let detail):
            var batch = Batch(context: context)
            batch.findings.append(GuardDutyFinding.finding(detail: detail, input: InputRef(path: "guardduty", record: 0)))
            batch.inputs["guardduty"] = "guardduty"
            try await batch.finish(self, failIfAny: true)
            response = batch.summary
        case .scheduled:
            response = try await polled(context: context)
        case .unknown(let what):
            context.log.warning("ignored payload", [("shape", .string(what))])
            response = ["status": "ignored", "reason": .string(what)]
        }
        var out: [UInt8] = []
        response.write(to: &out)
        return out
    }

    /// The scheduled poll: every region in turn, each with its own checkpoint. A region that fails (CloudTrail
    /// unreachable, alerting failed) does not stop the others; the invocation then fails so it is retried, and the
    /// checkpoints make the retry read only what was not alerted.
    private func polled(context: InvocationContext) async throws -> JSONValue {
        if let warning = pollRegions.globalEventsWarning { context.log.warning("poll regions", [("warning", .string(warning))]) }
        var events = 0
        var alerted = 0
        var left = 0
        var failures: [String] = []
        for poller in pollers {
            let region = poller.region ?? config.region
            if let deadline = context.deadline, deadline.stop.hasPassed {
                failures.append("\(region): not polled, stopped at the deadline's safety margin")
                continue
            }
            let started = ContinuousClock.now
            let outcome: PollOutcome
            do {
                outcome = try await poller.poll(owner: context.requestID, deadline: context.deadline)
            } catch {
                context.log.error("poll failed", [("region", .string(region)), ("error", .string("\(error)"))])
                failures.append("\(region): \(error)")
                continue
            }
            context.log.info("poll", [
                ("region", .string(region)),
                ("start", .string(EventTime.iso8601(outcome.start))), ("end", .string(EventTime.iso8601(outcome.end))),
                ("pages", .number(outcome.pages)), ("events", .number(outcome.events)), ("findings", .number(outcome.findings)),
                ("alerted", .number(outcome.alerts.alerted.count)), ("duplicates", .number(outcome.alerts.duplicates.count)),
                ("left_to_other_region", .number(outcome.leftToOtherRegion)),
                ("checkpoint", outcome.checkpoint.map { .string(EventTime.iso8601($0)) } ?? .null),
                ("suppressed", .number(outcome.suppressed.values.reduce(0, +))),
                ("suppressed_by", Batch.suppressedBy(outcome.suppressed, engine: engine)),
                ("duration_ms", .number(Batch.milliseconds(ContinuousClock.now - started))),
            ])
            for p in outcome.problems.prefix(20) { context.log.warning("lookup event skipped", [("region", .string(region)), ("problem", .string(p))]) }
            events += outcome.events
            alerted += outcome.alerts.alerted.count
            left += outcome.leftToOtherRegion
            if !outcome.succeeded {
                failures.append("\(region): alerting failed; checkpoint left at \(outcome.checkpoint.map(EventTime.iso8601) ?? "none"): \(outcome.alerts.errors.joined(separator: "; "))")
            }
        }
        guard failures.isEmpty else { throw HandlerError("poll failed in \(failures.count) region(s): \(failures.joined(separator: " | "))") }
        return [
            "status": "ok", "events": .number(events), "alerted": .number(alerted),
            "regions": .array(pollRegions.regions.map { .string($0) }), "left_to_other_region": .number(left),
        ]
    }

    /// SQS batch: each message is an input; failed ones are answered in `batchItemFailures` so only they return.
    /// A record without a `messageId` cannot be named there (an empty identifier fails the whole batch anyway):
    /// it is processed under an internal id, and if it fails the invocation fails, so the whole batch is retried.
    private func queued(_ records: [Payload.SQSRecord], context: InvocationContext) async throws -> JSONValue {
        var batch = Batch(context: context)
        var unnamed: Set<String> = []
        for (index, record) in records.enumerated() {
            var inputID = record.messageID
            if inputID.isEmpty {
                inputID = "record #\(index) without messageId"
                unnamed.insert(inputID)
            }
            let content: QueuedContent
            do {
                content = try S3Notification.content(ofBody: record.body)
            } catch {
                batch.fail(inputID, "message body is not JSON: \(error)")
                continue
            }
            switch content {
            case .ignore(let why):
                context.log.debug("message ignored", [("message_id", .string(inputID)), ("reason", .string(why))])
            case .event(let bytes):
                batch.add(bytes, path: "sqs:\(inputID)", inputID: inputID)
            case .objects(let refs):
                for ref in refs { batch.add(ref, inputID: inputID) }
            }
        }
        try? await batch.finish(self, failIfAny: false)
        let failedUnnamed = batch.failed.intersection(unnamed)
        if !failedUnnamed.isEmpty {
            throw HandlerError(
                "\(failedUnnamed.count) failed record(s) have no messageId to report in batchItemFailures; failing the whole batch so it is retried")
        }
        var summary = batch.summary
        summary = .object((summary.objectValue ?? []) + [
            ("batchItemFailures", .array(batch.failed.sorted().map { ["itemIdentifier": .string($0)] })),
        ])
        return summary
    }
}

/// The work of one invocation: its inputs (S3 objects and events, each under the id of the message that brought
/// it), what scanning them found, and which inputs failed.
struct Batch {
    let context: InvocationContext
    /// What the invocation reads, scanned together by `finish` (`ScanRunner`, a few objects at a time).
    var queued: [QueuedInput] = []
    var findings: [Finding] = []
    /// Threshold rules' matches, tallied compactly instead of one finding each (most events match some
    /// Describe/Get/List burst rule).
    var thresholds = ThresholdTally()
    /// Input path → caller's input id (SQS message id).
    var inputs: [String: String] = [:]
    var failed: Set<String> = []
    var stats = ScanStats()
    /// Reading and evaluating the inputs (downloads included).
    var scanTime: Swift.Duration = .zero
    var outcome = AlertOutcome()

    init(context: InvocationContext) { self.context = context }

    mutating func fail(_ inputID: String, _ why: String) {
        failed.insert(inputID)
        context.log.error("input failed", [("input", .string(inputID)), ("error", .string(why))])
    }

    /// An S3 object to read.
    mutating func add(_ object: S3ObjectRef, inputID: String) {
        queued.append(QueuedInput(path: object.path, content: .object(object)))
        inputs[object.path] = inputID
    }

    /// An event (or log file) that came in the payload itself.
    mutating func add(_ bytes: [UInt8], path: String, inputID: String) {
        queued.append(QueuedInput(path: path, content: .bytes(bytes)))
        inputs[path] = inputID
    }

    /// Reads and evaluates every input added. An input unreadable as a whole (not fetched, bad gzip, not JSON)
    /// fails, so its message is retried (the findings from its readable part still count); a bad record inside a
    /// good file is logged only, since a retry cannot fix it.
    mutating func scan(objects: any ObjectSource, engine: Engine) async {
        let started = ContinuousClock.now
        defer { scanTime += ContinuousClock.now - started }
        let source = QueuedInputs(inputs: queued, objects: objects, deadline: context.deadline)
        queued = []
        let result = await ScanRunner.run(source, engine: engine, options: ScanOptions(foldFindings: false))
        findings += result.findings
        thresholds.merge(result.thresholds)
        stats.add(result.stats)
        for problem in result.problems {
            if problem.record == nil && problem.line == nil, let inputID = inputs[problem.path] {
                fail(inputID, problem.description)
            } else {
                context.log.warning("record skipped", [("input", .string(problem.path)), ("problem", .string(problem.description))])
            }
        }
    }

    /// Scans what was added, then alerts on everything found. `failIfAny`: for single-input triggers a failure is
    /// the invocation's error.
    mutating func finish(_ handler: TriplineHandler, failIfAny: Bool) async throws {
        let (pipeline, engine) = (handler.pipeline, handler.engine)
        await scan(objects: handler.objects, engine: engine)
        let inputs = self.inputs
        outcome = await pipeline.run(
            findings, thresholds: thresholds, engineRules: engine.rules, runInputs: Set(inputs.values), owner: context.requestID,
            deadline: context.deadline, inputID: { inputs[$0.input.path] ?? $0.input.path })
        failed.formUnion(outcome.failedInputs)
        for e in outcome.errors { context.log.error("alerting", [("error", .string(e))]) }
        context.log.info("invocation", [
            ("inputs", .number(stats.inputs)), ("records", .number(stats.records)), ("findings", .number(findings.count)),
            ("alerted", .number(outcome.alerted.count)), ("recorded", .number(outcome.recorded.count)),
            ("duplicates", .number(outcome.duplicates.count)), ("held_elsewhere", .number(outcome.heldElsewhere.count)),
            ("messages", .number(outcome.messages.count)), ("failed_inputs", .number(failed.count)),
            ("stopped_at_deadline", .bool(outcome.stoppedAtDeadline)),
            ("scan_ms", .number(Self.milliseconds(scanTime))),
            ("suppressed", .number(stats.suppressedMatches)), ("suppressed_by", Self.suppressedBy(stats.suppressed, engine: engine)),
        ])
        if failIfAny && !failed.isEmpty {
            throw HandlerError("\(failed.count) input(s) failed: \(outcome.errors.first ?? "unreadable input")")
        }
    }

    var summary: JSONValue {
        [
            "status": failed.isEmpty ? "ok" : "partial", "records": .number(stats.records),
            "findings": .number(findings.count), "alerted": .number(outcome.alerted.count),
            "suppressed": .number(stats.suppressedMatches),
        ]
    }

    /// Suppressed matches by the tuning entry that took them (label and reason): suppression is never silent.
    static func suppressedBy(_ counts: [Int: Int], engine: Engine) -> JSONValue {
        let suppressors = engine.suppression.suppressors
        return .array(counts.sorted { $0.key < $1.key }.map { index, n in
            .object([("entry", .string(suppressors[index].label)), ("reason", .string(suppressors[index].reason)), ("matches", .number(n))])
        })
    }

    static func milliseconds(_ d: Swift.Duration) -> String {
        let (s, atto) = d.components
        let ms = Double(s) * 1000 + Double(atto) / 1e15
        return String(format: "%.3f", ms)
    }
}

/// One input of an invocation: an S3 object to fetch, or bytes that came in the payload.
struct QueuedInput: Sendable {
    enum Content: Sendable {
        case object(S3ObjectRef)
        case bytes([UInt8])
    }
    var path: String
    var content: Content
}

/// An invocation's inputs as a scan's source: objects are fetched (no new fetch starts past the deadline's safety
/// margin), then read like any other input. The runner's workers are the parallel downloads.
struct QueuedInputs: ScanSource {
    let inputs: [QueuedInput]
    let objects: any ObjectSource
    let deadline: WorkDeadline?

    var names: [String] { inputs.map(\.path) }

    func read(_ index: Int, into w: inout ScanWorker) async {
        let input = inputs[index]
        switch input.content {
        case .bytes(let bytes):
            bytes.withUnsafeBufferPointer { w.process($0, path: input.path) }
        case .object(let object):
            if let deadline, deadline.stop.hasPassed {
                w.failed(input.path, "not read: stopped at the deadline's safety margin")
                return
            }
            do {
                let bytes = try await objects.fetch(object)
                bytes.withUnsafeBufferPointer { w.process($0, path: input.path) }
            } catch {
                w.failed(input.path, "reading: \(error)")
            }
        }
    }
}
