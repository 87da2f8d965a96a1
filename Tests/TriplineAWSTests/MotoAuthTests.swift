import Foundation
import Testing
import TriplineTestSupport

@testable import SigV4
@testable import TriplineAWS

private let iam = AWSService(signingName: "iam", endpointPrefix: "iam", environmentName: "IAM", wireProtocol: .query(apiVersion: "2010-05-08"))
private let sts = AWSService(signingName: "sts", endpointPrefix: "sts", environmentName: "STS", wireProtocol: .query(apiVersion: "2011-06-15"))

/// Alters a request after it was signed, the way a proxy or an attacker would.
struct TamperingTransport: HTTPTransport {
    let base: any HTTPTransport
    let tamper: @Sendable (inout HTTPRequest) -> Void
    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        var r = request
        tamper(&r)
        return try await base.send(r)
    }
}

/// Signature checking is switched on for the whole moto process, so this suite has its own server.
@Suite("Signatures verified by moto (dedicated server, auth on)")
struct MotoAuthTests {
    @Test("Good signatures pass, tampered or unknown ones get 403, STS session tokens are honoured")
    func signatures() async throws {
        let server = try await MotoServer.startDedicated()
        defer { server.stop() }

        // While auth is off: an IAM user with an allow-all inline policy and an access key.
        let bootstrap = motoClient(server)
        let user = uniqueName("tripline-signer")
        _ = try await bootstrap.query(iam, "CreateUser", [("UserName", user)])
        _ = try await bootstrap.query(iam, "PutUserPolicy", [
            ("UserName", user), ("PolicyName", "all"),
            ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
        ])
        let key = try await bootstrap.query(iam, "CreateAccessKey", [("UserName", user)])
        // A role the user can assume, for temporary (ASIA…) credentials.
        let role = try await bootstrap.query(iam, "CreateRole", [
            ("RoleName", user + "-role"),
            ("AssumeRolePolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#),
        ])
        let roleArn = try #require(role.find("Arn")?.text)
        _ = try await bootstrap.query(iam, "PutRolePolicy", [
            ("RoleName", user + "-role"), ("PolicyName", "all"),
            ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#),
        ])
        let accessKeyId = try #require(key.find("AccessKeyId")?.text)
        let secret = try #require(key.find("SecretAccessKey")?.text)
        try server.enableAuthentication()

        let good = motoClient(server, credentials: StaticCredentialProvider(accessKeyId: accessKeyId, secretAccessKey: secret))
        var noRetry = good
        noRetry.retryPolicy = NoRetryPolicy()

        // JSON protocol (SQS), query protocol (SNS) and S3 with a key that needs encoding all verify. (moto's own S3
        // check rejects keys with `+`, `=` or non-ASCII, and `/` in query values, even from botocore: the key here only
        // has a space and the listing prefix no slash.)
        let queue = try await SQSClient(good).createQueue(name: uniqueName("auth-q"))
        try await SQSClient(good).sendMessage(queueUrl: queue, body: "signed")
        _ = try await SNSClient(good).createTopic(name: uniqueName("auth-topic"))
        let bucket = uniqueName("auth-bucket")
        try await S3Client(good).createBucket(bucket)
        try await S3Client(good).putObject(bucket: bucket, key: "logs/a b.txt", body: Array("hello".utf8))
        #expect(try await S3Client(good).getObject(bucket: bucket, key: "logs/a b.txt").body == Array("hello".utf8))
        #expect(try await S3Client(good).listObjectsV2(bucket: bucket, prefix: "logs").objects.count == 1)

        // A body changed after signing.
        var tampered = noRetry
        tampered.transport = TamperingTransport(base: good.transport) { request in
            request.body = Array(String(decoding: request.body, as: UTF8.self).replacingOccurrences(of: "signed", with: "forged").utf8)
        }
        let forged = await #expect(throws: AWSError.self) { try await SQSClient(tampered).sendMessage(queueUrl: queue, body: "signed") }
        #expect(forged?.statusCode == 403)
        #expect(forged?.code == "SignatureDoesNotMatch")

        // The right key id with the wrong secret.
        var wrongSecret = noRetry
        wrongSecret.credentials = StaticCredentialProvider(accessKeyId: accessKeyId, secretAccessKey: secret + "x")
        let badSecret = await #expect(throws: AWSError.self) { try await SQSClient(wrongSecret).createQueue(name: uniqueName("x")) }
        #expect(badSecret?.code == "SignatureDoesNotMatch")

        // A key moto has never issued.
        var unknown = noRetry
        unknown.credentials = StaticCredentialProvider(accessKeyId: "AKIAUNKNOWN000000000", secretAccessKey: "x")
        let unknownKey = await #expect(throws: AWSError.self) { try await SQSClient(unknown).createQueue(name: uniqueName("x")) }
        #expect(unknownKey?.statusCode == 403)
        #expect(unknownKey?.code == "InvalidClientTokenId")

        // Temporary credentials (what Lambda gets): ASIA… key + session token.
        let session = try await good.query(sts, "AssumeRole", [("RoleArn", roleArn), ("RoleSessionName", "tripline-test")])
        let temporary = AWSCredentials(
            accessKeyId: try #require(session.find("AccessKeyId")?.text),
            secretAccessKey: try #require(session.find("SecretAccessKey")?.text),
            sessionToken: try #require(session.find("SessionToken")?.text))
        #expect(temporary.accessKeyId.hasPrefix("ASIA"))
        var withToken = noRetry
        withToken.credentials = StaticCredentialProvider(temporary)
        try await SQSClient(withToken).sendMessage(queueUrl: queue, body: "via sts")
        let request = try await withToken.signedRequest(
            AWSRequest(service: .sqs, operation: "ListQueues", method: "POST", path: "/"))
        #expect(request.headers["x-amz-security-token"] == temporary.sessionToken)
        #expect(request.headers["authorization"]?.contains("x-amz-security-token") == true)

        // The same temporary key without its token is rejected.
        var withoutToken = noRetry
        withoutToken.credentials = StaticCredentialProvider(
            accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey)
        let missingToken = await #expect(throws: AWSError.self) { try await SQSClient(withoutToken).sendMessage(queueUrl: queue, body: "x") }
        #expect(missingToken?.statusCode == 403)
        // ... and so is a forged token.
        var forgedToken = noRetry
        forgedToken.credentials = StaticCredentialProvider(
            accessKeyId: temporary.accessKeyId, secretAccessKey: temporary.secretAccessKey, sessionToken: "forged")
        let badToken = await #expect(throws: AWSError.self) { try await SQSClient(forgedToken).sendMessage(queueUrl: queue, body: "x") }
        #expect(badToken?.code == "InvalidClientTokenId")
    }
}
