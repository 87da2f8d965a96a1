import Crypto
import Foundation
import TriplineCore
import TriplineJSON
import TriplineTestSupport

/// CloudTrail's LookupEvents, served from memory on loopback (moto 5 does not implement it), speaking the real
/// protocol: JSON 1.1 (`X-Amz-Target: CloudTrail_20131101.LookupEvents`), SigV4-signed. Every request's signature is
/// verified here, independently of the client's signer (canonical request, string to sign and key derivation written
/// out from AWS's specification); a bad one is answered 403 `InvalidSignatureException`, as AWS would.
///
/// One event history per region: the region is the one in the request's signing scope (the endpoint is shared, as
/// it is with `AWS_ENDPOINT_URL`), so a client polling eu-west-1 reads eu-west-1's history only if it signed for it.
/// StartTime/EndTime inclusive, newest first, at most MaxResults (≤ 50) per page, an opaque NextToken,
/// CloudTrailEvent as a string.
final class FakeLookupEvents: @unchecked Sendable {
    struct Call {
        var at: ContinuousClock.Instant
        var region: String
        var start: Int?
        var end: Int?
    }

    private let lock = NSLock()
    private let secrets: [String: String]
    private var histories: [String: [(time: Int, id: String, json: String)]] = [:]
    private var calls: [Call] = []
    private var refused: [String] = []
    private(set) var server: LoopbackHTTPServer!

    /// `secrets`: access key id → secret access key; by default any key id with the secret "s".
    init(secrets: [String: String] = [:]) throws {
        self.secrets = secrets
        server = try LoopbackHTTPServer { [unowned self] request in self.answer(request) }
    }

    /// Adds `event` to `region`'s history (by default its own `awsRegion`'s, else us-east-1).
    func add(_ event: JSONValue, region: String? = nil) {
        let time = EventTime.epochSeconds(event["eventTime"]?.stringValue ?? "")!
        let region = region ?? event["awsRegion"]?.stringValue ?? "us-east-1"
        lock.withLock { histories[region, default: []].append((time, event["eventID"]!.stringValue!, event.serialized())) }
    }

    var requests: [(at: ContinuousClock.Instant, start: Int?, end: Int?)] { lock.withLock { calls.map { ($0.at, $0.start, $0.end) } } }
    var answered: [Call] { lock.withLock { calls } }
    /// Why requests were refused (signature, target), in order.
    var refusals: [String] { lock.withLock { refused } }

    private func refuse(_ status: Int, _ type: String, _ why: String) -> LoopbackHTTPServer.Response {
        lock.withLock { refused.append(why) }
        let body: JSONValue = ["__type": .string(type), "message": .string(why)]
        return .init(status: status, json: body.serialized())
    }

