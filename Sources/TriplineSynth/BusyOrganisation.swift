// The ordinary write activity of a busy organisation: autoscaling, CI pipelines with IAM users and roles, Terraform
// runs, instances calling AWS from their public AWS addresses, Identity Center sessions, backups and applications
// reading their configuration. None of it is an attack: it is what a rule must stay quiet on (`busyRate` > 0; the
// bundled samples use 0 and do not change).

/// The actors of the busy menu, built from their own random stream so the rest of the world is unchanged.
struct BusyActors: Sendable {
    let jenkins: Principal          // an IAM user with long-term keys, deploying with Terraform and the CLI
    let pipelineRole: Principal     // a CI role assumed by GitHub Actions (web identity), running Terraform
    let instances: [Principal]      // instance-profile sessions on public EC2 addresses
    let ssoPeople: [Principal]      // Identity Center console sessions
    let autoscaling: Principal
    let backup: Principal
    let appRoles: [Principal]

    init(account acct: String, seed: UInt64) {
        var rng = SynthRNG(seed: mixSeed(seed, 0xB5_B5_B5))
        let terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.9.8 (+https://www.terraform.io) terraform-provider-aws/5.80.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23.3 md/GOOS#linux md/GOARCH#amd64"
        let javaSDK = "aws-sdk-java/2.25.60 Linux/6.1.102-111.182.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_EC2 io/sync http/Apache cfg/retry-mode/standard"
        let javaOnEC2 = "aws-sdk-java/2.25.60 Linux/6.1.102-111.182.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard"
        let browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
        // Public EC2 addresses from AWS's published ranges (us-east-1 52.4.0.0/14, eu-west-1 18.97.192.0/18).
        func ec2Address() -> String {
            rng.below(2) == 0 ? "52.\(rng.range(4, 7)).\(rng.range(0, 255)).\(rng.range(1, 254))"
                              : "18.97.\(rng.range(192, 255)).\(rng.range(1, 254))"
        }
        func role(_ name: String, path: String = "", session: String, ua: String, ip: String, invokedBy: String? = nil,
                  console: Bool = false, mfa: Bool = false, webIdentity: String? = nil) -> Principal {
            let id = World.token(&rng, "AROA", 17)
            return Principal(kind: .assumedRole, principalId: "\(id):\(session)", arn: "arn:aws:sts::\(acct):assumed-role/\(name)/\(session)",
                             name: session, longKey: "", tempKey: World.token(&rng, "ASIA", 16), issuerType: "Role", issuerId: id,
                             issuerArn: "arn:aws:iam::\(acct):role/\(path)\(name)", issuerName: name, invokedBy: invokedBy, ip: ip,
                             userAgent: ua, console: console, mfa: mfa, webIdentity: webIdentity)
        }
        let ciIP = "\(rng.range(140, 150)).82.\(rng.range(0, 255)).\(rng.range(1, 254))"
        jenkins = Principal(kind: .iamUser, principalId: World.token(&rng, "AIDA", 17), arn: "arn:aws:iam::\(acct):user/jenkins-deploy",
                            name: "jenkins-deploy", longKey: World.token(&rng, "AKIA", 16), tempKey: World.token(&rng, "ASIA", 16),
                            ip: ciIP, userAgent: terraform, mfa: false)
        pipelineRole = role("platform-terraform", session: "GitHubActions", ua: terraform, ip: World.publicIPv4(&rng),
                            webIdentity: "arn:aws:iam::\(acct):oidc-provider/token.actions.githubusercontent.com")
        instances = (0..<24).map { _ in
            role(rng.below(2) == 0 ? "web-ec2-role" : "worker-ec2-role", session: World.hexId(&rng, "i-0", 16),
                 ua: rng.below(2) == 0 ? javaOnEC2 : "aws-sdk-go-v2/1.32.6 os/linux lang/go#1.23.3",
                 ip: ec2Address())
        }
        let ssoPath = "aws-reserved/sso.amazonaws.com/eu-west-1/"
        ssoPeople = ["amara.okafor@example.com", "jonas.berg@example.com", "mei.tanaka@example.com", "lucas.martin@example.com"].enumerated().map {
            role($0.offset % 2 == 0 ? "AWSReservedSSO_PowerUserAccess_5e2f8a1c0b7d3946" : "AWSReservedSSO_ReadOnlyAccess_0a9b8c7d6e5f4321",
                 path: ssoPath, session: $0.element, ua: browser, ip: World.publicIPv4(&rng), console: true, mfa: true)
        }
        autoscaling = role("AWSServiceRoleForAutoScaling", path: "aws-service-role/autoscaling.amazonaws.com/", session: "AutoScaling",
                           ua: "autoscaling.amazonaws.com", ip: "autoscaling.amazonaws.com", invokedBy: "autoscaling.amazonaws.com")
        backup = Principal(kind: .awsService, principalId: "", arn: "", name: "backup.amazonaws.com", longKey: "", tempKey: "",
                           ip: "backup.amazonaws.com", userAgent: "backup.amazonaws.com")
        appRoles = ["orders-api", "billing-worker", "search-indexer"].map {
            role("\($0)-task-role", session: World.hexId(&rng, "", 32), ua: javaSDK, ip: ec2Address())
        }
    }
}

enum Busy: CaseIterable {
    case scaleOut, scaleIn, instanceCalls, appParameters, appSecret, jenkinsDeploy, jenkinsConfig, terraformIAM,
         terraformNetwork, terraformBuckets, terraformLogs, ssoConsole, backupSnapshot, backupExpiry, appModel

