/// One Parameter Store parameter as GetParameter returns it.
public struct SSMParameter: Sendable, Equatable {
    public var name: String
    /// `String`, `StringList` or `SecureString`.
    public var type: String
    /// Decrypted when it is a SecureString (GetParameter is called `WithDecryption`).
    public var value: String
    public var version: Int?
}

/// AWS Systems Manager Parameter Store (JSON 1.1, `AmazonSSM.<Operation>`): the one call Tripline needs, reading
/// its configuration at cold start.
public struct SSMClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    /// Writes a parameter (`type`: String, StringList or SecureString, encrypted with the account's default key), as
    /// deployment tooling publishes Tripline's configuration; returns the new version.
    @discardableResult
    public func putParameter(name: String, value: String, type: String = "String", overwrite: Bool = true) async throws -> Int {
        let response = try await client.json(
            .ssm, "PutParameter",
            ["Name": .string(name), "Value": .string(value), "Type": .string(type), "Overwrite": .bool(overwrite)])
        if case .number(let n)? = response["Version"] { return Int(n) }
        throw AWSClientError.invalidResponse("PutParameter answered without Version")
    }

    /// Reads a parameter by name (or ARN), decrypting SecureStrings with the caller's KMS access.
    public func getParameter(name: String) async throws -> SSMParameter {
        let response = try await client.json(.ssm, "GetParameter", ["Name": .string(name), "WithDecryption": true])
        guard let parameter = response["Parameter"], let value = parameter["Value"]?.string else {
            throw AWSClientError.invalidResponse("GetParameter answered without Parameter.Value")
        }
        return SSMParameter(
            name: parameter["Name"]?.string ?? name, type: parameter["Type"]?.string ?? "String", value: value,
            version: parameter["Version"].flatMap { if case .number(let n) = $0 { Int(n) } else { nil } })
    }
}
