import Foundation
import Testing
import TriplineTestSupport

@testable import TriplineAWS

@Suite("SSM Parameter Store against moto")
struct SSMTests {
    @Test("PutParameter and GetParameter over signed JSON 1.1; SecureStrings come back decrypted; a missing name is ParameterNotFound")
    func parameters() async throws {
        let ssm = SSMClient(motoClient(try await MotoServer.shared()))
        let name = "/tripline/" + uniqueName("config")
        let text = "tuning:\n  allow:\n    - accounts: ['111122223333']\n      reason: \"sandbox: ünïcode & quotes\"\n"
        #expect(try await ssm.putParameter(name: name, value: text) == 1)
        let plain = try await ssm.getParameter(name: name)
        #expect(plain.value == text)
        #expect(plain.type == "String")
        #expect(plain.version == 1)
        #expect(try await ssm.putParameter(name: name, value: text + "# v2\n") == 2)
        #expect(try await ssm.getParameter(name: name).value.hasSuffix("# v2\n"))

        let secret = name + "-secure"
        try await ssm.putParameter(name: secret, value: "s3cr3t", type: "SecureString")
        let decrypted = try await ssm.getParameter(name: secret)
        #expect(decrypted.type == "SecureString")
        #expect(decrypted.value == "s3cr3t")

        let missing = await #expect(throws: AWSError.self) { try await ssm.getParameter(name: name + "-missing") }
        #expect(missing?.code == "ParameterNotFound")
    }
}