    var weight: Int {
        switch self {
        case .instanceCalls: 30
        case .appParameters, .appSecret: 12
        case .ssoConsole: 10
        case .scaleOut, .scaleIn, .jenkinsDeploy, .terraformIAM, .terraformNetwork: 6
        case .jenkinsConfig, .terraformBuckets, .terraformLogs, .backupSnapshot, .backupExpiry, .appModel: 4
        }
    }

    static let table: [Busy] = allCases.flatMap { Array(repeating: $0, count: $0.weight) }
}

extension SynthGenerator {
    mutating func busy(_ o: inout JSONOut) {
        let b = world.busy
        let t = clockMs, r = region
        let kind = Busy.table[rng.below(Busy.table.count)]
        switch kind {
        case .scaleOut:
            let c = Call(b.autoscaling, at: t, region: r)
            let id = World.hexId(&rng, "i-0", 16)
            begin(&o, c, "ec2.amazonaws.com", "RunInstances", error: nil)
            o.open("requestParameters")
            o.open("instancesSet"); o.openArray("items"); o.element()
            o.kv("imageId", rng.pick(assets.amis)); o.kv("minCount", 1); o.kv("maxCount", 1); o.close(); o.closeArray(); o.close()
            o.kv("instanceType", rng.pick(["m6i.large", "c6g.xlarge", "m7g.large", "t3.medium"]))
            o.open("launchTemplate"); o.kv("launchTemplateId", World.hexId(&rng, "lt-0", 16)); o.kv("version", "7"); o.close()
            o.kv("clientToken", "fleet-" + World.hexId(&rng, "", 32))
            o.close()
            o.open("responseElements")
            o.open("instancesSet"); o.openArray("items"); o.element()
            o.kv("instanceId", id); o.open("instanceState"); o.kv("code", 0); o.kv("name", "pending"); o.close()
            o.kv("subnetId", rng.pick(assets.subnets)); o.kv("vpcId", assets.vpc)
            o.close(); o.closeArray(); o.close()
            o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)

        case .scaleIn:
            let c = Call(b.autoscaling, at: t, region: r)
            let id = rng.pick(assets.instances)
            begin(&o, c, "ec2.amazonaws.com", "TerminateInstances", error: nil)
            o.open("requestParameters"); o.open("instancesSet"); o.openArray("items"); o.element(); o.kv("instanceId", id)
            o.close(); o.closeArray(); o.close(); o.close()
            o.open("responseElements"); o.open("instancesSet"); o.openArray("items"); o.element(); o.kv("instanceId", id)
            o.open("currentState"); o.kv("code", 32); o.kv("name", "shutting-down"); o.close()
            o.open("previousState"); o.kv("code", 16); o.kv("name", "running"); o.close()
            o.close(); o.closeArray(); o.close(); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)

        case .instanceCalls:
            // Instances without a VPC endpoint reach AWS from their own public addresses.
            let c = Call(rng.pick(b.instances), at: t, region: r)
            switch rng.below(4) {
            case 0:
                begin(&o, c, "sts.amazonaws.com", "GetCallerIdentity", error: nil)
                o.null("requestParameters"); o.null("responseElements")
                finish(&o, c, "sts.amazonaws.com", readOnly: true)
            case 1:
                begin(&o, c, "ec2.amazonaws.com", "DescribeTags", error: nil)
                o.open("requestParameters"); o.open("filterSet"); o.openArray("items"); o.element(); o.kv("name", "resource-id")
                o.open("valueSet"); o.openArray("items"); o.element(); o.kv("value", c.p.name); o.close(); o.closeArray(); o.close()
                o.close(); o.closeArray(); o.close(); o.close()
                o.null("responseElements")
                finish(&o, c, "ec2.amazonaws.com", readOnly: true)
            case 2:
                begin(&o, c, "s3.amazonaws.com", "ListBuckets", error: nil)
                o.open("requestParameters"); o.kv("Host", "s3.amazonaws.com"); o.close(); o.null("responseElements")
                finish(&o, c, "s3.amazonaws.com", readOnly: true, s3RequestId: true)
            default:
                begin(&o, c, "ssm.amazonaws.com", "GetParameter", error: nil)
                o.open("requestParameters"); o.kv("name", "/app/web/feature-flags"); o.kv("withDecryption", false); o.close()
                o.null("responseElements")
                finish(&o, c, "ssm.amazonaws.com", readOnly: true)
            }

