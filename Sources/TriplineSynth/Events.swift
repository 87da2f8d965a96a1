// Record skeleton (field order as CloudTrail writes it) and the read-mostly background noise.

struct Call {
    var p: Principal
    var ip: String
    var ua: String
    var time: Int64
    var region: Int

    init(_ p: Principal, at time: Int64, region: Int, ip: String? = nil, ua: String? = nil) {
        self.p = p
        self.ip = ip ?? p.ip
        self.ua = ua ?? p.userAgent
        self.time = time
        self.region = region
    }
}

struct SynthError {
    var code: StaticString
    var message: String
}

enum Noise: CaseIterable {
    case kmsDecrypt, kmsGenerateDataKey, stsAssumeRole, stsAssumeRoleWebIdentity, stsGetCallerIdentity
    case ssmUpdateInstanceInformation, ssmGetParameter, ec2DescribeInstances, ec2DescribeSecurityGroups, ec2DescribeVolumes
    case ec2DescribeNetworkInterfaces, ec2DescribeRegions, ec2CreateNetworkInterface, ec2CreateTags, ec2CreateSnapshot
    case s3ListBuckets, s3GetBucket, iamGet, iamList, lambdaRead, lambdaUpdateCode, logsCreateLogStream, logsDescribe
    case logsFilter, cwDescribeAlarms, cwGetMetricData, dynamoDescribe, dynamoList, secretsGet, ecrAuthToken
    case elbDescribe, consoleLoginMFA, autoscalingDescribe, cloudtrailRead, guarddutyRead, rdsDescribe, federatedGet

    var weight: Int {
        switch self {
        case .kmsDecrypt: 90
        case .kmsGenerateDataKey: 50
        case .stsAssumeRole: 90
        case .stsAssumeRoleWebIdentity: 8
        case .stsGetCallerIdentity: 25
        case .ssmUpdateInstanceInformation: 60
        case .ssmGetParameter: 40
        case .ec2DescribeInstances: 60
        case .ec2DescribeSecurityGroups: 25
        case .ec2DescribeVolumes: 20
        case .ec2DescribeNetworkInterfaces: 30
        case .ec2DescribeRegions: 15
        case .ec2CreateNetworkInterface: 10
        case .ec2CreateTags: 10
        case .ec2CreateSnapshot: 5
        case .s3ListBuckets: 15
        case .s3GetBucket: 50
        case .iamGet: 40
        case .iamList: 20
        case .lambdaRead: 30
        case .lambdaUpdateCode: 4
        case .logsCreateLogStream: 40
        case .logsDescribe: 20
        case .logsFilter: 10
        case .cwDescribeAlarms: 20
        case .cwGetMetricData: 45
        case .dynamoDescribe: 30
        case .dynamoList: 10
        case .secretsGet: 12
        case .ecrAuthToken: 15
        case .elbDescribe: 15
        case .consoleLoginMFA: 3
        case .autoscalingDescribe: 15
        case .cloudtrailRead: 5
        case .guarddutyRead: 8
        case .rdsDescribe: 15
        case .federatedGet: 3
        }
    }

    /// IAM, STS-global and sign-in events are recorded in us-east-1 only.
    var global: Bool {
        switch self {
        case .iamGet, .iamList, .consoleLoginMFA: true
        default: false
        }
    }

    /// Kinds whose writer never calls `maybeError` (calls that practically never fail).
    var canFail: Bool {
        switch self {
        case .stsAssumeRole, .stsAssumeRoleWebIdentity, .ssmUpdateInstanceInformation, .ec2CreateSnapshot, .ecrAuthToken,
             .elbDescribe, .consoleLoginMFA, .cloudtrailRead, .guarddutyRead, .federatedGet: false
        default: true
        }
    }

    static let table: [Noise] = allCases.flatMap { Array(repeating: $0, count: $0.weight) }
    static let regionalTable: [Noise] = table.filter { !$0.global }
    static let failingTable: [Noise] = table.filter(\.canFail)
    static let failingRegionalTable: [Noise] = regionalTable.filter(\.canFail)
}

extension SynthGenerator {
    var acct: String { world.account }
    var regionName: String { world.regions[region].name }
    var assets: RegionAssets { world.regions[region] }

    /// Writes everything up to and including the error fields. `region` may be overridden for global services.
    mutating func begin(_ o: inout JSONOut, _ c: Call, _ source: StaticString, _ name: StaticString, error: SynthError?,
                        awsRegion: String? = nil, identityNoKey: Bool = false) {
        o.byte(0x7B)
        switch rng.below(10) {
        case 0..<3: o.kv("eventVersion", "1.08")
        case 3..<8: o.kv("eventVersion", "1.09")
        default: o.kv("eventVersion", "1.10")
        }
        identity(&o, c.p, time: c.time, noKey: identityNoKey)
        o.key("eventTime"); o.isoTime(c.time)
        o.kv("eventSource", source)
        o.kv("eventName", name)
        o.kv("awsRegion", awsRegion ?? world.regions[c.region].name)
        o.kv("sourceIPAddress", c.ip)
        o.kv("userAgent", c.ua)
        if let e = error {
            stats.errors += 1
            o.kv("errorCode", e.code)
            o.kv("errorMessage", e.message)
        }
    }