    private func answer(_ request: LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response {
        guard request.method == "POST", request.headers["x-amz-target"] == "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents",
            request.headers["content-type"] == "application/x-amz-json-1.1"
        else { return refuse(400, "UnknownOperationException", "not a JSON 1.1 LookupEvents request") }
        let scope: SigV4Scope
        switch SigV4Scope.verify(request, secret: { self.secrets.isEmpty ? "s" : self.secrets[$0] }) {
        case .success(let s): scope = s
        case .failure(let why): return refuse(403, "InvalidSignatureException", why.message)
        }
        guard scope.service == "cloudtrail" else { return refuse(403, "InvalidSignatureException", "signed for \(scope.service)") }
        guard let body = try? JSONValue.parse(request.body) else { return refuse(400, "SerializationException", "body is not JSON") }
        let start = body["StartTime"]?.doubleValue.map { Int($0) }
        let end = body["EndTime"]?.doubleValue.map { Int($0) }
        let max = Int(body["MaxResults"]?.doubleValue ?? 50)
        guard (1...50).contains(max) else {
            return .init(status: 400, json: #"{"__type":"InvalidMaxResultsException","message":"1..50"}"#)
        }
        let offset = body["NextToken"]?.stringValue.flatMap { Int($0.dropFirst(4)) } ?? 0
        let page: [(time: Int, id: String, json: String)] = lock.withLock {
            calls.append(Call(at: ContinuousClock.now, region: scope.region, start: start, end: end))
            let selected = (histories[scope.region] ?? [])
                .filter { e in (start.map { e.time >= $0 } ?? true) && (end.map { e.time <= $0 } ?? true) }
                .sorted { ($0.time, $0.id) > ($1.time, $1.id) }
            return Array(selected.dropFirst(offset).prefix(max)) + (selected.count > offset + max ? [(0, "", "")] : [])
        }
        let more = page.last?.id == ""
        let items: [JSONValue] = page.filter { !$0.id.isEmpty }.map {
            let source = (try? JSONValue.parse($0.json))?["eventSource"] ?? .null
            return ["EventId": .string($0.id), "EventName": "x", "EventSource": source, "EventTime": .number(String($0.time)),
                    "CloudTrailEvent": .string($0.json)]
        }
        let response: JSONValue = ["Events": .array(items), "NextToken": more ? .string("tok-\(offset + max)") : .null]
        return .init(status: 200, headers: ["Content-Type": "application/x-amz-json-1.1"], body: Array(response.serialized().utf8))
    }
}

/// A request's SigV4 signing scope, once its signature is verified.
struct SigV4Scope: Equatable {
    var accessKeyId: String
    var date: String
    var region: String
    var service: String

    struct Failure: Error { var message: String }

    /// Verifies `Authorization: AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…` over the request as
    /// received (AWS Signature Version 4: canonical request → string to sign → HMAC chain), for requests without
    /// a query string.
    static func verify(_ r: LoopbackHTTPServer.Request, secret: (String) -> String?) -> Result<SigV4Scope, Failure> {
        guard let auth = r.headers["authorization"], auth.hasPrefix("AWS4-HMAC-SHA256 ") else { return .failure(.init(message: "no SigV4 Authorization")) }
        var fields: [String: String] = [:]
        for part in auth.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let kv = part.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
            if kv.count == 2 { fields[kv[0]] = kv[1] }
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"], let signature = fields["Signature"] else {
            return .failure(.init(message: "Authorization lacks Credential, SignedHeaders or Signature"))
        }
        let c = credential.split(separator: "/").map(String.init)
        guard c.count == 5, c[4] == "aws4_request" else { return .failure(.init(message: "bad credential scope \(credential)")) }
        guard let key = secret(c[0]) else { return .failure(.init(message: "unknown access key \(c[0])")) }
        guard let amzDate = r.headers["x-amz-date"], amzDate.hasPrefix(c[1]) else { return .failure(.init(message: "x-amz-date does not match the scope date")) }
        let names = signedHeaders.split(separator: ";").map(String.init)
        guard names.contains("host"), names.contains("x-amz-date"), names == names.sorted() else {
            return .failure(.init(message: "SignedHeaders must include host and x-amz-date, sorted"))
        }
        var canonical = "\(r.method)\n\(r.path.isEmpty ? "/" : r.path)\n\n"
        for name in names {
            guard let value = r.headers[name] else { return .failure(.init(message: "signed header \(name) missing")) }
            canonical += "\(name):\(value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " "))\n"
        }
        canonical += "\n\(signedHeaders)\n\(hex(SHA256.hash(data: r.body)))"
        let scope = c[1...4].joined(separator: "/")
        let toSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(hex(SHA256.hash(data: Array(canonical.utf8))))"
        var k = SymmetricKey(data: Array("AWS4\(key)".utf8))
        for step in [c[1], c[2], c[3], "aws4_request"] {
            k = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(step.utf8), using: k)))
        }
        let expected = hex(HMAC<SHA256>.authenticationCode(for: Array(toSign.utf8), using: k))
        guard expected == signature else { return .failure(.init(message: "signature does not match")) }
        return .success(SigV4Scope(accessKeyId: c[0], date: c[1], region: c[2], service: c[3]))
    }

    private static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }
}
