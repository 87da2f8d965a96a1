import Foundation
import TriplineAWS
import TriplineAlerts
import TriplineCore
import TriplineJSON

/// What one pipeline run did.
public struct AlertOutcome: Sendable {
    /// Findings this run owned and delivered (state `.alerted`).
    public var alerted: [StoredFinding] = []
    /// Findings below the minimum severity, stored for audit only.
    public var recorded: [StoredFinding] = []
    /// Already alerted inside their window (folded into the stored count when new).
    public var duplicates: [StoredFinding] = []
    /// Held by a live claim of another invocation: their inputs failed, to be retried once that claim is settled.
    public var heldElsewhere: [StoredFinding] = []
    /// Work stopped at the deadline's safety margin before every finding was claimed and sent.
    public var stoppedAtDeadline = false
    /// The messages handed to the sink successfully.
    public var messages: [AlertMessage] = []
    /// Inputs (by the caller's input id) that must be retried: a finding from them could not be stored or alerted.
    public var failedInputs: Set<String> = []
    /// Why, for logs (one line per failure; no event text beyond ids).
    public var errors: [String] = []
    /// Per alert, with configured destinations: where it went in this run.
    public var deliveries: [AlertDelivery] = []

    public init() {}

    public var succeeded: Bool { failedInputs.isEmpty && errors.isEmpty }
}

/// Where one alert went in one run (configured destinations).
public struct AlertDelivery: Sendable, Equatable {
    public var alertID: String
    public var findingKeys: [String]
    /// Delivered in this run.
    public var delivered: [String] = []
    /// Already had it from an earlier run (not sent again).
    public var skipped: [String] = []
    /// Failed in this run (the input is retried for these alone).
    public var failed: [String] = []
}

/// The time one invocation's work may take, derived from its Lambda deadline.
///
/// Work (fetching, claiming, sending) stops at `stop`, a safety margin before the deadline; what is left of the
/// margin lets the run release its claims (or mark what it sent) by `cleanup` and answer the runtime, so the
/// runtime never kills the process mid-alert. Claims the run makes expire at `end` plus the pipeline's claim
/// margin: no later call of this run can land after that.
public struct WorkDeadline: Sendable {
    /// The invocation's deadline.
    public var end: Deadline
    /// No work starts after this, and calls made for work end by it.
    public var stop: Deadline
    /// Releasing claims and marking sent alerts end by this.
    public var cleanup: Deadline

    /// `total`: how long the invocation had when it started (its timeout, for a warm start).
    public init(end: Deadline, total: Swift.Duration) {
        let margin = Self.safetyMargin(total: total)
        self.end = end
        stop = end.earlier(by: margin)
        cleanup = end.earlier(by: margin / 2)
    }

    /// From an invocation's deadline, as it starts now: the time it had is the time left.
    public init(end: Deadline) { self.init(end: end, total: end.remaining) }

    /// max(1 s, 5 % of the time the invocation had): room for a release and the answer even after a slow call.
    public static func safetyMargin(total: Swift.Duration) -> Swift.Duration { max(.seconds(1), total / 20) }
}

/// Raw findings in, exactly-once alerts out.
///
/// aggregate (same event, thresholds, dedup windows) → claim each finding in the ``FindingStore`` (a conditional
/// write: only the claimant alerts; the claim expires at the run's deadline plus `claimMargin`) → one
/// ``AlertMessage`` per severity band → ``AlertSink`` → `markAlerted`. When the sink fails, or the run reaches its
/// deadline's safety margin first, the claims are released and the inputs behind those findings are reported
/// failed; a finding held by another run's live claim fails its inputs too. The retried input alerts exactly once.
public struct AlertPipeline: Sendable {
    public let store: any FindingStore
    public let sink: any AlertSink
    /// Findings below this are recorded, not sent.
    public let minimumSeverity: Severity
    /// Seconds a claim outlives its run's deadline (clock skew between hosts); past it a dead owner's claim is
    /// taken over.
    public let claimMargin: Int
    public static let defaultClaimMargin = 30
    /// Seconds a claim lasts for a run without a deadline (`tripline watch`, tests).
    public let claimWithoutDeadline: Int
    private let rules: [String: Rule]
    /// Dedup window for findings without a rule (GuardDuty): long, because their key already names one update.
    private let defaultWindow: Int
    private let now: @Sendable () -> Int
    /// Account id → name (the configuration's `accounts:`), shown in alerts.
    public var accountNames: [String: String] = [:] {
        didSet {
            let names = accountNames
            router?.accountNames = names
        }
    }
    /// Configured destinations: when set, alerts go to them (each on its own, see ``DestinationRouter``) instead of
    /// `sink`, and the store records per finding which destinations have the alert, so a retry sends only to the
    /// destinations that failed. An alert is `alerted` once every destination its routes name has it.
    public var router: DestinationRouter? {
        didSet {
            let names = accountNames
            router?.accountNames = names
        }
    }

