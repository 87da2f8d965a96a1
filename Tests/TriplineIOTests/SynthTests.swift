import Foundation
import Testing
import TriplineSynth

/// TriplineSynth: determinism, validity, mix, key layout, speed, and the bundled samples.
///
/// The samples in `samples/` are produced by `SynthTests.samples`; `samplesMatchGenerator` regenerates them in
/// memory and compares with the committed files (decompressed, so gzip versions do not matter). To rewrite them:
///
///     TRIPLINE_REGENERATE_SAMPLES=1 swift test --filter SynthTests
@Suite struct SynthTests {
    // MARK: determinism

    @Test func sameSeedSameBytes() {
        let a = SynthGenerator(config: SynthConfig(seed: 42, eventsPerFile: 300))
        let b = SynthGenerator(config: SynthConfig(seed: 42, eventsPerFile: 300))
        for i in [0, 1, 7] {
            #expect(a.logFile(index: i) == b.logFile(index: i))
            #expect(a.logFileKey(index: i) == b.logFileKey(index: i))
        }
        var s1 = a, s2 = b
        var x: [UInt8] = [], y: [UInt8] = []
        for _ in 0..<2000 { s1.nextRecord(into: &x); s2.nextRecord(into: &y) }
        #expect(x == y)
        #expect(s1.stats == s2.stats)
    }

    @Test func differentSeedDifferentBytes() {
        let a = SynthGenerator(config: SynthConfig(seed: 1, eventsPerFile: 100))
        let b = SynthGenerator(config: SynthConfig(seed: 2, eventsPerFile: 100))
        #expect(a.logFile(index: 0) != b.logFile(index: 0))
        #expect(a.logFileKey(index: 0) != b.logFileKey(index: 0))
        #expect(a.logFile(index: 0) != a.logFile(index: 1))
    }

