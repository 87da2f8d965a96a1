/// One finding `BatchImportFindings` refused.
public struct SecurityHubImportFailure: Sendable, Equatable {
    public var id: String
    public var errorCode: String
    public var errorMessage: String
}

/// AWS Security Hub (REST-JSON): importing findings in ASFF and reading them back.
public struct SecurityHubClient: Sendable {
    public var client: AWSClient
    public init(_ client: AWSClient) { self.client = client }

    /// Imports (or updates, by `Id`) up to 100 findings, each one ASFF object as serialised JSON. Findings fail
    /// individually: the refused ones are returned.
    public func batchImportFindings(_ findings: [[UInt8]]) async throws -> (successCount: Int, failed: [SecurityHubImportFailure]) {
        guard (1...100).contains(findings.count) else {
            throw AWSClientError.invalidParameter("1…100 findings per BatchImportFindings")
        }
        var body = Array(#"{"Findings":["#.utf8)
        for (k, f) in findings.enumerated() {
            if k > 0 { body.append(UInt8(ascii: ",")) }
            body += f
        }
        body += Array("]}".utf8)
        let response = try await client.restJSON(.securityHub, "BatchImportFindings", method: "POST", path: "/findings/import", body: body)
        let failed = (response["FailedFindings"]?.array ?? []).map {
            SecurityHubImportFailure(
                id: $0["Id"]?.string ?? "", errorCode: $0["ErrorCode"]?.string ?? "", errorMessage: $0["ErrorMessage"]?.string ?? "")
        }
        return (response["SuccessCount"]?.int ?? findings.count - failed.count, failed)
    }

    /// Findings (first page, up to 100), each as serialised JSON (keys sorted).
    public func getFindings(maxResults: Int = 100) async throws -> [[UInt8]] {
        let response = try await client.restJSON(
            .securityHub, "GetFindings", method: "POST", path: "/findings", body: AWSJSON.object(["MaxResults": .number(Double(maxResults))]).serialized())
        return (response["Findings"]?.array ?? []).map { $0.serialized() }
    }

    /// Subscribes the account to Security Hub in the client's region.
    public func enableSecurityHub() async throws {
        _ = try await client.restJSON(
            .securityHub, "EnableSecurityHub", method: "POST", path: "/accounts", body: Array(#"{"EnableDefaultStandards":false}"#.utf8))
    }
}
