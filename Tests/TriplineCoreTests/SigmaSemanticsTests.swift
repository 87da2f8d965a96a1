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

/// A rule file, loaded; Issue.record when it does not load.
private func loadRule(_ yaml: String) -> [Rule] {
    let result = RuleLoader.load(text: yaml, path: "conformance.yml")
    if result.rules.isEmpty { Issue.record("rule did not load: \(result.diagnostics)") }
    return result.rules
}

/// The rule ids an engine of `rules` fires on `event` (through the rule index, as scans run them).
private func engineMatches(_ rules: [Rule], _ event: String) throws -> [String] {
    let engine = Engine(rules: rules)
    let doc = try JSONDocument(parsing: Array(event.utf8))
    return engine.matches(doc).map { engine.rules[$0].id }
}

@Suite("Sigma conformance: object values, exists, keyword forms, arrays in indexed fields (issue 16)")
struct SigmaConformanceTests {
    /// SigmaHQ's rule as published (rules/cloud/aws/cloudtrail/aws_disable_bucket_versioning.yml).
    static let sigmaHQBucketVersioning = """
        title: AWS S3 Bucket Versioning Disable
        id: a136ac98-b2bc-4189-a14d-f0d0388e57a7
        status: test
        description: Detects when S3 bucket versioning is disabled.
        author: Sean Johnstone | Unit 42
        date: 2023-10-28
        tags:
            - attack.impact
            - attack.t1490
        logsource:
            product: aws
            service: cloudtrail
        detection:
            selection:
                eventSource: s3.amazonaws.com
                eventName: PutBucketVersioning
                requestParameters|contains: 'Suspended'
            condition: selection
        falsepositives:
            - AWS administrator legitimately disabling bucket versioning
        level: medium
        """

