import Testing
import TriplineCore
import TriplineJSON
import TriplineRules

/// Compiles a one-rule YAML detection and evaluates it against a JSON event.
func fires(_ detectionYAML: String, _ eventJSON: String) throws -> Bool {
    let yaml = "id: t\ntitle: t\ndetection:\n" + detectionYAML.split(separator: "\n").map { "  " + $0 }.joined(separator: "\n")
    let result = RuleLoader.load(text: yaml, path: "test.yml")
    guard let rule = result.rules.first else {
        Issue.record("rule did not load: \(result.diagnostics)")
        return false
    }
    let doc = try JSONDocument(parsing: Array(eventJSON.utf8))
    return doc.withView { rule.detection.matches($0) }
}

func diagnostics(_ yaml: String) -> [RuleDiagnostic] {
    RuleLoader.load(text: yaml, path: "bad.yml").diagnostics
}

@Suite("Sigma detection semantics")
struct SigmaSemanticsTests {
    @Test("plain values match whole strings, case-insensitively")
    func caseInsensitiveEquality() throws {
        let d = "sel:\n  eventName: StopLogging\ncondition: sel"
        #expect(try fires(d, #"{"eventName":"StopLogging"}"#))
        #expect(try fires(d, #"{"eventName":"stoplogging"}"#))
        #expect(try !fires(d, #"{"eventName":"StopLoggingNow"}"#))
        #expect(try !fires(d, #"{"eventName":"Stop"}"#))
        #expect(try !fires(d, #"{"other":"StopLogging"}"#))
    }

    @Test("cased makes matching case-sensitive")
    func cased() throws {
        let d = "sel:\n  eventName|cased: StopLogging\ncondition: sel"
        #expect(try fires(d, #"{"eventName":"StopLogging"}"#))
        #expect(try !fires(d, #"{"eventName":"stoplogging"}"#))
    }

    @Test("a list of values is OR; all makes it AND")
    func listsAndAll() throws {
        let or = "sel:\n  eventName: [A, B]\ncondition: sel"
        #expect(try fires(or, #"{"eventName":"B"}"#))
        #expect(try !fires(or, #"{"eventName":"C"}"#))
        let all = "sel:\n  userAgent|contains|all: [curl, linux]\ncondition: sel"
        #expect(try fires(all, #"{"userAgent":"curl/8 (Linux)"}"#))
        #expect(try !fires(all, #"{"userAgent":"curl/8 (Windows)"}"#))
    }

    @Test("wildcards, escapes and string modifiers")
    func wildcards() throws {
        #expect(try fires("s:\n  eventName: Describe*\ncondition: s", #"{"eventName":"DescribeInstances"}"#))
        #expect(try fires("s:\n  eventName: Get?ession*\ncondition: s", #"{"eventName":"GetSessionToken"}"#))
        #expect(try !fires("s:\n  eventName: 'a\\*b'\ncondition: s", #"{"eventName":"axxb"}"#))
        #expect(try fires("s:\n  eventName: 'a\\*b'\ncondition: s", #"{"eventName":"a*b"}"#))
        #expect(try fires("s:\n  userAgent|startswith: aws-cli\ncondition: s", #"{"userAgent":"AWS-CLI/2.1"}"#))
        #expect(try fires("s:\n  userAgent|endswith: kali\ncondition: s", #"{"userAgent":"x Kali"}"#))
        #expect(try fires("s:\n  userAgent|contains: truffle\ncondition: s", #"{"userAgent":"TruffleHog/3"}"#))
        #expect(try !fires("s:\n  userAgent|contains: truffle\ncondition: s", #"{"userAgent":"Hog"}"#))
    }

    @Test("null matches absent or null; exists tests presence")
    func nullAndExists() throws {
        let d = "s:\n  errorCode: null\ncondition: s"
        #expect(try fires(d, #"{"eventName":"x"}"#))
        #expect(try fires(d, #"{"errorCode":null}"#))
        #expect(try !fires(d, #"{"errorCode":"AccessDenied"}"#))
        let e = "s:\n  errorCode|exists: true\ncondition: s"
        #expect(try fires(e, #"{"errorCode":"AccessDenied"}"#))
        #expect(try !fires(e, #"{"eventName":"x"}"#))
        let ne = "s:\n  errorCode|exists: false\ncondition: s"
        #expect(try fires(ne, #"{"eventName":"x"}"#))
    }