        case .appParameters:
            // An application reading its own configuration at start: a few SecureStrings, decrypted.
            let c = Call(rng.pick(b.appRoles), at: t, region: r)
            let app = String(c.p.issuerName.dropLast("-task-role".count))
            if rng.below(2) == 0 {
                begin(&o, c, "ssm.amazonaws.com", "GetParameters", error: nil)
                o.open("requestParameters"); o.openArray("names")
                for k in ["db-password", "api-token"].prefix(1 + rng.below(2)) { o.element("/\(app)/prod/\(k)") }
                o.closeArray(); o.kv("withDecryption", true); o.close()
            } else {
                begin(&o, c, "ssm.amazonaws.com", "GetParametersByPath", error: nil)
                o.open("requestParameters"); o.kv("path", "/\(app)/prod/"); o.kv("recursive", true); o.kv("withDecryption", true)
                o.close()
            }
            o.null("responseElements")
            finish(&o, c, "ssm.amazonaws.com", readOnly: true)

        case .appModel:
            // An application's assistant feature: Converse on its one model, throttled now and then.
            let c = Call(rng.pick(b.appRoles), at: t, region: r)
            let name: StaticString = rng.below(3) == 0 ? "ConverseStream" : "Converse"
            begin(&o, c, "bedrock.amazonaws.com", name, error: rng.below(20) == 0 ? SynthError(code: "ThrottlingException", message: "Too many requests, please wait before trying again.") : nil)
            o.open("requestParameters"); o.kv("modelId", "anthropic.claude-3-haiku-20240307-v1:0"); o.close()
            o.null("responseElements")
            finish(&o, c, "bedrock.amazonaws.com", readOnly: true)

        case .appSecret:
            let c = Call(rng.pick(b.appRoles), at: t, region: r)
            begin(&o, c, "secretsmanager.amazonaws.com", "GetSecretValue", error: nil)
            o.open("requestParameters"); o.kv("secretId", assets.secrets[0]); o.close(); o.null("responseElements")
            finish(&o, c, "secretsmanager.amazonaws.com", readOnly: true)

        case .jenkinsDeploy:
            let c = Call(b.jenkins, at: t, region: r)
            let fn = rng.pick(assets.functions)
            begin(&o, c, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", error: nil)
            o.open("requestParameters"); o.kv("functionName", fn); o.kv("publish", true)
            o.kv("s3Bucket", "acme-lambda-artifacts"); o.kv("s3Key", "\(fn)/\(World.hexId(&rng, "", 40)).zip"); o.close()
            o.open("responseElements"); o.kv("functionName", fn); o.kv("state", "Pending"); o.close()
            finish(&o, c, "lambda.amazonaws.com", readOnly: false)

        case .jenkinsConfig:
            let c = Call(b.jenkins, at: t, region: r)
            let fn = rng.pick(assets.functions)
            begin(&o, c, "lambda.amazonaws.com", "UpdateFunctionConfiguration20150331v2", error: nil)
            o.open("requestParameters"); o.kv("functionName", fn); o.kv("memorySize", 1024); o.kv("timeout", 60)
            o.open("environment"); o.kv("variables", "HIDDEN_DUE_TO_SECURITY_REASONS"); o.close(); o.close()
            o.null("responseElements")
            finish(&o, c, "lambda.amazonaws.com", readOnly: false)

        case .terraformIAM:
            let c = Call(b.pipelineRole, at: t, region: r)
            let role = rng.pick(["orders-api-task-role", "billing-worker-task-role", "search-indexer-task-role"])
            switch rng.below(3) {
            case 0:
                begin(&o, c, "iam.amazonaws.com", "PutRolePolicy", error: nil, awsRegion: "us-east-1")
                o.open("requestParameters"); o.kv("roleName", role); o.kv("policyName", "app-data")
                o.kv("policyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::acme-data-lake-raw/\#(role)/*"}]}"#)
                o.close()
            case 1:
                begin(&o, c, "iam.amazonaws.com", "AttachRolePolicy", error: nil, awsRegion: "us-east-1")
                o.open("requestParameters"); o.kv("roleName", role)
                o.kv("policyArn", rng.pick(["arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy", "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"]))
                o.close()
            default:
                begin(&o, c, "iam.amazonaws.com", "TagRole", error: nil, awsRegion: "us-east-1")
                o.open("requestParameters"); o.kv("roleName", role); o.openArray("tags"); o.element(); o.kv("key", "team")
                o.kv("value", "platform"); o.close(); o.closeArray(); o.close()
            }
            o.null("responseElements")
            finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")