    mutating func finish(_ o: inout JSONOut, _ c: Call, _ source: StaticString, readOnly: Bool,
                         resources: [(type: StaticString, arn: String)] = [], eventType: StaticString = "AwsApiCall",
                         s3RequestId: Bool = false, shared: Bool = false, awsRegion: String? = nil) {
        o.key("requestID")
        if s3RequestId { o.str(World.token(&rng, "", 16, World.idChars)) } else { o.uuid(&rng) }
        o.key("eventID"); o.uuid(&rng)
        o.kv("readOnly", readOnly)
        if !resources.isEmpty {
            o.openArray("resources")
            for r in resources {
                o.element(); o.kv("accountId", acct); o.kv("type", r.type); o.kv("ARN", r.arn); o.close()
            }
            o.closeArray()
        }
        o.kv("eventType", eventType)
        o.kv("managementEvent", true)
        o.kv("recipientAccountId", acct)
        if shared { o.key("sharedEventID"); o.uuid(&rng) }
        if c.ip.hasPrefix("10.") { o.kv("vpcEndpointId", world.regions[c.region].vpcEndpoint) }
        o.kv("eventCategory", "Management")
        if !c.ip.hasSuffix(".amazonaws.com") && c.ip != "AWS Internal" {
            o.open("tlsDetails")
            if rng.below(4) == 0 {
                o.kv("tlsVersion", "TLSv1.2"); o.kv("cipherSuite", "ECDHE-RSA-AES128-GCM-SHA256")
            } else {
                o.kv("tlsVersion", "TLSv1.3"); o.kv("cipherSuite", "TLS_AES_128_GCM_SHA256")
            }
            o.kv("clientProvidedHostHeader", host(source, awsRegion ?? world.regions[c.region].name))
            o.close()
        }
        if c.p.console { o.kv("sessionCredentialFromConsole", "true") }
        o.close()
    }

    func host(_ source: StaticString, _ region: String) -> String {
        let s = source.description
        switch s {
        case "iam.amazonaws.com", "organizations.amazonaws.com", "signin.amazonaws.com": return s
        case "s3.amazonaws.com": return "s3.\(region).amazonaws.com"
        default:
            let prefix = s.prefix { $0 != "." }
            return "\(prefix).\(region).amazonaws.com"
        }
    }

    mutating func identity(_ o: inout JSONOut, _ p: Principal, time: Int64, noKey: Bool = false) {
        o.open("userIdentity")
        switch p.kind {
        case .awsService:
            o.kv("type", "AWSService")
            o.kv("invokedBy", p.name)
        case .iamUser:
            o.kv("type", "IAMUser")
            o.kv("principalId", p.principalId)
            o.kv("arn", p.arn)
            o.kv("accountId", acct)
            if !noKey { o.kv("accessKeyId", p.console ? p.tempKey : p.longKey) }
            o.kv("userName", p.name)
            if p.console && !noKey {
                o.open("sessionContext")
                o.empty("sessionIssuer"); o.empty("webIdFederationData")
                sessionAttributes(&o, p, time)
                o.close()
            }
        case .root:
            o.kv("type", "Root")
            o.kv("principalId", p.principalId)
            o.kv("arn", p.arn)
            o.kv("accountId", acct)
            if !noKey {
                o.kv("accessKeyId", p.tempKey)
                o.open("sessionContext"); sessionAttributes(&o, p, time); o.close()
            }
        case .assumedRole, .federatedUser:
            o.kv("type", p.kind == .assumedRole ? "AssumedRole" : "FederatedUser")
            o.kv("principalId", p.principalId)
            o.kv("arn", p.arn)
            o.kv("accountId", acct)
            o.kv("accessKeyId", p.tempKey)
            o.open("sessionContext")
            o.open("sessionIssuer")
            o.kv("type", p.issuerType); o.kv("principalId", p.issuerId); o.kv("arn", p.issuerArn)
            o.kv("accountId", acct); o.kv("userName", p.issuerName)
            o.close()
            if let idp = p.webIdentity {
                o.open("webIdFederationData"); o.kv("federatedProvider", idp); o.empty("attributes"); o.close()
            } else {
                o.empty("webIdFederationData")
            }
            sessionAttributes(&o, p, time)
            o.close()
            if let by = p.invokedBy { o.kv("invokedBy", by) }
        }
        o.close()
    }

    func sessionAttributes(_ o: inout JSONOut, _ p: Principal, _ time: Int64) {
        o.open("attributes")
        // Sessions start on the hour before the call.
        o.key("creationDate"); o.isoTime(time - time % 3_600_000)
        o.kv("mfaAuthenticated", p.mfa && p.kind != .assumedRole ? "true" : "false")
        o.close()
    }

    // MARK: errors

    /// The error for this record if `noise` decided it fails (only kinds that call this can fail).
    mutating func maybeError(_ source: StaticString, _ name: StaticString, _ p: Principal) -> SynthError? {
        guard wantError else { return nil }
        wantError = false
        return errorFor(source, name, p)
    }

