// The security-relevant menu (what detection rules exist for) and the large records.

enum SecurityKind: CaseIterable {
    case stopLogging, deleteTrail, updateTrail, putEventSelectors, sgIngressV4, sgIngressV6, consoleNoMFA, consoleFailure
    case rootActivity, rootConsoleLogin, createAccessKeyOther, createUser, attachUserPolicyAdmin, attachRolePolicyAdmin
    case putUserPolicyAdmin, putBucketPolicyPublic, putBucketAclAllUsers, deletePublicAccessBlock, deleteBucket, disableKey
    case scheduleKeyDeletion, deleteDetector, stopConfigurationRecorder, deleteFlowLogs, modifySnapshotPublic
    case modifyImagePublic, modifyDBSnapshotPublic, createLoginProfileOther, updateAssumeRolePolicyExternal
    case terminateInstances, deleteDBInstance, networkAclAllowAll, leaveOrganization, getSecretValueBurst
    case deactivateMFADevice, disableEbsEncryption, lambdaPublicPermission, ssmSendCommand, deleteLogGroup, getPasswordData
}

/// Policy documents as CloudTrail shows them for IAM: a JSON string, usually pretty-printed by the client.
struct Statement {
    var sid: String?
    var effect = "Allow"
    var principal: String?          // JSON text, e.g. `"*"` or `{"AWS": "arn:…"}`
    var actions: [String]
    var resources: [String] = []
    var condition: String?          // JSON text
}

func policyDocument(_ statements: [Statement], pretty: Bool = true) -> String {
    let nl = pretty ? "\n" : "", i1 = pretty ? "    " : "", i2 = pretty ? "        " : "", i3 = pretty ? "            " : ""
    let sp = pretty ? " " : ""
    func list(_ xs: [String], _ indent: String) -> String {
        if xs.count == 1 { return "\"\(xs[0])\"" }
        return "[" + nl + xs.map { indent + i1 + "\"\($0)\"" }.joined(separator: "," + nl) + nl + indent + "]"
    }
    var s = "{" + nl + i1 + "\"Version\":\(sp)\"2012-10-17\"," + nl + i1 + "\"Statement\":\(sp)[" + nl
    s += statements.map { st -> String in
        var fields: [String] = []
        if let sid = st.sid { fields.append("\"Sid\":\(sp)\"\(sid)\"") }
        fields.append("\"Effect\":\(sp)\"\(st.effect)\"")
        if let p = st.principal { fields.append("\"Principal\":\(sp)\(p)") }
        fields.append("\"Action\":\(sp)" + list(st.actions, i3))
        if !st.resources.isEmpty { fields.append("\"Resource\":\(sp)" + list(st.resources, i3)) }
        if let c = st.condition { fields.append("\"Condition\":\(sp)\(c)") }
        return i2 + "{" + nl + fields.map { i3 + $0 }.joined(separator: "," + nl) + nl + i2 + "}"
    }.joined(separator: "," + nl)
    return s + nl + i1 + "]" + nl + "}"
}

extension SynthGenerator {
    static let adminPolicy = "arn:aws:iam::aws:policy/AdministratorAccess"

    mutating func securityActor() -> Principal {
        switch rng.below(10) {
        case 0..<4: return world.humans[rng.below(world.humans.count)]
        case 4..<6: return world.consoleHumans[rng.below(world.consoleHumans.count)]
        case 6: return world.workloads[world.workloads.count - 2]
        default: return world.humans[rng.below(3)]
        }
    }

