import Foundation
import Synchronization
import Testing
import TriplineTestSupport

@testable import TriplineAWS

/// A settable epoch-millisecond clock for deadline tests.
final class EpochMsClock: Sendable {
    private let value: Mutex<Int64>
    init(_ start: Int64 = 1_000_000) { value = Mutex(start) }
    var now: Int64 { value.withLock { $0 } }
    func advance(_ ms: Int64) { value.withLock { $0 += ms } }
    var read: @Sendable () -> Int64 { { [self] in now } }
}

/// A client on the real transport with real sleeps and the default retry policy, as the function runs it.
func liveClient(_ endpoint: String) -> AWSClient {
    AWSClient(
        region: "us-east-1", credentials: StaticCredentialProvider(accessKeyId: "AKIDFAKE", secretAccessKey: "secret"),
        endpoint: endpoint, timeout: .seconds(30))
}

func seconds(_ d: Duration) -> Double {
    let (s, atto) = d.components
    return Double(s) + Double(atto) / 1e18
}

@Suite("Call budget: deadlines, fast failure and the per-invocation breaker")
struct CallBudgetTests {
    @Test("a refused endpoint costs well under a second per call, and is skipped once it keeps failing")
    func refusedEndpoint() async throws {
        let port = try freePort()  // nothing listens there
        let sns = SNSClient(liveClient("http://127.0.0.1:\(port)"))
        let budget = CallBudget(deadline: .after(.seconds(30)))
        let (elapsed, stalled) = await timeExcludingStalls {
            await CallBudget.$current.withValue(budget) {
                let error = await #expect(throws: HTTPTransportError.self) {
                    try await sns.publish(topicArn: "arn:aws:sns:us-east-1:123456789012:t", message: "m")
                }
                #expect(error?.kind == .connectFailed)
            }
        }
        let first = elapsed - stalled
        print("refused SNS endpoint, one publish with retries (3 attempts, then skipped): \(seconds(elapsed)) s (\(seconds(stalled)) s of it the process stalled)")
        // Before: each of 4 attempts re-dialled until the 5 s connect timeout (20 s a call). Three attempts now take
        // about 0.1 s on an idle machine; the bound leaves room for a loaded one (< 1 s an attempt).
        #expect(first < .seconds(3))
        #expect(budget.skippedEndpoints == ["http://127.0.0.1:\(port)"])