    mutating func errorFor(_ source: StaticString, _ name: StaticString, _ p: Principal) -> SynthError {
        let action = "\(source.description.prefix { $0 != "." }):\(name)"
        let who = p.kind == .awsService ? "arn:aws:iam::\(acct):role/service-role/\(p.name)" : p.arn
        let roll = rng.below(10)
        if roll == 0 { return SynthError(code: "ThrottlingException", message: "Rate exceeded") }
        switch source.description {
        case "ec2.amazonaws.com":
            if roll < 3 { return SynthError(code: "Client.RequestLimitExceeded", message: "Request limit exceeded.") }
            if roll < 5 {
                return SynthError(code: "Client.InvalidInstanceID.NotFound", message: "The instance ID '\(rng.pick(assets.instances))' does not exist")
            }
            return SynthError(code: "Client.UnauthorizedOperation",
                              message: "You are not authorized to perform this operation. User: \(who) is not authorized to perform: \(action) because no identity-based policy allows the \(action) action")
        case "iam.amazonaws.com":
            if roll < 6 { return SynthError(code: "NoSuchEntity", message: "The role with name \(rng.pick(["legacy-etl-role", "jenkins-role", "old-ci"])) cannot be found.") }
            return SynthError(code: "AccessDenied", message: "User: \(who) is not authorized to perform: \(action) on resource: arn:aws:iam::\(acct):role/\(rng.pick(world.roles)) because no identity-based policy allows the \(action) action")
        case "s3.amazonaws.com":
            if roll < 6 { return SynthError(code: "NoSuchBucketPolicy", message: "The bucket policy does not exist") }
            return SynthError(code: "AccessDenied", message: "Access Denied")
        case "ssm.amazonaws.com":
            if roll < 6 { return SynthError(code: "ParameterNotFound", message: "Parameter /prod/feature/\(rng.pick(["dark-mode", "beta-checkout"])) not found.") }
        case "lambda.amazonaws.com", "dynamodb.amazonaws.com", "logs.amazonaws.com", "secretsmanager.amazonaws.com":
            if roll < 5 { return SynthError(code: "ResourceNotFoundException", message: "Requested resource not found") }
        case "sts.amazonaws.com":
            if roll < 5 {
                return SynthError(code: "ValidationError", message: "1 validation error detected: Value 'ci deploy \"nightly\"' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*")
            }
        default: break
        }
        return SynthError(code: "AccessDenied", message: "User: \(who) is not authorized to perform: \(action) because no identity-based policy allows the \(action) action")
    }

    // MARK: noise

