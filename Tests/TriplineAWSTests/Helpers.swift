import Foundation
import Testing
import TriplineAWS
import TriplineTestSupport

/// Records requested sleeps instead of sleeping, so retry and rate-limit tests are instant and exact.
actor SleepRecorder {
    private(set) var sleeps: [Duration] = []
    func record(_ d: Duration) { sleeps.append(d) }
    nonisolated var sleeper: AWSSleeper { { [self] d in await record(d) } }
}

/// A client on a fake transport: fixed credentials, fixed date, deterministic jitter, recorded sleeps.
func fakeClient(
    _ transport: InMemoryHTTPTransport, retry: any RetryPolicy = StandardRetryPolicy(random: { 1.0 }),
    sleeper: SleepRecorder = SleepRecorder(), region: String = "us-east-1", endpoint: String? = nil
) -> AWSClient {
    AWSClient(
        region: region, credentials: StaticCredentialProvider(accessKeyId: "AKIDFAKE", secretAccessKey: "secret"),
        transport: transport, endpoint: endpoint, retryPolicy: retry, sleep: sleeper.sleeper,
        now: { Date(timeIntervalSince1970: 1_700_000_000) })
}

func jsonResponse(_ status: Int = 200, _ body: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
    var h = headers
    h.set("content-type", "application/x-amz-json-1.0")
    return HTTPResponse(status: status, headers: h, body: Array(body.utf8))
}

func bodyJSON(_ request: HTTPRequest) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(request.body)) as? [String: Any])
}

/// A client for the shared moto server, with static dummy credentials.
func motoClient(_ server: MotoServer, credentials: any CredentialProvider = StaticCredentialProvider(
    accessKeyId: MotoServer.accessKeyId, secretAccessKey: MotoServer.secretAccessKey)) -> AWSClient
{
    AWSClient(region: MotoServer.region, credentials: credentials, endpoint: server.endpoint, timeout: .seconds(30))
}

/// Polls a queue until `count` messages matching `filter` arrived (or `seconds` elapse), deleting what it reads.
func drain(
    _ sqs: SQSClient, _ queueUrl: String, count: Int, seconds: Int = 15, where filter: (SQSMessage) -> Bool = { _ in true }
) async throws -> [SQSMessage] {
    var found: [SQSMessage] = []
    let deadline = Date().addingTimeInterval(Double(seconds))
    while found.count < count, Date() < deadline {
        for m in try await sqs.receiveMessage(queueUrl: queueUrl, maxMessages: 10, waitTimeSeconds: 1) {
            try await sqs.deleteMessage(queueUrl: queueUrl, receiptHandle: m.receiptHandle)
            if filter(m) { found.append(m) }
        }
    }
    return found
}
