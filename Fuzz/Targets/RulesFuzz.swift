import TriplineCore
import TriplineJSON
import TriplineRules

/// A rule file, as `tripline rules lint` reads one: YAML, Sigma conditions and modifiers, the rule's own tests.
/// Loads or gives diagnostics, never crashes; whatever loads also compiles into an engine and evaluates an event.
enum RulesFuzz {
    static let event: [UInt8] = Array(#"""
        {"eventVersion":"1.08","eventTime":"2024-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"CreateUser",
         "awsRegion":"us-east-1","sourceIPAddress":"203.0.113.7","userAgent":"aws-cli/2","userIdentity":{"type":"IAMUser",
         "arn":"arn:aws:iam::111122223333:user/alice","accountId":"111122223333","userName":"alice"},
         "requestParameters":{"userName":"mallory","tags":[{"key":"a","value":"b"}]},"responseElements":null,
         "eventID":"e1","recipientAccountId":"111122223333"}
        """#.utf8)

    static func run(_ p: UnsafeBufferPointer<UInt8>) throws {
        let text = String(decoding: p, as: UTF8.self)
        let result = RuleLoader.load(text: text, path: "fuzz.yml")
        guard !result.rules.isEmpty else { return }
        let engine = Engine(rules: result.rules)
        var matched = 0  // evaluated for the crash it might cause; any count is fine
        event.withUnsafeBufferPointer { bytes in
            var parser = JSONParser()
            guard (try? parser.parseDocument(bytes)) != nil else { return }
            parser.withNodes { nodes in
                engine.evaluate(JSONView(bytes: bytes, nodes: nodes)) { _ in matched += 1 }
            }
        }
    }
}
