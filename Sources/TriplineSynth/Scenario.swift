// Short, coherent attack stories, written as CloudTrail records so they can be hidden among generated noise.

public enum SynthScenario: String, CaseIterable, Sendable {
    /// The CI user's long-term access key leaks and is used from a Tor exit node: recon with a secret scanner's user
    /// agent, a backdoor admin user, then CloudTrail is silenced, SSH opened to the world and a bucket made public.
    case leakedAccessKey
    /// The root password is guessed: failed console logins, a login without MFA, root access keys, a trust policy
    /// opened to an outside account, a snapshot shared publicly, a KMS key scheduled for deletion, GuardDuty
    /// deleted, and the account leaving the organization.
    case rootTakeover
    /// A Lambda role's temporary credentials are replayed from outside AWS to read every secret, twenty times over.
    case secretsExfiltration
}

/// One record of an attack scenario.
public struct SynthScenarioEvent: Sendable {
    /// Epoch milliseconds (the record's eventTime, truncated to seconds when printed).
    public var time: Int64
    /// The log file region this record belongs in (IAM, sign-in and Organizations events are us-east-1).
    public var region: String
    public var eventName: String
    /// One line for humans: who did what.
    public var summary: String
    /// The record, a JSON object.
    public var json: [UInt8]
}

extension SynthGenerator {
    public static let attackerIP = "185.220.101.47"
    public static let rootAttackerIP = "45.155.205.233"
    public static let exfiltrationIP = "2a0b:f4c2:2::1"

