import Foundation
import Testing

/// Fast checks of the deployment artifacts (no moto, no apply).
@Suite("Deployment artifacts")
struct DeployArtifactsTests {
    /// EventBridge's limit on EventPattern, in characters.
    static let eventPatternLimit = 4096

    @Test("deploy/eventbridge-pattern.json is a valid EventBridge pattern under 4096 characters")
    func eventPatternIsValid() throws {
        let url = repositoryRoot.appendingPathComponent("deploy/eventbridge-pattern.json")
        let text = try String(contentsOf: url, encoding: .utf8)
        let parsed = try JSONSerialization.jsonObject(with: Data(text.utf8))
        let pattern = try #require(parsed as? [String: Any], "the pattern must be a JSON object")
        #expect(!pattern.isEmpty, "an empty pattern would match nothing useful")
        // Terraform sends it minified; the committed file should fit even as written.
        let minified = try JSONSerialization.data(withJSONObject: pattern, options: [.sortedKeys, .withoutEscapingSlashes])
        #expect(minified.count <= Self.eventPatternLimit, "minified pattern is \(minified.count) characters")
        #expect(text.count <= Self.eventPatternLimit, "pattern file is \(text.count) characters")
        #expect(Self.patternProblems(pattern, path: "$").isEmpty, "\(Self.patternProblems(pattern, path: "$"))")
        // It is about CloudTrail: either a CloudTrail detail-type or a nested match on it.
        #expect(text.contains("via CloudTrail"), "the pattern should select CloudTrail events (detail-type \"... via CloudTrail\")")
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