    /// A PutBucketVersioning record as CloudTrail writes it.
    static func putBucketVersioning(status: String) -> String {
        #"""
        {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAQ3EGRS4KOPSADMIN:mallory",
        "arn":"arn:aws:sts::111122223333:assumed-role/OpsAdmin/mallory","accountId":"111122223333",
        "accessKeyId":"ASIAQ3EGRS4KEXAMPLE2","sessionContext":{"sessionIssuer":{"type":"Role",
        "principalId":"AROAQ3EGRS4KOPSADMIN","arn":"arn:aws:iam::111122223333:role/OpsAdmin","accountId":"111122223333",
        "userName":"OpsAdmin"},"attributes":{"creationDate":"2025-03-04T09:12:41Z","mfaAuthenticated":"false"}}},
        "eventTime":"2025-03-04T12:34:46Z","eventSource":"s3.amazonaws.com","eventName":"PutBucketVersioning",
        "awsRegion":"us-east-1","sourceIPAddress":"198.51.100.23","userAgent":"[aws-cli/2.15.30]",
        "requestParameters":{"bucketName":"customer-docs","Host":"customer-docs.s3.us-east-1.amazonaws.com",
        "versioning":"","VersioningConfiguration":{"xmlns":"http://s3.amazonaws.com/doc/2006-03-01/","Status":"\#(status)"}},
        "responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","bytesTransferredIn":0,
        "AuthenticationMethod":"AuthHeader","x-amz-id-2":"abc=","bytesTransferredOut":0},
        "requestID":"d03f5c56","eventID":"d6483de4-2a5d-5dae-d0cb-05bd8f85dbf5","readOnly":false,
        "resources":[{"accountId":"111122223333","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::customer-docs"}],
        "eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"111122223333","eventCategory":"Management"}
        """#
    }

    @Test("SigmaHQ's bucket-versioning rule fires on a real PutBucketVersioning record (object value, |contains)")
    func sigmaHQBucketVersioning() throws {
        let rules = loadRule(Self.sigmaHQBucketVersioning)
        #expect(try engineMatches(rules, Self.putBucketVersioning(status: "Suspended")) == ["a136ac98-b2bc-4189-a14d-f0d0388e57a7"])
        #expect(try engineMatches(rules, Self.putBucketVersioning(status: "Enabled")).isEmpty)
        // And lint has nothing to say about it: it can match.
        let lint = RuleLoader.load(text: Self.sigmaHQBucketVersioning, path: "x.yml").diagnostics
        #expect(lint.isEmpty, "\(lint)")
    }

    @Test("string tests on an object read its compact JSON text: equals, startswith, endswith, contains, re")
    func objectCompactText() throws {
        let event = #"{"requestParameters":{"a" : "x\/y", "n": [1, true, null], "q":"say \"hi\"\n", "e":"\u00e9"}}"#
        let compact = #"{"a":"x/y","n":[1,true,null],"q":"say \"hi\"\n","e":"é"}"#
        let doc = try JSONDocument(parsing: Array(event.utf8))
        #expect(doc.withView { v in CompactJSON.text(v, v.member(of: 0, "requestParameters")!) } == compact)
        func sq(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        #expect(try fires("s:\n  requestParameters: \(sq(compact))\ncondition: s", event))
        // Case-insensitive unless |cased, like any Sigma value.
        let small = #"{"requestParameters":{"status":"Suspended"}}"#
        #expect(try fires("s:\n  requestParameters: '{\"STATUS\":\"SUSPENDED\"}'\ncondition: s", small))
        #expect(try !fires("s:\n  requestParameters|cased: '{\"STATUS\":\"SUSPENDED\"}'\ncondition: s", small))
        #expect(try fires("s:\n  requestParameters|cased: '{\"status\":\"Suspended\"}'\ncondition: s", small))
        #expect(try !fires("s:\n  requestParameters: 'x/y'\ncondition: s", event))  // equality is with the whole text
        #expect(try fires("s:\n  requestParameters|startswith: '{\"a\":\"x/y\"'\ncondition: s", event))
        #expect(try fires("s:\n  requestParameters|endswith: '\"e\":\"é\"}'\ncondition: s", event))
        #expect(try fires("s:\n  requestParameters|contains: '\"n\":[1,true,null]'\ncondition: s", event))
        #expect(try !fires("s:\n  requestParameters|contains: 'absent'\ncondition: s", event))
        #expect(try fires("s:\n  requestParameters|re: '\"a\":\"x/y\",\"n\"'\ncondition: s", event))
        #expect(try !fires("s:\n  requestParameters|re: '^\"a\"'\ncondition: s", event))
        #expect(try fires("s:\n  requestParameters: '*x/y*'\ncondition: s", event))
        // A list of values: any of them, objects too; |all: every one.
        #expect(try fires("s:\n  requestParameters|contains: [nope, 'say']\ncondition: s", event))
        #expect(try fires("s:\n  requestParameters|contains|all: ['x/y', 'say']\ncondition: s", event))
        #expect(try !fires("s:\n  requestParameters|contains|all: ['x/y', 'nope']\ncondition: s", event))
        // A nested object reached by a path; a number, boolean or null value is not a string test's business.
        #expect(try fires("s:\n  requestParameters.VersioningConfiguration|contains: suspended\ncondition: s",
                          Self.putBucketVersioning(status: "Suspended")))
        #expect(try !fires("s:\n  requestParameters.VersioningConfiguration|contains: suspended\ncondition: s",
                           Self.putBucketVersioning(status: "Enabled")))
        // neq on an object: not equal to the text.
        #expect(try fires("s:\n  requestParameters|neq: 'x'\ncondition: s", event))
    }

    @Test("an array of objects: any element, each by its compact JSON text")
    func arrayOfObjects() throws {
        let event = Self.putBucketVersioning(status: "Suspended")
        #expect(try fires("s:\n  resources|contains: 'arn:aws:s3:::customer-docs'\ncondition: s", event))
        #expect(try fires("s:\n  resources|startswith: '{\"accountId\":\"111122223333\"'\ncondition: s", event))
        #expect(try !fires("s:\n  resources|contains: 'other-bucket'\ncondition: s", event))
        let two = #"{"resources":[{"ARN":"a"},{"ARN":"b","type":"AWS::KMS::Key"}]}"#
        #expect(try fires("s:\n  resources: '{\"ARN\":\"b\",\"type\":\"AWS::KMS::Key\"}'\ncondition: s", two))
        #expect(try !fires("s:\n  resources: '{\"ARN\":\"a\",\"type\":\"AWS::KMS::Key\"}'\ncondition: s", two))
    }

    @Test("exists: true matches a field present with value null; exists: false only an absent one")
    func existsNull() throws {
        let yes = "s:\n  responseElements|exists: true\ncondition: s"
        let no = "s:\n  responseElements|exists: false\ncondition: s"
        #expect(try fires(yes, #"{"responseElements":null}"#))
        #expect(try fires(yes, #"{"responseElements":{"x":1}}"#))
        #expect(try fires(yes, #"{"responseElements":""}"#))
        #expect(try !fires(yes, #"{"eventName":"x"}"#))
        #expect(try !fires(no, #"{"responseElements":null}"#))
        #expect(try fires(no, #"{"eventName":"x"}"#))
        // Through arrays: present in any element.
        #expect(try fires("s:\n  resources.ARN|exists: true\ncondition: s", #"{"resources":[{"type":"t"},{"ARN":null}]}"#))
        #expect(try !fires("s:\n  resources.ARN|exists: true\ncondition: s", #"{"resources":[{"type":"t"}]}"#))
    }

    @Test("keyword selections: the specification's '|all' key form, plain lists and a '|all' error")
    func keywordAllForm() throws {
        // The specification's example, keyword form with modifiers.
        let all = "keywords:\n  '|all':\n    - 'Remove-MpPreference'\n    - '-ControlledFolderAccessProtectedFolders'\ncondition: keywords"
        #expect(try fires(all, #"{"a":"Remove-MpPreference -ControlledFolderAccessProtectedFolders C:\\x"}"#))
        #expect(try fires(all, #"{"a":"Remove-MpPreference","b":{"c":["-ControlledFolderAccessProtectedFolders"]}}"#))
        #expect(try !fires(all, #"{"a":"Remove-MpPreference"}"#))
        #expect(try !fires(all, #"{"Remove-MpPreference":"-ControlledFolderAccessProtectedFolders"}"#))  // keys are names
        let any = "keywords:\n  '|contains':\n    - alpha\n    - beta\ncondition: keywords"
        #expect(try fires(any, #"{"a":"xbetax"}"#))
        #expect(try !fires(any, #"{"a":"gamma"}"#))
        let bad = diagnostics("id: a\ntitle: t\ndetection:\n  k:\n    '|re': [x]\n  condition: k\n")
        #expect(bad.contains { $0.level == .error && $0.message.contains("'re'") && $0.line == 5 })
    }

    @Test("arrays in the indexed fields: eventName, eventSource, userIdentity.type — any element matches, once")
    func indexedFieldArrays() throws {
        func rule(_ id: String, _ selection: String) -> String {
            "id: \(id)\ntitle: t\ndetection:\n  s:\n" + selection.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n")
                + "\n  condition: s\n"
        }
        let rules = loadRule(rule("by-name", "eventName: [StopLogging, DeleteTrail]"))
            + loadRule(rule("by-prefix", "eventName|startswith: Delete"))
            + loadRule(rule("by-source", "eventSource: guardduty.amazonaws.com"))
            + loadRule(rule("by-identity", "userIdentity.type: Root\nsourceIPAddress: 203.0.113.9"))
        #expect(try engineMatches(rules, #"{"eventName":["ListBuckets","StopLogging","DeleteTrail"]}"#) == ["by-name", "by-prefix"])
        #expect(try engineMatches(rules, #"{"eventName":["ListBuckets"]}"#).isEmpty)
        #expect(try engineMatches(rules, #"{"eventName":"StopLogging"}"#) == ["by-name"])
        #expect(try engineMatches(rules, #"{"eventSource":["s3.amazonaws.com","guardduty.amazonaws.com"]}"#) == ["by-source"])
        #expect(try engineMatches(rules, #"{"eventSource":["s3.amazonaws.com"]}"#).isEmpty)
        #expect(try engineMatches(rules, #"{"userIdentity":{"type":["IAMUser","Root"]},"sourceIPAddress":"203.0.113.9"}"#) == ["by-identity"])
        #expect(try engineMatches(rules, #"{"userIdentity":[{"type":"IAMUser"},{"type":"Root"}],"sourceIPAddress":"203.0.113.9"}"#) == ["by-identity"])
        #expect(try engineMatches(rules, #"{"userIdentity":{"type":["IAMUser"]},"sourceIPAddress":"203.0.113.9"}"#).isEmpty)
        // An object where a string is expected: the detection decides (here by the object's text).
        let objectRule = loadRule(rule("object-name", "eventName|contains: StopLogging"))
        #expect(try engineMatches(objectRule, #"{"eventName":{"v":"StopLogging"}}"#) == ["object-name"])
    }

    @Test("lint warns about tests that cannot match CloudTrail's shapes, with the key's line")
    func lintShapes() {
        func warnings(_ selection: String) -> [RuleDiagnostic] {
            diagnostics("id: a\ntitle: t\ndetection:\n  s:\n    " + selection + "\n  condition: s\n").filter { $0.level == .warning }
        }
        #expect(warnings("eventname: StopLogging").contains { $0.line == 5 && $0.message.contains("'eventName'") })
        #expect(warnings("userIdentity.sessionContext.sessionissuer.type: Role").contains { $0.message.contains("sessionIssuer") })
        #expect(warnings("eventName.value: StopLogging").contains { $0.message.contains("a string") })
        #expect(warnings("readOnly.x: true").contains { $0.message.contains("a boolean") })
        #expect(warnings("requestParameters: Suspended").contains { $0.message.contains("JSON object") })
        #expect(warnings("requestParameters|startswith: Suspended").contains { $0.message.contains("JSON object") })
        #expect(warnings("userIdentity: Root").contains { $0.message.contains("userIdentity.name") })
        #expect(warnings("resources: AWS::S3::Bucket").contains { $0.message.contains("array of objects") })
        #expect(warnings("requestParameters|cidr: 10.0.0.0/8").contains { $0.message.contains("|cidr") })
        #expect(warnings("additionalEventData: 5").contains { $0.message.contains("never matches") })
        // Tests that can match: no warning.
        for ok in ["eventName: StopLogging", "requestParameters|contains: Suspended", "requestParameters: null",
                   "requestParameters|exists: true", "requestParameters.anything.Deep: x", "requestParameters: '*Suspended*'",
                   "requestParameters|re: Susp", "requestParameters: '{\"a\":1}'", "customField: x",
                   "requestParameters.policy|publicpolicy: true", "resources.ARN|endswith: ':root'"] {
            #expect(warnings(ok).isEmpty, "\(ok): \(warnings(ok))")
        }
    }

    @Test("no built-in rule tests a field in a way CloudTrail's shapes cannot match")
    func builtInsLintClean() {
        let shapeWarnings = RuleCatalog.builtIn.diagnostics.filter {
            $0.level == .warning && ($0.message.contains("CloudTrail") || $0.message.contains("never matches"))
        }
        #expect(shapeWarnings.isEmpty, "\(shapeWarnings)")
    }
}
