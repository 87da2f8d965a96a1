import Testing
import TriplineCore
import TriplineJSON

@Suite("AWS address ranges")
struct AWSAddressRangesTests {
    func inside(_ table: AWSAddressRanges, _ text: String) -> Bool { table.contains(IPAddress(text)!) }

    @Test("ranges merge and bisection finds edges, gaps and both families")
    func lookups() {
        let t = AWSAddressRanges(
            prefixes: ["3.5.0.0/16", "3.4.0.0/16", "3.4.12.0/24", "52.94.0.0/22", "2600:1f00::/24", "not a prefix"],
            createDate: "test")
        #expect(t.count.v4 == 2)  // 3.4/16 and 3.5/16 touch; the /24 inside is absorbed
        #expect(t.count.v6 == 1)
        #expect(inside(t, "3.4.0.0") && inside(t, "3.5.255.255") && inside(t, "52.94.3.255"))
        #expect(!inside(t, "3.3.255.255") && !inside(t, "3.6.0.0") && !inside(t, "52.94.4.0") && !inside(t, "0.0.0.0"))
        #expect(inside(t, "2600:1f00::1") && inside(t, "2600:1fff:ffff::"))
        #expect(!inside(t, "2600:2000::") && !inside(t, "::3.4.0.1"))
        // An IPv4-mapped IPv6 address is the IPv4 address.
        #expect(inside(t, "::ffff:3.4.9.9"))
    }

    @Test("prefix lines give back the same table, split into aligned prefixes")
    func prefixLines() {
        let t = AWSAddressRanges(prefixes: ["10.0.0.0/24", "10.0.1.0/24", "10.0.2.0/24", "2001:db8::/33", "2001:db8:8000::/33"],
                                 createDate: "x")
        #expect(t.prefixLines == ["10.0.0.0/23", "10.0.2.0/24", "2001:db8::/32"])
        let again = AWSAddressRanges(prefixes: t.prefixLines, createDate: "x")
        #expect(again.prefixLines == t.prefixLines)
        #expect(AWSAddressRanges(prefixes: ["0.0.0.0/0", "::/0"], createDate: "").prefixLines == ["0.0.0.0/0", "::/0"])
    }

    @Test("ip-ranges.json is read; other JSON is refused")
    func parse() throws {
        let json = #"""
            {"syncToken":"1","createDate":"2026-01-02-03-04-05","prefixes":[{"ip_prefix":"15.181.232.0/21","region":"us-east-1","service":"EC2"}],
             "ipv6_prefixes":[{"ipv6_prefix":"2a05:d06a:8000::/40","region":"eu-west-1","service":"EC2"}]}
            """#
        let t = try AWSAddressRanges(ipRangesJSON: Array(json.utf8))
        #expect(t.createDate == "2026-01-02-03-04-05")
        #expect(inside(t, "15.181.239.1") && inside(t, "2a05:d06a:80ff::9") && !inside(t, "15.181.240.0"))
        #expect(throws: AWSAddressRanges.ParseError.self) { try AWSAddressRanges(ipRangesJSON: Array(#"{"hello":1}"#.utf8)) }
        #expect(throws: AWSAddressRanges.ParseError.self) { try AWSAddressRanges(ipRangesJSON: Array("<html>".utf8)) }
    }

    @Test("the built-in snapshot knows EC2, S3 and CloudFront addresses and not the internet's")
    func snapshot() {
        let s = AWSAddressRanges.snapshot
        #expect(s.count.v4 > 500 && s.count.v6 > 500)
        for a in ["52.4.17.90", "3.5.1.2", "18.97.200.1", "2a05:d06a:8000::1f"] { #expect(inside(s, a), "\(a)") }
        for a in ["185.220.101.47", "203.0.113.9", "8.8.8.8", "10.1.2.3", "2a0b:f4c2:2::1"] { #expect(!inside(s, a), "\(a)") }
    }

    @Test("|aws_ip: true and false test addresses; a non-address is neither")
    func modifier() throws {
        func rule(_ inside: Bool) throws -> Detection {
            try Detection.compile(DetectionSpec(
                selections: [("s", .fieldGroups([[FieldSpec(key: "sourceIPAddress|aws_ip", values: [.bool(inside)])]]))],
                conditions: ["s"]))
        }
        let (inAWS, outside) = (try rule(true), try rule(false))
        func matches(_ d: Detection, _ ip: String) throws -> Bool {
            try JSONDocument(parsing: Array(#"{"sourceIPAddress":"\#(ip)"}"#.utf8)).withView { d.matches($0, root: 0) }
        }
        #expect(try matches(inAWS, "52.4.17.90") && !matches(outside, "52.4.17.90"))
        #expect(try !matches(inAWS, "185.220.101.47") && matches(outside, "185.220.101.47"))
        #expect(try !matches(inAWS, "ec2.amazonaws.com") && !matches(outside, "ec2.amazonaws.com"))
        #expect(throws: DetectionError.self) {
            try Detection.compile(DetectionSpec(
                selections: [("s", .fieldGroups([[FieldSpec(key: "sourceIPAddress|aws_ip", values: [.string("yes")])]]))],
                conditions: ["s"]))
        }
    }
}
