import Foundation
import Testing
import TriplineCore
import TriplineIO
import TriplineRules

/// Multi-step attacks as CloudTrail records, scanned the way `tripline scan` scans them (one log file, thresholds
/// tallied, then aggregated): each story must raise exactly the alerts listed, and the ordinary-activity story that
/// mirrors it (the same APIs, used the way a busy organisation uses them) must raise nothing high or critical.
@Suite("Attack stories")
struct AttackStoryTests {
    static let account = "111122223333"

    /// Who made a call, as the `userIdentity` object's JSON.
    enum Actor {
        case user(String, key: String = "AKIAQ3EGRS4KEXAMPLE1")
        case role(String, session: String, mfa: Bool = false)
        case sso(String, session: String)
        case root

        var json: String {
            let account = AttackStoryTests.account
            switch self {
            case .user(let name, let key):
                return #"{"type":"IAMUser","principalId":"AIDAQ3EGRS4K\#(name.uppercased().filter(\.isLetter))","arn":"arn:aws:iam::\#(account):user/\#(name)","accountId":"\#(account)","accessKeyId":"\#(key)","userName":"\#(name)"}"#
            case .role(let role, let session, let mfa):
                return #"{"type":"AssumedRole","principalId":"AROAQ3EGRS4KROLE:\#(session)","arn":"arn:aws:sts::\#(account):assumed-role/\#(role)/\#(session)","accountId":"\#(account)","accessKeyId":"ASIAQ3EGRS4KEXAMPLE9","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQ3EGRS4KROLE","arn":"arn:aws:iam::\#(account):role/\#(role)","accountId":"\#(account)","userName":"\#(role)"},"attributes":{"creationDate":"2025-06-02T08:00:00Z","mfaAuthenticated":"\#(mfa)"}}}"#
            case .sso(let permissionSet, let session):
                let role = "AWSReservedSSO_\(permissionSet)_0a1b2c3d4e5f6a7b"
                return #"{"type":"AssumedRole","principalId":"AROAQ3EGRS4KSSO:\#(session)","arn":"arn:aws:sts::\#(account):assumed-role/\#(role)/\#(session)","accountId":"\#(account)","accessKeyId":"ASIAQ3EGRS4KEXAMPLE8","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAQ3EGRS4KSSO","arn":"arn:aws:iam::\#(account):role/aws-reserved/sso.amazonaws.com/\#(role)","accountId":"\#(account)","userName":"\#(role)"},"attributes":{"creationDate":"2025-06-02T08:00:00Z","mfaAuthenticated":"false"}}}"#
            case .root:
                return #"{"type":"Root","principalId":"\#(account)","arn":"arn:aws:iam::\#(account):root","accountId":"\#(account)","accessKeyId":"ASIAQ3EGRS4KROOT0001"}"#
            }
        }
    }

    /// User agents the stories share.
    enum Agent {
        static let kaliCLI = "aws-cli/2.17.20 Python/3.11.9 Linux/6.8.0-kali1-amd64"
        static let console = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15"
        static let terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.64.0"
    }

    /// A story under construction: records at increasing times from 2025-06-02 10:00 UTC.
    struct Story {
        var records: [String] = []
        var clock = EventTime.epochSeconds("2025-06-02T10:00:00Z")!

