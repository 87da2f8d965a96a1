import Foundation
import Testing
import TriplineAWS
import TriplineCore
import TriplineJSON
import TriplineTestSupport

#if canImport(Glibc)
import Glibc
#endif

@testable import TriplineService

/// The built bootstrap under the emulator, stopped at the worst points of claim → publish → mark: killed (SIGKILL),
/// frozen until the emulator's own timeout ends the invocation, and raced by a second bootstrap on the same batch.
/// The fault proxy holds the call at the chosen point (`.blackhole`), so the stop lands exactly there.
@Suite("Lambda process: killed, timed out, raced")
struct LambdaKillTests {
    /// How the bootstrap is stopped while SNS holds its publish.
    enum Stop: String, CustomTestStringConvertible, CaseIterable {
        case killed, frozenUntilTimeout
        var testDescription: String { rawValue }
    }

    static let timeoutSeconds = 3
    static let queueArn = "arn:aws:sqs:us-east-1:123456789012:tripline-ingest"

    func function(_ stack: MotoStack, _ extra: [String: String] = [:]) throws -> EmulatedFunction {
        try EmulatedFunction(environment: stack.environment([
            "AWS_LAMBDA_FUNCTION_NAME": "tripline", "AWS_LAMBDA_FUNCTION_TIMEOUT": "\(Self.timeoutSeconds)", "LOG_LEVEL": "info",
        ].merging(extra) { $1 }))
    }

    func warm(_ function: EmulatedFunction) async throws {
        _ = try await function.invoke(Array(eventBridgeEnvelope(noise(at: nowEpoch(), n: 1)).serialized().utf8))
    }

    func planted(_ trail: String) -> String { eventBridgeEnvelope(stopLogging(trail: trail, at: nowEpoch() - 30)).serialized() }

    /// Alerts in the topic's capture queue about `trail`, waiting up to `seconds` for `count` of them.
    func alerts(_ stack: MotoStack, about trail: String, count: Int, seconds: Double) async throws -> [CapturedAlert] {
        try await stack.capturedAlerts(expecting: count, seconds: seconds).filter { $0.message.contains(trail) }
    }

    /// The claim a dead or frozen holder left lasts to its invocation's deadline plus the pipeline's claim margin.
    func waitForClaimExpiry(invokedAt: Int) async throws {
        let expiry = invokedAt + Self.timeoutSeconds + AlertPipeline.defaultClaimMargin
        while nowEpoch() <= expiry + 1 { try await Task.sleep(for: .milliseconds(250)) }
    }