        // The next call in the same invocation does not dial at all.
        await CallBudget.$current.withValue(budget) {
            let error = await #expect(throws: CallBudgetError.self) {
                try await sns.publish(topicArn: "arn:aws:sns:us-east-1:123456789012:t", message: "m")
            }
            #expect(error?.kind == .endpointSkipped)
        }

        // Outside an invocation (no budget) the refusal still fails fast: no re-dialling until a connect timeout.
        let (bare, bareStalled) = await timeExcludingStalls {
            _ = await #expect(throws: HTTPTransportError.self) {
                try await sns.publish(topicArn: "arn:aws:sns:us-east-1:123456789012:t", message: "m")
            }
        }
        #expect(bare - bareStalled < .seconds(2))
    }

    @Test("a server that accepts and never answers is given up on at the deadline, not the 30 s timeout")
    func silentServer() async throws {
        let server = try StallingServer(.silent)
        defer { server.stop() }
        let sns = SNSClient(liveClient(server.baseURL))
        let (elapsed, stalled) = await timeExcludingStalls {
            await CallBudget.$current.withValue(CallBudget(deadline: .after(.milliseconds(1500)))) {
                _ = await #expect(throws: (any Error).self) {
                    try await sns.publish(topicArn: "arn:aws:sns:us-east-1:123456789012:t", message: "m")
                }
            }
        }
        let took = elapsed - stalled
        print("silent server, 1.5 s budget: gave up after \(seconds(elapsed)) s (\(seconds(stalled)) s stalled)")
        #expect(elapsed >= .milliseconds(1300))
        #expect(took < .milliseconds(2500))
    }

    @Test("a response that stalls mid-body is cut at the deadline")
    func stallMidBody() async throws {
        let server = try StallingServer(.stallMidBody)
        defer { server.stop() }
        let sns = SNSClient(liveClient(server.baseURL))
        let (elapsed, stalled) = await timeExcludingStalls {
            await CallBudget.$current.withValue(CallBudget(deadline: .after(.seconds(1)))) {
                _ = await #expect(throws: (any Error).self) {
                    try await sns.publish(topicArn: "arn:aws:sns:us-east-1:123456789012:t", message: "m")
                }
            }
        }
        let took = elapsed - stalled
        print("body stalled after the head, 1 s budget: gave up after \(seconds(elapsed)) s (\(seconds(stalled)) s stalled)")
        #expect(took < .milliseconds(2000))
    }

    @Test("each attempt's timeout is the time left, and no retry waits past the deadline")
    func retriesWithinDeadline() async throws {
        let clock = EpochMsClock()
        let transport = InMemoryHTTPTransport { _ in
            HTTPResponse(status: 503, headers: ["Retry-After": "2"], body: Array("busy".utf8))
        }
        let sleeps = SleepRecorder()
        let sleeper: AWSSleeper = { d in
            await sleeps.record(d)
            clock.advance(d.milliseconds)
        }
        var client = fakeClient(transport, sleeper: sleeps)
        client.sleep = sleeper
        let sqs = SQSClient(client)
        // 5 s left: 30 s per attempt is cut to the time left; after two 2 s waits a third would end past it.
        await CallBudget.$current.withValue(CallBudget(deadline: Deadline(epochMs: clock.now + 5000, clock: clock.read), breakerThreshold: 10)) {
            await #expect(throws: AWSError.self) { try await sqs.deleteMessage(queueUrl: "http://q", receiptHandle: "r") }
        }
        let timeouts = await transport.requests.map(\.timeout)
        #expect(timeouts == [.seconds(5), .seconds(3), .seconds(1)])
        #expect(await sleeps.sleeps == [.seconds(2), .seconds(2)])

        // With less than the minimum attempt left nothing is sent.
        let before = await transport.requests.count
        await CallBudget.$current.withValue(CallBudget(deadline: Deadline(epochMs: clock.now + 10, clock: clock.read))) {
            let error = await #expect(throws: CallBudgetError.self) { try await sqs.deleteMessage(queueUrl: "http://q", receiptHandle: "r") }
            #expect(error?.kind == .deadline)
        }
        #expect(await transport.requests.count == before)
    }

    @Test("the breaker counts transport failures and 5xx per endpoint, resets on success, ignores client errors")
    func breaker() {
        let budget = CallBudget(deadline: .after(.seconds(10)), breakerThreshold: 2)
        let a = CallBudget.endpointKey("http://127.0.0.1:4566/queue/x?Action=1")
        let b = CallBudget.endpointKey("https://sns.us-east-1.amazonaws.com/")
        #expect(a == "http://127.0.0.1:4566")
        #expect(b == "https://sns.us-east-1.amazonaws.com")
        budget.record(AWSError(rawCode: "Validation", message: "", statusCode: 400), endpoint: a)
        budget.record(AWSError(rawCode: "Validation", message: "", statusCode: 400), endpoint: a)
        #expect(!budget.isSkipped(a))
        budget.record(HTTPTransportError(.connectionClosed, "reset"), endpoint: a)
        budget.recordSuccess(a)
        budget.record(AWSError(rawCode: "InternalError", message: "", statusCode: 500), endpoint: a)
        #expect(!budget.isSkipped(a))
        budget.record(HTTPTransportError(.timeout, "slow"), endpoint: a)
        #expect(budget.isSkipped(a))
        #expect(!budget.isSkipped(b))
        // A clean-up budget for the same invocation keeps what was learnt.
        #expect(budget.with(deadline: .after(.seconds(1))).isSkipped(a))
        #expect(!CallBudget(deadline: .after(.seconds(1))).isSkipped(a))
    }
}