    mutating func security(_ o: inout JSONOut, _ kind: SecurityKind) {
        var kind = kind
        // Global-service events only exist in us-east-1 files.
        let globalKinds: Set<SecurityKind> = [.consoleNoMFA, .consoleFailure, .rootConsoleLogin, .rootActivity, .createAccessKeyOther,
                                              .createUser, .attachUserPolicyAdmin, .attachRolePolicyAdmin, .putUserPolicyAdmin,
                                              .createLoginProfileOther, .updateAssumeRolePolicyExternal, .leaveOrganization, .deactivateMFADevice]
        if regionName != "us-east-1" && globalKinds.contains(kind) { kind = .sgIngressV4 }
        let p = securityActor()
        let c = Call(p, at: clockMs, region: region)
        let w = world
        // One in ten attempts fails: the near miss a rule must not alert on.
        let fail = rng.below(10) == 0
        func denied(_ src: StaticString, _ name: StaticString) -> SynthError? {
            fail ? SynthError(code: "AccessDenied", message: "User: \(p.arn) is not authorized to perform: \(src.description.prefix { $0 != "." }):\(name) because no identity-based policy allows the action") : nil
        }
        switch kind {
        case .stopLogging: stopLogging(&o, c, error: denied("cloudtrail.amazonaws.com", "StopLogging"))
        case .deleteTrail: deleteTrail(&o, c, error: denied("cloudtrail.amazonaws.com", "DeleteTrail"))
        case .updateTrail:
            begin(&o, c, "cloudtrail.amazonaws.com", "UpdateTrail", error: nil)
            let bucket = "trail-archive-\(rng.range(1000, 9999))"
            let multi = rng.below(2) == 0
            o.open("requestParameters"); o.kv("name", config.trailName)
            if multi { o.kv("isMultiRegionTrail", false); o.kv("includeGlobalServiceEvents", false) } else { o.kv("s3BucketName", bucket) }
            o.close()
            o.open("responseElements"); o.kv("name", config.trailName); o.kv("s3BucketName", multi ? config.bucket : bucket)
            o.kv("includeGlobalServiceEvents", !multi); o.kv("isMultiRegionTrail", !multi)
            o.kv("trailARN", "arn:aws:cloudtrail:\(regionName):\(acct):trail/\(config.trailName)"); o.kv("logFileValidationEnabled", true)
            o.kv("isOrganizationTrail", false); o.close()
            finish(&o, c, "cloudtrail.amazonaws.com", readOnly: false)
        case .putEventSelectors:
            begin(&o, c, "cloudtrail.amazonaws.com", "PutEventSelectors", error: nil)
            o.open("requestParameters"); o.kv("trailName", config.trailName)
            o.openArray("eventSelectors"); o.element(); o.kv("readWriteType", rng.below(2) == 0 ? "All" : "ReadOnly")
            o.kv("includeManagementEvents", false); o.openArray("dataResources"); o.closeArray()
            o.openArray("excludeManagementEventSources"); o.closeArray(); o.close(); o.closeArray()
            o.close()
            o.open("responseElements"); o.kv("trailARN", "arn:aws:cloudtrail:\(regionName):\(acct):trail/\(config.trailName)")
            o.openArray("eventSelectors"); o.element(); o.kv("readWriteType", "All"); o.kv("includeManagementEvents", false)
            o.openArray("dataResources"); o.closeArray(); o.close(); o.closeArray(); o.close()
            finish(&o, c, "cloudtrail.amazonaws.com", readOnly: false)
        case .sgIngressV4, .sgIngressV6:
            authorizeIngress(&o, c, group: rng.pick(assets.securityGroups), port: rng.pick([22, 3389, 5432, 6379, 0]),
                             v6: kind == .sgIngressV6, position: rng.below(3), error: denied("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress"))
        case .consoleNoMFA:
            var p = rng.pick(w.consoleHumans)
            if p.kind == .assumedRole { p = w.consoleHumans[0] }
            consoleLogin(&o, Call(p, at: clockMs, region: region, ip: World.publicIPv4(&rng)), success: true, mfa: false)
        case .consoleFailure:
            consoleLogin(&o, Call(w.consoleHumans[0], at: clockMs, region: region, ip: World.publicIPv4(&rng)), success: false, mfa: false)
        case .rootConsoleLogin:
            consoleLogin(&o, Call(w.root, at: clockMs, region: region), success: rng.below(3) != 0, mfa: rng.below(2) == 0)
        case .rootActivity:
            let rc = Call(w.root, at: clockMs, region: region, ua: "console.amazonaws.com")
            let names: [StaticString] = ["GetAccountSummary", "ListUsers", "GetAccountPasswordPolicy", "ListAccessKeys"]
            let name = rng.pick(names)
            begin(&o, rc, "iam.amazonaws.com", name, error: nil, awsRegion: "us-east-1")
            o.null("requestParameters"); o.null("responseElements")
            finish(&o, rc, "iam.amazonaws.com", readOnly: true, awsRegion: "us-east-1")
        case .createAccessKeyOther:
            createAccessKey(&o, c, user: rng.pick(w.users.filter { $0 != p.name }), error: denied("iam.amazonaws.com", "CreateAccessKey"))
        case .createUser:
            createUser(&o, c, user: rng.pick(["svc-reporting", "temp-contractor", "backup-2", "jenkins"]), error: nil)
        case .attachUserPolicyAdmin:
            attachPolicy(&o, c, user: rng.pick(w.users), role: nil, error: denied("iam.amazonaws.com", "AttachUserPolicy"))
        case .attachRolePolicyAdmin:
            attachPolicy(&o, c, user: nil, role: rng.pick(w.roles), error: nil)
        case .putUserPolicyAdmin:
            begin(&o, c, "iam.amazonaws.com", "PutUserPolicy", error: nil, awsRegion: "us-east-1")
            o.open("requestParameters"); o.kv("userName", rng.pick(w.users)); o.kv("policyName", "full-access")
            o.kv("policyDocument", policyDocument([Statement(effect: "Allow", actions: ["*"], resources: ["*"])], pretty: rng.below(2) == 0))
            o.close(); o.null("responseElements")
            finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
        case .putBucketPolicyPublic:
            putBucketPolicy(&o, c, bucket: rng.pick(w.buckets), error: denied("s3.amazonaws.com", "PutBucketPolicy"))
        case .putBucketAclAllUsers:
            let bucket = rng.pick(w.buckets)
            begin(&o, c, "s3.amazonaws.com", "PutBucketAcl", error: nil)
            o.open("requestParameters"); o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.amazonaws.com"); o.kv("acl", "")
            o.open("AccessControlPolicy"); o.open("AccessControlList"); o.openArray("Grant")
            o.element(); o.open("Grantee"); o.kv("xsi:type", "CanonicalUser"); o.kv("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
            o.kv("ID", World.hexId(&rng, "", 64)); o.close(); o.kv("Permission", "FULL_CONTROL"); o.close()
            o.element(); o.open("Grantee"); o.kv("xsi:type", "Group"); o.kv("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance")
            o.kv("URI", rng.below(3) == 0 ? "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" : "http://acs.amazonaws.com/groups/global/AllUsers")
            o.close(); o.kv("Permission", "READ"); o.close()
            o.closeArray(); o.close()
            o.kv("xmlns", "http://s3.amazonaws.com/doc/2006-03-01/"); o.open("Owner"); o.kv("ID", World.hexId(&rng, "", 64)); o.close()
            o.close(); o.close()
            o.null("responseElements")
            finish(&o, c, "s3.amazonaws.com", readOnly: false, resources: [("AWS::S3::Bucket", "arn:aws:s3:::\(bucket)")], s3RequestId: true)
        case .deletePublicAccessBlock:
            let bucket = rng.pick(w.buckets)
            begin(&o, c, "s3.amazonaws.com", "DeleteBucketPublicAccessBlock", error: nil)
            o.open("requestParameters"); o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.amazonaws.com"); o.kv("publicAccessBlock", ""); o.close()
            o.null("responseElements")
            finish(&o, c, "s3.amazonaws.com", readOnly: false, resources: [("AWS::S3::Bucket", "arn:aws:s3:::\(bucket)")], s3RequestId: true)
        case .deleteBucket:
            let bucket = rng.pick(w.buckets)
            begin(&o, c, "s3.amazonaws.com", "DeleteBucket", error: denied("s3.amazonaws.com", "DeleteBucket"))
            o.open("requestParameters"); o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.\(regionName).amazonaws.com"); o.close()
            o.null("responseElements")
            finish(&o, c, "s3.amazonaws.com", readOnly: false, resources: [("AWS::S3::Bucket", "arn:aws:s3:::\(bucket)")], s3RequestId: true)
        case .disableKey:
            let key = rng.pick(assets.kmsKeys)
            begin(&o, c, "kms.amazonaws.com", "DisableKey", error: nil)
            o.open("requestParameters"); o.kv("keyId", key); o.close(); o.null("responseElements")
            finish(&o, c, "kms.amazonaws.com", readOnly: false, resources: [("AWS::KMS::Key", key)])
        case .scheduleKeyDeletion:
            scheduleKeyDeletion(&o, c, key: rng.pick(assets.kmsKeys), error: denied("kms.amazonaws.com", "ScheduleKeyDeletion"))
        case .deleteDetector:
            deleteDetector(&o, c, error: denied("guardduty.amazonaws.com", "DeleteDetector"))
        case .stopConfigurationRecorder:
            begin(&o, c, "config.amazonaws.com", "StopConfigurationRecorder", error: nil)
            o.open("requestParameters"); o.kv("configurationRecorderName", "default"); o.close(); o.null("responseElements")
            finish(&o, c, "config.amazonaws.com", readOnly: false)
        case .deleteFlowLogs:
            begin(&o, c, "ec2.amazonaws.com", "DeleteFlowLogs", error: nil)
            o.open("requestParameters"); o.open("DeleteFlowLogsRequest"); o.open("FlowLogId")
            o.kv("content", rng.pick(assets.flowLogs)); o.kv("tag", 1); o.close(); o.close(); o.close()
            o.open("responseElements"); o.open("DeleteFlowLogsResponse"); o.kv("xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/")
            o.key("requestId"); o.uuid(&rng); o.kv("unsuccessful", ""); o.close(); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)
        case .modifySnapshotPublic:
            modifySnapshotPublic(&o, c, snapshot: rng.pick(assets.snapshots), error: nil)
        case .modifyImagePublic:
            begin(&o, c, "ec2.amazonaws.com", "ModifyImageAttribute", error: nil)
            o.open("requestParameters"); o.kv("imageId", rng.pick(assets.amis))
            o.open("launchPermission"); o.open("add"); o.openArray("items"); o.element(); o.kv("group", "all"); o.close(); o.closeArray(); o.close(); o.close()
            o.kv("attributeType", "launchPermission"); o.close()
            o.open("responseElements"); o.key("requestId"); o.uuid(&rng); o.kv("_return", true); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)
        case .modifyDBSnapshotPublic:
            begin(&o, c, "rds.amazonaws.com", "ModifyDBSnapshotAttribute", error: nil)
            let snap = "\(rng.pick(assets.dbInstances))-final-2025-02-28"
            o.open("requestParameters"); o.kv("dBSnapshotIdentifier", snap); o.kv("attributeName", "restore")
            o.openArray("valuesToAdd"); o.element("all"); o.closeArray(); o.close()
            o.open("responseElements"); o.kv("dBSnapshotIdentifier", snap); o.openArray("dBSnapshotAttributes"); o.element()
            o.kv("attributeName", "restore"); o.openArray("attributeValues"); o.element("all"); o.closeArray(); o.close(); o.closeArray(); o.close()
            finish(&o, c, "rds.amazonaws.com", readOnly: false)
        case .createLoginProfileOther:
            createLoginProfile(&o, c, user: rng.pick(w.users.filter { $0 != p.name }), error: nil)
        case .updateAssumeRolePolicyExternal:
            updateAssumeRolePolicy(&o, c, role: rng.pick(w.roles), external: rng.pick(w.externalAccounts), error: nil)
        case .terminateInstances:
            begin(&o, c, "ec2.amazonaws.com", "TerminateInstances", error: nil)
            let ids = (0..<rng.range(1, 4)).map { _ in rng.pick(assets.instances) }
            o.open("requestParameters"); o.open("instancesSet"); o.openArray("items")
            for id in ids { o.element(); o.kv("instanceId", id); o.close() }
            o.closeArray(); o.close(); o.close()
            o.open("responseElements"); o.key("requestId"); o.uuid(&rng); o.open("instancesSet"); o.openArray("items")
            for id in ids {
                o.element(); o.kv("instanceId", id)
                o.open("currentState"); o.kv("code", 32); o.kv("name", "shutting-down"); o.close()
                o.open("previousState"); o.kv("code", 16); o.kv("name", "running"); o.close(); o.close()
            }
            o.closeArray(); o.close(); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)
        case .deleteDBInstance:
            let db = rng.pick(assets.dbInstances)
            begin(&o, c, "rds.amazonaws.com", "DeleteDBInstance", error: denied("rds.amazonaws.com", "DeleteDBInstance"))
            o.open("requestParameters"); o.kv("dBInstanceIdentifier", db); o.kv("skipFinalSnapshot", true); o.kv("deleteAutomatedBackups", true); o.close()
            o.open("responseElements"); o.kv("dBInstanceIdentifier", db); o.kv("dBInstanceClass", "db.r6g.large"); o.kv("engine", "postgres")
            o.kv("dBInstanceStatus", "deleting"); o.kv("multiAZ", true); o.kv("deletionProtection", false)
            o.kv("dBInstanceArn", "arn:aws:rds:\(regionName):\(acct):db:\(db)"); o.close()
            finish(&o, c, "rds.amazonaws.com", readOnly: false)
        case .networkAclAllowAll:
            begin(&o, c, "ec2.amazonaws.com", "CreateNetworkAclEntry", error: nil)
            o.open("requestParameters"); o.kv("networkAclId", rng.pick(assets.networkAcls)); o.kv("ruleNumber", rng.pick([1, 50, 100]))
            o.kv("egress", false); o.kv("ruleAction", "allow"); o.empty("icmpTypeCode"); o.open("portRange"); o.kv("from", 0); o.kv("to", 65535); o.close()
            o.kv("aclProtocol", "-1"); o.kv("cidrBlock", "0.0.0.0/0"); o.close()
            o.open("responseElements"); o.key("requestId"); o.uuid(&rng); o.kv("_return", true); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)
        case .leaveOrganization:
            leaveOrganization(&o, c, error: denied("organizations.amazonaws.com", "LeaveOrganization"))
        case .getSecretValueBurst:
            burstPrincipal = rng.pick(w.workloads)
            burstLeft = rng.range(8, 18)
            getSecretValue(&o, Call(burstPrincipal!, at: clockMs, region: region), error: nil)
        case .deactivateMFADevice:
            let user = rng.pick(w.users)
            begin(&o, c, "iam.amazonaws.com", "DeactivateMFADevice", error: nil, awsRegion: "us-east-1")
            o.open("requestParameters"); o.kv("userName", user); o.kv("serialNumber", "arn:aws:iam::\(acct):mfa/\(user)"); o.close()
            o.null("responseElements")
            finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
        case .disableEbsEncryption:
            begin(&o, c, "ec2.amazonaws.com", "DisableEbsEncryptionByDefault", error: nil)
            o.open("requestParameters"); o.empty("DisableEbsEncryptionByDefaultRequest"); o.close()
            o.open("responseElements"); o.open("DisableEbsEncryptionByDefaultResponse"); o.kv("xmlns", "http://ec2.amazonaws.com/doc/2016-11-15/")
            o.kv("ebsEncryptionByDefault", false); o.key("requestId"); o.uuid(&rng); o.close(); o.close()
            finish(&o, c, "ec2.amazonaws.com", readOnly: false)
        case .lambdaPublicPermission:
            let fn = rng.pick(assets.functions)
            begin(&o, c, "lambda.amazonaws.com", "AddPermission20150331v2", error: nil)
            o.open("requestParameters"); o.kv("functionName", fn); o.kv("statementId", "public-invoke"); o.kv("action", "lambda:InvokeFunction")
            o.kv("principal", "*"); o.close()
            o.open("responseElements")
            o.kv("statement", "{\"Sid\":\"public-invoke\",\"Effect\":\"Allow\",\"Principal\":\"*\",\"Action\":\"lambda:InvokeFunction\",\"Resource\":\"arn:aws:lambda:\(regionName):\(acct):function:\(fn)\"}")
            o.close()
            finish(&o, c, "lambda.amazonaws.com", readOnly: false)
        case .ssmSendCommand:
            begin(&o, c, "ssm.amazonaws.com", "SendCommand", error: nil)
            o.open("requestParameters"); o.openArray("instanceIds"); o.element(rng.pick(assets.instances)); o.closeArray()
            o.kv("documentName", "AWS-RunShellScript"); o.kv("parameters", "HIDDEN_DUE_TO_SECURITY_REASONS"); o.kv("interactive", false); o.close()
            o.open("responseElements"); o.open("command"); o.kv("commandId", World.hexId(&rng, "", 32)); o.kv("documentName", "AWS-RunShellScript")
            o.kv("status", "Pending"); o.kv("timeoutSeconds", 3600); o.close(); o.close()
            finish(&o, c, "ssm.amazonaws.com", readOnly: false)
        case .deleteLogGroup:
            begin(&o, c, "logs.amazonaws.com", "DeleteLogGroup", error: nil)
            o.open("requestParameters"); o.kv("logGroupName", "/aws/lambda/\(rng.pick(assets.functions))"); o.close(); o.null("responseElements")
            finish(&o, c, "logs.amazonaws.com", readOnly: false)
        case .getPasswordData:
            begin(&o, c, "ec2.amazonaws.com", "GetPasswordData", error: nil)
            o.open("requestParameters"); o.kv("instanceId", rng.pick(assets.instances)); o.close(); o.null("responseElements")
            finish(&o, c, "ec2.amazonaws.com", readOnly: true)
        }
    }

    // MARK: writers shared with the attack scenarios

    mutating func stopLogging(_ o: inout JSONOut, _ c: Call, error: SynthError?) {
        begin(&o, c, "cloudtrail.amazonaws.com", "StopLogging", error: error)
        o.open("requestParameters"); o.kv("name", "arn:aws:cloudtrail:\(regionName):\(acct):trail/\(config.trailName)"); o.close()
        o.null("responseElements")
        finish(&o, c, "cloudtrail.amazonaws.com", readOnly: false)
    }

    mutating func deleteTrail(_ o: inout JSONOut, _ c: Call, error: SynthError?) {
        begin(&o, c, "cloudtrail.amazonaws.com", "DeleteTrail", error: error)
        o.open("requestParameters"); o.kv("name", config.trailName); o.close()
        o.null("responseElements")
        finish(&o, c, "cloudtrail.amazonaws.com", readOnly: false)
    }

    /// `position` 0…2: where the open range sits among the permissions (first, middle, last).
    mutating func authorizeIngress(_ o: inout JSONOut, _ c: Call, group: String, port: Int, v6: Bool, position: Int, error: SynthError?) {
        begin(&o, c, "ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", error: error)
        o.open("requestParameters"); o.kv("groupId", group)
        o.open("ipPermissions"); o.openArray("items")
        let count = max(position + 1, 2)
        for i in 0..<count {
            let open = i == position
            let p = open ? port : rng.pick([443, 80, 8080])
            o.element()
            o.kv("ipProtocol", open && port == 0 ? "-1" : "tcp")
            if !(open && port == 0) { o.kv("fromPort", p); o.kv("toPort", p) }
            o.empty("groups")
            o.open("ipRanges")
            if !open || !v6 {
                o.openArray("items")
                if open {
                    if rng.below(2) == 0 { o.element(); o.kv("cidrIp", "10.20.0.0/16"); o.close() }
                    o.element(); o.kv("cidrIp", "0.0.0.0/0"); o.kv("description", rng.pick(["temp", "debug – à retirer", "vendor access \"urgent\""])); o.close()
                } else {
                    o.element(); o.kv("cidrIp", "10.0.0.0/8"); o.close()
                }
                o.closeArray()
            }
            o.close()
            o.open("ipv6Ranges")
            if open && v6 { o.openArray("items"); o.element(); o.kv("cidrIpv6", "::/0"); o.close(); o.closeArray() }
            o.close()
            o.empty("prefixListIds")
            o.close()
        }
        o.closeArray(); o.close(); o.close()
        if error != nil { o.null("responseElements") } else {
            o.open("responseElements"); o.key("requestId"); o.uuid(&rng); o.kv("_return", true)
            o.open("securityGroupRuleSet"); o.openArray("items"); o.element()
            o.kv("groupOwnerId", acct); o.kv("groupId", group); o.kv("securityGroupRuleId", World.hexId(&rng, "sgr-0", 16))
            o.kv("isEgress", false); o.kv("ipProtocol", port == 0 ? "-1" : "tcp"); o.kv("fromPort", port == 0 ? -1 : port); o.kv("toPort", port == 0 ? -1 : port)
            if v6 { o.kv("cidrIpv6", "::/0") } else { o.kv("cidrIpv4", "0.0.0.0/0") }
            o.close(); o.closeArray(); o.close(); o.close()
        }
        finish(&o, c, "ec2.amazonaws.com", readOnly: false)
    }

    mutating func createAccessKey(_ o: inout JSONOut, _ c: Call, user: String?, error: SynthError?) {
        begin(&o, c, "iam.amazonaws.com", "CreateAccessKey", error: error, awsRegion: "us-east-1")
        if let user { o.open("requestParameters"); o.kv("userName", user); o.close() } else { o.null("requestParameters") }
        if error != nil { o.null("responseElements") } else {
            o.open("responseElements"); o.open("accessKey")
            o.kv("accessKeyId", World.token(&rng, "AKIA", 16)); o.kv("status", "Active")
            if let user { o.kv("userName", user) }
            o.key("createDate"); o.awsTime(c.time); o.close(); o.close()
        }
        finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
    }

    mutating func createUser(_ o: inout JSONOut, _ c: Call, user: String, error: SynthError?) {
        begin(&o, c, "iam.amazonaws.com", "CreateUser", error: error, awsRegion: "us-east-1")
        o.open("requestParameters"); o.kv("userName", user); o.close()
        o.open("responseElements"); o.open("user"); o.kv("path", "/"); o.kv("userName", user)
        o.kv("userId", World.token(&rng, "AIDA", 17)); o.kv("arn", "arn:aws:iam::\(acct):user/\(user)")
        o.key("createDate"); o.awsTime(c.time); o.close(); o.close()
        finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
    }

    mutating func attachPolicy(_ o: inout JSONOut, _ c: Call, user: String?, role: String?, error: SynthError?) {
        begin(&o, c, "iam.amazonaws.com", user != nil ? "AttachUserPolicy" : "AttachRolePolicy", error: error, awsRegion: "us-east-1")
        o.open("requestParameters")
        if let user { o.kv("userName", user) } else if let role { o.kv("roleName", role) }
        o.kv("policyArn", Self.adminPolicy); o.close()
        o.null("responseElements")
        finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
    }

    mutating func putBucketPolicy(_ o: inout JSONOut, _ c: Call, bucket: String, error: SynthError?) {
        begin(&o, c, "s3.amazonaws.com", "PutBucketPolicy", error: error)
        o.open("requestParameters")
        o.open("bucketPolicy"); o.kv("Version", "2012-10-17")
        o.openArray("Statement")
        if rng.below(2) == 0 {
            o.element(); o.kv("Sid", "DenyInsecureTransport"); o.kv("Effect", "Deny"); o.kv("Principal", "*"); o.kv("Action", "s3:*")
            o.openArray("Resource"); o.element("arn:aws:s3:::\(bucket)"); o.element("arn:aws:s3:::\(bucket)/*"); o.closeArray()
            o.open("Condition"); o.open("Bool"); o.kv("aws:SecureTransport", "false"); o.close(); o.close(); o.close()
        }
        o.element(); o.kv("Sid", "PublicRead"); o.kv("Effect", "Allow")
        if rng.below(2) == 0 { o.kv("Principal", "*") } else { o.open("Principal"); o.kv("AWS", "*"); o.close() }
        o.openArray("Action"); o.element("s3:GetObject"); o.element("s3:ListBucket"); o.closeArray()
        o.openArray("Resource"); o.element("arn:aws:s3:::\(bucket)"); o.element("arn:aws:s3:::\(bucket)/*"); o.closeArray()
        o.close()
        o.closeArray(); o.close()
        o.kv("bucketName", bucket); o.kv("Host", "\(bucket).s3.amazonaws.com"); o.kv("policy", "")
        o.close()
        o.null("responseElements")
        o.open("additionalEventData"); o.kv("SignatureVersion", "SigV4"); o.kv("CipherSuite", "TLS_AES_128_GCM_SHA256")
        o.kv("bytesTransferredIn", rng.range(300, 700)); o.kv("AuthenticationMethod", "AuthHeader")
        o.kv("x-amz-id-2", World.token(&rng, "", 76, World.alnum) + "="); o.kv("bytesTransferredOut", 0); o.close()
        finish(&o, c, "s3.amazonaws.com", readOnly: false, resources: [("AWS::S3::Bucket", "arn:aws:s3:::\(bucket)")], s3RequestId: true)
    }

    mutating func scheduleKeyDeletion(_ o: inout JSONOut, _ c: Call, key: String, error: SynthError?) {
        begin(&o, c, "kms.amazonaws.com", "ScheduleKeyDeletion", error: error)
        o.open("requestParameters"); o.kv("keyId", key); o.kv("pendingWindowInDays", 7); o.close()
        if error != nil { o.null("responseElements") } else {
            o.open("responseElements"); o.kv("keyId", key); o.key("deletionDate"); o.awsTime(c.time - c.time % 86_400_000 + 8 * 86_400_000)
            o.kv("keyState", "PendingDeletion"); o.kv("pendingWindowInDays", 7); o.close()
        }
        finish(&o, c, "kms.amazonaws.com", readOnly: false, resources: [("AWS::KMS::Key", key)])
    }

    mutating func deleteDetector(_ o: inout JSONOut, _ c: Call, error: SynthError?) {
        begin(&o, c, "guardduty.amazonaws.com", "DeleteDetector", error: error)
        o.open("requestParameters"); o.kv("detectorId", assets.detector); o.close(); o.null("responseElements")
        finish(&o, c, "guardduty.amazonaws.com", readOnly: false)
    }

    mutating func modifySnapshotPublic(_ o: inout JSONOut, _ c: Call, snapshot: String, error: SynthError?) {
        begin(&o, c, "ec2.amazonaws.com", "ModifySnapshotAttribute", error: error)
        o.open("requestParameters"); o.kv("snapshotId", snapshot)
        o.open("createVolumePermission"); o.open("add"); o.openArray("items"); o.element(); o.kv("group", "all"); o.close(); o.closeArray(); o.close(); o.close()
        o.kv("attributeType", "CREATE_VOLUME_PERMISSION"); o.close()
        o.open("responseElements"); o.key("requestId"); o.uuid(&rng); o.kv("_return", true); o.close()
        finish(&o, c, "ec2.amazonaws.com", readOnly: false)
    }

    mutating func createLoginProfile(_ o: inout JSONOut, _ c: Call, user: String, error: SynthError?) {
        begin(&o, c, "iam.amazonaws.com", "CreateLoginProfile", error: error, awsRegion: "us-east-1")
        o.open("requestParameters"); o.kv("userName", user); o.kv("passwordResetRequired", false); o.close()
        o.open("responseElements"); o.open("loginProfile"); o.kv("userName", user); o.key("createDate"); o.awsTime(c.time)
        o.kv("passwordResetRequired", false); o.close(); o.close()
        finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
    }

    mutating func updateAssumeRolePolicy(_ o: inout JSONOut, _ c: Call, role: String, external: String, error: SynthError?) {
        begin(&o, c, "iam.amazonaws.com", "UpdateAssumeRolePolicy", error: error, awsRegion: "us-east-1")
        let doc = policyDocument([
            Statement(effect: "Allow", principal: "{\"Service\": \"lambda.amazonaws.com\"}", actions: ["sts:AssumeRole"]),
            Statement(sid: "Support", effect: "Allow", principal: "{\"AWS\": \"arn:aws:iam::\(external):root\"}", actions: ["sts:AssumeRole"]),
        ])
        o.open("requestParameters"); o.kv("roleName", role); o.kv("policyDocument", doc); o.close()
        o.null("responseElements")
        finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
    }

    mutating func leaveOrganization(_ o: inout JSONOut, _ c: Call, error: SynthError?) {
        begin(&o, c, "organizations.amazonaws.com", "LeaveOrganization", error: error, awsRegion: "us-east-1")
        o.null("requestParameters"); o.null("responseElements")
        finish(&o, c, "organizations.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
    }

    // MARK: large records

    mutating func large(_ o: inout JSONOut) {
        let w = world
        // IAM is global: its events only appear in us-east-1 files.
        switch regionName == "us-east-1" ? rng.below(10) : 0 {
        case 0..<6: runInstances(&o)
        default:
            let put = rng.below(2) == 0
            let actor = rng.below(2) == 0 ? w.humans[2] : w.workloads[w.workloads.count - 2]
            let c = Call(actor, at: clockMs, region: region)
            let actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket", "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query",
                           "kms:Decrypt", "kms:GenerateDataKey", "sqs:SendMessage", "sqs:ReceiveMessage", "logs:CreateLogStream",
                           "logs:PutLogEvents", "ssm:GetParameter", "secretsmanager:GetSecretValue", "ec2:DescribeInstances"]
            var statements: [Statement] = []
            for i in 0..<rng.range(3, 12) {
                var acts: [String] = []
                for _ in 0..<rng.range(1, 6) { acts.append(rng.pick(actions)) }
                let res = (0..<rng.range(1, 4)).map { _ in "arn:aws:s3:::\(rng.pick(w.buckets))/\(rng.pick(["exports", "raw", "tmp"]))/*" }
                statements.append(Statement(sid: "Stmt\(i)\(rng.range(100_000, 999_999))", actions: acts, resources: res,
                                            condition: rng.below(3) == 0 ? "{\"StringEquals\": {\"aws:RequestedRegion\": [\"us-east-1\", \"eu-west-1\"]}}" : nil))
            }
            let doc = policyDocument(statements, pretty: rng.below(4) != 0)
            let name = "\(rng.pick(assets.functions))-\(rng.pick(["access", "data", "runtime"]))"
            if put {
                begin(&o, c, "iam.amazonaws.com", "PutRolePolicy", error: nil, awsRegion: "us-east-1")
                o.open("requestParameters"); o.kv("roleName", rng.pick(w.roles)); o.kv("policyName", name); o.kv("policyDocument", doc); o.close()
                o.null("responseElements")
                finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
            } else {
                begin(&o, c, "iam.amazonaws.com", "CreatePolicy", error: nil, awsRegion: "us-east-1")
                o.open("requestParameters"); o.kv("policyName", name); o.kv("policyDocument", doc)
                o.kv("description", "Managed by Terraform – ne pas modifier à la main"); o.close()
                o.open("responseElements"); o.open("policy"); o.kv("policyName", name); o.kv("policyId", World.token(&rng, "ANPA", 17))
                o.kv("arn", "arn:aws:iam::\(acct):policy/\(name)"); o.kv("path", "/"); o.kv("defaultVersionId", "v1")
                o.kv("attachmentCount", 0); o.kv("permissionsBoundaryUsageCount", 0); o.kv("isAttachable", true)
                o.key("createDate"); o.awsTime(c.time); o.key("updateDate"); o.awsTime(c.time); o.close(); o.close()
                finish(&o, c, "iam.amazonaws.com", readOnly: false, awsRegion: "us-east-1")
            }
        }
    }

    mutating func runInstances(_ o: inout JSONOut) {
        let w = world
        let actor = [w.humans[2], w.serviceRoles[1], w.workloads[w.workloads.count - 2]][rng.below(3)]
        let c = Call(actor, at: clockMs, region: region)
        let a = assets
        let n = rng.range(1, 8)
        let ami = rng.pick(a.amis), type = rng.pick(["m6i.large", "c7g.xlarge", "t3.medium", "r6i.2xlarge"])
        let subnet = rng.pick(a.subnets), sg = rng.pick(a.securityGroups), az = rng.pick(a.azs)
        begin(&o, c, "ec2.amazonaws.com", "RunInstances", error: nil)
        o.open("requestParameters")
        o.open("instancesSet"); o.openArray("items"); o.element(); o.kv("imageId", ami); o.kv("minCount", n); o.kv("maxCount", n); o.close(); o.closeArray(); o.close()
        o.kv("userData", "<sensitiveDataRemoved>"); o.kv("instanceType", type)
        o.open("blockDeviceMapping"); o.openArray("items"); o.element(); o.kv("deviceName", "/dev/xvda")
        o.open("ebs"); o.kv("volumeSize", 50); o.kv("deleteOnTermination", true); o.kv("volumeType", "gp3"); o.kv("encrypted", true); o.close()
        o.close(); o.closeArray(); o.close()
        o.open("monitoring"); o.kv("enabled", false); o.close(); o.kv("disableApiTermination", false); o.kv("disableApiStop", false)
        o.kv("clientToken", "terraform-\(World.hexId(&rng, "", 26))")
        o.open("networkInterfaceSet"); o.openArray("items"); o.element(); o.kv("deviceIndex", 0); o.kv("subnetId", subnet)
        o.open("groupSet"); o.openArray("items"); o.element(); o.kv("groupId", sg); o.close(); o.closeArray(); o.close(); o.close(); o.closeArray(); o.close()
        o.open("iamInstanceProfile"); o.kv("arn", "arn:aws:iam::\(acct):instance-profile/web-ec2-profile"); o.close()
        o.kv("ebsOptimized", true)
        o.open("tagSpecificationSet"); o.openArray("items"); o.element(); o.kv("resourceType", "instance")
        o.openArray("tags"); o.element(); o.kv("key", "Name"); o.kv("value", "web-\(az)"); o.close()
        o.element(); o.kv("key", "Description"); o.kv("value", "Serveur web \"front\" – équipe plateforme"); o.close(); o.closeArray(); o.close(); o.closeArray(); o.close()
        o.open("metadataOptions"); o.kv("httpTokens", "required"); o.kv("httpPutResponseHopLimit", 2); o.kv("httpEndpoint", "enabled"); o.close()
        o.close()

        o.open("responseElements")
        o.key("requestId"); o.uuid(&rng)
        o.kv("reservationId", World.hexId(&rng, "r-0", 16)); o.kv("ownerId", acct)
        o.empty("groupSet")
        o.open("instancesSet"); o.openArray("items")
        for i in 0..<n {
            let id = World.hexId(&rng, "i-0", 16), eni = World.hexId(&rng, "eni-0", 16)
            let ip = "10.0.\(rng.range(0, 3)).\(rng.range(4, 250))"
            let dns = "ip-\(ip.replacing(".", with: "-")).\(regionName == "us-east-1" ? "ec2.internal" : "\(regionName).compute.internal")"
            o.element()
            o.kv("instanceId", id); o.kv("imageId", ami); o.kv("currentInstanceBootMode", "uefi")
            o.open("instanceState"); o.kv("code", 0); o.kv("name", "pending"); o.close()
            o.kv("privateDnsName", dns); o.kv("amiLaunchIndex", i); o.empty("productCodes"); o.kv("instanceType", type)
            o.kv("launchTime", Int(c.time)); o.open("placement"); o.kv("availabilityZone", az); o.kv("tenancy", "default"); o.close()
            o.open("monitoring"); o.kv("state", "disabled"); o.close(); o.kv("subnetId", subnet); o.kv("vpcId", a.vpc)
            o.kv("privateIpAddress", ip)
            o.open("stateReason"); o.kv("code", "pending"); o.kv("message", "pending"); o.close()
            o.kv("architecture", "x86_64"); o.kv("rootDeviceType", "ebs"); o.kv("rootDeviceName", "/dev/xvda")
            o.empty("blockDeviceMapping"); o.kv("virtualizationType", "hvm"); o.kv("hypervisor", "xen")
            o.open("tagSet"); o.openArray("items"); o.element(); o.kv("key", "Name"); o.kv("value", "web-\(az)"); o.close()
            o.element(); o.kv("key", "aws:ec2launchtemplate:version"); o.kv("value", "\(rng.range(1, 40))"); o.close(); o.closeArray(); o.close()
            o.kv("clientToken", "terraform-\(World.hexId(&rng, "", 26))")
            o.open("groupSet"); o.openArray("items"); o.element(); o.kv("groupId", sg); o.kv("groupName", "web"); o.close(); o.closeArray(); o.close()
            o.kv("sourceDestCheck", true)
            o.open("networkInterfaceSet"); o.openArray("items"); o.element()
            o.kv("networkInterfaceId", eni); o.kv("subnetId", subnet); o.kv("vpcId", a.vpc); o.kv("ownerId", acct); o.kv("status", "in-use")
            o.kv("macAddress", "0a:\(World.hexId(&rng, "", 2)):\(World.hexId(&rng, "", 2)):\(World.hexId(&rng, "", 2)):9e:01")
            o.kv("privateIpAddress", ip); o.kv("privateDnsName", dns); o.kv("sourceDestCheck", true); o.kv("interfaceType", "interface")
            o.open("groupSet"); o.openArray("items"); o.element(); o.kv("groupId", sg); o.kv("groupName", "web"); o.close(); o.closeArray(); o.close()
            o.open("attachment"); o.kv("attachmentId", World.hexId(&rng, "eni-attach-0", 16)); o.kv("deviceIndex", 0); o.kv("networkCardIndex", 0)
            o.kv("status", "attaching"); o.kv("attachTime", Int(c.time)); o.kv("deleteOnTermination", true); o.close()
            o.open("privateIpAddressesSet"); o.openArray("item"); o.element(); o.kv("privateIpAddress", ip); o.kv("privateDnsName", dns)
            o.kv("primary", true); o.close(); o.closeArray(); o.close()
            o.empty("ipv6AddressesSet"); o.empty("tagSet")
            o.close(); o.closeArray(); o.close()
            o.kv("ebsOptimized", true); o.kv("enaSupport", true)
            o.open("cpuOptions"); o.kv("coreCount", 1); o.kv("threadsPerCore", 2); o.close()
            o.open("capacityReservationSpecification"); o.kv("capacityReservationPreference", "open"); o.close()
            o.open("enclaveOptions"); o.kv("enabled", false); o.close()
            o.open("metadataOptions"); o.kv("state", "pending"); o.kv("httpTokens", "required"); o.kv("httpPutResponseHopLimit", 2)
            o.kv("httpEndpoint", "enabled"); o.kv("httpProtocolIpv4", "enabled"); o.kv("httpProtocolIpv6", "disabled")
            o.kv("instanceMetadataTags", "disabled"); o.close()
            o.open("maintenanceOptions"); o.kv("autoRecovery", "default"); o.close()
            o.open("privateDnsNameOptions"); o.kv("hostnameType", "ip-name"); o.kv("enableResourceNameDnsARecord", false)
            o.kv("enableResourceNameDnsAAAARecord", false); o.close()
            o.close()
        }
        o.closeArray(); o.close()
        o.kv("requesterId", "940372691376")
        o.close()
        finish(&o, c, "ec2.amazonaws.com", readOnly: false)
    }
}