    public init(
        rules: [Rule], store: any FindingStore, sink: any AlertSink, minimumSeverity: Severity = .medium,
        claimMargin: Int = defaultClaimMargin, claimWithoutDeadline: Int = 300, defaultWindow: Int = 7 * 86400,
        now: @escaping @Sendable () -> Int = { Int(Date().timeIntervalSince1970) }
    ) {
        self.store = store
        self.sink = sink
        self.minimumSeverity = minimumSeverity
        self.claimMargin = claimMargin
        self.claimWithoutDeadline = claimWithoutDeadline
        self.rules = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        self.defaultWindow = defaultWindow
        self.now = now
    }

    /// Runs the findings of one invocation (or poll). `inputID` names the input a raw finding came from (an SQS
    /// message id, a poll slice); failures are reported by those ids. `owner` identifies this run (request id).
    public func run(
        _ findings: [Finding], owner: String, deadline: WorkDeadline? = nil, inputID: (Finding) -> String = { $0.input.path }
    ) async -> AlertOutcome {
        await run(findings, thresholds: ThresholdTally(), engineRules: [], owner: owner, deadline: deadline, inputID: inputID)
    }

    /// As above, with threshold matches tallied by an `EventProcessor(…, tallyThresholds: true)` (`engineRules`:
    /// the `Engine.rules` the tally's indices refer to). A tallied alert does not know every input behind it, so
    /// if it cannot be delivered all of `runInputs` (every input of the run) are reported failed; the store keeps
    /// the retry exact.
    public func run(
        _ findings: [Finding], thresholds: ThresholdTally, engineRules: [Rule], runInputs: Set<String> = [], owner: String,
        deadline: WorkDeadline? = nil, inputID: (Finding) -> String = { $0.input.path }
    ) async -> AlertOutcome {
        var outcome = AlertOutcome()
        guard !findings.isEmpty || !thresholds.isEmpty else { return outcome }
        // Which inputs stand behind an aggregated finding: the raw findings it may have folded (same rule and key;
        // for threshold rules any finding of the rule, since the crossing event's key is not the group's).
        var inputsByKey: [Finding.RuleKey: Set<String>] = [:]
        var inputsByRule: [String: Set<String>] = [:]
        for f in findings {
            let id = inputID(f)
            inputsByKey[f.ruleKey, default: []].insert(id)
            inputsByRule[f.ruleID, default: []].insert(id)
        }
        var allInputs = runInputs.union(inputsByRule.values.joined())
        if !thresholds.isEmpty {
            for f in thresholds.alerts(rules: engineRules) { allInputs.insert(inputID(f)) }
        }
        func inputs(of f: Finding) -> Set<String> {
            // A sequence's steps may come from any input of the run.
            if rules[f.ruleID]?.sequence != nil { return allInputs }
            if rules[f.ruleID]?.threshold != nil { return thresholds.isEmpty ? inputsByRule[f.ruleID] ?? [] : allInputs }
            return inputsByKey[f.ruleKey] ?? []
        }

        let clock = now()
        let expiresAt = deadline.map { $0.end.epochSeconds + claimMargin } ?? clock + claimWithoutDeadline
        func stopping() -> Bool {
            guard let deadline, deadline.stop.hasPassed else { return false }
            if !outcome.stoppedAtDeadline {
                outcome.stoppedAtDeadline = true
                outcome.errors.append("stopped at the deadline's safety margin; unfinished inputs are retried")
            }
            return true
        }
        var toSend: [(Finding, StoredFinding)] = []
        // Aggregator is not Sendable; building one from the rule table is cheap.
        for var f in Aggregator(rules: Array(rules.values)).aggregate(findings, thresholds: thresholds, engineRules: engineRules) {
            f.accountName = accountNames[f.accountID]
            if stopping() {
                outcome.failedInputs.formUnion(inputs(of: f))
                continue
            }
            let alerting = f.severity >= minimumSeverity
            let stored = storedFinding(f, state: alerting ? .pending : .recorded)
            do {
                switch try await store.claim(stored, owner: owner, now: clock, expiresAt: expiresAt) {
                case .claimed:
                    if alerting { toSend.append((f, stored)) } else { outcome.recorded.append(stored) }
                case .duplicate: outcome.duplicates.append(stored)
                case .heldElsewhere:
                    // The holder may yet fail or die: acknowledging this input now could lose the alert for good.
                    outcome.heldElsewhere.append(stored)
                    outcome.failedInputs.formUnion(inputs(of: f))
                    outcome.errors.append("\(stored.key) (\(f.ruleID), event \(f.eventID)) is held by another run's live claim; input retried")
                }
            } catch {
                outcome.failedInputs.formUnion(inputs(of: f))
                outcome.errors.append("claim \(stored.key) (\(f.ruleID), event \(f.eventID)) failed: \(error)")
            }
        }

        // One message per alert (every rule that matched one event, most severe first); each alert succeeds or
        // fails on its own.
        let storedOf = Dictionary(toSend.map { ($0.0.ruleKey, $0.1) }, uniquingKeysWith: { a, _ in a })
        for alert in Alert.group(toSend.map(\.0), standsAlone: standsAlone) {
            let stored = alert.findings.compactMap { storedOf[$0.ruleKey] }
            let keys = stored.map(\.key)
            let message = AlertComposer.message(alert, keys: keys, titleTemplate: rules[alert.top.ruleID]?.title)
            let severity = alert.severity
            let items = alert.findings
            var failure: String?
            if stopping() {
                failure = "alert \(alert.id) (\(severity), \(items.count) findings) not sent: stopped at the deadline"
            } else if let router {
                failure = await deliver(alert, keys: keys, router: router, owner: owner, deadline: deadline, outcome: &outcome)
            } else {
                do {
                    try await sink.send([message])
                } catch {
                    failure = "alert \(alert.id) delivery (\(severity), \(items.count) findings) failed: \(error)"
                }
            }
            if let failure {
                outcome.errors.append(failure)
                for f in items { outcome.failedInputs.formUnion(inputs(of: f)) }
                do {
                    try await cleaningUp(deadline) { try await store.release(keys, owner: owner) }
                } catch {
                    // The claim expires on its own (deadline + margin); the retry takes it over then.
                    outcome.errors.append("release after failed delivery failed: \(error)")
                }
                continue
            }
            outcome.messages.append(message)
            do {
                try await cleaningUp(deadline) { try await store.markAlerted(keys, owner: owner) }
            } catch {
                // Sent but not marked: a retry after the claim expires could alert again. Report it; do not fail the
                // input (retrying would make a second alert certain rather than possible).
                outcome.errors.append("markAlerted after delivery failed: \(error)")
            }
            for s in stored {
                var a = s
                a.state = .alerted
                outcome.alerted.append(a)
            }
        }
        return outcome
    }