    mutating func noise(_ o: inout JSONOut) {
        wantError = rng.chance(errorT)
        let table = regionName == "us-east-1" ? (wantError ? Noise.failingTable : Noise.table)
                                              : (wantError ? Noise.failingRegionalTable : Noise.regionalTable)
        let kind = table[rng.below(table.count)]
        let t = clockMs, r = region
        let w = world
        switch kind {
        case .kmsDecrypt, .kmsGenerateDataKey:
            let decrypt = kind == .kmsDecrypt
            let name: StaticString = decrypt ? "Decrypt" : "GenerateDataKey"
            let key = rng.pick(assets.kmsKeys)
            var c: Call
            let byService = rng.below(3)
            if byService == 0 {
                c = Call(w.services[3], at: t, region: r)  // cloudtrail encrypting log files, s3 SSE
            } else {
                var p = rng.pick(w.workloads)
                p.invokedBy = rng.below(2) == 0 ? "s3.amazonaws.com" : "secretsmanager.amazonaws.com"
                c = Call(p, at: t, region: r, ip: p.invokedBy, ua: p.invokedBy)
            }
            begin(&o, c, "kms.amazonaws.com", name, error: maybeError("kms.amazonaws.com", name, c.p))
            o.open("requestParameters")
            if !decrypt { o.kv("keyId", key) }
            o.open("encryptionContext")
            if byService == 0 {
                o.kv("aws:cloudtrail:arn", "arn:aws:cloudtrail:\(regionName):\(acct):trail/\(config.trailName)")
                o.kv("aws:s3:arn", "arn:aws:s3:::\(config.bucket)/AWSLogs/\(acct)/CloudTrail/\(regionName)/")
            } else if c.p.invokedBy == "s3.amazonaws.com" {
                o.kv("aws:s3:arn", "arn:aws:s3:::\(rng.pick(w.buckets))/exports/2025/03/\(World.hexId(&rng, "", 12)).parquet")
            } else {
                o.kv("SecretARN", "arn:aws:secretsmanager:\(regionName):\(acct):secret:\(rng.pick(assets.secrets))-\(World.token(&rng, "", 6, World.alnum))")
                o.kv("SecretVersionId", World.hexId(&rng, "", 32))
            }
            o.close()
            if decrypt { o.kv("encryptionAlgorithm", "SYMMETRIC_DEFAULT") } else { o.kv("keySpec", "AES_256") }
            o.close()
            o.null("responseElements")
            finish(&o, c, "kms.amazonaws.com", readOnly: true, resources: [("AWS::KMS::Key", key)], shared: byService == 0)

        case .stsAssumeRole:
            let target = rng.pick(w.workloads)
            let svc = w.services[rng.below(3)]
            let c = Call(svc, at: t, region: r)
            begin(&o, c, "sts.amazonaws.com", "AssumeRole", error: nil)
            o.open("requestParameters")
            o.kv("roleArn", target.issuerArn); o.kv("roleSessionName", target.name)
            o.kv("durationSeconds", 3600)
            o.close()
            o.open("responseElements")
            o.open("credentials")
            o.kv("accessKeyId", target.tempKey)
            o.kv("sessionToken", World.token(&rng, "IQoJb3JpZ2luX2Vj", 180, World.alnum))
            o.key("expiration"); o.awsTime(t + 3_600_000)
            o.close()
            o.open("assumedRoleUser"); o.kv("assumedRoleId", target.principalId); o.kv("arn", target.arn); o.close()
            o.close()
            finish(&o, c, "sts.amazonaws.com", readOnly: true, resources: [("AWS::IAM::Role", target.issuerArn)], shared: true)

        case .stsAssumeRoleWebIdentity:
            let p = w.workloads[w.workloads.count - 2]
            let c = Call(p, at: t, region: r)
            begin(&o, c, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", error: nil)
            o.open("requestParameters")
            o.kv("roleArn", p.issuerArn); o.kv("roleSessionName", p.name); o.kv("durationSeconds", 3600)
            o.close()
            o.open("responseElements")
            o.open("credentials"); o.kv("accessKeyId", p.tempKey); o.key("expiration"); o.awsTime(t + 3_600_000); o.close()
            o.kv("subjectFromWebIdentityToken", "repo:acme/infrastructure:ref:refs/heads/main")
            o.open("assumedRoleUser"); o.kv("assumedRoleId", p.principalId); o.kv("arn", p.arn); o.close()
            o.kv("provider", "arn:aws:iam::\(acct):oidc-provider/token.actions.githubusercontent.com")
            o.kv("audience", "sts.amazonaws.com")
            o.close()
            finish(&o, c, "sts.amazonaws.com", readOnly: true, resources: [("AWS::IAM::Role", p.issuerArn)])

        case .stsGetCallerIdentity:
            let c = Call(rng.below(2) == 0 ? rng.pick(w.humans) : rng.pick(w.workloads), at: t, region: r)
            begin(&o, c, "sts.amazonaws.com", "GetCallerIdentity", error: maybeError("sts.amazonaws.com", "GetCallerIdentity", c.p))
            o.null("requestParameters"); o.null("responseElements")
            finish(&o, c, "sts.amazonaws.com", readOnly: true)

        case .ssmUpdateInstanceInformation:
            let p = w.workloads[4 + rng.below(3)]
            let c = Call(p, at: t, region: r)
            begin(&o, c, "ssm.amazonaws.com", "UpdateInstanceInformation", error: nil)
            o.open("requestParameters")
            let ip = "10.0.\(rng.range(0, 3)).\(rng.range(4, 250))"
            o.kv("instanceId", p.name); o.kv("agentVersion", "3.2.2222.0"); o.kv("agentStatus", "Active")
            o.kv("platformType", "Linux"); o.kv("platformName", "Amazon Linux"); o.kv("platformVersion", "2023")
            o.kv("iPAddress", ip); o.kv("computerName", "ip-\(ip.replacing(".", with: "-")).\(regionName == "us-east-1" ? "ec2.internal" : "\(regionName).compute.internal")")
            o.kv("agentName", "amazon-ssm-agent"); o.kv("availabilityZone", rng.pick(assets.azs))
            o.kv("availabilityZoneId", "\(regionName == "us-east-1" ? "use1" : "euw1")-az\(rng.range(1, 3))")
            o.close()
            o.null("responseElements")
            finish(&o, c, "ssm.amazonaws.com", readOnly: false)

        case .ssmGetParameter:
            let c = Call(rng.pick(w.workloads), at: t, region: r)
            let many = rng.below(3) == 0
            let name: StaticString = many ? "GetParameters" : "GetParameter"
            begin(&o, c, "ssm.amazonaws.com", name, error: maybeError("ssm.amazonaws.com", name, c.p))
            o.open("requestParameters")
            let params = ["/prod/db/host", "/prod/api/base-url", "/prod/feature/new-checkout", "/shared/datadog/site", "/prod/smtp/password"]
            if many {
                o.openArray("names"); for _ in 0..<rng.range(2, 4) { o.element(rng.pick(params)) }; o.closeArray()
            } else {
                o.kv("name", rng.pick(params))
            }
            o.kv("withDecryption", rng.below(2) == 0)
            o.close()
            o.null("responseElements")
            finish(&o, c, "ssm.amazonaws.com", readOnly: true)

        case .ec2DescribeInstances, .ec2DescribeSecurityGroups, .ec2DescribeVolumes, .ec2DescribeNetworkInterfaces, .ec2DescribeRegions:
            let c: Call
            switch rng.below(4) {
            case 0: c = Call(rng.pick(w.humans), at: t, region: r)
            case 1: c = Call(rng.pick(w.serviceRoles), at: t, region: r)
            default: c = Call(rng.pick(w.workloads), at: t, region: r)
            }
            let name: StaticString
            switch kind {
            case .ec2DescribeInstances: name = "DescribeInstances"
            case .ec2DescribeSecurityGroups: name = "DescribeSecurityGroups"
            case .ec2DescribeVolumes: name = "DescribeVolumes"
            case .ec2DescribeNetworkInterfaces: name = "DescribeNetworkInterfaces"
            default: name = rng.below(2) == 0 ? "DescribeRegions" : "DescribeAvailabilityZones"
            }
            begin(&o, c, "ec2.amazonaws.com", name, error: maybeError("ec2.amazonaws.com", name, c.p))
            o.open("requestParameters")
            switch kind {
            case .ec2DescribeInstances:
                o.open("instancesSet")
                if rng.below(3) == 0 {
                    o.openArray("items"); o.element(); o.kv("instanceId", rng.pick(assets.instances)); o.close(); o.closeArray()
                }
                o.close()
                o.open("filterSet")
                if rng.below(2) == 0 {
                    o.openArray("items"); o.element(); o.kv("name", "tag:Environment")
                    o.open("valueSet"); o.openArray("items"); o.element(); o.kv("value", "production"); o.close(); o.closeArray(); o.close()
                    o.close(); o.closeArray()
                }
                o.close()
                if rng.below(2) == 0 { o.kv("maxResults", 1000) }
            case .ec2DescribeSecurityGroups:
                o.open("securityGroupSet"); o.close()
                o.open("securityGroupIdSet")
                o.openArray("items"); o.element(); o.kv("groupId", rng.pick(assets.securityGroups)); o.close(); o.closeArray()
                o.close()
                o.empty("filterSet")
            case .ec2DescribeVolumes:
                o.empty("volumeSet"); o.empty("filterSet")
            case .ec2DescribeNetworkInterfaces:
                o.empty("networkInterfaceIdSet")
                o.open("filterSet"); o.openArray("items"); o.element(); o.kv("name", "vpc-id")
                o.open("valueSet"); o.openArray("items"); o.element(); o.kv("value", assets.vpc); o.close(); o.closeArray(); o.close()
                o.close(); o.closeArray(); o.close()
            default:
                o.empty("regionSet"); o.kv("allRegions", false)
            }
            o.close()
            o.null("responseElements")
            finish(&o, c, "ec2.amazonaws.com", readOnly: true)

        case .ec2CreateNetworkInterface:
            let c = Call(w.serviceRoles[1], at: t, region: r)
            begin(&o, c, "ec2.amazonaws.com", "CreateNetworkInterface", error: maybeError("ec2.amazonaws.com", "CreateNetworkInterface", c.p))
            let subnet = rng.pick(assets.subnets), sg = rng.pick(assets.securityGroups)
            o.open("requestParameters")
            o.kv("subnetId", subnet); o.kv("description", "AWS Lambda VPC ENI-\(rng.pick(assets.functions))-\(World.hexId(&rng, "", 8))")
            o.open("groupSet"); o.openArray("items"); o.element(); o.kv("groupId", sg); o.close(); o.closeArray(); o.close()
            o.empty("privateIpAddressesSet"); o.empty("ipv6AddressesSet")
            o.kv("clientToken", World.hexId(&rng, "", 32))
            o.close()
            o.open("responseElements")
            o.key("requestId"); o.uuid(&rng)
            o.open("networkInterface")
            o.kv("networkInterfaceId", World.hexId(&rng, "eni-0", 16)); o.kv("subnetId", subnet); o.kv("vpcId", assets.vpc)
            o.kv("availabilityZone", rng.pick(assets.azs)); o.kv("ownerId", acct); o.kv("requesterId", "AROA\(World.token(&rng, "", 17))")
            o.kv("requesterManaged", true); o.kv("status", "pending"); o.kv("macAddress", "0e:\(World.hexId(&rng, "", 2)):\(World.hexId(&rng, "", 2)):a1:b2:c3")
            o.kv("privateIpAddress", "10.0.\(rng.range(0, 3)).\(rng.range(4, 250))"); o.kv("sourceDestCheck", true)
            o.kv("interfaceType", "lambda")
            o.open("groupSet"); o.openArray("items"); o.element(); o.kv("groupId", sg); o.kv("groupName", "lambda-egress"); o.close(); o.closeArray(); o.close()
            o.empty("tagSet")
            o.close()
            o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)

        case .ec2CreateTags:
            let c = Call(rng.pick(w.humans), at: t, region: r)
            begin(&o, c, "ec2.amazonaws.com", "CreateTags", error: maybeError("ec2.amazonaws.com", "CreateTags", c.p))
            o.open("requestParameters")
            o.open("resourcesSet"); o.openArray("items"); o.element(); o.kv("resourceId", rng.pick(assets.instances)); o.close(); o.closeArray(); o.close()
            o.open("tagSet"); o.openArray("items")
            o.element(); o.kv("key", "Owner"); o.kv("value", rng.pick(["plateforme-équipe", "data-team", "François Lefèvre", "ops 🚧 on-call"])); o.close()
            o.element(); o.kv("key", "CostCenter"); o.kv("value", "cc-\(rng.range(1000, 9999))"); o.close()
            o.closeArray(); o.close()
            o.close()
            o.open("responseElements"); o.key("requestId"); o.uuid(&rng); o.kv("_return", true); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)

        case .ec2CreateSnapshot:
            let c = Call(w.serviceRoles[3], at: t, region: r)
            begin(&o, c, "ec2.amazonaws.com", "CreateSnapshot", error: nil)
            let vol = rng.pick(assets.volumes)
            o.open("requestParameters"); o.kv("volumeId", vol); o.kv("description", "This snapshot is created by the AWS Backup service.")
            o.close()
            o.open("responseElements")
            o.key("requestId"); o.uuid(&rng); o.kv("snapshotId", World.hexId(&rng, "snap-0", 16)); o.kv("volumeId", vol)
            o.kv("status", "pending"); o.kv("startTime", Int(t)); o.kv("progress", ""); o.kv("ownerId", acct)
            o.kv("volumeSize", rng.pick([8, 20, 100, 500])); o.kv("encrypted", true); o.kv("kmsKeyId", assets.kmsKeys[0])
            o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)