        mutating func call(_ actor: Actor, _ source: String, _ name: String, after seconds: Int = 20,
                           request: String = "null", response: String = "null", error: String? = nil,
                           ip: String = "185.220.101.47", agent: String = Agent.kaliCLI,
                           region: String = "us-east-1", readOnly: Bool = false, extra: String = "") {
            clock += seconds
            let n = records.count
            let err = error.map { #""errorCode":"\#($0)","errorMessage":"denied","# } ?? ""
            records.append(#"{"eventVersion":"1.09","userIdentity":\#(actor.json),"eventTime":"\#(EventTime.iso8601(clock))","eventSource":"\#(source)","eventName":"\#(name)","awsRegion":"\#(region)","sourceIPAddress":"\#(ip)","userAgent":"\#(agent)",\#(err)"requestParameters":\#(request),"responseElements":\#(response),"requestID":"req-\#(n)","eventID":"0e000000-0000-4000-8000-\#(String(format: "%012d", n))","readOnly":\#(readOnly),"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"\#(account)"\#(extra)}"#)
        }

        /// The alerts a scan gives: rule id and severity of each finding, one line per alert's findings.
        func scan() -> [Finding] {
            let engine = Engine(rules: RuleCatalog.builtIn.rules)
            var processor = EventProcessor(engine: engine, tallyThresholds: true)
            var findings: [Finding] = []
            var problems: [InputProblem] = []
            var stats = ScanStats()
            let file = Array(#"{"Records":[\#(records.joined(separator: ","))]}"#.utf8)
            file.withUnsafeBufferPointer {
                _ = processor.process($0, path: "AWSLogs/\(account)/CloudTrail/us-east-1/2025/06/02/story.json", findings: &findings, problems: &problems, stats: &stats)
            }
            #expect(problems.isEmpty, "\(problems)")
            #expect(stats.records == records.count)
            return Aggregator(engine: engine).aggregate(findings, thresholds: processor.takeTally(), engineRules: engine.rules)
        }
    }

    static func summary(_ alerts: [Finding]) -> [String] {
        Array(Set(alerts.map { "\($0.ruleID) \($0.severity)" })).sorted()
    }

    static func loud(_ alerts: [Finding]) -> [String] {
        alerts.filter { $0.severity >= .high }.map { "\($0.ruleID): \($0.title)" }
    }

    // MARK: 1. Leaked CI key: recon, privilege escalation, persistence, defence evasion

    @Test("a leaked CI key: recon, a backdoor admin user, then the trail and GuardDuty switched off")
    func leakedKey() {
        var s = Story()
        let thief = Actor.user("ci-deploy")
        s.call(thief, "sts.amazonaws.com", "GetCallerIdentity", agent: "TruffleHog", readOnly: true)
        for name in ["ListUsers", "ListRoles", "ListPolicies", "ListGroups", "GetAccountAuthorizationDetails"] {
            s.call(thief, "iam.amazonaws.com", name, after: 5, readOnly: true)
        }
        s.call(thief, "s3.amazonaws.com", "ListBuckets", after: 5, request: #"{"Host":"s3.amazonaws.com"}"#, readOnly: true)
        s.call(thief, "iam.amazonaws.com", "CreateUser", request: #"{"userName":"support-svc"}"#,
               response: #"{"user":{"userName":"support-svc","arn":"arn:aws:iam::111122223333:user/support-svc"}}"#)
        s.call(thief, "iam.amazonaws.com", "CreateAccessKey", request: #"{"userName":"support-svc"}"#,
               response: #"{"accessKey":{"accessKeyId":"AKIAQ3EGRS4KBACKDOOR","status":"Active","userName":"support-svc"}}"#)
        s.call(thief, "iam.amazonaws.com", "AttachUserPolicy",
               request: #"{"userName":"support-svc","policyArn":"arn:aws:iam::aws:policy/AdministratorAccess"}"#)
        let backdoor = Actor.user("support-svc", key: "AKIAQ3EGRS4KBACKDOOR")
        s.call(backdoor, "cloudtrail.amazonaws.com", "StopLogging", after: 120, request: #"{"name":"management-events"}"#)
        s.call(backdoor, "guardduty.amazonaws.com", "DeleteDetector", request: #"{"detectorId":"12abc34d567e8fa901bc2d34e56789f0"}"#)
        let alerts = s.scan()
        #expect(Self.summary(alerts) == [
            "tripline.aws.offensive-tool-user-agent medium",  // the Kali aws-cli
            "tripline.cloudtrail.logging-stopped high",
            "tripline.cloudtrail.trail-config-changed medium",
            "tripline.guardduty.detector-disabled high",
            "tripline.iam.access-key-created-for-another-user medium",
            "tripline.iam.admin-policy-attached high",
            "tripline.iam.any-iam-change info",
            "tripline.iam.policy-changed low",
            "tripline.iam.user-created low",
            "tripline.s3.bucket-enumeration low",
            "tripline.sts.trufflehog-credential-check medium",
        ], "\(Self.summary(alerts))")
    }

    @Test("the matched ordinary story: the same CI user deploying with Terraform and an admin onboarding a user")
    func leakedKeyOrdinary() {
        var s = Story()
        let ci = Actor.user("ci-deploy")
        let terraform = Agent.terraform
        s.call(ci, "sts.amazonaws.com", "GetCallerIdentity", ip: "52.4.17.90", agent: terraform, readOnly: true)
        for name in ["ListRoles", "ListPolicies"] { s.call(ci, "iam.amazonaws.com", name, after: 5, ip: "52.4.17.90", agent: terraform, readOnly: true) }
        s.call(ci, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", request: #"{"functionName":"orders-api","publish":true}"#,
               ip: "52.4.17.90", agent: terraform)
        let admin = Actor.sso("AdministratorAccess", session: "priya@example.com")
        let console = Agent.console
        s.call(admin, "iam.amazonaws.com", "CreateUser", request: #"{"userName":"reporting-export"}"#, ip: "198.51.100.7", agent: console)
        s.call(admin, "cloudtrail.amazonaws.com", "StartLogging", request: #"{"name":"management-events"}"#, ip: "198.51.100.7", agent: console)
        s.call(admin, "guardduty.amazonaws.com", "ListDetectors", ip: "198.51.100.7", agent: console, readOnly: true)
        let alerts = s.scan()
        #expect(Self.loud(alerts).isEmpty, "\(Self.loud(alerts))")
    }

    // MARK: 2. LLMjacking

    @Test("LLMjacking: model access probed, switched on, then models run by a key that never used Bedrock")
    func llmjacking() {
        var s = Story()
        let thief = Actor.user("data-science-bot")
        let python = "python-requests/2.31.0"
        s.call(thief, "bedrock.amazonaws.com", "GetModelInvocationLoggingConfiguration", agent: python, readOnly: true)
        for model in ["anthropic.claude-v2", "anthropic.claude-3-sonnet-20240229-v1:0", "anthropic.claude-3-opus-20240229-v1:0",
                      "anthropic.claude-v2"] {
            s.call(thief, "bedrock.amazonaws.com", "InvokeModel", after: 3, request: #"{"modelId":"\#(model)"}"#,
                   error: "AccessDeniedException", agent: python, readOnly: true)
        }
        s.call(thief, "bedrock.amazonaws.com", "PutUseCaseForModelAccess", request: #"{"formData":"HIDDEN_DUE_TO_SECURITY_REASONS"}"#, agent: python)
        s.call(thief, "bedrock.amazonaws.com", "PutFoundationModelEntitlement", request: #"{"modelId":"anthropic.claude-3-opus-20240229-v1:0"}"#, agent: python)
        for _ in 0..<30 {
            s.call(thief, "bedrock.amazonaws.com", "InvokeModel", after: 2, request: #"{"modelId":"anthropic.claude-3-opus-20240229-v1:0"}"#,
                   agent: python, readOnly: true)
        }
        let alerts = s.scan()
        #expect(Self.summary(alerts) == [
            "tripline.bedrock.first-model-invocation low",
            "tripline.bedrock.model-access-enabled medium",
            "tripline.bedrock.model-access-probing medium",
        ], "\(Self.summary(alerts))")
        // Thirty invocations by one principal are one "first invocation" alert.
        #expect(alerts.filter { $0.ruleID == "tripline.bedrock.first-model-invocation" }.count == 1)
        #expect(alerts.first { $0.ruleID == "tripline.bedrock.model-access-probing" }?.count == 3)
    }

    @Test("the matched ordinary story: an application converses with its one model all day, retrying when throttled")
    func llmjackingOrdinary() {
        var s = Story()
        let app = Actor.role("support-assistant-task-role", session: "8f2c9d1e0a3b4c5d")
        let sdk = "Boto3/1.34.100 md/Botocore#1.34.100 ua/2.0 os/linux exec-env/AWS_ECS_FARGATE"
        for k in 0..<200 {
            s.call(app, "bedrock.amazonaws.com", "Converse", after: 30, request: #"{"modelId":"anthropic.claude-3-haiku-20240307-v1:0"}"#,
                   error: k % 25 == 0 ? "ThrottlingException" : nil, ip: "3.120.44.5", agent: sdk, readOnly: true)
        }
        // The same model refused a few times (a deploy before access was granted): one model, not a probe.
        for _ in 0..<5 {
            s.call(app, "bedrock.amazonaws.com", "Converse", after: 30, request: #"{"modelId":"anthropic.claude-3-haiku-20240307-v1:0"}"#,
                   error: "AccessDeniedException", ip: "3.120.44.5", agent: sdk, readOnly: true)
        }
        let alerts = s.scan()
        #expect(Self.loud(alerts).isEmpty, "\(Self.loud(alerts))")
        #expect(Self.summary(alerts) == ["tripline.bedrock.first-model-invocation low"], "\(Self.summary(alerts))")
    }

    // MARK: 3. Parameter harvesting and disk exfiltration

    @Test("stolen role credentials harvest SecureStrings, lift the snapshot guardrail and share a disk and a layer")
    func harvestAndExfiltrate() {
        var s = Story()
        let thief = Actor.role("orders-api-task-role", session: "a1b2c3d4")
        let cli = Agent.kaliCLI
        for batch in 0..<3 {
            let names = (0..<10).map { #""/prod/service-\#(batch * 10 + $0)/password""# }.joined(separator: ",")
            s.call(thief, "ssm.amazonaws.com", "GetParameters", request: #"{"names":[\#(names)],"withDecryption":true}"#, agent: cli, readOnly: true)
        }
        s.call(thief, "ec2.amazonaws.com", "DisableSnapshotBlockPublicAccess", request: #"{"DisableSnapshotBlockPublicAccessRequest":""}"#, agent: cli)
        s.call(thief, "ec2.amazonaws.com", "ModifySnapshotAttribute",
               request: #"{"snapshotId":"snap-0a1b2c3d4e5f60718","attributeType":"CREATE_VOLUME_PERMISSION","createVolumePermission":{"add":{"items":[{"group":"all"}]}}}"#, agent: cli)
        s.call(thief, "lambda.amazonaws.com", "AddLayerVersionPermission20181031",
               request: #"{"layerName":"orders-common","versionNumber":12,"statementId":"pub","action":"lambda:GetLayerVersion","principal":"*"}"#, agent: cli)
        let alerts = s.scan()
        #expect(Self.summary(alerts) == [
            "tripline.aws.offensive-tool-user-agent medium",
            "tripline.ec2.snapshot-image-block-public-access-disabled high",
            "tripline.ec2.snapshot-shared high",
            "tripline.lambda.layer-shared-publicly medium",
            "tripline.ssm.securestring-bulk-decryption medium",
        ], "\(Self.summary(alerts))")
        // Thirty different parameters in three calls.
        #expect(alerts.first { $0.ruleID == "tripline.ssm.securestring-bulk-decryption" }?.count == 30)
    }

    @Test("the matched ordinary story: services read their own few SecureStrings hundreds of times; backups share within the organisation")
    func harvestOrdinary() {
        var s = Story()
        let app = Actor.role("orders-api-task-role", session: "a1b2c3d4")
        let sdk = "aws-sdk-java/2.25.10 Linux/5.10 OpenJDK_64-Bit_Server_VM/17 exec-env/AWS_ECS_FARGATE"
        for k in 0..<300 {
            let request = k % 2 == 0
                ? #"{"names":["/orders-api/prod/db-password","/orders-api/prod/api-token"],"withDecryption":true}"#
                : #"{"name":"/orders-api/prod/stripe-key","withDecryption":true}"#
            s.call(app, "ssm.amazonaws.com", k % 2 == 0 ? "GetParameters" : "GetParameter", after: 10, request: request,
                   ip: "3.120.44.5", agent: sdk, readOnly: true)
        }
        let platform = Actor.sso("PlatformAdmin", session: "sam@example.com")
        let console = Agent.console
        s.call(platform, "ec2.amazonaws.com", "EnableSnapshotBlockPublicAccess",
               request: #"{"EnableSnapshotBlockPublicAccessRequest":{"State":"block-all-sharing"}}"#, ip: "198.51.100.7", agent: console)
        s.call(platform, "lambda.amazonaws.com", "AddLayerVersionPermission20181031",
               request: #"{"layerName":"orders-common","versionNumber":12,"statementId":"org","action":"lambda:GetLayerVersion","principal":"*","organizationId":"o-a1b2c3d4e5"}"#, ip: "198.51.100.7", agent: console)
        let alerts = s.scan()
        #expect(Self.loud(alerts).isEmpty, "\(Self.loud(alerts))")
        #expect(alerts.allSatisfy { $0.ruleID != "tripline.ssm.securestring-bulk-decryption" }, "\(Self.summary(alerts))")
    }

    // MARK: 4. S3 ransomware

    @Test("S3 ransomware: versioning suspended on a bucket, then its objects deleted in bulk — one critical story alert")
    func ransomware() throws {
        var s = Story()
        let thief = Actor.role("OpsAdmin", session: "mallory")
        s.call(thief, "s3.amazonaws.com", "GetBucketVersioning", request: #"{"bucketName":"customer-docs","versioning":""}"#, readOnly: true)
        s.call(thief, "s3.amazonaws.com", "PutBucketVersioning", after: 40,
               request: #"{"bucketName":"customer-docs","versioning":"","VersioningConfiguration":{"Status":"Suspended"}}"#)
        for k in 0..<80 {
            s.call(thief, "s3.amazonaws.com", "DeleteObject", after: k == 0 ? 600 : 2,
                   request: #"{"bucketName":"customer-docs","key":"contracts/\#(k).pdf"}"#)
        }
        s.call(thief, "s3.amazonaws.com", "PutObject", after: 5, request: #"{"bucketName":"customer-docs","key":"README-RECOVER-FILES.txt"}"#)
        let alerts = s.scan()
        let story = try #require(alerts.first { $0.ruleID == "tripline.s3.versioning-suspended-then-mass-deletion" })
        #expect(story.severity == .critical)
        #expect(story.chain.map(\.ruleID) == ["tripline.s3.versioning-suspended", "tripline.s3.mass-object-deletion"])
        #expect(alerts.filter { $0.ruleID == story.ruleID }.count == 1, "eighty deletes are one story")
        #expect(Self.summary(alerts).contains("tripline.s3.mass-object-deletion high"))
    }

    @Test("the matched ordinary story: a cleanup job deletes hundreds of objects from a bucket whose versioning stays on")
    func ransomwareOrdinary() {
        var s = Story()
        let job = Actor.role("nightly-cleanup", session: "1717300000")
        let sdk = "Boto3/1.34.100 md/Botocore#1.34.100 ua/2.0 os/linux exec-env/AWS_Lambda_python3.12"
        let admin = Actor.sso("PlatformAdmin", session: "sam@example.com")
        // Versioning switched on (not off) the same morning, on the bucket the job cleans.
        s.call(admin, "s3.amazonaws.com", "PutBucketVersioning",
               request: #"{"bucketName":"scratch-exports","versioning":"","VersioningConfiguration":{"Status":"Enabled"}}"#,
               ip: "198.51.100.7", agent: Agent.console)
        for k in 0..<300 {
            s.call(job, "s3.amazonaws.com", "DeleteObject", after: 1, request: #"{"bucketName":"scratch-exports","key":"tmp/\#(k).csv"}"#,
                   ip: "3.120.44.5", agent: sdk)
        }
        let alerts = s.scan()
        #expect(!alerts.contains { $0.severity == .critical }, "\(Self.loud(alerts))")
    }
}