    /// Sends a claimed alert to the routed destinations that do not have it yet, and records each success at once
    /// (so a later failure of another destination, or of this run, never makes it send there again). Nil when every
    /// routed destination has it; otherwise why not, naming the destinations that failed.
    private func deliver(
        _ alert: Alert, keys: [String], router: DestinationRouter, owner: String, deadline: WorkDeadline?,
        outcome: inout AlertOutcome
    ) async -> String? {
        var record = AlertDelivery(alertID: alert.id, findingKeys: keys)
        defer { outcome.deliveries.append(record) }
        let targets = router.targets(alert)
        guard !targets.isEmpty else { return nil }
        // A destination has the alert when every finding of it says so.
        var had: Set<String>?
        do {
            for key in keys {
                let d = try await store.deliveredDestinations(key)
                had = had.map { $0.intersection(d) } ?? d
            }
        } catch {
            return "alert \(alert.id): reading its deliveries failed: \(error)"
        }
        let missing = targets.filter { !(had ?? []).contains($0) }
        record.skipped = targets.filter { (had ?? []).contains($0) }
        guard !missing.isEmpty else { return nil }
        let results = await router.deliver(alert, to: Set(missing))
        let delivered = results.filter(\.succeeded).map(\.destination)
        record.delivered = delivered
        record.failed = results.compactMap { $0.error == nil ? nil : $0.destination }
        var problems = results.compactMap(\.error).map { "alert \(alert.id) (\(alert.severity)): \($0)" }
        if !delivered.isEmpty {
            do {
                try await cleaningUp(deadline) { try await store.markDelivered(keys, destinations: Set(delivered), owner: owner) }
            } catch {
                // Sent but not recorded: the retry may send there again (at least once, never lost).
                problems.append("alert \(alert.id): recording delivery to \(delivered.joined(separator: ", ")) failed: \(error)")
                if record.failed.isEmpty { outcome.errors.append(problems.joined(separator: "; ")); return nil }
            }
        }
        return record.failed.isEmpty ? nil : problems.joined(separator: "; ")
    }

