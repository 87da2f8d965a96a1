import Testing
import TriplineCore
import TriplineJSON

@Suite("Human or automation")
struct ActorKindTests {
    static let sso = #""type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/AWSReservedSSO_Admin_0123456789abcdef/ana@example.com""#
    static let role = #""type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/deployer/GitHubActions""#
    static let user = #""type":"IAMUser","userName":"jenkins","arn":"arn:aws:iam::1:user/jenkins""#
    static let terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 terraform-provider-aws/5.39.1 aws-sdk-go-v2/1.25.2"
    static let cli = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off"

    @Test("decided from session and client, not identity type alone", arguments: [
        // Identity Center sessions are people, whatever client they use, Terraform included.
        (sso, cli, "", ActorKind.human),
        (sso, terraform, "", .human),
        // Console sessions and MFA sessions are people.
        (role, cli, #","sessionCredentialFromConsole":"true""#, .human),
        (#""type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/ops/x","sessionContext":{"attributes":{"mfaAuthenticated":"true"}}"#, cli, "", .human),
        (#""type":"Root","arn":"arn:aws:iam::1:root""#, terraform, "", .human),
        // A CI IAM user running Terraform or an SDK is automation; the same user with the CLI reads as a person.
        (user, terraform, "", .automation),
        (user, "aws-sdk-java/1.12.667 Linux/5.10 OpenJDK_64-Bit_Server_VM/17", "", .automation),
        (user, "Boto3/1.34.0 md/Botocore#1.34.0 Python/3.12", "", .automation),
        (user, cli, "", .human),
        (user, "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/122.0", "", .human),
        // Roles without console, MFA or SSO are workloads.
        (role, cli, "", .automation),
        (#""type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/web/i-0a1b2c3d4e5f60718""#, "aws-sdk-go/1.50", "", .automation),
        // Services acting for the account.
        (#""type":"AWSService","invokedBy":"backup.amazonaws.com""#, "backup.amazonaws.com", "", .service),
        (role + #","invokedBy":"cloudformation.amazonaws.com""#, "cloudformation.amazonaws.com", "", .service),
    ])
    func classify(identity: String, agent: String, extra: String, expected: ActorKind) throws {
        let json = #"{"userIdentity":{\#(identity)},"userAgent":"\#(agent)"\#(extra)}"#
        let kind = try JSONDocument(parsing: Array(json.utf8)).withView { ActorKind.classify($0) }
        #expect(kind == expected, "\(json)")
    }

    @Test("no identity: no answer, and |actor matches nothing")
    func absent() throws {
        #expect(try JSONDocument(parsing: Array(#"{"userAgent":"x"}"#.utf8)).withView { ActorKind.classify($0) } == nil)
        let d = try Detection.compile(DetectionSpec(
            selections: [("s", .fieldGroups([[FieldSpec(key: "userIdentity|actor", values: [.string("human")])]]))],
            conditions: ["s"]))
        #expect(try !JSONDocument(parsing: Array(#"{"userAgent":"aws-cli/2"}"#.utf8)).withView { d.matches($0, root: 0) })
        let person = #"{"userIdentity":{\#(ActorKindTests.user)},"userAgent":"\#(ActorKindTests.cli)"}"#
        #expect(try JSONDocument(parsing: Array(person.utf8)).withView { d.matches($0, root: 0) })
        #expect(throws: DetectionError.self) {
            try Detection.compile(DetectionSpec(
                selections: [("s", .fieldGroups([[FieldSpec(key: "userIdentity|actor", values: [.string("robot")])]]))],
                conditions: ["s"]))
        }
    }
}