    /// The records of `scenario`, starting at `startTime` (epoch seconds), a few seconds to minutes apart.
    /// Identities and resources come from `config`'s simulated account, so the leaked key is the same one the noise
    /// uses. Regional steps happen in `region` (default: the config's last region).
    public static func attackScenario(_ scenario: SynthScenario, config: SynthConfig, startTime: Int64, region: String? = nil) -> [SynthScenarioEvent] {
        let world = World(config: config)
        let regionIndex = region.flatMap { config.regions.firstIndex(of: $0) } ?? (config.regions.count - 1)
        let home = config.regions.firstIndex(of: "us-east-1") ?? 0
        var g = SynthGenerator(config: config, world: world, stream: 0x5C3E_0000 &+ stableHash(scenario.rawValue),
                               region: regionIndex, startMs: startTime * 1000)
        var events: [SynthScenarioEvent] = []
        var time = startTime * 1000

        func step(_ name: String, _ summary: String, region r: Int, gap: ClosedRange<Int> = 15...90,
                  _ write: (inout SynthGenerator, inout JSONOut, Int64) -> Void) {
            time += Int64(g.rng.range(gap.lowerBound, gap.upperBound)) * 1000 + Int64(g.rng.below(1000))
            g.region = r
            var o = JSONOut()
            write(&g, &o, time)
            events.append(SynthScenarioEvent(time: time, region: config.regions[r], eventName: name, summary: summary, json: o.b))
        }

        let kali = "aws-cli/1.22.34 Python/3.9.12 Linux/6.5.0-kali3-amd64 botocore/1.24.32"
        switch scenario {
        case .leakedAccessKey:
            let ci = world.humans[2]  // ci-deploy, normally terraform from the CI runner
            let backdoor = "support-svc"
            var attacker = Call(ci, at: 0, region: home, ip: attackerIP, ua: "TruffleHog")
            step("GetCallerIdentity", "ci-deploy's key AKIA… checked from \(attackerIP) with user agent TruffleHog", region: home, gap: 0...0) { g, o, t in
                attacker.time = t
                g.begin(&o, attacker, "sts.amazonaws.com", "GetCallerIdentity", error: nil)
                o.null("requestParameters"); o.null("responseElements")
                g.finish(&o, attacker, "sts.amazonaws.com", readOnly: true)
            }
            attacker.ua = kali
            step("ListBuckets", "ci-deploy lists buckets from a Kali Linux aws-cli", region: home) { g, o, t in
                attacker.time = t
                g.begin(&o, attacker, "s3.amazonaws.com", "ListBuckets", error: nil)
                o.open("requestParameters"); o.kv("Host", "s3.amazonaws.com"); o.close(); o.null("responseElements")
                g.finish(&o, attacker, "s3.amazonaws.com", readOnly: true, s3RequestId: true)
            }
            step("ListUsers", "ci-deploy enumerates IAM users", region: home) { g, o, t in
                attacker.time = t
                g.begin(&o, attacker, "iam.amazonaws.com", "ListUsers", error: nil, awsRegion: "us-east-1")
                o.null("requestParameters"); o.null("responseElements")
                g.finish(&o, attacker, "iam.amazonaws.com", readOnly: true, awsRegion: "us-east-1")
            }
            step("CreateUser", "ci-deploy creates the backdoor user \(backdoor)", region: home) { g, o, t in
                attacker.time = t; g.createUser(&o, attacker, user: backdoor, error: nil)
            }
            step("CreateAccessKey", "ci-deploy creates an access key for \(backdoor) (another user)", region: home) { g, o, t in
                attacker.time = t; g.createAccessKey(&o, attacker, user: backdoor, error: nil)
            }
            step("AttachUserPolicy", "ci-deploy attaches AdministratorAccess to \(backdoor)", region: home) { g, o, t in
                attacker.time = t; g.attachPolicy(&o, attacker, user: backdoor, role: nil, error: nil)
            }
            var p = world.humans[0]
            p.name = backdoor; p.arn = "arn:aws:iam::\(config.accountId):user/\(backdoor)"
            p.principalId = World.token(&g.rng, "AIDA", 17); p.longKey = World.token(&g.rng, "AKIA", 16)
            var admin = Call(p, at: 0, region: home, ip: attackerIP, ua: kali)
            step("StopLogging", "\(backdoor) stops the trail \(config.trailName)", region: home, gap: 120...240) { g, o, t in
                admin.time = t; g.stopLogging(&o, admin, error: nil)
            }
            step("AuthorizeSecurityGroupIngress", "\(backdoor) opens TCP 22 to 0.0.0.0/0 (second entry of ipPermissions.items)", region: regionIndex) { g, o, t in
                admin.time = t; admin.region = regionIndex
                g.authorizeIngress(&o, admin, group: g.assets.securityGroups[0], port: 22, v6: false, position: 1, error: nil)
            }
            step("PutBucketPolicy", "\(backdoor) makes acme-prod-customer-exports public (Principal \"*\")", region: regionIndex) { g, o, t in
                admin.time = t; admin.region = regionIndex
                g.putBucketPolicy(&o, admin, bucket: "acme-prod-customer-exports", error: nil)
            }
            step("DeleteTrail", "\(backdoor) deletes the trail \(config.trailName)", region: home) { g, o, t in
                admin.time = t; admin.region = home; g.deleteTrail(&o, admin, error: nil)
            }

        case .rootTakeover:
            var root = world.root
            root.ip = rootAttackerIP
            root.userAgent = "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0"
            var c = Call(root, at: 0, region: home)
            for i in 0..<3 {
                step("ConsoleLogin", "root console login fails (\(i + 1) of 3) from \(rootAttackerIP)", region: home, gap: i == 0 ? 0...0 : 4...12) { g, o, t in
                    c.time = t; g.consoleLogin(&o, c, success: false, mfa: false)
                }
            }
            step("ConsoleLogin", "root console login succeeds without MFA from \(rootAttackerIP)", region: home, gap: 5...20) { g, o, t in
                c.time = t; g.consoleLogin(&o, c, success: true, mfa: false)
            }
            c.ua = "console.amazonaws.com"
            step("CreateAccessKey", "root creates an access key for itself", region: home) { g, o, t in
                c.time = t; g.createAccessKey(&o, c, user: nil, error: nil)
            }
            c.ua = "aws-cli/2.15.30 Python/3.11.8 Linux/6.6.15-amd64 exe/x86_64.debian.12"
            step("UpdateAssumeRolePolicy", "root lets account 999988887777 assume OrganizationAccountAccessRole", region: home) { g, o, t in
                c.time = t; g.updateAssumeRolePolicy(&o, c, role: "OrganizationAccountAccessRole", external: "999988887777", error: nil)
            }
            step("ModifySnapshotAttribute", "root shares an EBS snapshot with everyone (createVolumePermission group all)", region: regionIndex) { g, o, t in
                c.time = t; c.region = regionIndex; g.modifySnapshotPublic(&o, c, snapshot: g.assets.snapshots[0], error: nil)
            }
            step("ScheduleKeyDeletion", "root schedules a KMS key for deletion in 7 days", region: regionIndex) { g, o, t in
                c.time = t; c.region = regionIndex; g.scheduleKeyDeletion(&o, c, key: g.assets.kmsKeys[1], error: nil)
            }
            step("DeleteDetector", "root deletes the GuardDuty detector", region: regionIndex) { g, o, t in
                c.time = t; c.region = regionIndex; g.deleteDetector(&o, c, error: nil)
            }
            step("LeaveOrganization", "root takes the account out of the organization", region: home) { g, o, t in
                c.time = t; c.region = home; g.leaveOrganization(&o, c, error: nil)
            }

        case .secretsExfiltration:
            let stolen = world.workloads[0]  // order-processor's Lambda role
            var c = Call(stolen, at: 0, region: regionIndex, ip: exfiltrationIP, ua: "python-requests/2.31.0 Boto3/1.34.51 Botocore/1.34.51")
            step("GetCallerIdentity", "order-processor-role credentials used from \(exfiltrationIP), outside AWS", region: regionIndex, gap: 0...0) { g, o, t in
                c.time = t
                g.begin(&o, c, "sts.amazonaws.com", "GetCallerIdentity", error: nil)
                o.null("requestParameters"); o.null("responseElements")
                g.finish(&o, c, "sts.amazonaws.com", readOnly: true)
            }
            step("ListSecrets", "the stolen role lists secrets", region: regionIndex) { g, o, t in
                c.time = t
                g.begin(&o, c, "secretsmanager.amazonaws.com", "ListSecrets", error: nil)
                o.open("requestParameters"); o.kv("maxResults", 100); o.close(); o.null("responseElements")
                g.finish(&o, c, "secretsmanager.amazonaws.com", readOnly: true)
            }
            for i in 0..<20 {
                step("GetSecretValue", "GetSecretValue burst, call \(i + 1) of 20", region: regionIndex, gap: 1...3) { g, o, t in
                    c.time = t
                    let denied = i % 4 == 3
                    g.getSecretValue(&o, c, error: denied ? SynthError(code: "AccessDeniedException", message: "User: \(stolen.arn) is not authorized to perform: secretsmanager:GetSecretValue on resource: \(g.assets.secrets[i % g.assets.secrets.count]) because no identity-based policy allows the secretsmanager:GetSecretValue action") : nil)
                }
            }
        }
        return events
    }
}