    /// Settles claims (release, mark) with the time left after work stopped: the invocation's call budget moves its
    /// deadline to `cleanup`, keeping what it learnt about failing endpoints.
    private func cleaningUp(_ deadline: WorkDeadline?, _ body: () async throws -> Void) async throws {
        guard let deadline else { return try await body() }
        let budget = CallBudget.current?.with(deadline: deadline.cleanup) ?? CallBudget(deadline: deadline.cleanup)
        try await CallBudget.$current.withValue(budget) { try await body() }
    }

    /// Threshold and sequence alerts (about many events) stand alone; everything else is grouped by event.
    private func standsAlone(_ f: Finding) -> Bool { rules[f.ruleID]?.standsAlone ?? false }

    /// The stored form: key = dedup key, window = event time + the rule's dedup window.
    public func storedFinding(_ f: Finding, state: AlertState) -> StoredFinding {
        let eventTime = f.epoch ?? now()
        let window = rules[f.ruleID].map { max($0.dedupWindow, $0.threshold?.window ?? 0, $0.sequence?.window ?? 0) } ?? defaultWindow
        return StoredFinding(
            key: f.dedupKey, ruleID: f.ruleID, severity: f.severity, title: f.title, eventID: f.eventID,
            eventTime: eventTime, windowEnd: eventTime + max(window, 1), accountID: f.accountID, region: f.region,
            actor: f.actor, count: f.count, state: state,
            json: FindingJSON.value(f, alertID: Alert.id(of: f, standalone: standsAlone(f))))
    }
}

/// Builds alert messages. Subjects are built only from our own words — severity, the top rule's title template
/// with its placeholders blanked, a count — never from event text.
public enum AlertComposer {
    /// `SECURITY ALERT - HIGH - CloudTrail logging stopped on ... (+1 more rule)`: printable ASCII, at most 100.
    public static func subject(severity: Severity, titleTemplate: String, moreRules: Int) -> String {
        let head = "SECURITY ALERT - \(severity.description.uppercased()) - "
        let tail = moreRules == 0 ? "" : " (+\(moreRules) more \(moreRules == 1 ? "rule" : "rules"))"
        var title = TextEscaper.subject(TitleTemplate.ownWords(titleTemplate).split(whereSeparator: \.isWhitespace).joined(separator: " "))
        let room = 100 - head.count - tail.count
        if title.count > room { title = String(title.prefix(max(0, room - 3))) + "..." }
        return TextEscaper.subject(head + title + tail)
    }

    /// SNS allows 256 KiB per message; keep well inside it and say what was cut.
    public static let maxBodyBytes = 200 * 1024

    /// `titleTemplate`: the top rule's title as written (its rendered title quotes event text); a finding without
    /// a rule (GuardDuty) gets a fixed one (its type comes with the event).
    public static func message(_ alert: Alert, keys: [String], titleTemplate: String?) -> AlertMessage {
        var body = AlertText.render(alert, medium: .plain) + "\n"
        body += "\n  keys     " + keys.joined(separator: "\n           ") + "\n"
        if body.utf8.count > maxBodyBytes {
            var cut = String(decoding: body.utf8.prefix(maxBodyBytes), as: UTF8.self)
            cut += "\n… (cut at the message size limit); see `tripline findings list`.\n"
            body = cut
        }
        func unique(_ values: [String]) -> [String] {
            var seen = Set<String>()
            return values.filter { !$0.isEmpty && seen.insert($0).inserted }
        }
        return AlertMessage(
            subject: subject(
                severity: alert.severity,
                titleTemplate: titleTemplate ?? (alert.top.ruleID.hasPrefix("GuardDuty.") ? "GuardDuty finding" : "Finding without a rule"),
                moreRules: alert.findings.count - 1),
            body: body, severity: alert.severity, ruleIDs: unique(alert.findings.map(\.ruleID)),
            accountIDs: unique(alert.findings.map(\.accountID)), findingKeys: keys, alertID: alert.id)
    }
}
