/// AWS Systems Manager Parameter Store (JSON 1.1, `AmazonSSM.<Operation>`).
public struct SSMClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    /// A parameter's value by name or ARN (`SecureString`s decrypted).
    public func getParameter(name: String, withDecryption: Bool = true) async throws -> String {
        let response = try await client.json(.ssm, "GetParameter", ["Name": .string(name), "WithDecryption": .bool(withDecryption)])
        guard let value = response["Parameter"]?["Value"]?.string else {
            throw AWSClientError.invalidResponse("GetParameter without Parameter.Value")
        }
        return value
    }

    /// Creates or overwrites a parameter (`String`, `StringList` or `SecureString`).
    public func putParameter(name: String, value: String, type: String = "SecureString", overwrite: Bool = true) async throws {
        _ = try await client.json(
            .ssm, "PutParameter", ["Name": .string(name), "Value": .string(value), "Type": .string(type), "Overwrite": .bool(overwrite)])
    }
}

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