        case .s3ListBuckets, .s3GetBucket:
            let c = Call(rng.below(2) == 0 ? rng.pick(w.humans) : w.serviceRoles[0], at: t, region: r)
            let bucket = rng.pick(w.buckets)
            let name: StaticString
            if kind == .s3ListBuckets {
                name = "ListBuckets"
            } else {
                let names: [StaticString] = ["GetBucketLocation", "GetBucketAcl", "GetBucketPolicy", "GetBucketEncryption",
                                             "GetBucketVersioning", "GetBucketPublicAccessBlock", "GetBucketTagging", "GetBucketLogging"]
                name = rng.pick(names)
            }
            begin(&o, c, "s3.amazonaws.com", name, error: maybeError("s3.amazonaws.com", name, c.p))
            o.open("requestParameters")
            if kind == .s3ListBuckets {
                o.kv("Host", "s3.\(regionName).amazonaws.com")
            } else {
                o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.\(regionName).amazonaws.com")
                switch name.description {
                case "GetBucketLocation": o.kv("location", "")
                case "GetBucketAcl": o.kv("acl", "")
                case "GetBucketPolicy": o.kv("policy", "")
                case "GetBucketEncryption": o.kv("encryption", "")
                case "GetBucketVersioning": o.kv("versioning", "")
                case "GetBucketPublicAccessBlock": o.kv("publicAccessBlock", "")
                case "GetBucketTagging": o.kv("tagging", "")
                default: o.kv("logging", "")
                }
            }
            o.close()
            o.null("responseElements")
            o.open("additionalEventData")
            o.kv("SignatureVersion", "SigV4"); o.kv("CipherSuite", "TLS_AES_128_GCM_SHA256")
            o.kv("bytesTransferredIn", 0); o.kv("AuthenticationMethod", "AuthHeader")
            o.kv("x-amz-id-2", World.token(&rng, "", 76, World.alnum) + "=")
            o.kv("bytesTransferredOut", rng.range(0, 4000))
            o.close()
            let res: [(type: StaticString, arn: String)] = kind == .s3ListBuckets ? [] : [("AWS::S3::Bucket", "arn:aws:s3:::\(bucket)")]
            finish(&o, c, "s3.amazonaws.com", readOnly: true, resources: res, s3RequestId: true)

