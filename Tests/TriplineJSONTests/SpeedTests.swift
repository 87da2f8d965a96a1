import Testing

import TriplineJSON

/// A rough throughput check on CloudTrail-shaped input. It prints MB/s and asserts only a loose sanity floor.
@Suite("Speed smoke test")
struct SpeedTests {
    static func record(_ i: Int) -> String {
        let names = ["ConsoleLogin", "AssumeRole", "GetObject", "PutBucketPolicy", "CreateAccessKey", "DescribeInstances"]
        let name = names[i % names.count]
        return #"""
            {"eventVersion":"1.09","userIdentity":{"type":"AssumedRole","principalId":"AROAEXAMPLE\#(i):session","arn":"arn:aws:sts::123456789012:assumed-role/Admin/session-\#(i)","accountId":"123456789012","accessKeyId":"ASIAEXAMPLE\#(i % 997)","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROAEXAMPLE","arn":"arn:aws:iam::123456789012:role/Admin","accountId":"123456789012","userName":"Admin"},"attributes":{"creationDate":"2026-11-22T04:09:26Z","mfaAuthenticated":"false"}}},"eventTime":"2026-11-22T04:\#(10 + i % 50):26Z","eventSource":"s3.amazonaws.com","eventName":"\#(name)","awsRegion":"eu-west-1","sourceIPAddress":"203.0.113.\#(i % 256)","userAgent":"[aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64.amzn.2 prompt/off command/s3.cp]","requestParameters":{"bucketName":"tripline-logs-\#(i % 13)","key":"AWSLogs/123456789012/CloudTrail/eu-west-1/2026/11/22/file-\#(i).json.gz","Host":"tripline-logs.s3.eu-west-1.amazonaws.com","x-id":"GetObject"},"responseElements":null,"additionalEventData":{"SignatureVersion":"SigV4","CipherSuite":"TLS_AES_128_GCM_SHA256","bytesTransferredIn":0,"AuthenticationMethod":"AuthHeader","x-amz-id-2":"abc\/def+ghi=","bytesTransferredOut":\#(i * 37 % 100000)},"requestID":"\#(i)ABCDEF0123456789","eventID":"0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f\#(i % 10)","readOnly":true,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::tripline-logs/file-\#(i)"},{"accountId":"123456789012","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::tripline-logs"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"123456789012","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"tripline-logs.s3.eu-west-1.amazonaws.com"},"note":"caf\u00e9 \u2603 ünïcödé"}
            """#
    }

    static func buffer(targetBytes: Int) -> (bytes: [UInt8], records: Int) {
        var out: [UInt8] = Array(#"{"Records":["#.utf8)
        out.reserveCapacity(targetBytes + 4096)
        var n = 0
        while out.count < targetBytes {
            if n > 0 { out.append(UInt8(ascii: ",")) }
            out += Array(record(n).utf8)
            n += 1
        }
        out += Array("]}".utf8)
        return (out, n)
    }

    @Test("parse ~20 MB of CloudTrail-like records")
    func throughput() throws {
        let (bytes, count) = Self.buffer(targetBytes: 20 << 20)
        let mb = Double(bytes.count) / 1_048_576
        var parser = JSONParser()
        var best = Double.infinity
        var bestWalk = Double.infinity
        let runs = 3
        var logins = 0
        for _ in 0..<runs {
            // Whole document at once.
            let t0 = now()
            try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
            best = min(best, now() - t0)
            #expect(parser.nodes[2].a == UInt32(count))

            // Record by record, the way the scanner walks a CloudTrail file, with a probe per record.
            logins = 0
            let t1 = now()
            let path = JSONPath("eventName")
            let login = Array("ConsoleLogin".utf8)
            try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in
                var i = 12  // after {"Records":[
                #expect(p[i - 1] == UInt8(ascii: "["))
                while true {
                    i = try parser.parseValue(p, at: i)
                    parser.nodes.withUnsafeBufferPointer { n in
                        let view = JSONView(bytes: p, nodes: n)
                        if let v = view.first(path), login.withUnsafeBufferPointer({ view.keyEquals(v, $0) }) { logins += 1 }
                    }
                    if p[i] == UInt8(ascii: ",") { i += 1 } else { break }
                }
            }
            bestWalk = min(bestWalk, now() - t1)
        }
        #expect(logins == (count + 5) / 6)
        let docRate = mb / best
        let walkRate = mb / bestWalk
        print("TriplineJSON speed: \(count) records, \(Int(mb)) MB; parseDocument \(Int(docRate)) MB/s, per-record walk \(Int(walkRate)) MB/s")
        // Sanity floors only, against pathological (e.g. quadratic) regressions. An unoptimised (debug) build of the
        // parser measures about 11 MB/s on a shared 2-core box, so the debug floor is well below that; 50 MB/s
        // applies to optimised builds.
        #if DEBUG
            let floor = 4.0
        #else
            let floor = 50.0
        #endif
        #expect(docRate > floor, "parseDocument \(docRate) MB/s")
        #expect(walkRate > floor, "per-record walk \(walkRate) MB/s")
    }
}
