/// AWS Secrets Manager (JSON 1.1, `secretsmanager.<Operation>`).
public struct SecretsManagerClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    /// The current `SecretString` of a secret, by name or ARN. Binary secrets are refused (alert destinations
    /// take text).
    public func getSecretValue(id: String) async throws -> String {
        let response = try await client.json(.secretsManager, "GetSecretValue", ["SecretId": .string(id)])
        guard let value = response["SecretString"]?.string else {
            throw AWSClientError.invalidResponse("secret has no SecretString (binary secrets are not supported)")
        }
        return value
    }

    /// Creates a secret holding `value`; returns its ARN.
    @discardableResult
    public func createSecret(name: String, value: String) async throws -> String {
        try await client.json(.secretsManager, "CreateSecret", ["Name": .string(name), "SecretString": .string(value)])
            .require("ARN", \.string)
    }
}