        case .iamGet, .iamList:
            let c = Call(rng.below(3) == 0 ? w.serviceRoles[0] : rng.pick(w.humans), at: t, region: r)
            let names: [StaticString] = kind == .iamGet
                ? ["GetRole", "GetUser", "GetPolicy", "GetPolicyVersion", "GetRolePolicy", "ListAttachedRolePolicies", "ListAccessKeys", "GetAccountSummary"]
                : ["ListRoles", "ListUsers", "ListPolicies", "ListGroups", "ListMFADevices", "ListInstanceProfiles"]
            let name = rng.pick(names)
            begin(&o, c, "iam.amazonaws.com", name, error: maybeError("iam.amazonaws.com", name, c.p), awsRegion: "us-east-1")
            switch name.description {
            case "GetRole", "ListAttachedRolePolicies":
                o.open("requestParameters"); o.kv("roleName", rng.pick(w.roles)); o.close()
            case "GetRolePolicy":
                o.open("requestParameters"); o.kv("roleName", rng.pick(w.roles)); o.kv("policyName", "inline-access"); o.close()
            case "GetUser", "ListAccessKeys", "ListMFADevices":
                o.open("requestParameters"); o.kv("userName", rng.pick(w.users)); o.close()
            case "GetPolicy", "GetPolicyVersion":
                o.open("requestParameters"); o.kv("policyArn", "arn:aws:iam::\(acct):policy/\(rng.pick(["ci-deploy-boundary", "s3-exports-read", "kms-usage"]))")
                if name.description == "GetPolicyVersion" { o.kv("versionId", "v\(rng.range(1, 5))") }
                o.close()
            case "ListPolicies":
                o.open("requestParameters"); o.kv("scope", "Local"); o.kv("onlyAttached", false); o.kv("maxItems", 100); o.close()
            default:
                o.null("requestParameters")
            }
            o.null("responseElements")
            finish(&o, c, "iam.amazonaws.com", readOnly: true, awsRegion: "us-east-1")

        case .lambdaRead:
            let c = Call(rng.below(2) == 0 ? rng.pick(w.humans) : w.serviceRoles[0], at: t, region: r)
            let names: [StaticString] = ["ListFunctions20150331", "GetFunction20150331v2", "GetPolicy20150331v2", "ListTags20170331"]
            let name = rng.pick(names)
            begin(&o, c, "lambda.amazonaws.com", name, error: maybeError("lambda.amazonaws.com", name, c.p))
            if name.description == "ListFunctions20150331" {
                o.null("requestParameters")
            } else {
                o.open("requestParameters"); o.kv("functionName", "arn:aws:lambda:\(regionName):\(acct):function:\(rng.pick(assets.functions))"); o.close()
            }
            o.null("responseElements")
            finish(&o, c, "lambda.amazonaws.com", readOnly: true)

        case .lambdaUpdateCode:
            let c = Call(w.humans[2], at: t, region: r)
            let fn = rng.pick(assets.functions)
            begin(&o, c, "lambda.amazonaws.com", "UpdateFunctionCode20150331v2", error: maybeError("lambda.amazonaws.com", "UpdateFunctionCode20150331v2", c.p))
            o.open("requestParameters"); o.kv("functionName", fn); o.kv("publish", true); o.kv("dryRun", false)
            o.kv("s3Bucket", "acme-lambda-artifacts"); o.kv("s3Key", "\(fn)/\(World.hexId(&rng, "", 40)).zip"); o.close()
            o.open("responseElements")
            o.kv("functionName", fn); o.kv("functionArn", "arn:aws:lambda:\(regionName):\(acct):function:\(fn):\(rng.range(10, 300))")
            o.kv("runtime", "nodejs18.x"); o.kv("role", "arn:aws:iam::\(acct):role/\(fn)-role"); o.kv("handler", "index.handler")
            o.kv("codeSize", rng.range(100_000, 9_000_000)); o.kv("description", ""); o.kv("timeout", 30); o.kv("memorySize", 512)
            o.kv("lastModified", "2025-03-01T12:00:00.000+0000"); o.kv("codeSha256", World.token(&rng, "", 43, World.alnum) + "=")
            o.kv("version", "\(rng.range(10, 300))"); o.null("kMSKeyArn"); o.kv("state", "Pending"); o.kv("packageType", "Zip")
            o.openArray("architectures"); o.element("x86_64"); o.closeArray()
            o.close()
            finish(&o, c, "lambda.amazonaws.com", readOnly: false)

        case .logsCreateLogStream:
            let fn = rng.below(4)
            let c = Call(w.workloads[fn], at: t, region: r)
            begin(&o, c, "logs.amazonaws.com", "CreateLogStream", error: maybeError("logs.amazonaws.com", "CreateLogStream", c.p))
            o.open("requestParameters")
            o.kv("logGroupName", "/aws/lambda/\(assets.functions[fn])")
            let d = CivilTime(t)
            o.kv("logStreamName", "\(d.datePath)/[$LATEST]\(World.hexId(&rng, "", 32))")
            o.close()
            o.null("responseElements")
            finish(&o, c, "logs.amazonaws.com", readOnly: false)

