// The simulated account: who acts in it and what resources exist. Built once per config, deterministically, and
// shared (immutable) by every generator and log file derived from that config.

struct Principal: Sendable {
    enum Kind: Sendable { case iamUser, assumedRole, awsService, root, federatedUser }
    var kind: Kind
    var principalId: String
    var arn: String
    var name: String              // userName, role session name, or service host
    var longKey: String           // AKIA… (IAM users)
    var tempKey: String           // ASIA…
    var issuerType = "Role"
    var issuerId = ""
    var issuerArn = ""
    var issuerName = ""
    var invokedBy: String?        // service-linked roles: the service calling on the role's behalf
    var ip: String
    var userAgent: String
    var console = false           // signs in to the console (temporary ASIA key, sessionCredentialFromConsole)
    var mfa = true
    var webIdentity: String?      // OIDC provider for roles assumed with web identity
}

struct RegionAssets: Sendable {
    var name: String
    var vpc: String
    var subnets: [String]
    var securityGroups: [String]
    var instances: [String]
    var volumes: [String]
    var snapshots: [String]
    var amis: [String]
    var kmsKeys: [String]          // key ARNs
    var functions: [String]
    var tables: [String]
    var secrets: [String]
    var dbInstances: [String]
    var networkAcls: [String]
    var flowLogs: [String]
    var detector: String
    var azs: [String]
    var vpcEndpoint: String
}

final class World: Sendable {
    let account: String
    let humans: [Principal]        // IAM users and SSO sessions at keyboards or in CI
    let consoleHumans: [Principal]
    let workloads: [Principal]     // roles used by Lambda, EC2, ECS, CI
    let serviceRoles: [Principal]  // service-linked roles (invokedBy set)
    let services: [Principal]      // AWSService identities
    let root: Principal
    let federated: Principal
    let regions: [RegionAssets]
    let buckets: [String]
    let users: [String]
    let roles: [String]
    let externalAccounts = ["999988887777", "444455556666", "210987654321"]
    /// Actors of the busy-organisation menu (`SynthConfig.busyRate`), from their own random stream.
    let busy: BusyActors

