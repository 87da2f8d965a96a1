import Foundation
import Testing
import TriplineAWS
import TriplineAlerts
import TriplineDestinations
import TriplineTestSupport

@Suite("Secrets from the environment, SSM Parameter Store and Secrets Manager")
struct SecretTests {
    @Test("References parse; a bare value is refused without being echoed")
    func parsing() throws {
        #expect(try SecretReference(parsing: "env:SLACK_URL") == .environment("SLACK_URL"))
        #expect(try SecretReference(parsing: "ssm:/tripline/slack") == .ssmParameter("/tripline/slack"))
        #expect(try SecretReference(parsing: "secretsmanager:tripline/hooks#slack") == .secretsManager(id: "tripline/hooks", jsonKey: "slack"))
        #expect(try SecretReference(parsing: "arn:aws:ssm:eu-west-1:123456789012:parameter/x") == .ssmParameter("arn:aws:ssm:eu-west-1:123456789012:parameter/x"))
        #expect(try SecretReference(parsing: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks-AbCdEf")
            == .secretsManager(id: "arn:aws:secretsmanager:us-east-1:123456789012:secret:hooks-AbCdEf", jsonKey: nil))
        for bad in ["https://hooks.slack.com/services/T0/B0/SENTINELbare", "env:", "ssm:", "arn:aws:s3:::SENTINELbucket", "secretsmanager:#k"] {
            #expect(throws: SecretError.self) { try SecretReference(parsing: bad) }
            do { _ = try SecretReference(parsing: bad) } catch { #expect(!error.description.contains("SENTINEL")) }
        }
    }

    @Test("The environment")
    func environment() async throws {
        let resolver = SecretResolver(environment: ["TRIPLINE_SLACK": "https://hooks.slack.com/services/SENTINELenv"], aws: nil)
        #expect(try await resolver.resolve("env:TRIPLINE_SLACK").revealed == "https://hooks.slack.com/services/SENTINELenv")
        await #expect(throws: SecretError.notFound("env:MISSING")) { try await resolver.resolve("env:MISSING") }
        await #expect(throws: SecretError.self) { try await resolver.resolve("ssm:/x") }  // no AWS client
    }

    @Test("SSM SecureString by name and by ARN, Secrets Manager by name, ARN and JSON key — signed calls to moto")
    func aws() async throws {
        let moto = try await MotoServer.shared()
        let aws = motoClient(moto)
        let name = "/tripline/" + uniqueName("test") + "/slack"
        let sentinel = "https://hooks.slack.com/services/T0/B0/SENTINEL-" + UUID().uuidString
        try await SSMClient(aws).putParameter(name: name, value: sentinel, type: "SecureString")
        let secretName = uniqueName("tripline-hooks")
        let arn = try await SecretsManagerClient(aws).createSecret(name: secretName, value: #"{"slack":"\#(sentinel)","pagerduty":"R0UTING"}"#)
        let plainName = uniqueName("tripline-key")
        try await SecretsManagerClient(aws).createSecret(name: plainName, value: "whsec-SENTINEL")

        let resolver = SecretResolver(environment: [:], aws: aws)
        #expect(try await resolver.resolve("ssm:" + name).revealed == sentinel)
        #expect(try await resolver.resolve("arn:aws:ssm:us-east-1:123456789012:parameter" + name).revealed == sentinel)
        #expect(try await resolver.resolve("secretsmanager:\(secretName)#slack").revealed == sentinel)
        #expect(try await resolver.resolve(arn + "#pagerduty").revealed == "R0UTING")
        #expect(try await resolver.resolve("secretsmanager:" + plainName).revealed == "whsec-SENTINEL")

        await #expect(throws: SecretError.notFound("ssm:/tripline/no-such-parameter")) { try await resolver.resolve("ssm:/tripline/no-such-parameter") }
        await #expect(throws: SecretError.notFound("secretsmanager:no-such-secret-x")) { try await resolver.resolve("secretsmanager:no-such-secret-x") }
        do {
            _ = try await resolver.resolve("secretsmanager:\(secretName)#missing")
            Issue.record("resolved a missing JSON key")
        } catch {
            #expect(!error.description.contains("SENTINEL"), "\(error)")
        }
        do {
            _ = try await resolver.resolve("secretsmanager:\(plainName)#k")  // not JSON: the error must not quote it
            Issue.record("resolved a key of a non-JSON secret")
        } catch {
            #expect(!error.description.contains("SENTINEL"), "\(error)")
        }
    }

    @Test("A Secret prints, dumps and reflects as <redacted>, alone and inside destinations")
    func redacted() {
        let sentinel = "SENTINEL-" + UUID().uuidString
        let secret = Secret("https://hooks.example/" + sentinel)
        var dumped = ""
        dump(secret, to: &dumped)
        let destinations: [any AlertDestination] = [
            SlackDestination(webhookURL: secret), TeamsDestination(webhookURL: secret),
            PagerDutyDestination(routingKey: Secret(sentinel)), WebhookDestination(url: secret, signingKey: Secret(sentinel)),
        ]
        for d in destinations { dump(d, to: &dumped) }
        let texts = [String(describing: secret), String(reflecting: secret), "\(secret)", dumped]
            + destinations.flatMap { [String(describing: $0), String(reflecting: $0)] }
        for t in texts { #expect(!t.contains(sentinel), "\(t.prefix(300))") }
        #expect(secret.redact("GET /" + sentinel + " failed") == "GET <redacted> failed")
    }
}