        case .logsDescribe, .logsFilter:
            let c = Call(rng.pick(w.humans), at: t, region: r)
            let name: StaticString = kind == .logsFilter ? "FilterLogEvents" : (rng.below(2) == 0 ? "DescribeLogGroups" : "DescribeLogStreams")
            begin(&o, c, "logs.amazonaws.com", name, error: maybeError("logs.amazonaws.com", name, c.p))
            o.open("requestParameters")
            if kind == .logsFilter {
                o.kv("logGroupName", "/aws/lambda/\(rng.pick(assets.functions))")
                o.kv("startTime", Int(t) - 3_600_000); o.kv("endTime", Int(t))
                o.kv("filterPattern", rng.pick(["ERROR", "\"Task timed out\"", "{ $.level = \"error\" }", "?Exception ?Traceback"]))
                o.kv("interleaved", true)
            } else if name.description == "DescribeLogStreams" {
                o.kv("logGroupName", "/aws/lambda/\(rng.pick(assets.functions))"); o.kv("orderBy", "LastEventTime"); o.kv("descending", true)
            } else {
                o.kv("logGroupNamePrefix", "/aws/lambda/"); o.kv("limit", 50)
            }
            o.close()
            o.null("responseElements")
            finish(&o, c, "logs.amazonaws.com", readOnly: true)

        case .cwDescribeAlarms, .cwGetMetricData:
            let c = Call(kind == .cwGetMetricData ? (rng.below(3) == 0 ? w.workloads.last! : w.humans[4]) : rng.pick(w.humans), at: t, region: r)
            let name: StaticString = kind == .cwGetMetricData ? "GetMetricData" : "DescribeAlarms"
            begin(&o, c, "monitoring.amazonaws.com", name, error: maybeError("monitoring.amazonaws.com", name, c.p))
            o.open("requestParameters")
            if kind == .cwGetMetricData {
                o.openArray("metricDataQueries")
                for i in 0..<rng.range(1, 3) {
                    o.element(); o.kv("id", "m\(i)")
                    o.open("metricStat"); o.open("metric"); o.kv("namespace", rng.pick(["AWS/Lambda", "AWS/EC2", "AWS/DynamoDB"]))
                    o.kv("metricName", rng.pick(["Duration", "Errors", "CPUUtilization", "ConsumedReadCapacityUnits"]))
                    o.openArray("dimensions"); o.element(); o.kv("name", "FunctionName"); o.kv("value", rng.pick(assets.functions)); o.close(); o.closeArray()
                    o.close(); o.kv("period", 60); o.kv("stat", "Average"); o.close()
                    o.kv("returnData", true)
                    o.close()
                }
                o.closeArray()
                o.kv("startTime", "Mar 1, 2025, 11:00:00 AM"); o.kv("endTime", "Mar 1, 2025, 12:00:00 PM")
            } else {
                o.kv("maxRecords", 100); o.openArray("alarmTypes"); o.element("CompositeAlarm"); o.element("MetricAlarm"); o.closeArray()
            }
            o.close()
            o.null("responseElements")
            finish(&o, c, "monitoring.amazonaws.com", readOnly: true)

        case .dynamoDescribe, .dynamoList:
            let c = Call(rng.pick(w.workloads), at: t, region: r)
            let name: StaticString = kind == .dynamoList ? "ListTables" : (rng.below(4) == 0 ? "DescribeTimeToLive" : "DescribeTable")
            begin(&o, c, "dynamodb.amazonaws.com", name, error: maybeError("dynamodb.amazonaws.com", name, c.p))
            let table = rng.pick(assets.tables)
            if kind == .dynamoList { o.null("requestParameters") } else { o.open("requestParameters"); o.kv("tableName", table); o.close() }
            o.null("responseElements")
            let res: [(type: StaticString, arn: String)] = kind == .dynamoList ? [] : [("AWS::DynamoDB::Table", "arn:aws:dynamodb:\(regionName):\(acct):table/\(table)")]
            finish(&o, c, "dynamodb.amazonaws.com", readOnly: true, resources: res)

        case .secretsGet:
            let c = Call(rng.pick(w.workloads), at: t, region: r)
            getSecretValue(&o, c, error: maybeError("secretsmanager.amazonaws.com", "GetSecretValue", c.p))

        case .ecrAuthToken:
            let c = Call(w.workloads[4 + rng.below(3)], at: t, region: r)
            begin(&o, c, "ecr.amazonaws.com", "GetAuthorizationToken", error: nil)
            o.open("requestParameters"); o.open("registryIds"); o.close(); o.close()
            o.null("responseElements")
            finish(&o, c, "ecr.amazonaws.com", readOnly: true)

        case .elbDescribe:
            let c = Call(rng.below(2) == 0 ? w.services[7] : rng.pick(w.humans), at: t, region: r)
            begin(&o, c, "elasticloadbalancing.amazonaws.com", "DescribeTargetHealth", error: nil)
            o.open("requestParameters")
            o.kv("targetGroupArn", "arn:aws:elasticloadbalancing:\(regionName):\(acct):targetgroup/web-tg/\(World.hexId(&rng, "", 16))")
            o.close()
            o.null("responseElements")
            finish(&o, c, "elasticloadbalancing.amazonaws.com", readOnly: true)

        case .consoleLoginMFA:
            let p = rng.pick(w.consoleHumans)
            consoleLogin(&o, Call(p, at: t, region: r), success: true, mfa: true)

        case .autoscalingDescribe:
            let c = Call(rng.below(2) == 0 ? w.humans[2] : w.serviceRoles[1], at: t, region: r)
            let name: StaticString = rng.below(2) == 0 ? "DescribeAutoScalingGroups" : "DescribeScalingActivities"
            begin(&o, c, "autoscaling.amazonaws.com", name, error: maybeError("autoscaling.amazonaws.com", name, c.p))
            o.open("requestParameters"); o.openArray("autoScalingGroupNames"); o.element("web-asg"); o.closeArray(); o.close()
            o.null("responseElements")
            finish(&o, c, "autoscaling.amazonaws.com", readOnly: true)

