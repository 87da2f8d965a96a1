import Testing
@testable import TriplineJSON

@Suite("Member index")
struct MemberIndexTests {
    /// Looks every key of `keys` (present or not) up with and without the index on the root object.
    func agree(_ json: String, _ keys: [String], indexed expectIndexed: Bool) throws {
        let document = try JSONDocument(parsing: Array(json.utf8))
        var slots = [Int32](repeating: 0, count: JSONView.memberSlotCount)
        document.withView { view in
            slots.withUnsafeMutableBufferPointer { slots in
                let indexed = view.indexingMembers(of: JSONView.root, slots: slots)
                #expect((indexed.memberSlots != nil) == expectIndexed, "\(json)")
                for key in keys {
                    #expect(indexed.member(of: JSONView.root, key) == view.member(of: JSONView.root, key), "\(key) in \(json)")
                }
                // Paths go through the index for the root and scan below it.
                for path in ["userIdentity.type", "a.b", "requestParameters.x"] {
                    #expect(indexed.first(JSONPath(path)) == view.first(JSONPath(path)), "\(path) in \(json)")
                }
            }
        }
    }

    static let cloudTrailKeys = [
        "eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion", "sourceIPAddress",
        "userAgent", "errorCode", "errorMessage", "requestParameters", "responseElements", "additionalEventData",
        "requestID", "eventID", "readOnly", "resources", "eventType", "apiVersion", "managementEvent",
        "recipientAccountId", "sharedEventID", "vpcEndpointId", "eventCategory", "tlsDetails",
    ]

    @Test("finds what a scan of the keys finds: every CloudTrail key, absent keys, near misses, nested paths")
    func sameAsScan() throws {
        let present = Self.cloudTrailKeys.filter { $0 != "errorCode" && $0 != "sharedEventID" }
        let json = "{" + present.enumerated().map { #""\#($1)":{"type":\#($0),"b":"x"}"# }.joined(separator: ",") + #","":1}"#
        let probes = Self.cloudTrailKeys + ["", "a", "eventNam", "eventNameX", "EventName", "b", "type"]
        try agree(json, probes, indexed: true)
    }

    @Test("a repeated key: the last one wins, indexed or scanned")
    func repeatedKey() throws {
        let json = #"{"eventName":"A","x":1,"eventName":"B","eventName":"C"}"#
        try agree(json, ["eventName", "x"], indexed: true)
        let document = try JSONDocument(parsing: Array(json.utf8))
        var slots = [Int32](repeating: 0, count: JSONView.memberSlotCount)
        document.withView { view in
            #expect(view.member(of: JSONView.root, "eventName").flatMap(view.string) == "C")
            slots.withUnsafeMutableBufferPointer { slots in
                let indexed = view.indexingMembers(of: JSONView.root, slots: slots)
                #expect(indexed.memberSlots != nil)
                #expect(indexed.member(of: JSONView.root, "eventName").flatMap(view.string) == "C")
            }
        }
    }

    @Test("objects with escaped keys or too many keys are left to the scan")
    func unindexed() throws {
        try agree(#"{"event\u004eame":"A","eventName":"B","x":1}"#, ["eventName", "x", "eventNAme"], indexed: false)
        let many = "{" + (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        try agree(many, (0..<45).map { "k\($0)" }, indexed: false)
        try agree("[1,2]", ["a"], indexed: false)
    }

    @Test("many keys in few slots: every probe sequence ends", arguments: [1, 5, 31, 32])
    func crowded(count: Int) throws {
        let json = "{" + (0..<count).map { #""\#(String(repeating: "k", count: $0 + 1))":\#($0)"# }.joined(separator: ",") + "}"
        try agree(json, (0..<40).map { String(repeating: "k", count: $0 + 1) }, indexed: true)
    }
}