    @Test("paths cross arrays as any element, at any depth")
    func arraysAnyElement() throws {
        let d = "s:\n  requestParameters.ipPermissions.items.ipRanges.items.cidrIp: 0.0.0.0/0\ncondition: s"
        let event = #"""
            {"requestParameters":{"ipPermissions":{"items":[
              {"ipRanges":{"items":[{"cidrIp":"10.0.0.0/8"}]}},
              {"ipRanges":{"items":[{"cidrIp":"192.168.0.0/16"},{"cidrIp":"0.0.0.0/0"}]}}]}}}
            """#
        #expect(try fires(d, event))
        #expect(try !fires(d, event.replacingOccurrences(of: "0.0.0.0/0", with: "1.2.3.0/24")))
        // A leaf that is an array of scalars.
        #expect(try fires("s:\n  resources.type: AWS::S3::Bucket\ncondition: s",
                          #"{"resources":[{"type":"AWS::IAM::Role"},{"type":"AWS::S3::Bucket"}]}"#))
        #expect(try fires("s:\n  tags: prod\ncondition: s", #"{"tags":["dev","prod"]}"#))
    }

    @Test("numbers and booleans compare by value and by text")
    func numbersAndBooleans() throws {
        #expect(try fires("s:\n  requestParameters.enable: false\ncondition: s", #"{"requestParameters":{"enable":false}}"#))
        #expect(try fires("s:\n  requestParameters.enable: false\ncondition: s", #"{"requestParameters":{"enable":"false"}}"#))
        #expect(try !fires("s:\n  requestParameters.enable: false\ncondition: s", #"{"requestParameters":{"enable":true}}"#))
        #expect(try fires("s:\n  port: 22\ncondition: s", #"{"port":22.0}"#))
        #expect(try fires("s:\n  port: 22\ncondition: s", #"{"port":"22"}"#))
        #expect(try fires("s:\n  port|gte: 1024\ncondition: s", #"{"port":8080}"#))
        #expect(try !fires("s:\n  port|lt: 1024\ncondition: s", #"{"port":8080}"#))
    }

    @Test("re, cidr and fieldref")
    func regexCidrFieldref() throws {
        #expect(try fires("s:\n  userIdentity.arn|re: '.+:assumed-role/aws:.+'\ncondition: s",
                          #"{"userIdentity":{"arn":"arn:aws:sts::1:assumed-role/aws:ec2-instance/i-1"}}"#))
        #expect(try !fires("s:\n  userIdentity.arn|re: '.+:assumed-role/aws:.+'\ncondition: s",
                           #"{"userIdentity":{"arn":"arn:aws:iam::1:user/bob"}}"#))
        #expect(try fires("s:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: s", #"{"sourceIPAddress":"10.2.3.4"}"#))
        #expect(try !fires("s:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: s", #"{"sourceIPAddress":"11.2.3.4"}"#))
        #expect(try fires("s:\n  sourceIPAddress|cidr: '2001:db8::/32'\ncondition: s", #"{"sourceIPAddress":"2001:db8::1"}"#))
        #expect(try !fires("s:\n  sourceIPAddress|cidr: 10.0.0.0/8\ncondition: s", #"{"sourceIPAddress":"ec2.amazonaws.com"}"#))
        let ref = "s:\n  userIdentity.arn|endswith|fieldref: requestParameters.userName\ncondition: s"
        #expect(try fires(ref, #"{"userIdentity":{"arn":"arn:aws:iam::1:user/bob"},"requestParameters":{"userName":"bob"}}"#))
        #expect(try !fires(ref, #"{"userIdentity":{"arn":"arn:aws:iam::1:user/bob"},"requestParameters":{"userName":"eve"}}"#))
    }

    @Test("conditions: not, and/or precedence, parentheses, 1 of, all of them")
    func conditions() throws {
        let base = "a:\n  x: 1\nb:\n  y: 2\nfilter_c:\n  z: 3\n"
        #expect(try fires(base + "condition: a and not filter_c", #"{"x":1}"#))
        #expect(try !fires(base + "condition: a and not filter_c", #"{"x":1,"z":3}"#))
        #expect(try fires(base + "condition: a or b and filter_c", #"{"x":1}"#))  // and binds tighter
        #expect(try !fires(base + "condition: (a or b) and filter_c", #"{"x":1}"#))
        #expect(try fires(base + "condition: 1 of filter_*", #"{"z":3}"#))
        #expect(try fires(base + "condition: all of them", #"{"x":1,"y":2,"z":3}"#))
        #expect(try !fires(base + "condition: all of them", #"{"x":1,"y":2}"#))
        #expect(try fires(base + "condition: 1 of them", #"{"y":2}"#))
        #expect(try fires(base + "condition:\n  - a\n  - b", #"{"y":2}"#))
    }

    @Test("a list of maps is OR; keywords search every string")
    func listOfMapsAndKeywords() throws {
        let d = "s:\n  - eventName: A\n    x: 1\n  - eventName: B\ncondition: s"
        #expect(try fires(d, #"{"eventName":"A","x":1}"#))
        #expect(try !fires(d, #"{"eventName":"A"}"#))
        #expect(try fires(d, #"{"eventName":"B"}"#))
        #expect(try fires("k:\n  - mimikatz\ncondition: k", #"{"a":{"b":["x","run MIMIKATZ now"]}}"#))
        #expect(try !fires("k:\n  - mimikatz\ncondition: k", #"{"a":"clean"}"#))
        // Keys are field names, not values.
        #expect(try !fires("k:\n  - mimikatz\ncondition: k", #"{"mimikatz":"clean"}"#))
    }

    @Test("escaped JSON strings are unescaped before matching")
    func escapedStrings() throws {
        #expect(try fires("s:\n  userName: josé\ncondition: s", #"{"userName":"jos\u00e9"}"#))
        #expect(try fires("s:\n  path|contains: 'a/b'\ncondition: s", #"{"path":"x a\/b y"}"#))
    }

    @Test("public and external-principal policy modifiers")
    func policies() throws {
        let pub = "s:\n  requestParameters.bucketPolicy|publicpolicy: true\ncondition: s"
        #expect(try fires(pub, #"{"requestParameters":{"bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}]}}}"#))
        #expect(try fires(pub, #"{"requestParameters":{"bucketPolicy":{"Statement":{"Effect":"Allow","Principal":{"AWS":["*"]},"Action":"s3:*"}}}}"#))
        // A condition pinning the caller to one organisation: not public.
        #expect(try !fires(pub, #"{"requestParameters":{"bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}}}"#))
        // TLS-only conditions do not restrict who may call.
        #expect(try fires(pub, #"{"requestParameters":{"bucketPolicy":{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}}}"#))
        #expect(try !fires(pub, #"{"requestParameters":{"bucketPolicy":{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*"}]}}}"#))
        // Given as a JSON string (SNS/SQS/IAM style).
        let policyString = #"{\"Statement\":[{\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"*\"},\"Action\":\"sqs:SendMessage\"}]}"#
        #expect(try fires("s:\n  p|publicpolicy: true\ncondition: s", "{\"p\":\"\(policyString)\"}"))
        let ext = "s:\n  p|externalprincipal: true\ncondition: s"
        #expect(try fires(ext, #"{"recipientAccountId":"111111111111","p":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222222222222:root"},"Action":"sts:AssumeRole"}]}}"#))
        #expect(try !fires(ext, #"{"recipientAccountId":"111111111111","p":{"Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111111111111:root"},"Action":"sts:AssumeRole"}]}}"#))
        #expect(try !fires(ext, #"{"recipientAccountId":"111111111111","p":{"Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}}"#))
    }
}

@Suite("Rule loading diagnostics")
struct RuleDiagnosticsTests {
    @Test("unknown keys, bad severity, bad regex and unknown selections are errors with lines")
    func strictLoading() {
        let d1 = diagnostics("id: a\ntitle: t\nseverty: high\ndetection:\n  s:\n    x: 1\n  condition: s\n")
        #expect(d1.contains { $0.level == .error && $0.line == 3 && $0.message.contains("severty") && $0.ruleID == "a" })
        let d2 = diagnostics("id: a\ntitle: t\nseverity: urgent\ndetection:\n  s:\n    x: 1\n  condition: s\n")
        #expect(d2.contains { $0.line == 3 && $0.message.contains("severity") })
        let d3 = diagnostics("id: a\ntitle: t\ndetection:\n  s:\n    x|re: '(unclosed'\n  condition: s\n")
        #expect(d3.contains { $0.line == 4 && $0.message.contains("regular expression") })
        let d4 = diagnostics("id: a\ntitle: t\ndetection:\n  s:\n    x: 1\n  condition: s and missing\n")
        #expect(d4.contains { $0.message.contains("missing") })
        let d5 = diagnostics("id: a\ntitle: t\ndetection:\n  s:\n    x|frobnicate: 1\n  condition: s\n")
        #expect(d5.contains { $0.message.contains("frobnicate") })
        let d6 = diagnostics("id: a\ntitle: t\ndetection:\n  s:\n    x: 1\n  condition: s | count() > 5\n")
        #expect(d6.contains { $0.message.contains("threshold") })
    }

    @Test("invalid YAML reports its line; duplicate ids keep the first")
    func yamlAndDuplicates() {
        let bad = diagnostics("id: a\ntitle: [unclosed\ndetection: {}\n")
        #expect(bad.contains { $0.level == .error && $0.message.contains("invalid YAML") && $0.line >= 2 })
        let rule = "id: same\ntitle: t\ndetection:\n  s:\n    x: 1\n  condition: s\n"
        let result = RuleLoader.load(files: [("a.yml", rule), ("b.yml", rule)])
        #expect(result.rules.count == 1)
        #expect(result.errors.contains { $0.file == "b.yml" && $0.message.contains("duplicate") })
    }

    @Test("a bad extra rule file never disables the built-ins")
    func builtInsSurvive() {
        let builtInCount = RuleCatalog.builtIn.rules.count
        let result = RuleCatalog.load(extra: [("custom.yml", "id: [broken\n")])
        #expect(result.rules.count == builtInCount)
        #expect(!result.errors.isEmpty)
    }
}