    static let idChars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    static let alnum = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)

    static func token(_ rng: inout SynthRNG, _ prefix: String, _ count: Int, _ chars: [UInt8] = idChars) -> String {
        var bytes = Array(prefix.utf8)
        for _ in 0..<count { bytes.append(chars[rng.below(chars.count)]) }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func hexId(_ rng: inout SynthRNG, _ prefix: String, _ count: Int) -> String {
        var out = JSONOut()
        out.hex(rng.next(), digits: min(count, 16))
        if count > 16 { out.hex(rng.next(), digits: count - 16) }
        return prefix + String(decoding: out.b, as: UTF8.self)
    }

    static func publicIPv4(_ rng: inout SynthRNG) -> String {
        let firsts = [3, 18, 34, 35, 52, 54, 81, 86, 91, 92, 109, 176, 185, 203, 212]
        return "\(rng.pick(firsts)).\(rng.range(1, 254)).\(rng.range(0, 255)).\(rng.range(1, 254))"
    }

    static func publicIPv6(_ rng: inout SynthRNG) -> String {
        let prefixes = ["2a02:c7c", "2001:818", "2600:1700", "2a01:e0a", "2406:da18"]
        var out = JSONOut()
        for i in 0..<6 { if i > 0 { out.byte(0x3A) }; out.hex(rng.next() & 0xFFFF, digits: 1 + rng.below(4)) }
        return rng.pick(prefixes) + ":" + String(decoding: out.b, as: UTF8.self)
    }

    init(config: SynthConfig) {
        var rng = SynthRNG(seed: mixSeed(config.seed, stableHash(config.accountId)))
        let acct = config.accountId
        account = acct

        let officeIP = World.publicIPv4(&rng)
        let vpnIP = World.publicIPv6(&rng)

        func user(_ name: String, _ ua: String, ip: String, console: Bool = false, mfa: Bool = true) -> Principal {
            Principal(kind: .iamUser, principalId: World.token(&rng, "AIDA", 17), arn: "arn:aws:iam::\(acct):user/\(name)",
                      name: name, longKey: World.token(&rng, "AKIA", 16), tempKey: World.token(&rng, "ASIA", 16),
                      ip: ip, userAgent: ua, console: console, mfa: mfa)
        }
        func role(_ roleName: String, path: String = "", session: String, ua: String, ip: String,
                  invokedBy: String? = nil, console: Bool = false, webIdentity: String? = nil) -> Principal {
            let roleId = World.token(&rng, "AROA", 17)
            return Principal(kind: .assumedRole, principalId: "\(roleId):\(session)",
                             arn: "arn:aws:sts::\(acct):assumed-role/\(roleName)/\(session)", name: session,
                             longKey: "", tempKey: World.token(&rng, "ASIA", 16), issuerType: "Role", issuerId: roleId,
                             issuerArn: "arn:aws:iam::\(acct):role/\(path)\(roleName)", issuerName: roleName,
                             invokedBy: invokedBy, ip: ip, userAgent: ua, console: console, mfa: false, webIdentity: webIdentity)
        }
        func service(_ host: String) -> Principal {
            Principal(kind: .awsService, principalId: "", arn: "", name: host, longKey: "", tempKey: "", ip: host, userAgent: host)
        }

        let cli = "aws-cli/2.15.30 Python/3.11.8 Darwin/23.3.0 exe/x86_64 prompt/off command/"
        let boto = "Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.210-201.852.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.51"
        let terraform = "APN/1.0 HashiCorp/1.0 Terraform/1.7.4 (+https://www.terraform.io) terraform-provider-aws/5.39.1 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.25.2 os/linux lang/go#1.21.6 md/GOOS#linux md/GOARCH#amd64"
        let java = "aws-sdk-java/1.12.667 Linux/5.10.210-201.852.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.10+7-LTS java/17.0.10 vendor/Amazon.com_Inc. cfg/retry-mode/standard"
        let goSDK = "aws-sdk-go/1.50.25 (go1.21.7; linux; amd64)"
        let browser = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 Safari/537.36"
        let node = "aws-sdk-nodejs/2.1569.0 linux/v18.19.1 exec-env/AWS_Lambda_nodejs18.x"
        let js3 = "aws-sdk-js/3.525.0 ua/2.0 os/linux#5.10.209-198.858.amzn2.x86_64 lang/js md/nodejs#20.11.1 api/dynamodb#3.525.0"
        let ssmAgent = "aws-sdk-go/1.44.302 (go1.21.6; linux; amd64) amazon-ssm-agent/3.2.2222.0"
        let ssoCLI = "aws-cli/2.15.30 Python/3.11.8 Linux/6.5.0-1014-aws exe/x86_64.ubuntu.22 prompt/off command/sso"
        let github = World.publicIPv4(&rng)

        var hs: [Principal] = [
            user("alice", cli + "ec2.describe-instances", ip: officeIP),
            user("bob.smith", boto, ip: vpnIP),
            user("ci-deploy", terraform, ip: github),
            user("backup-svc", java, ip: World.publicIPv4(&rng)),
            user("grafana-reader", goSDK, ip: World.publicIPv4(&rng)),
        ]
        let ssoPath = "aws-reserved/sso.amazonaws.com/eu-west-1/"
        let ssoAdmin = "AWSReservedSSO_AdministratorAccess_7a3c1e2b9d0f4a56"
        let ssoDev = "AWSReservedSSO_DeveloperAccess_c41d9e0a7b2f3681"
        let ssoPeople = ["josé.garcía@example.com", "chloé.dupont@example.com", "søren.ølgaard@example.com", "李雷@example.com", "priya.n@example.com"]
        var consoles: [Principal] = [user("maria.admin", browser, ip: officeIP, console: true, mfa: true)]
        for (i, person) in ssoPeople.enumerated() {
            let r = role(i % 2 == 0 ? ssoAdmin : ssoDev, path: ssoPath, session: person, ua: i % 3 == 0 ? ssoCLI : browser,
                         ip: i == 3 ? World.publicIPv6(&rng) : World.publicIPv4(&rng), console: i % 3 != 0)
            if r.console { consoles.append(r) } else { hs.append(r) }
        }
        hs.append(contentsOf: consoles)
        humans = hs
        consoleHumans = consoles

        var ws: [Principal] = []
        for fn in ["order-processor", "invoice-renderer", "thumbnail-resizer", "webhook-dispatcher"] {
            ws.append(role("\(fn)-role", session: fn, ua: fn == "invoice-renderer" ? js3 : node, ip: World.publicIPv4(&rng)))
        }
        for _ in 0..<3 {
            // Instances reach AWS through VPC endpoints: private source addresses (and a vpcEndpointId).
            ws.append(role("web-ec2-role", session: World.hexId(&rng, "i-0", 16), ua: ssmAgent, ip: "10.0.\(rng.range(0, 3)).\(rng.range(4, 250))"))
        }
        ws.append(role("api-task-role", session: World.hexId(&rng, "", 32), ua: boto, ip: World.publicIPv4(&rng)))
        ws.append(role("github-actions-deploy", session: "GitHubActions", ua: terraform, ip: github,
                       webIdentity: "arn:aws:iam::\(acct):oidc-provider/token.actions.githubusercontent.com"))
        ws.append(role("DatadogIntegrationRole", session: "DatadogAWSIntegration", ua: goSDK + " Datadog/1.0", ip: World.publicIPv4(&rng)))
        workloads = ws

        serviceRoles = [
            role("AWSServiceRoleForConfig", path: "aws-service-role/config.amazonaws.com/", session: "AWSConfig-Describe",
                 ua: "config.amazonaws.com", ip: "config.amazonaws.com", invokedBy: "config.amazonaws.com"),
            role("AWSServiceRoleForAutoScaling", path: "aws-service-role/autoscaling.amazonaws.com/", session: "AutoScaling",
                 ua: "autoscaling.amazonaws.com", ip: "autoscaling.amazonaws.com", invokedBy: "autoscaling.amazonaws.com"),
            role("AWSServiceRoleForAmazonGuardDuty", path: "aws-service-role/guardduty.amazonaws.com/", session: "AmazonGuardDuty",
                 ua: "guardduty.amazonaws.com", ip: "guardduty.amazonaws.com", invokedBy: "guardduty.amazonaws.com"),
            role("AWSBackupDefaultServiceRole", path: "service-role/", session: "AWSBackup-AWSBackupDefaultServiceRole",
                 ua: "backup.amazonaws.com", ip: "backup.amazonaws.com", invokedBy: "backup.amazonaws.com"),
        ]
        services = ["lambda.amazonaws.com", "ecs-tasks.amazonaws.com", "ec2.amazonaws.com", "cloudtrail.amazonaws.com",
                    "s3.amazonaws.com", "logs.amazonaws.com", "ssm.amazonaws.com", "elasticloadbalancing.amazonaws.com"].map(service)

        root = Principal(kind: .root, principalId: acct, arn: "arn:aws:iam::\(acct):root", name: "root", longKey: "",
                         tempKey: World.token(&rng, "ASIA", 16), ip: World.publicIPv4(&rng), userAgent: browser, console: true, mfa: true)
        let bob = hs[1]
        federated = Principal(kind: .federatedUser, principalId: "\(acct):reporting-bot", arn: "arn:aws:sts::\(acct):federated-user/reporting-bot",
                              name: "reporting-bot", longKey: "", tempKey: World.token(&rng, "ASIA", 16), issuerType: "IAMUser",
                              issuerId: bob.principalId, issuerArn: bob.arn, issuerName: bob.name, ip: bob.ip, userAgent: boto, mfa: false)

        buckets = ["acme-prod-assets", "acme-prod-customer-exports", "acme-terraform-state", "acme-logs-\(acct)",
                   "acme-data-lake-raw", "acme-static-site", "aws-cloudtrail-logs-\(acct)-3f9a1c2e"]
        users = hs.filter { $0.kind == .iamUser }.map(\.name) + ["maria.admin", "svc-legacy-ftp", "intern-2024"]
        roles = ws.map(\.issuerName) + ["OrganizationAccountAccessRole", "ReadOnlyAuditor", "lambda-basic-execution"]

        var rs: [RegionAssets] = []
        for region in config.regions {
            var r = SynthRNG(seed: mixSeed(config.seed, stableHash(region)))
            func many(_ n: Int, _ prefix: String, _ len: Int) -> [String] { (0..<n).map { _ in World.hexId(&r, prefix, len) } }
            let keys = (0..<4).map { _ -> String in
                var o = JSONOut(); o.uuid(&r)
                return "arn:aws:kms:\(region):\(acct):key/" + String(decoding: o.b.dropFirst().dropLast(), as: UTF8.self)
            }
            rs.append(RegionAssets(
                name: region, vpc: World.hexId(&r, "vpc-0", 16), subnets: many(3, "subnet-0", 16),
                securityGroups: many(8, "sg-0", 16), instances: many(16, "i-0", 16), volumes: many(10, "vol-0", 16),
                snapshots: many(6, "snap-0", 16), amis: many(3, "ami-0", 16), kmsKeys: keys,
                functions: ["order-processor", "invoice-renderer", "thumbnail-resizer", "webhook-dispatcher", "cost-report"],
                tables: ["orders", "sessions", "idempotency-keys", "feature-flags"],
                secrets: ["prod/db/postgres", "prod/stripe/api-key", "prod/github/app-private-key", "staging/db/postgres"],
                dbInstances: ["prod-postgres-1", "prod-postgres-replica", "analytics-mysql"],
                networkAcls: many(3, "acl-0", 16), flowLogs: many(2, "fl-0", 16), detector: World.hexId(&r, "", 32),
                azs: ["a", "b", "c"].map { region + $0 }, vpcEndpoint: World.hexId(&r, "vpce-0", 16)))
        }
        regions = rs
        busy = BusyActors(account: acct, seed: config.seed)
    }
}