    /// A pinned fingerprint: a change here means every machine's output changed (benchmarks and samples drift).
    @Test func outputIsStableAcrossMachines() {
        let file = SynthGenerator(config: SynthConfig(seed: 7, eventsPerFile: 50)).logFile(index: 3)
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in file { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        print("synth fingerprint seed 7 file 3: \(String(h, radix: 16)) (\(file.count) bytes)")
        #expect(file.count > 20_000)
    }

    // MARK: validity

    @Test func everyRecordIsValidJSON() throws {
        let gen = SynthGenerator(config: SynthConfig(seed: 11, eventsPerFile: 1000, securityRate: 0.05, largeRate: 0.05))
        var records = 0
        for i in 0..<6 {
            let file = gen.logFile(index: i)
            let object = try JSONSerialization.jsonObject(with: Data(file)) as? [String: Any]
            let list = try #require(object?["Records"] as? [[String: Any]])
            #expect(list.count == 1000)
            for r in list { try checkRecord(r) }
            records += list.count
        }
        // One by one, as the benchmark uses it.
        var stream = SynthGenerator(config: SynthConfig(seed: 12, securityRate: 0.05))
        for _ in 0..<3000 {
            var buf: [UInt8] = []
            stream.nextRecord(into: &buf)
            let r = try #require(try JSONSerialization.jsonObject(with: Data(buf)) as? [String: Any])
            try checkRecord(r)
            records += 1
        }
        #expect(records == 9000)
    }

    @Test func escapesAndUnicodeRoundTrip() throws {
        var gen = SynthGenerator(config: SynthConfig(seed: 5))
        var buf: [UInt8] = [UInt8(ascii: "[")]
        for i in 0..<20_000 {
            if i > 0 { buf.append(UInt8(ascii: ",")) }
            gen.nextRecord(into: &buf)
        }
        buf.append(UInt8(ascii: "]"))
        let text = String(decoding: buf, as: UTF8.self)
        #expect(text.contains(#"\/"#))           // escaped solidus
        #expect(text.contains(#"\u00e9"#))       // é written as an escape
        #expect(text.contains("é"))              // and as raw UTF-8
        #expect(text.contains(#"\""#))
        #expect(text.contains(#"\n"#))
        let list = try #require(try JSONSerialization.jsonObject(with: Data(buf)) as? [[String: Any]])
        let names = Set(list.compactMap { ($0["userIdentity"] as? [String: Any])?["arn"] as? String })
        #expect(names.contains { $0.hasSuffix("/josé.garcía@example.com") })
    }

    // MARK: mix

    @Test func mixRatesMatchConfig() throws {
        let config = SynthConfig(seed: 2025, eventsPerFile: 1000)
        let gen = SynthGenerator(config: config)
        var stats = SynthStats()
        var parsedErrors = 0, total = 0
        var types: [String: Int] = [:], names: [String: Int] = [:], sources = Set<String>()
        var readOnly = 0, bytes = 0
        for i in 0..<50 {
            var g = gen.fileGenerator(index: i)
            var file: [UInt8] = Array(#"{"Records":["#.utf8)
            for k in 0..<config.eventsPerFile {
                if k > 0 { file.append(UInt8(ascii: ",")) }
                g.nextRecord(into: &file)
            }
            file += Array("]}".utf8)
            #expect(file == gen.logFile(index: i))
            bytes += file.count
            stats.records += g.stats.records; stats.errors += g.stats.errors
            stats.security += g.stats.security; stats.large += g.stats.large
            let list = try #require((try JSONSerialization.jsonObject(with: Data(file)) as? [String: Any])?["Records"] as? [[String: Any]])
            for r in list {
                total += 1
                if r["errorCode"] != nil { parsedErrors += 1 }
                if r["readOnly"] as? Bool == true { readOnly += 1 }
                types[(r["userIdentity"] as? [String: Any])?["type"] as? String ?? "?", default: 0] += 1
                names[r["eventName"] as? String ?? "?", default: 0] += 1
                sources.insert(r["eventSource"] as? String ?? "?")
            }
        }
        let n = Double(total)
        print("synth mix over \(total): errors \(parsedErrors) (\(Double(parsedErrors) / n)), security \(stats.security), large \(stats.large), readOnly \(Double(readOnly) / n), avg \(bytes / total) B, types \(types)")
        #expect(total == 50_000 && stats.records == 50_000)
        #expect(parsedErrors == stats.errors)
        #expect((0.025...0.035).contains(Double(parsedErrors) / n))
        #expect((0.003...0.008).contains(Double(stats.security) / n))
        #expect((0.006...0.02).contains(Double(stats.large) / n))
        #expect(Double(readOnly) / n > 0.7)
        #expect((1100...2000).contains(bytes / total))
        for t in ["IAMUser", "AssumedRole", "AWSService", "FederatedUser"] { #expect(types[t, default: 0] > 0, "\(t)") }
        for s in ["ec2.amazonaws.com", "s3.amazonaws.com", "iam.amazonaws.com", "sts.amazonaws.com", "kms.amazonaws.com",
                  "lambda.amazonaws.com", "logs.amazonaws.com", "ssm.amazonaws.com", "monitoring.amazonaws.com",
                  "dynamodb.amazonaws.com", "cloudtrail.amazonaws.com"] {
            #expect(sources.contains(s), "\(s)")
        }
        // The security menu is wide, not one event repeated.
        let menu = Set(names.keys).intersection(Self.securityNames)
        #expect(menu.count >= 15, "\(menu.sorted())")
    }

    // MARK: keys

    @Test func keyLayoutMatchesCloudTrail() throws {
        let key = SynthGenerator.cloudTrailKey(account: "123456789012", region: "eu-west-1", time: 1_740_832_500, random16: "AbCdEf0123456789")
        #expect(key == "AWSLogs/123456789012/CloudTrail/eu-west-1/2025/03/01/123456789012_CloudTrail_eu-west-1_20250301T1235Z_AbCdEf0123456789.json.gz")
        let gen = SynthGenerator(config: SynthConfig(seed: 3))
        let pattern = try Regex(#"^AWSLogs/(\d{12})/CloudTrail/([a-z]{2}-[a-z]+-\d)/(\d{4})/(\d{2})/(\d{2})/\1_CloudTrail_\2_\3\4\5T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$"#)
        var keys = Set<String>()
        for i in 0..<40 {
            let info = gen.logFileInfo(index: i)
            #expect(info.key.wholeMatch(of: pattern) != nil, "\(info.key)")
            #expect(info.region == ["us-east-1", "eu-west-1"][i % 2])
            #expect(info.endTime - info.startTime == 300)
            keys.insert(info.key)
        }
        #expect(keys.count == 40)
        // Year boundary and padding.
        #expect(SynthGenerator.cloudTrailKey(account: "000000000001", region: "us-east-1", time: 1_735_689_540, random16: "x")
            == "AWSLogs/000000000001/CloudTrail/us-east-1/2024/12/31/000000000001_CloudTrail_us-east-1_20241231T2359Z_x.json.gz")
    }

    // MARK: scenarios

    @Test func attackScenariosAreCoherent() throws {
        let config = SynthConfig(seed: 1)
        for scenario in SynthScenario.allCases {
            let events = SynthGenerator.attackScenario(scenario, config: config, startTime: config.startTime + 60)
            #expect(events.count >= 8)
            var last: Int64 = 0
            for e in events {
                #expect(e.time >= last)
                last = e.time
                let r = try #require(try JSONSerialization.jsonObject(with: Data(e.json)) as? [String: Any])
                try checkRecord(r)
                #expect(r["eventName"] as? String == e.eventName)
                #expect(r["awsRegion"] as? String == e.region || e.eventName == "ConsoleLogin")
            }
        }
        let leak = SynthGenerator.attackScenario(.leakedAccessKey, config: config, startTime: config.startTime)
        #expect(leak.map(\.eventName) == ["GetCallerIdentity", "ListBuckets", "ListUsers", "CreateUser", "CreateAccessKey",
                                          "AttachUserPolicy", "StopLogging", "AuthorizeSecurityGroupIngress", "PutBucketPolicy", "DeleteTrail"])
        let text = String(decoding: leak.flatMap(\.json), as: UTF8.self)
        #expect(text.contains("\"userAgent\":\"TruffleHog\""))
        #expect(text.contains("\"cidrIp\":\"0.0.0.0/0\""))
        #expect(text.contains("arn:aws:iam::aws:policy/AdministratorAccess"))
    }

    // MARK: speed

    @Test func generationSpeed() {
        let gen = SynthGenerator(config: SynthConfig(seed: 99))
        let clock = ContinuousClock()
        var bytes = 0
        let files = 30
        let elapsed = clock.measure {
            for i in 0..<files { bytes += gen.logFile(index: i).count }
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let events = Double(files * gen.config.eventsPerFile)
        print("synth speed: \(Int(events / seconds)) events/s, \(Int(Double(bytes) / seconds / 1e6)) MB/s (\(files * gen.config.eventsPerFile) events, \(bytes) bytes, \(seconds) s; debug builds are ~10x slower)")
        #expect(bytes > 0)
    }

    // MARK: samples

    @Test func samplesMatchGenerator() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let samplesDir = root.appendingPathComponent("samples")
        let built = try Self.samples()
        if ProcessInfo.processInfo.environment["TRIPLINE_REGENERATE_SAMPLES"] == "1" {
            try? FileManager.default.removeItem(at: samplesDir.appendingPathComponent("AWSLogs"))
            for (path, bytes) in built {
                let url = samplesDir.appendingPathComponent(path)
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                if path.hasSuffix(".gz") {
                    try Data(try Self.gzip(bytes)).write(to: url)
                } else {
                    try Data(bytes).write(to: url)
                }
            }
            print("samples regenerated in \(samplesDir.path)")
        }
        let paths = (try? FileManager.default.subpathsOfDirectory(atPath: samplesDir.resolvingSymlinksInPath().path)) ?? []
        let committed = Set(paths.filter { $0.hasSuffix(".json.gz") || $0 == "README.md" })
        #expect(committed == Set(built.map(\.path)), "samples/ drifted from the generator: run with TRIPLINE_REGENERATE_SAMPLES=1")
        var total = 0
        for (path, bytes) in built where committed.contains(path) {
            let url = samplesDir.appendingPathComponent(path)
            let data = try Data(contentsOf: url)
            total += data.count
            let content = path.hasSuffix(".gz") ? try Self.gunzip(Array(data)) : Array(data)
            #expect(content == bytes, "\(path) drifted from the generator: run with TRIPLINE_REGENERATE_SAMPLES=1")
        }
        #expect(total < 2_000_000)
    }

    // MARK: helpers

    static let securityNames: Set<String> = [
        "StopLogging", "DeleteTrail", "UpdateTrail", "PutEventSelectors", "AuthorizeSecurityGroupIngress", "CreateAccessKey",
        "CreateUser", "AttachUserPolicy", "AttachRolePolicy", "PutUserPolicy", "PutBucketPolicy", "PutBucketAcl",
        "DeleteBucketPublicAccessBlock", "DeleteBucket", "DisableKey", "ScheduleKeyDeletion", "DeleteDetector",
        "StopConfigurationRecorder", "DeleteFlowLogs", "ModifySnapshotAttribute", "ModifyImageAttribute",
        "ModifyDBSnapshotAttribute", "CreateLoginProfile", "UpdateAssumeRolePolicy", "TerminateInstances", "DeleteDBInstance",
        "CreateNetworkAclEntry", "LeaveOrganization", "DeactivateMFADevice", "DisableEbsEncryptionByDefault",
        "AddPermission20150331v2", "SendCommand", "DeleteLogGroup", "GetPasswordData", "ListSecrets",
    ]

    func checkRecord(_ r: [String: Any]) throws {
        for key in ["eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
                    "userAgent", "eventID", "eventType", "recipientAccountId", "eventCategory", "managementEvent", "readOnly"] {
            #expect(r[key] != nil, "missing \(key) in \(r["eventName"] ?? "?")")
        }
        let time = try #require(r["eventTime"] as? String)
        #expect(time.wholeMatch(of: #/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/#) != nil)
        let id = try #require(r["eventID"] as? String)
        #expect(id.wholeMatch(of: #/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/#) != nil)
        #expect(["1.08", "1.09", "1.10"].contains(r["eventVersion"] as? String ?? ""))
        #expect(["AwsApiCall", "AwsConsoleSignIn", "AwsServiceEvent"].contains(r["eventType"] as? String ?? ""))
        #expect(r.keys.contains("requestParameters") && r.keys.contains("responseElements"))
        if r["errorCode"] != nil { #expect(r["errorMessage"] is String) }
    }

    /// Everything under samples/: (path relative to samples/, uncompressed content).
    static func samples() throws -> [(path: String, bytes: [UInt8])] {
        let config = SynthConfig(seed: 20_250_301, accountId: "123456789012", regions: ["us-east-1", "eu-west-1"],
                                 eventsPerFile: 550, startTime: 1_740_830_400, secondsPerFile: 300, securityRate: 0.002)
        let gen = SynthGenerator(config: config)
        let fileCount = 12
        let infos = (0..<fileCount).map { gen.logFileInfo(index: $0) }

        // The stories, placed in the files whose region and time window contain them.
        let stories: [(SynthScenario, Int64)] = [
            (.leakedAccessKey, config.startTime + 7 * 60 + 13),
            (.rootTakeover, config.startTime + 17 * 60 + 41),
            (.secretsExfiltration, config.startTime + 23 * 60 + 5),
        ]
        var inject = [[SynthScenarioEvent]](repeating: [], count: fileCount)
        var hidden: [(SynthScenario, SynthScenarioEvent, Int)] = []
        for (scenario, start) in stories {
            for e in SynthGenerator.attackScenario(scenario, config: config, startTime: start, region: "eu-west-1") {
                let sec = e.time / 1000
                let file = infos.last { $0.region == e.region && $0.startTime <= sec } ?? infos.first { $0.region == e.region }!
                inject[file.index].append(e)
                hidden.append((scenario, e, file.index))
            }
        }
        var out: [(path: String, bytes: [UInt8])] = []
        var logs: [(info: SynthLogFile, json: [UInt8])] = []
        for info in infos {
            let json = gen.logFile(index: info.index, injecting: inject[info.index].sorted { $0.time < $1.time }.map(\.json))
            out.append((info.key, json))
            logs.append((info, json))
        }
        let digest = gen.digestFile(region: "us-east-1", startTime: config.startTime - 1800 + 37, endTime: config.startTime + 1800 + 37,
                                    logFiles: logs.filter { $0.info.region == "us-east-1" })
        out.append((digest.key, digest.json))
        out.append(("README.md", Array(try readme(config: config, logs: logs, hidden: hidden, digestKey: digest.key).utf8)))
        return out
    }

    static func readme(config: SynthConfig, logs: [(info: SynthLogFile, json: [UInt8])],
                       hidden: [(SynthScenario, SynthScenarioEvent, Int)], digestKey: String) throws -> String {
        func short(_ key: String) -> String { String(key.split(separator: "/").last!) }
        func hhmmss(_ ms: Int64) -> String {
            let s = Int(ms / 1000 % 86400)
            return String(format: "%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
        }
        var hiddenIDs = Set<String>()
        for (_, e, _) in hidden {
            let r = try JSONSerialization.jsonObject(with: Data(e.json)) as? [String: Any]
            hiddenIDs.insert(r?["eventID"] as? String ?? "")
        }
        var total = 0
        // Background events a scan will also flag: the generator's security menu, drawn at random.
        var background: [String] = []
        for (info, json) in logs {
            let list = (try JSONSerialization.jsonObject(with: Data(json)) as? [String: Any])?["Records"] as? [[String: Any]] ?? []
            total += list.count
            var i = 0
            while i < list.count {
                let r = list[i]
                defer { i += 1 }
                if hiddenIDs.contains(r["eventID"] as? String ?? "") { continue }
                let name = r["eventName"] as? String ?? ""
                let who = (r["userIdentity"] as? [String: Any]).map { ($0["arn"] as? String) ?? ($0["invokedBy"] as? String) ?? "?" } ?? "?"
                let type = (r["userIdentity"] as? [String: Any])?["type"] as? String
                let failed = r["errorCode"].map { " (failed: \($0))" } ?? ""
                let time = String((r["eventTime"] as? String ?? "").dropFirst(11).dropLast())
                let mfa = (r["additionalEventData"] as? [String: Any])?["MFAUsed"] as? String
                let login = (r["responseElements"] as? [String: Any])?["ConsoleLogin"] as? String
                if name == "GetSecretValue" {
                    var j = i
                    while j + 1 < list.count, list[j + 1]["eventName"] as? String == "GetSecretValue",
                          ((list[j + 1]["userIdentity"] as? [String: Any])?["arn"] as? String) == who { j += 1 }
                    if j - i + 1 >= 5 {
                        background.append("| \(time) | \(info.region) | GetSecretValue ×\(j - i + 1) (burst) | `\(who)` | `\(short(info.key))` |")
                        i = j
                    }
                    continue
                }
                let notable = securityNames.contains(name) || type == "Root"
                    || (name == "ConsoleLogin" && (mfa == "No" || login == "Failure"))
                if notable {
                    let detail = name == "ConsoleLogin" ? "ConsoleLogin (\(login ?? "?"), MFA \(mfa ?? "?"))" : name
                    background.append("| \(time) | \(info.region) | \(detail)\(failed) | `\(who)` | `\(short(info.key))` |")
                }
            }
        }

        var s = """
        # Sample CloudTrail logs

        Synthetic but realistic CloudTrail for account `\(config.accountId)`, 2025-03-01 12:00–12:30 UTC, in the real S3
        layout (`AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/<account>_CloudTrail_<region>_<time>_<random>.json.gz`).
        \(logs.count) gzipped log files (\(logs.count / config.regions.count) per region: \(config.regions.joined(separator: ", "))), \(total) records,
        plus one digest file (`CloudTrail-Digest/`, no `Records`: a scanner must skip it, not fail on it).

        Most records are read-only noise: KMS Decrypt/GenerateDataKey by services, STS AssumeRole, SSM agents, Describe*,
        Get*, List* across EC2, S3, IAM, Lambda, Logs, CloudWatch and DynamoDB, from IAM users, Lambda/EC2/ECS roles,
        SSO sessions (some with non-ASCII names), service-linked roles and AWS services. About 3% carry an error.
        Some strings are written with `\\/` and `\\uXXXX` escapes, as some producers do.

        Three attack stories are hidden in the noise. A scan should surface every row below.

        Generated by `Tests/TriplineIOTests/SynthTests.swift` (TriplineSynth, seed \(config.seed)); `swift test --filter
        SynthTests` fails if these files drift from the generator. Regenerate with
        `TRIPLINE_REGENERATE_SAMPLES=1 swift test --filter SynthTests`.

        """
        let titles: [SynthScenario: String] = [
            .leakedAccessKey: "1. Leaked access key (ci-deploy's key used from \(SynthGenerator.attackerIP))",
            .rootTakeover: "2. Root account takeover (from \(SynthGenerator.rootAttackerIP))",
            .secretsExfiltration: "3. Stolen Lambda role credentials drain Secrets Manager (from \(SynthGenerator.exfiltrationIP))",
        ]
        for scenario in SynthScenario.allCases {
            s += "\n## \(titles[scenario]!)\n\n| time (UTC) | region | event | what happened | file |\n|---|---|---|---|---|\n"
            var burst: [(SynthScenarioEvent, Int)] = []
            for (sc, e, file) in hidden where sc == scenario {
                if e.eventName == "GetSecretValue" { burst.append((e, file)); continue }
                s += "| \(hhmmss(e.time)) | \(e.region) | \(e.eventName) | \(e.summary) | `\(short(logs[file].info.key))` |\n"
            }
            if let first = burst.first, let last = burst.last {
                let files = Set(burst.map { short(logs[$0.1].info.key) }).sorted().map { "`\($0)`" }.joined(separator: ", ")
                s += "| \(hhmmss(first.0.time))–\(hhmmss(last.0.time)) | \(first.0.region) | GetSecretValue ×\(burst.count) | every secret read, every 4th call denied (AccessDeniedException) | \(files) |\n"
            }
        }
        s += """

        ## Background security-relevant events

        The generator also sprinkles its security menu through the noise (\(background.count) rows, including some
        failed attempts, which a good rule ignores). They are not part of a story, but a scan will report them too.

        | time (UTC) | region | event | actor | file |
        |---|---|---|---|---|

        """
        s += background.sorted().joined(separator: "\n") + "\n"
        s += "\n## Digest\n\n`\(digestKey)` lists the \(logs.filter { $0.info.region == "us-east-1" }.count) us-east-1 log files with the SHA-256 of their uncompressed content (the signature is not real).\n"
        return s
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] { try run(["gzip", "-n", "-9", "-c"], input: bytes) }
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] { try run(["gzip", "-d", "-c"], input: bytes) }

    static func run(_ args: [String], input: [UInt8]) throws -> [UInt8] {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("synth-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let inURL = dir.appendingPathComponent("in"), outURL = dir.appendingPathComponent("out")
        try Data(input).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = args
        p.standardInput = try FileHandle(forReadingFrom: inURL)
        p.standardOutput = try FileHandle(forWritingTo: outURL)
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        return Array(try Data(contentsOf: outURL))
    }
}
