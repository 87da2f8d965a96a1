import Foundation
import Testing

@testable import SigV4

/// AWS's documented example credentials and date (the SigV4 test suite).
private let exampleCredentials = SigV4Credentials(
    accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
private let exampleDate = Date(timeIntervalSince1970: 1_440_938_160)  // 2015-08-30T12:36:00Z
private let exampleSigner = SigV4Signer(credentials: exampleCredentials, region: "us-east-1", service: "service")

private func header(_ request: SigV4Request, _ name: String) -> String? {
    request.headers.first { $0.name.lowercased() == name }?.value
}

@Suite("SigV4 against AWS's published vectors")
struct SigV4VectorTests {
    @Test("get-vanilla: canonical request, string to sign and Authorization match the AWS suite")
    func getVanilla() {
        let request = SigV4Request(method: "GET", host: "example.amazonaws.com", path: "/")
        let prepared = exampleSigner.prepare(request, date: exampleDate)
        let canonical = exampleSigner.canonicalRequest(prepared, date: exampleDate)
        #expect(
            canonical == """
                GET
                /

                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        #expect(
            exampleSigner.stringToSign(canonicalRequest: canonical, date: exampleDate) == """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63
                """)
        let signed = exampleSigner.sign(request, date: exampleDate)
        #expect(
            header(signed, "authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=host;x-amz-date, "
                + "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31")
        #expect(header(signed, "x-amz-date") == "20150830T123600Z")
    }

    @Test("get-vanilla-query-order-key: parameters are sorted in the canonical query")
    func getQueryOrder() {
        let request = SigV4Request(
            method: "GET", host: "example.amazonaws.com", path: "/",
            query: [SigV4QueryItem("Param2", "value2"), SigV4QueryItem("Param1", "value1")])
        let canonical = exampleSigner.canonicalRequest(exampleSigner.prepare(request, date: exampleDate), date: exampleDate)
        #expect(
            canonical == """
                GET
                /
                Param1=value1&Param2=value2
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                host;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """)
        let signed = exampleSigner.sign(request, date: exampleDate)
        #expect(header(signed, "authorization")?.hasSuffix(
            "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500") == true)
    }

    @Test("post-x-www-form-urlencoded: the body hash and content-type are signed")
    func postForm() {
        let request = SigV4Request(
            method: "POST", host: "example.amazonaws.com", path: "/",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            payload: .bytes(Array("Param1=value1".utf8)))
        let canonical = exampleSigner.canonicalRequest(exampleSigner.prepare(request, date: exampleDate), date: exampleDate)
        #expect(
            canonical == """
                POST
                /

                content-type:application/x-www-form-urlencoded
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                content-type;host;x-amz-date
                9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
                """)
        let signed = exampleSigner.sign(request, date: exampleDate)
        #expect(
            header(signed, "authorization")
                == "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
                + "SignedHeaders=content-type;host;x-amz-date, "
                + "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a")
    }

    @Test("The signing key is the documented HMAC chain (AWS's example secret and date)")
    func signingKey() {
        // AWS docs "Examples of how to derive a signing key": secret wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY,
        // 20120215, us-east-1, iam.
        let signer = SigV4Signer(credentials: exampleCredentials, region: "us-east-1", service: "iam")
        let key = signer.signingKey(date: Date(timeIntervalSince1970: 1_329_264_000))  // 2012-02-15
        let hex = key.withUnsafeBytes { SigV4Signer.hex(Array($0)) }
        #expect(hex == "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d")
    }
}

@Suite("SigV4 options and encoding")
struct SigV4OptionTests {
    @Test("Session tokens are sent and signed as x-amz-security-token")
    func sessionToken() {
        var creds = exampleCredentials
        creds.sessionToken = "token/with+chars="
        let signer = SigV4Signer(credentials: creds, region: "us-east-1", service: "service")
        let signed = signer.sign(SigV4Request(method: "GET", host: "example.amazonaws.com", path: "/"), date: exampleDate)
        #expect(header(signed, "x-amz-security-token") == "token/with+chars=")
        #expect(header(signed, "authorization")?.contains("SignedHeaders=host;x-amz-date;x-amz-security-token,") == true)
        // A token changes the signature compared with the same request without one.
        let plain = exampleSigner.sign(SigV4Request(method: "GET", host: "example.amazonaws.com", path: "/"), date: exampleDate)
        #expect(header(plain, "authorization") != header(signed, "authorization"))
    }

    @Test("S3 option: x-amz-content-sha256 header, UNSIGNED-PAYLOAD and single path encoding")
    func s3Options() {
        let signer = SigV4Signer(credentials: exampleCredentials, region: "us-east-1", service: "s3", options: .s3)
        let path = "/bucket/" + SigV4Encoding.encodePath("logs/a b+c.json")
        #expect(path == "/bucket/logs/a%20b%2Bc.json")
        let request = SigV4Request(method: "GET", host: "s3.amazonaws.com", path: path, payload: .unsigned)
        let prepared = signer.prepare(request, date: exampleDate)
        #expect(header(prepared, "x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
        let canonical = signer.canonicalRequest(prepared, date: exampleDate)
        #expect(
            canonical == """
                GET
                /bucket/logs/a%20b%2Bc.json

                host:s3.amazonaws.com
                x-amz-content-sha256:UNSIGNED-PAYLOAD
                x-amz-date:20150830T123600Z

                host;x-amz-content-sha256;x-amz-date
                UNSIGNED-PAYLOAD
                """)
    }

    @Test("Other services encode the wire path a second time and normalise it")
    func doubleEncoding() {
        let canonical = exampleSigner.canonicalRequest(
            exampleSigner.prepare(
                SigV4Request(method: "GET", host: "example.amazonaws.com", path: "/a/./b//c/../d%20e"), date: exampleDate),
            date: exampleDate)
        #expect(canonical.split(separator: "\n", omittingEmptySubsequences: false)[1] == "/a/b/d%2520e")
    }

    @Test("Header values are trimmed, inner spaces collapsed, repeated names joined; user-agent is not signed")
    func headerCanonicalisation() {
        let request = SigV4Request(
            method: "GET", host: "example.amazonaws.com", path: "/",
            headers: [("My-Header1", "  a   b   c  "), ("my-header1", "d"), ("User-Agent", "tripline")])
        let canonical = exampleSigner.canonicalRequest(exampleSigner.prepare(request, date: exampleDate), date: exampleDate)
        #expect(canonical.contains("\nmy-header1:a b c,d\n"))
        #expect(!canonical.contains("user-agent"))
    }

    @Test("Query names and values use strict AWS encoding (space as %20, reserved characters escaped)")
    func queryEncoding() {
        #expect(SigV4Encoding.encode("a b+c/d=e&f~g") == "a%20b%2Bc%2Fd%3De%26f~g")
        #expect(SigV4Encoding.encode("é") == "%C3%A9")
        #expect(exampleSigner.canonicalQuery([SigV4QueryItem("b", "2"), SigV4QueryItem("a", "z"), SigV4QueryItem("a", "y")])
            == "a=y&a=z&b=2")
    }

    @Test("Dates render as UTC basic ISO 8601 without a formatter", arguments: [
        (0.0, "19700101T000000Z"),
        (946_598_400.0, "19991231T000000Z"),
        (1_709_251_199.0, "20240229T235959Z"),
        (1_440_938_160.9, "20150830T123600Z"),
    ])
    func dates(seconds: Double, expected: String) {
        let date = SigV4Date(Date(timeIntervalSince1970: seconds))
        #expect(date.timestamp == expected)
        #expect(date.day == String(expected.prefix(8)))
    }
}
