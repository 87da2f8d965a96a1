import Foundation
import SigV4

/// SigV4 canonicalisation of any request parts (the client signs names and keys that come from events and
/// configuration): never a crash, the same canonical request twice, and signing adds exactly one authorization.
enum SigV4Fuzz {
    static let signer = SigV4Signer(
        credentials: SigV4Credentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      sessionToken: "token"),
        region: "us-east-1", service: "s3", options: .s3)

    static func run(_ p: UnsafeBufferPointer<UInt8>) throws {
        let f = fields(p, 6) + Array(repeating: "", count: 6)
        let query = f[3].split(separator: "&", omittingEmptySubsequences: false).map { item -> SigV4QueryItem in
            let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return SigV4QueryItem(String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        }
        let headers = f[4].split(separator: "\n").map { line -> (name: String, value: String) in
            let kv = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        }
        let request = SigV4Request(method: f[0], host: f[1], path: f[2], query: query, headers: headers,
                                   payload: .bytes(Array(f[5].utf8)))
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        let prepared = signer.prepare(request, date: date)
        let once = signer.canonicalRequest(prepared, date: date)
        guard once == signer.canonicalRequest(prepared, date: date) else { throw FuzzFailure("canonical request not deterministic") }
        _ = SigV4Encoding.encodePath(f[2])
        _ = SigV4Encoding.queryString(query)
        let signed = signer.sign(request, date: date)
        let authorizations = signed.headers.filter { $0.name == "authorization" }.count
        guard authorizations == 1 else { throw FuzzFailure("\(authorizations) authorization headers after signing") }
    }
}