        case .terraformNetwork:
            let c = Call(b.pipelineRole, at: t, region: r)
            let sg = rng.pick(assets.securityGroups)
            begin(&o, c, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", error: nil)
            o.open("requestParameters"); o.kv("groupId", sg)
            o.open("ipPermissions"); o.openArray("items"); o.element()
            o.kv("ipProtocol", "tcp"); o.kv("fromPort", 5432); o.kv("toPort", 5432)
            o.open("groups"); o.openArray("items"); o.element(); o.kv("groupId", rng.pick(assets.securityGroups)); o.close(); o.closeArray(); o.close()
            o.open("ipRanges"); o.openArray("items"); o.element(); o.kv("cidrIp", "10.0.0.0/16"); o.close(); o.closeArray(); o.close()
            o.close(); o.closeArray(); o.close()
            o.close()
            o.open("responseElements"); o.kv("_return", true); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)

        case .terraformBuckets:
            let c = Call(b.pipelineRole, at: t, region: r)
            let bucket = rng.pick(world.buckets)
            if rng.below(2) == 0 {
                begin(&o, c, "s3.amazonaws.com", "PutBucketVersioning", error: nil)
                o.open("requestParameters"); o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.amazonaws.com")
                o.open("VersioningConfiguration"); o.kv("Status", "Enabled"); o.kv("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/"); o.close()
                o.empty("versioning"); o.close()
            } else {
                begin(&o, c, "s3.amazonaws.com", "PutBucketPolicy", error: nil)
                o.open("requestParameters"); o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.amazonaws.com")
                o.kv("bucketPolicy", #"{"Version":"2012-10-17","Statement":[{"Sid":"DenyInsecureTransport","Effect":"Deny","Principal":"*","Action":"s3:*","Resource":["arn:aws:s3:::\#(bucket)","arn:aws:s3:::\#(bucket)/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}"#)
                o.empty("policy"); o.close()
            }
            o.null("responseElements")
            finish(&o, c, "s3.amazonaws.com", readOnly: false, s3RequestId: true)

        case .terraformLogs:
            let c = Call(b.pipelineRole, at: t, region: r)
            begin(&o, c, "logs.amazonaws.com", "PutRetentionPolicy", error: nil)
            o.open("requestParameters"); o.kv("logGroupName", "/aws/lambda/\(rng.pick(assets.functions))"); o.kv("retentionInDays", 30); o.close()
            o.null("responseElements")
            finish(&o, c, "logs.amazonaws.com", readOnly: false)

        case .ssoConsole:
            let c = Call(rng.pick(b.ssoPeople), at: t, region: r)
            if rng.below(5) == 0 {
                begin(&o, c, "lambda.amazonaws.com", "ListFunctions20150331", error: nil)
                o.null("requestParameters"); o.null("responseElements")
                finish(&o, c, "lambda.amazonaws.com", readOnly: true)
            } else {
                begin(&o, c, "ec2.amazonaws.com", "DescribeInstances", error: nil)
                o.open("requestParameters"); o.open("instancesSet"); o.close(); o.open("filterSet"); o.close(); o.close()
                o.null("responseElements")
                finish(&o, c, "ec2.amazonaws.com", readOnly: true)
            }

        case .backupSnapshot:
            let c = Call(b.backup, at: t, region: r)
            begin(&o, c, "ec2.amazonaws.com", "CreateSnapshot", error: nil)
            o.open("requestParameters"); o.kv("volumeId", rng.pick(assets.volumes)); o.kv("description", "This snapshot is created by the AWS Backup service.")
            o.close()
            o.open("responseElements"); o.kv("snapshotId", World.hexId(&rng, "snap-0", 16)); o.kv("status", "pending"); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)

        case .backupExpiry:
            // Recovery points past their retention are deleted by AWS Backup itself.
            let c = Call(b.backup, at: t, region: r)
            begin(&o, c, "ec2.amazonaws.com", "DeleteSnapshot", error: nil)
            o.open("requestParameters"); o.kv("snapshotId", World.hexId(&rng, "snap-0", 16)); o.close()
            o.open("responseElements"); o.kv("_return", true); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)
        }
    }
}
