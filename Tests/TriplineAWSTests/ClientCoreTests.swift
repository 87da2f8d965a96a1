import Foundation
import Testing

@testable import TriplineAWS

@Suite("Retries")
struct RetryTests {
    @Test("A throttled call is retried with full-jitter backoff and then succeeds")
    func throttlingThenSuccess() async throws {
        let transport = InMemoryHTTPTransport(scripted: [
            .success(jsonResponse(400, #"{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"slow down"}"#)),
            .success(jsonResponse(503, #"{"__type":"ServiceUnavailable","message":"busy"}"#)),
            .success(jsonResponse(200, #"{"Table":{"TableName":"t","TableStatus":"ACTIVE"}}"#)),
        ])
        let sleeps = SleepRecorder()
        let ddb = DynamoDBClient(fakeClient(transport, retry: StandardRetryPolicy(base: .milliseconds(100), random: { 0.5 }), sleeper: sleeps))
        let table = try await ddb.describeTable(table: "t")
        #expect(table.status == "ACTIVE")
        #expect(await transport.requests.count == 3)
        // attempt 1: 0.5 * 100ms * 2^1; attempt 2: 0.5 * 100ms * 2^2
        #expect(await sleeps.sleeps == [.milliseconds(100), .milliseconds(200)])
    }

    @Test("Retry-After is honoured instead of the computed backoff")
    func retryAfter() async throws {
        let transport = InMemoryHTTPTransport(scripted: [
            .success(HTTPResponse(status: 429, headers: ["Retry-After": "3"], body: Array("Too Many Requests".utf8))),
            .success(jsonResponse(200, #"{"MessageId":"m-1"}"#)),
        ])
        let sleeps = SleepRecorder()
        let sqs = SQSClient(fakeClient(transport, sleeper: sleeps))
        let id = try await sqs.sendMessage(queueUrl: "http://q", body: "hi")
        #expect(id == "m-1")
        #expect(await sleeps.sleeps == [.seconds(3)])
    }

    @Test("A 400 validation error is not retried and is decoded")
    func noRetryOn400() async throws {
        let transport = InMemoryHTTPTransport(scripted: [
            .success(jsonResponse(400, #"{"__type":"com.amazonaws.dynamodb.v20120810#ValidationException","message":"bad key","Message":null}"#,
                headers: ["x-amzn-RequestId": "req-9"])),
            .success(jsonResponse(200, "{}")),
        ])
        let sleeps = SleepRecorder()
        let ddb = DynamoDBClient(fakeClient(transport, sleeper: sleeps))
        let error = await #expect(throws: AWSError.self) { try await ddb.getItem(table: "t", key: ["pk": "a"]) }
        #expect(error?.code == "Validation")
        #expect(error?.rawCode == "com.amazonaws.dynamodb.v20120810#ValidationException")
        #expect(error?.message == "bad key")
        #expect(error?.statusCode == 400)
        #expect(error?.requestId == "req-9")
        #expect(await transport.requests.count == 1)
        #expect(await sleeps.sleeps.isEmpty)
    }

    @Test("Connection failures are retried until the attempt limit with short waits, then surface")
    func connectionErrors() async throws {
        let transport = InMemoryHTTPTransport { _ in throw HTTPTransportError(.connectionClosed, "reset by peer") }
        let sleeps = SleepRecorder()
        let sqs = SQSClient(fakeClient(transport, retry: StandardRetryPolicy(maxAttempts: 3, random: { 1 }), sleeper: sleeps))
        await #expect(throws: HTTPTransportError.self) { try await sqs.deleteMessage(queueUrl: "q", receiptHandle: "r") }
        #expect(await transport.requests.count == 3)
        // Refused or reset connections wait at most `connectionCap` (100 ms), not the exponential 200, 400 ms.
        #expect(await sleeps.sleeps == [.milliseconds(100), .milliseconds(100)])
    }

    @Test("Backoff is capped")
    func cap() {
        let policy = StandardRetryPolicy(maxAttempts: 50, base: .milliseconds(100), cap: .seconds(5), random: { 1 })
        #expect(policy.decision(after: HTTPTransportError(.timeout, ""), attempt: 20) == .retry(after: .seconds(5)))
        #expect(policy.decision(after: AWSError(rawCode: "AccessDenied", message: "", statusCode: 403), attempt: 1) == .doNotRetry)
    }

    @Test("Each attempt is signed afresh with the current date")
    func resignsEachAttempt() async throws {
        let transport = InMemoryHTTPTransport(scripted: [
            .success(jsonResponse(500, "{}")), .success(jsonResponse(200, #"{"QueueUrl":"u"}"#)),
        ])
        let tick = Counter()
        var client = fakeClient(transport)
        client.now = { Date(timeIntervalSince1970: 1_700_000_000 + Double(tick.next())) }
        _ = try await SQSClient(client).createQueue(name: "q")
        let dates = await transport.requests.map { $0.headers["x-amz-date"] }
        #expect(dates == ["20231114T221320Z", "20231114T221321Z"])
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = -1
    func next() -> Int { lock.withLock { value += 1; return value } }
}

@Suite("Error decoding")
struct ErrorDecodingTests {
    @Test("Query (SNS) XML errors")
    func queryXML() {
        let body = """
            <ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/">
              <Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error>
              <RequestId>abc-123</RequestId>
            </ErrorResponse>
            """
        let e = AWSError.decode(HTTPResponse(status: 404, body: Array(body.utf8)), service: "sns", operation: "Publish")
        #expect(e.code == "NotFound")
        #expect(e.message == "Topic does not exist")
        #expect(e.requestId == "abc-123")
    }

    @Test("S3 REST-XML errors and bodiless errors")
    func s3XML() {
        let body = "<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The key &amp; more</Message><RequestId>r1</RequestId></Error>"
        let e = AWSError.decode(HTTPResponse(status: 404, body: Array(body.utf8)), service: "s3", operation: "GetObject")
        #expect(e.code == "NoSuchKey")
        #expect(e.message == "The key & more")
        let bare = AWSError.decode(HTTPResponse(status: 404), service: "s3", operation: "HeadObject")
        #expect(bare.code == "NotFound")
    }

    @Test("Auth errors arrive as XML even from JSON services, whatever the Content-Type")
    func authXMLFromJSONService() {
        let body = "<ErrorResponse><Error><Code>SignatureDoesNotMatch</Code><Message>nope</Message></Error></ErrorResponse>"
        let e = AWSError.decode(
            HTTPResponse(status: 403, headers: ["content-type": "application/x-amz-json-1.0"], body: Array(body.utf8)),
            service: "sqs", operation: "SendMessage")
        #expect(e.code == "SignatureDoesNotMatch")
    }

    @Test("JSON labelled text/html is still decoded; x-amzn-ErrorType is a fallback")
    func jsonAsHTML() {
        let e = AWSError.decode(
            HTTPResponse(status: 400, headers: ["content-type": "text/html"], body: Array(#"{"__type":"ResourceNotFoundException","message":"gone"}"#.utf8)),
            service: "events", operation: "PutTargets")
        #expect(e.code == "ResourceNotFound")
        #expect(e.is("ResourceNotFoundException"))
        let h = AWSError.decode(HTTPResponse(status: 400, headers: ["x-amzn-ErrorType": "AccessDeniedException:http://internal"]), service: "x", operation: "y")
        #expect(h.code == "AccessDenied")
    }

    @Test("Throttling codes are recognised after normalisation")
    func throttling() {
        #expect(AWSError(rawCode: "ProvisionedThroughputExceededException", message: "", statusCode: 400).isThrottling)
        #expect(AWSError(rawCode: "Throttling", message: "", statusCode: 400).isThrottling)
        #expect(!AWSError(rawCode: "ValidationException", message: "", statusCode: 400).isThrottling)
    }
}

@Suite("Endpoints and request shapes")
struct EndpointTests {
    @Test("Defaults per service and region")
    func defaults() throws {
        let o = EndpointOverrides()
        #expect(try o.resolve(.sqs, region: "eu-west-1").endpoint.description == "https://sqs.eu-west-1.amazonaws.com")
        #expect(try o.resolve(.eventBridge, region: "us-east-2").endpoint.description == "https://events.us-east-2.amazonaws.com")
        #expect(try o.resolve(.s3, region: "cn-north-1").endpoint.description == "https://s3.cn-north-1.amazonaws.com.cn")
    }

    @Test("AWS_ENDPOINT_URL_<SERVICE> beats AWS_ENDPOINT_URL, and both can be ignored")
    func environment() throws {
        let env = ["AWS_ENDPOINT_URL": "http://127.0.0.1:5000", "AWS_ENDPOINT_URL_SQS": "http://localhost:9324/"]
        let o = EndpointOverrides.fromEnvironment(env)
        #expect(try o.resolve(.sqs, region: "us-east-1").endpoint.description == "http://localhost:9324")
        #expect(try o.resolve(.dynamoDB, region: "us-east-1").endpoint.hostHeader == "127.0.0.1:5000")
        #expect(try o.resolve(.dynamoDB, region: "us-east-1").isDefault == false)
        let ignored = EndpointOverrides.fromEnvironment(env.merging(["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"]) { $1 })
        #expect(try ignored.resolve(.sqs, region: "us-east-1").isDefault)
        #expect(throws: AWSClientError.self) { try EndpointOverrides(global: "not a url").resolve(.sqs, region: "x") }
    }

    @Test("fromEnvironment picks region and endpoint from the environment")
    func clientFromEnvironment() async throws {
        let client = AWSClient.fromEnvironment(
            ["AWS_REGION": "eu-central-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "AK", "AWS_SECRET_ACCESS_KEY": "s",
             "HOME": "/nonexistent"])
        #expect(client.region == "eu-central-1")
        #expect(client.endpoints.global == "http://127.0.0.1:1")
        #expect(try await client.credentials.credentials().accessKeyId == "AK")
    }

    @Test("S3 uses virtual-hosted style on AWS and path style on an override, with single-encoded keys")
    func s3Addressing() async throws {
        let transport = InMemoryHTTPTransport { _ in HTTPResponse(status: 200, headers: ["ETag": "\"e\""]) }
        let aws = S3Client(fakeClient(transport, region: "eu-west-1"))
        try await aws.putObject(bucket: "my-bucket", key: "logs/a b+c.json", body: [1, 2, 3])
        let local = S3Client(fakeClient(transport, endpoint: "http://127.0.0.1:5000"))
        try await local.putObject(bucket: "my-bucket", key: "logs/a b+c.json", body: [1])
        let dotted = S3Client(fakeClient(transport))
        try await dotted.putObject(bucket: "my.bucket", key: "k", body: [])
        let requests = await transport.requests
        #expect(requests.map(\.url) == [
            "https://my-bucket.s3.eu-west-1.amazonaws.com/logs/a%20b%2Bc.json",
            "http://127.0.0.1:5000/my-bucket/logs/a%20b%2Bc.json",
            "https://s3.us-east-1.amazonaws.com/my.bucket/k",
        ])
        #expect(requests[0].headers["host"] == "my-bucket.s3.eu-west-1.amazonaws.com")
        #expect(requests[1].headers["host"] == "127.0.0.1:5000")
        #expect(requests[0].headers["x-amz-content-sha256"] == "039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81")
        #expect(requests[0].headers["authorization"]?.contains("/eu-west-1/s3/aws4_request") == true)
    }

    @Test("JSON protocol: target header, content type and body")
    func jsonShape() async throws {
        let transport = InMemoryHTTPTransport { _ in jsonResponse(200, #"{"RuleArn":"arn:aws:events:us-east-1:1:rule/r"}"#) }
        _ = try await EventBridgeClient(fakeClient(transport)).putRule(name: "r", eventPattern: #"{"source":["a"]}"#)
        let request = try #require(await transport.requests.first)
        #expect(request.method == "POST")
        #expect(request.url == "https://events.us-east-1.amazonaws.com/")
        #expect(request.headers["x-amz-target"] == "AWSEvents.PutRule")
        #expect(request.headers["content-type"] == "application/x-amz-json-1.1")
        #expect(String(decoding: request.body, as: UTF8.self)
            == #"{"EventPattern":"{\"source\":[\"a\"]}","Name":"r","State":"ENABLED"}"#)
    }

    @Test("Query protocol: form body with Action, Version and indexed message attributes")
    func queryShape() async throws {
        let transport = InMemoryHTTPTransport { _ in
            HTTPResponse(status: 200, body: Array("<PublishResponse><PublishResult><MessageId>m1</MessageId></PublishResult></PublishResponse>".utf8))
        }
        let id = try await SNSClient(fakeClient(transport)).publish(
            topicArn: "arn:t", message: "a b&c", subject: "s", messageAttributes: ["severity": "high", "rule": "r-1"])
        #expect(id == "m1")
        let request = try #require(await transport.requests.first)
        #expect(request.headers["content-type"] == "application/x-www-form-urlencoded; charset=utf-8")
        #expect(String(decoding: request.body, as: UTF8.self) == [
            "Action=Publish", "Version=2010-03-31", "TopicArn=arn%3At", "Message=a%20b%26c", "Subject=s",
            "MessageAttributes.entry.1.Name=rule", "MessageAttributes.entry.1.Value.DataType=String",
            "MessageAttributes.entry.1.Value.StringValue=r-1",
            "MessageAttributes.entry.2.Name=severity", "MessageAttributes.entry.2.Value.DataType=String",
            "MessageAttributes.entry.2.Value.StringValue=high",
        ].joined(separator: "&"))
    }

    @Test("S3 GetObject streams chunks and enforces a size limit")
    func streaming() async throws {
        let payload = (0..<200_000).map { UInt8($0 % 251) }
        let transport = InMemoryHTTPTransport { _ in HTTPResponse(status: 200, headers: ["Content-Length": "200000"], body: payload) }
        let s3 = S3Client(fakeClient(transport, endpoint: "http://127.0.0.1:1"))
        let stream = try await s3.getObjectStream(bucket: "b", key: "k")
        var chunks = 0
        var received: [UInt8] = []
        for try await chunk in stream.body {
            chunks += 1
            received += chunk
        }
        #expect(chunks > 1)
        #expect(received == payload)
        #expect(stream.contentLength == 200_000)
        await #expect(throws: AWSClientError.bodyTooLarge(limit: 1000)) { try await s3.getObject(bucket: "b", key: "k", maxBytes: 1000) }
        #expect(try await s3.getObject(bucket: "b", key: "k").body == payload)
    }
}

@Suite("JSON and XML helpers")
struct CodecTests {
    @Test("JSON nulls read as absent, integers are written without fractions")
    func json() throws {
        let parsed = try AWSJSON.parse(Array(#"{"NextToken":null,"Events":[],"N":50,"B":true,"F":1.5}"#.utf8))
        #expect(parsed["NextToken"] == nil)
        #expect(parsed["Events"]?.array == [])
        #expect(parsed["N"]?.int == 50)
        #expect(parsed["B"]?.bool == true)
        #expect(parsed["F"]?.int == nil)
        #expect(String(decoding: AWSJSON.object(["MaxResults": .number(50), "x": .bool(false)]).serialized(), as: UTF8.self)
            == #"{"MaxResults":50,"x":false}"#)
        #expect(throws: AWSClientError.self) { try AWSJSON.parse(Array("<html>".utf8)) }
    }

    @Test("XML: namespaces, entities, CDATA, comments, attributes with >")
    func xml() throws {
        let doc = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- c --><ns:Root xmlns:ns="urn:x" a="1>2"><Item>&lt;a&gt; &#233;&#x41;</Item><Item><![CDATA[<raw>]]></Item><Empty/></ns:Root>
            """
        let root = try XMLTree.parse(Array(doc.utf8))
        #expect(root.name == "Root")
        #expect(root.all("Item").map(\.text) == ["<a> éA", "<raw>"])
        #expect(root["Empty"]?.text == "")
        #expect(throws: AWSClientError.self) { try XMLTree.parse(Array("<a><b></a>".utf8)) }
    }

    @Test("DynamoValue round-trips through the wire format")
    func dynamoValue() throws {
        let value: DynamoValue = .m([
            "s": "x", "n": 42, "b": true, "z": .null, "l": .l([.number(1.5), "y"]), "ss": .ss(["a", "b"]),
        ])
        #expect(try DynamoValue(json: value.json) == value)
        #expect(value.map?["n"]?.int == 42)
        #expect(value.map?["l"]?.list?.first?.double == 1.5)
    }
}
