import Foundation
import Testing
import TriplineTestSupport

@testable import TriplineAWS

private func tempFile(_ contents: String) throws -> String {
    let path = NSTemporaryDirectory() + "tripline-\(UUID().uuidString)"
    try contents.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

private let credentialJSON = """
    {"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIACONTAINER","SecretAccessKey":"s3cr3t",
     "Token":"session-token","Expiration":"2031-05-01T12:00:00Z","LastUpdated":"2031-05-01T06:00:00Z"}
    """

@Suite("Credentials")
struct CredentialsTests {
    @Test("Environment provider reads keys and an optional session token")
    func environment() async throws {
        let c = try await EnvironmentCredentialProvider(environment: [
            "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "sec", "AWS_SESSION_TOKEN": "tok",
        ]).credentials()
        #expect(c == AWSCredentials(accessKeyId: "AKID", secretAccessKey: "sec", sessionToken: "tok"))
        await #expect(throws: CredentialProviderError.self) {
            try await EnvironmentCredentialProvider(environment: ["AWS_ACCESS_KEY_ID": "AKID"]).credentials()
        }
    }

    @Test("Profile file parser: sections, comments, whitespace, nested settings, [profile x] in config")
    func profileParser() {
        let file = AWSProfileFile(parsing: """
            # comment
            [default]
            aws_access_key_id = AKIDDEFAULT
            aws_secret_access_key=secretdefault
            ; another comment
            [profile dev]
            region = eu-west-1
            s3 =
              addressing_style = path
            AWS_Access_Key_ID = AKIDDEV
            """)
        #expect(file.profile("default", isConfigFile: false)?["aws_access_key_id"] == "AKIDDEFAULT")
        #expect(file.profile("default", isConfigFile: false)?["aws_secret_access_key"] == "secretdefault")
        #expect(file.profile("dev", isConfigFile: true)?["region"] == "eu-west-1")
        #expect(file.profile("dev", isConfigFile: true)?["aws_access_key_id"] == "AKIDDEV")
        #expect(file.profile("dev", isConfigFile: true)?["addressing_style"] == nil)
        #expect(file.profile("dev", isConfigFile: false) == nil)
    }

    @Test("Profile provider: AWS_PROFILE selects the profile; the credentials file wins over config")
    func profileProvider() async throws {
        let creds = try tempFile("[dev]\naws_access_key_id = FROMCREDS\naws_secret_access_key = s1\naws_session_token = t1\n")
        let config = try tempFile("[profile dev]\naws_access_key_id = FROMCONFIG\naws_secret_access_key = s2\nregion = ap-south-1\n[profile other]\naws_access_key_id = OTHER\naws_secret_access_key = s3\n")
        defer { try? FileManager.default.removeItem(atPath: creds); try? FileManager.default.removeItem(atPath: config) }
        let env = ["AWS_PROFILE": "dev", "AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": config]
        let dev = try await ProfileCredentialProvider(environment: env).credentials()
        #expect(dev == AWSCredentials(accessKeyId: "FROMCREDS", secretAccessKey: "s1", sessionToken: "t1"))
        #expect(ProfileCredentialProvider(environment: env).region() == "ap-south-1")
        let other = try await ProfileCredentialProvider(environment: env.merging(["AWS_PROFILE": "other"]) { $1 }).credentials()
        #expect(other.accessKeyId == "OTHER")
        await #expect(throws: CredentialProviderError.self) {
            try await ProfileCredentialProvider(environment: env.merging(["AWS_PROFILE": "missing"]) { $1 }).credentials()
        }
    }

    @Test("Container provider: full URI on loopback, Authorization token, expiry parsed (real HTTP)")
    func container() async throws {
        let server = try LoopbackHTTPServer { request in
            guard request.path == "/v2/credentials/abc", request.headers["authorization"] == "Bearer xyz" else {
                return .init(status: 403, text: "denied")
            }
            return .init(json: credentialJSON)
        }
        defer { server.stop() }
        let provider = ContainerCredentialProvider(environment: [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(server.baseURL)/v2/credentials/abc",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer xyz",
        ])
        let c = try await provider.credentials()
        #expect(c.accessKeyId == "ASIACONTAINER")
        #expect(c.secretAccessKey == "s3cr3t")
        #expect(c.sessionToken == "session-token")
        #expect(c.expiration == Date(timeIntervalSince1970: 1_935_403_200))
        #expect(server.requests.count == 1)

        // The token file takes precedence over the inline token.
        let tokenFile = try tempFile("Bearer wrong\n")
        defer { try? FileManager.default.removeItem(atPath: tokenFile) }
        let withFile = ContainerCredentialProvider(environment: [
            "AWS_CONTAINER_CREDENTIALS_FULL_URI": "\(server.baseURL)/v2/credentials/abc",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN": "Bearer xyz", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": tokenFile,
        ])
        await #expect(throws: AWSClientError.self) { try await withFile.credentials() }
        #expect(server.requests.last?.headers["authorization"] == "Bearer wrong")
    }

    @Test("Container provider refuses to send a token to a non-local plain-HTTP host, and is skipped when unset")
    func containerGuards() async throws {
        let remote = ContainerCredentialProvider(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://example.com/creds"])
        await #expect(throws: AWSClientError.self) { try await remote.credentials() }
        await #expect(throws: CredentialProviderError.self) { try await ContainerCredentialProvider(environment: [:]).credentials() }
    }

    @Test("IMDSv2: token PUT, role listing and role credentials, each authorised with the token (real HTTP)")
    func imds() async throws {
        let server = try LoopbackHTTPServer { request in
            switch (request.method, request.path) {
            case ("PUT", "/latest/api/token"):
                return request.headers["x-aws-ec2-metadata-token-ttl-seconds"] == "21600" ? .init(text: "imds-token") : .init(status: 400)
            case (_, _) where request.headers["x-aws-ec2-metadata-token"] != "imds-token":
                return .init(status: 401)
            case ("GET", "/latest/meta-data/iam/security-credentials/"):
                return .init(text: "tripline-role\n")
            case ("GET", "/latest/meta-data/iam/security-credentials/tripline-role"):
                return .init(text: credentialJSON)
            default:
                return .init(status: 404)
            }
        }
        defer { server.stop() }
        let provider = InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": server.baseURL + "/"])
        let c = try await provider.credentials()
        #expect(c.accessKeyId == "ASIACONTAINER")
        #expect(server.requests.map { "\($0.method) \($0.path)" } == [
            "PUT /latest/api/token", "GET /latest/meta-data/iam/security-credentials/",
            "GET /latest/meta-data/iam/security-credentials/tripline-role",
        ])
        let disabled = InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_DISABLED": "true"])
        await #expect(throws: CredentialProviderError.self) { try await disabled.credentials() }
    }

    @Test("IMDS is 'not configured' when nothing listens (not on EC2)")
    func imdsUnreachable() async throws {
        let port = try freePort()
        let provider = InstanceMetadataCredentialProvider(environment: ["AWS_EC2_METADATA_SERVICE_ENDPOINT": "http://127.0.0.1:\(port)"])
        await #expect(throws: CredentialProviderError.self) { try await provider.credentials() }
    }

    @Test("The default chain falls through environment and profile to the container endpoint")
    func chain() async throws {
        let server = try LoopbackHTTPServer { _ in .init(json: credentialJSON) }
        defer { server.stop() }
        let chain = AWSCredentials.defaultChain(environment: [
            "HOME": "/nonexistent", "AWS_CONTAINER_CREDENTIALS_FULL_URI": server.baseURL + "/creds",
            "AWS_EC2_METADATA_DISABLED": "true",
        ])
        #expect(try await chain.credentials().accessKeyId == "ASIACONTAINER")
        let empty = AWSCredentials.defaultChain(environment: ["HOME": "/nonexistent", "AWS_EC2_METADATA_DISABLED": "true"])
        let error = await #expect(throws: AWSClientError.self) { try await empty.credentials() }
        guard case .noCredentials(let tried) = error else { Issue.record("expected noCredentials, got \(String(describing: error))"); return }
        #expect(tried.count == 4)
    }

    @Test("Cached credentials are reused until five minutes before expiry, then refreshed once")
    func caching() async throws {
        let calls = Counter()
        let clock = MutableDate(Date(timeIntervalSince1970: 1_000_000))
        let base = ClosureCredentialProvider {
            let n = calls.next()
            return AWSCredentials(
                accessKeyId: "K\(n)", secretAccessKey: "s", sessionToken: "t",
                expiration: Date(timeIntervalSince1970: 1_000_000 + 3600 * Double(n + 1)))
        }
        let cached = CachedCredentialProvider(base, now: { clock.value })
        #expect(try await cached.credentials().accessKeyId == "K0")
        clock.value = Date(timeIntervalSince1970: 1_000_000 + 3600 - 301)
        #expect(try await cached.credentials().accessKeyId == "K0")
        clock.value = Date(timeIntervalSince1970: 1_000_000 + 3600 - 299)
        async let a = cached.credentials()
        async let b = cached.credentials()
        let (ca, cb) = try await (a, b)
        #expect(ca.accessKeyId == "K1")
        #expect(cb.accessKeyId == "K1")
    }
}

struct ClosureCredentialProvider: CredentialProvider {
    let body: @Sendable () async throws -> AWSCredentials
    init(_ body: @escaping @Sendable () async throws -> AWSCredentials) { self.body = body }
    func credentials() async throws -> AWSCredentials { try await body() }
}

final class MutableDate: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Date
    init(_ d: Date) { stored = d }
    var value: Date {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