    @Test("stopped between claim and publish: the message fails while the stopped holder's claim lasts, then one alert", arguments: Stop.allCases)
    func stoppedBeforePublish(_ stop: Stop) async throws {
        let stack = try await MotoStack.make()
        let sns = try FaultProxy(upstreamPort: stack.server.port) { $0.operation == "Publish" ? .blackhole : .pass }
        defer { sns.stop() }
        let first = try function(stack, ["AWS_ENDPOINT_URL_SNS": sns.baseURL])
        defer { first.stop() }
        try await warm(first)

        let trail = uniqueName("stopped-\(stop.rawValue)")
        let batch = lambdaSQSEvent([(id: "m1", body: planted(trail))], queueArn: Self.queueArn)
        let invokedAt = nowEpoch()
        let started = ContinuousClock.now
        let answer = Task { try? await first.invoke(batch) }
        try await waitUntil(seconds: 20, "the publish reached SNS") { sns.log.contains { $0.fault == .blackhole } }
        let pid = try #require(first.bootstrapPID(), "the emulator's bootstrap process")
        switch stop {
        case .killed: kill(pid, SIGKILL)
        case .frozenUntilTimeout: kill(pid, SIGSTOP)
        }
        defer { kill(pid, SIGCONT) }
        let response = await answer.value
        let took = ContinuousClock.now - started
        print("bootstrap \(stop.rawValue) mid-publish: the emulator answered after \(milliseconds(took)) ms: \(response.map { $0.0.serialized() } ?? "(no JSON)")")
        // The invocation as a whole failed (no batch response), so SQS redelivers the message.
        #expect(response?.0["batchItemFailures"] == nil)
        if stop == .frozenUntilTimeout { #expect(took >= .seconds(Self.timeoutSeconds - 1)) }

        let stored = try await stack.store.list(since: nil, limit: 10, minimumSeverity: .high).filter { $0.ruleID == stopLoggingRule }
        let finding = try #require(stored.first { $0.json["request"]?["requestParameters.name"]?.stringValue == trail })
        #expect(finding.state == .pending)
        #expect(try await alerts(stack, about: trail, count: 1, seconds: 1).isEmpty)

        // A fresh instance gets the redelivery (straight to moto). While the stopped holder's claim lasts it may still
        // be publishing: the message fails, to come back later; nothing is sent.
        let second = try function(stack, ["AWS_LAMBDA_FUNCTION_TIMEOUT": "30"])
        defer { second.stop() }
        let early = try await second.invoke(batch).0
        #expect(failedItems(early) == ["m1"], "\(early)")
        #expect(try await alerts(stack, about: trail, count: 1, seconds: 1).isEmpty)

        try await waitForClaimExpiry(invokedAt: invokedAt)
        let late = try await second.invoke(batch).0
        #expect(failedItems(late).isEmpty, "\(late)")
        let sent = try await alerts(stack, about: trail, count: 1, seconds: 8)
        #expect(sent.count == 1)
        // And no more on a further redelivery.
        let again = try await second.invoke(batch).0
        #expect(failedItems(again).isEmpty, "\(again)")
        #expect(try await alerts(stack, about: trail, count: 1, seconds: 2).isEmpty)
    }

    @Test("killed between publish and mark: the documented duplicate, carrying the same alert id, and no third")
    func killedAfterPublish() async throws {
        let stack = try await MotoStack.make()
        let published = Flag()
        let sns = try FaultProxy(upstreamPort: stack.server.port) { request in
            if request.operation == "Publish" { published.set() }
            return .pass
        }
        defer { sns.stop() }
        // Once SNS has the alert, DynamoDB hangs: the mark never lands.
        let dynamo = try FaultProxy(upstreamPort: stack.server.port) { _ in published.isSet ? .blackhole : .pass }
        defer { dynamo.stop() }
        let first = try function(stack, ["AWS_ENDPOINT_URL_SNS": sns.baseURL, "AWS_ENDPOINT_URL_DYNAMODB": dynamo.baseURL])
        defer { first.stop() }
        try await warm(first)

        let trail = uniqueName("killed-after-publish")
        let batch = lambdaSQSEvent([(id: "m1", body: planted(trail))], queueArn: Self.queueArn)
        let invokedAt = nowEpoch()
        let answer = Task { try? await first.invoke(batch) }
        try await waitUntil(seconds: 20, "the publish delivered and the mark held") {
            sns.log.contains { $0.request.operation == "Publish" && $0.delivered } && dynamo.log.contains { $0.fault == .blackhole }
        }
        let pid = try #require(first.bootstrapPID(), "the emulator's bootstrap process")
        kill(pid, SIGKILL)
        #expect(await answer.value?.0["batchItemFailures"] == nil)
        let firstAlert = try await alerts(stack, about: trail, count: 1, seconds: 8)
        #expect(firstAlert.count == 1)

        let second = try function(stack, ["AWS_LAMBDA_FUNCTION_TIMEOUT": "30"])
        defer { second.stop() }
        #expect(failedItems(try await second.invoke(batch).0) == ["m1"])
        #expect(try await alerts(stack, about: trail, count: 1, seconds: 1).isEmpty)

        try await waitForClaimExpiry(invokedAt: invokedAt)
        #expect(failedItems(try await second.invoke(batch).0).isEmpty)
        // The one window where an alert is sent twice: SNS accepted it and the process died before the mark. The
        // receiver can fold the repeat by its alert id.
        let resent = try await alerts(stack, about: trail, count: 1, seconds: 8)
        #expect(resent.count == 1)
        let id = try #require(firstAlert.first?.attributes["alert_id"])
        #expect(!id.isEmpty)
        #expect(resent.first?.attributes["alert_id"] == id)
        #expect(resent.first?.subject == firstAlert.first?.subject)

        #expect(failedItems(try await second.invoke(batch).0).isEmpty)
        #expect(try await alerts(stack, about: trail, count: 1, seconds: 2).isEmpty)
    }

    @Test("two bootstraps on the same batch at once: one alert per planted event, also after SQS redelivers what failed")
    func raced() async throws {
        let stack = try await MotoStack.make()
        // A deadline that eight publishes on a busy moto fit in: this test is about the race, not the margin.
        let a = try function(stack, ["AWS_LAMBDA_FUNCTION_TIMEOUT": "60"])
        defer { a.stop() }
        let b = try function(stack, ["AWS_LAMBDA_FUNCTION_TIMEOUT": "60"])
        defer { b.stop() }
        try await warm(a)
        try await warm(b)

        let trails = (0..<8).map { uniqueName("raced-\($0)") }
        let messages = trails.enumerated().map { (id: "m\($0.offset)", body: planted($0.element)) }
        async let first = a.invoke(lambdaSQSEvent(messages, queueArn: Self.queueArn))
        async let second = b.invoke(lambdaSQSEvent(messages, queueArn: Self.queueArn))
        let (ra, rb) = try await (first.0, second.0)
        print("raced bootstraps: \(failedItems(ra).count) and \(failedItems(rb).count) of \(messages.count) items failed")
        // An item one of them holds fails in the other, to come back: SQS redelivers it (here, to either).
        var pending = Set(failedItems(ra)).union(failedItems(rb))
        var rounds = 0
        while !pending.isEmpty && rounds < 5 {
            rounds += 1
            let again = messages.filter { pending.contains($0.id) }
            pending = Set(failedItems(try await (rounds.isMultiple(of: 2) ? a : b).invoke(lambdaSQSEvent(again, queueArn: Self.queueArn)).0))
        }
        #expect(pending.isEmpty, "still failing after \(rounds) redeliveries: \(pending.sorted())")

        let sent = try await stack.capturedAlerts(expecting: trails.count + 1, seconds: 10)
        for trail in trails { #expect(sent.filter { $0.message.contains(trail) }.count == 1, "\(trail)") }
        #expect(sent.count == trails.count)
    }
}

/// A flag one thread sets and others read.
final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// Polls `condition` every 50 ms until it holds; fails the wait (throws) after `seconds`.
func waitUntil(seconds: Double, _ what: String, _ condition: () -> Bool) async throws {
    let end = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < end else { throw MotoSetupError(description: "waited \(seconds) s for: \(what)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

extension EmulatedFunction {
    /// The bootstrap process the emulator started (its child named tripline-lambda), once it runs.
    func bootstrapPID() -> pid_t? {
        let parent = process.processIdentifier
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                stat.contains("(tripline-lambda"), let end = stat.lastIndex(of: ")")
            else { continue }
            // After the command name: state, then the parent's pid.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            if fields.count > 1, pid_t(fields[1]) == parent { return pid }
        }
        return nil
    }
}
