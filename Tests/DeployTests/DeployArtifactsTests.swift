import Foundation
import Testing

/// Fast checks of the deployment artifacts (no moto, no apply).
@Suite("Deployment artifacts")
struct DeployArtifactsTests {
    /// EventBridge's default quota on EventPattern, in characters (4096 only on request).
    static let eventPatternLimit = 2048

    @Test("deploy/eventbridge-patterns.json holds valid EventBridge patterns within 2048 characters, named uniquely")
    func eventPatternsAreValid() throws {
        let url = repositoryRoot.appendingPathComponent("deploy/eventbridge-patterns.json")
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let patterns = try #require(file["patterns"] as? [[String: Any]])
        #expect(patterns.count >= 2)
        var names = Set<String>()
        for entry in patterns {
            let name = try #require(entry["name"] as? String)
            #expect(names.insert(name).inserted, "duplicate pattern name \(name)")
            // Part of the EventBridge rule name `<prefix>-<environment>-ct-<name>` (64 characters at most).
            #expect(name.count <= 24 && name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" }, "pattern name \(name)")
            let text = try #require(entry["pattern"] as? String)
            #expect(text.utf8.count <= Self.eventPatternLimit, "\(name) is \(text.utf8.count) characters")
            let pattern = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
            #expect(Self.patternProblems(pattern, path: name).isEmpty, "\(Self.patternProblems(pattern, path: name))")
            #expect(text.contains("via CloudTrail"), "\(name) should select CloudTrail events (detail-type \"... via CloudTrail\")")
        }
    }

    /// EventBridge pattern shape: every leaf is a non-empty array of matchers, `$or` is a non-empty array of patterns.
    static func patternProblems(_ node: [String: Any], path: String) -> [String] {
        var problems: [String] = []
        for (key, value) in node {
            let here = "\(path).\(key)"
            if key == "$or" {
                guard let alternatives = value as? [[String: Any]], !alternatives.isEmpty else {
                    problems.append("\(here): $or must be a non-empty array of objects")
                    continue
                }
                for (i, alternative) in alternatives.enumerated() { problems += patternProblems(alternative, path: "\(here)[\(i)]") }
            } else if let object = value as? [String: Any] {
                problems += patternProblems(object, path: here)
            } else if let array = value as? [Any] {
                if array.isEmpty { problems.append("\(here): empty matcher array") }
            } else {
                problems.append("\(here): leaf values must be arrays, found \(type(of: value))")
            }
        }
        return problems
    }

    /// A JSON object literal, for readable test inputs.
    static func object(_ json: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8))) as? [String: Any] ?? [:]
    }

    @Test("the pattern shape check rejects scalar leaves and empty arrays")
    func patternCheckRejectsBadShapes() {
        #expect(!Self.patternProblems(Self.object(#"{"source": "aws.iam"}"#), path: "$").isEmpty)
        #expect(!Self.patternProblems(Self.object(#"{"detail": {"eventName": []}}"#), path: "$").isEmpty)
        #expect(!Self.patternProblems(Self.object(#"{"$or": []}"#), path: "$").isEmpty)
        #expect(Self.patternProblems(Self.object(#"{"detail": {"$or": [{"eventName": ["A"]}, {"errorCode": [{"exists": true}]}]}}"#), path: "$").isEmpty)
    }

    @Test("the least-privilege lint flags wildcard actions and unscoped resources, allows LookupEvents and key policies")
    func policyLintCatchesWildcards() throws {
        func lint(_ statement: String) throws -> Set<String> {
            var l = PolicyLint()
            let policy = #"{"Version": "2012-10-17", "Statement": ["# + statement + "]}"
            // Shaped like `terraform show -json`: the policy is a JSON string inside a resource.
            let show: [String: Any] = ["resource_changes": [["address": "aws_iam_role_policy.x", "change": ["after": ["policy": policy]]]]]
            l.scan(show)
            #expect(l.policies.count == 1, "the policy was not found")
            return Set(l.findings.map(\.problem))
        }
        #expect(try lint(#"{"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b/*"}"#) == ["wildcard action s3:*"])
        #expect(try lint(#"{"Effect": "Allow", "Action": ["*"], "Resource": ["arn:aws:s3:::b"]}"#) == ["wildcard action *"])
        #expect(try lint(#"{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}"#).first?.hasPrefix("unscoped resource") == true)
        #expect(try lint(#"{"Effect": "Allow", "NotAction": "iam:*", "Resource": "arn:aws:s3:::b"}"#) == ["Allow with NotAction"])
        #expect(try lint(#"{"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}"#).isEmpty)
        #expect(try lint(#"{"Effect": "Allow", "Action": ["cloudtrail:LookupEvents", "s3:GetObject"], "Resource": "*"}"#).count == 1)
        #expect(try lint(#"{"Effect": "Deny", "Action": "s3:*", "Principal": "*", "Resource": "*"}"#).isEmpty)
        #expect(try lint(#"{"Effect": "Allow", "Action": "kms:Decrypt", "Principal": {"AWS": "arn:aws:iam::1:role/r"}, "Resource": "*"}"#).isEmpty)
        #expect(try lint(#"{"Effect": "Allow", "Action": "kms:Decrypt", "Resource": "*"}"#).count == 1)
    }

    @Test("cfn-lint accepts template-sam.yaml")
    func samTemplateLintsClean() async throws {
        let template = repositoryRoot.appendingPathComponent("template-sam.yaml")
        try #require(FileManager.default.fileExists(atPath: template.path), "template-sam.yaml is missing")
        let result = try await runCommand(["cfn-lint", "template-sam.yaml"], in: repositoryRoot, timeout: 120)
        #expect(result.succeeded, "cfn-lint:\n\(result.stdout)\(result.stderr)")
    }

    @Test("scripts/package-lambda --check rejects a dynamically linked binary")
    func packageLambdaCheckRejectsDynamicBinaries() async throws {
        let result = try await runCommand(["bash", "scripts/package-lambda", "--check", "/bin/ls"], in: repositoryRoot, timeout: 60)
        #expect(!result.succeeded)
        #expect(result.stderr.contains("dynamic library dependencies"), "\(result.stderr)")
    }
}