        case .cloudtrailRead:
            let c = Call(rng.below(2) == 0 ? w.serviceRoles[0] : rng.pick(w.humans), at: t, region: r)
            let names: [StaticString] = ["DescribeTrails", "GetTrailStatus", "GetEventSelectors", "LookupEvents"]
            let name = rng.pick(names)
            begin(&o, c, "cloudtrail.amazonaws.com", name, error: nil)
            o.open("requestParameters")
            switch name.description {
            case "DescribeTrails": o.kv("includeShadowTrails", false)
            case "LookupEvents":
                o.openArray("lookupAttributes"); o.element(); o.kv("attributeKey", "EventName"); o.kv("attributeValue", "ConsoleLogin"); o.close(); o.closeArray()
                o.kv("maxResults", 50)
            default: o.kv("name", "arn:aws:cloudtrail:us-east-1:\(acct):trail/\(config.trailName)")
            }
            o.close()
            o.null("responseElements")
            finish(&o, c, "cloudtrail.amazonaws.com", readOnly: true)

        case .guarddutyRead:
            let c = Call(rng.below(2) == 0 ? w.serviceRoles[2] : rng.pick(w.humans), at: t, region: r)
            let name: StaticString = rng.below(2) == 0 ? "ListDetectors" : "ListFindings"
            begin(&o, c, "guardduty.amazonaws.com", name, error: nil)
            if name.description == "ListDetectors" { o.null("requestParameters") } else {
                o.open("requestParameters"); o.kv("detectorId", assets.detector); o.kv("maxResults", 50)
                o.open("findingCriteria"); o.open("criterion"); o.open("service.archived"); o.openArray("eq"); o.element("false"); o.closeArray(); o.close(); o.close(); o.close()
                o.close()
            }
            o.null("responseElements")
            finish(&o, c, "guardduty.amazonaws.com", readOnly: true)

        case .rdsDescribe:
            let c = Call(rng.below(2) == 0 ? w.workloads.last! : rng.pick(w.humans), at: t, region: r)
            let name: StaticString = rng.below(3) == 0 ? "DescribeDBSnapshots" : "DescribeDBInstances"
            begin(&o, c, "rds.amazonaws.com", name, error: maybeError("rds.amazonaws.com", name, c.p))
            if rng.below(2) == 0 { o.null("requestParameters") } else {
                o.open("requestParameters"); o.kv("dBInstanceIdentifier", rng.pick(assets.dbInstances)); o.close()
            }
            o.null("responseElements")
            finish(&o, c, "rds.amazonaws.com", readOnly: true)

        case .federatedGet:
            let c = Call(w.federated, at: t, region: r)
            begin(&o, c, "s3.amazonaws.com", "GetBucketLocation", error: nil)
            let bucket = w.buckets[4]
            o.open("requestParameters"); o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.\(regionName).amazonaws.com"); o.kv("location", ""); o.close()
            o.null("responseElements")
            finish(&o, c, "s3.amazonaws.com", readOnly: true, resources: [("AWS::S3::Bucket", "arn:aws:s3:::\(bucket)")], s3RequestId: true)
        }
    }

    mutating func getSecretValue(_ o: inout JSONOut, _ c: Call, error: SynthError?) {
        let secret = rng.pick(assets.secrets)
        begin(&o, c, "secretsmanager.amazonaws.com", "GetSecretValue", error: error)
        o.open("requestParameters"); o.kv("secretId", secret); o.close()
        o.null("responseElements")
        finish(&o, c, "secretsmanager.amazonaws.com", readOnly: true,
               resources: [("AWS::SecretsManager::Secret", "arn:aws:secretsmanager:\(regionName):\(acct):secret:\(secret)-\(World.token(&rng, "", 6, World.alnum))")])
    }

    mutating func consoleLogin(_ o: inout JSONOut, _ c: Call, success: Bool, mfa: Bool) {
        let error = success ? nil : SynthError(code: "", message: "Failed authentication")
        o.byte(0x7B)
        o.kv("eventVersion", "1.09")
        identity(&o, c.p, time: c.time, noKey: true)
        o.key("eventTime"); o.isoTime(c.time)
        o.kv("eventSource", "signin.amazonaws.com"); o.kv("eventName", "ConsoleLogin"); o.kv("awsRegion", "us-east-1")
        o.kv("sourceIPAddress", c.ip); o.kv("userAgent", c.ua)
        if let e = error { o.kv("errorMessage", e.message) }
        o.null("requestParameters")
        o.open("responseElements"); o.kv("ConsoleLogin", success ? "Success" : "Failure"); o.close()
        o.open("additionalEventData")
        o.kv("LoginTo", "https://console.aws.amazon.com/console/home?hashArgs=%23&isauthcode=true&state=hashArgsFromTB_us-east-1_\(World.hexId(&rng, "", 16))")
        o.kv("MobileVersion", "No"); o.kv("MFAUsed", mfa ? "Yes" : "No")
        if mfa { o.kv("MfaType", "Virtual MFA") }
        o.close()
        o.key("eventID"); o.uuid(&rng)
        o.kv("readOnly", false); o.kv("eventType", "AwsConsoleSignIn"); o.kv("managementEvent", true)
        o.kv("recipientAccountId", acct); o.kv("eventCategory", "Management")
        o.open("tlsDetails"); o.kv("tlsVersion", "TLSv1.3"); o.kv("cipherSuite", "TLS_AES_128_GCM_SHA256")
        o.kv("clientProvidedHostHeader", "signin.aws.amazon.com"); o.close()
        o.close()
    }
}
