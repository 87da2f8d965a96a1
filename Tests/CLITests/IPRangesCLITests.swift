import Foundation
import Testing
import TriplineTestSupport

/// `tripline ip-ranges`: the snapshot, a refresh from a loopback server (never the internet), and the cache it
/// leaves being preferred by later runs, including `scan`.
@Suite("tripline ip-ranges")
struct IPRangesCLITests {
    /// A made-up ip-ranges.json that claims 185.220.101.0/24 (outside AWS in the snapshot) and nothing else.
    static let fakeRanges = #"""
        {"syncToken":"42","createDate":"2099-01-01-00-00-00",
         "prefixes":[{"ip_prefix":"185.220.101.0/24","region":"eu-west-1","service":"EC2","network_border_group":"eu-west-1"}],
         "ipv6_prefixes":[{"ipv6_prefix":"2a0b:f4c2::/32","region":"eu-west-1","service":"EC2","network_border_group":"eu-west-1"}]}
        """#

    @Test("lookup uses the built-in snapshot when there is no cache")
    func snapshotLookup() throws {
        let cache = Fixtures.temporaryFolder().appendingPathComponent("none.json").path
        let r = try CLI.run(["ip-ranges", "lookup", "52.4.17.90", "185.220.101.47"],
                            environment: CLI.environment(["TRIPLINE_IP_RANGES": cache]))
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.lines == ["52.4.17.90\taws", "185.220.101.47\toutside"])
        let bad = try CLI.run(["ip-ranges", "lookup", "not-an-ip"], environment: CLI.environment(["TRIPLINE_IP_RANGES": cache]))
        #expect(bad.status == 2 && bad.stderr.contains("not an IP address"))
    }

    @Test("refresh downloads into the cache; later runs prefer it; a bad download leaves it unchanged")
    func refresh() throws {
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/ip-ranges.json": .init(json: IPRangesCLITests.fakeRanges)
            case "/broken.json": .init(status: 200, text: "<html>captive portal</html>")
            default: .init(status: 404, text: "no")
            }
        }
        defer { server.stop() }
        let cache = Fixtures.temporaryFolder().appendingPathComponent("sub/aws-ip-ranges.json").path
        let env = CLI.environment(["TRIPLINE_IP_RANGES": cache])

        let r = try CLI.run(["ip-ranges", "refresh", "--url", server.baseURL + "/ip-ranges.json"], environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("1 IPv4 and 1 IPv6 ranges, created 2099-01-01-00-00-00"))
        #expect(FileManager.default.fileExists(atPath: cache))

        let lookup = try CLI.run(["ip-ranges", "lookup", "52.4.17.90", "185.220.101.47", "2a0b:f4c2:2::1"], environment: env)
        #expect(lookup.lines == ["52.4.17.90\toutside", "185.220.101.47\taws", "2a0b:f4c2:2::1\taws"])
        let status = try CLI.run(["ip-ranges", "status"], environment: env)
        #expect(status.stdout.contains("cache \(cache)"), "\(status.stdout)")

        for path in ["/broken.json", "/missing.json"] {
            let failed = try CLI.run(["ip-ranges", "refresh", "--url", server.baseURL + path], environment: env)
            #expect(failed.status == 1, "\(path): \(failed.stdout)")
            #expect(failed.stderr.contains("the cache is unchanged"), "\(path): \(failed.stderr)")
        }
        let still = try CLI.run(["ip-ranges", "lookup", "185.220.101.47"], environment: env)
        #expect(still.lines == ["185.220.101.47\taws"])
    }

    @Test("scan: instance credentials from an address the cache calls AWS's are not 'outside AWS'")
    func scanPrefersCache() throws {
        let folder = Fixtures.temporaryFolder()
        let event = #"""
            {"Records":[{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE:i-0a1b2c3d4e5f60718","arn":"arn:aws:sts::111122223333:assumed-role/web/i-0a1b2c3d4e5f60718","accountId":"111122223333"},"eventTime":"2025-03-01T12:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"eu-west-1","sourceIPAddress":"185.220.101.47","userAgent":"aws-cli/2.15.0","eventID":"0b4c1f2e-0000-4000-8000-000000000001","readOnly":true,"eventType":"AwsApiCall","recipientAccountId":"111122223333"}]}
            """#
        let file = folder.appendingPathComponent("events.json")
        try Data(event.utf8).write(to: file)
        let args = ["scan", "--format", "jsonl", "--only", "tripline.sts.instance-credentials-used-outside-aws", file.path]
        let noCache = try CLI.run(args, environment: CLI.environment(["TRIPLINE_IP_RANGES": folder.appendingPathComponent("none").path]))
        #expect(noCache.lines.count == 1, "\(noCache.stdout)\(noCache.stderr)")

        let cache = folder.appendingPathComponent("ranges.json")
        try Data(IPRangesCLITests.fakeRanges.utf8).write(to: cache)
        let withCache = try CLI.run(args, environment: CLI.environment(["TRIPLINE_IP_RANGES": cache.path]))
        #expect(withCache.status == 0)
        #expect(withCache.lines.isEmpty, "\(withCache.stdout)")

        // A damaged cache is reported and the snapshot used.
        try Data("{not json".utf8).write(to: cache)
        let damaged = try CLI.run(args, environment: CLI.environment(["TRIPLINE_IP_RANGES": cache.path]))
        #expect(damaged.lines.count == 1)
        #expect(damaged.stderr.contains("ignoring the AWS address cache"))
    }
}
