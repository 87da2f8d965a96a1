import Crypto
import Foundation

/// Credentials used to sign a request. A session token is present for temporary (STS) credentials.
public struct SigV4Credentials: Sendable, Equatable {
    public var accessKeyId: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyId: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyId = accessKeyId
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }
}

/// One query parameter, unencoded. The signer and the URL builder apply the same (AWS) encoding to it,
/// so what is signed is exactly what is sent.
public struct SigV4QueryItem: Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The parts of an HTTP request that SigV4 covers.
public struct SigV4Request: Sendable, Equatable {
    /// The request payload, or how to account for it in the signature.
    public enum Payload: Sendable, Equatable {
        case bytes([UInt8])
        /// S3 only: the payload is not part of the signature (`UNSIGNED-PAYLOAD`).
        case unsigned
        /// A hex SHA-256 computed elsewhere (for example while streaming a file).
        case precomputedSHA256(String)
    }

    public var method: String
    /// The `Host` header value as sent, including a non-default port (`127.0.0.1:5000`).
    public var host: String
    /// The path as it goes on the wire, already percent-encoded (see ``SigV4Encoding/encodePath(_:)``).
    public var path: String
    public var query: [SigV4QueryItem]
    /// Headers to send. Names are case-insensitive; the signer adds `x-amz-date`, `authorization` and friends.
    public var headers: [(name: String, value: String)]
    public var payload: Payload

    public init(
        method: String, host: String, path: String, query: [SigV4QueryItem] = [],
        headers: [(name: String, value: String)] = [], payload: Payload = .bytes([])
    ) {
        self.method = method
        self.host = host
        self.path = path
        self.query = query
        self.headers = headers
        self.payload = payload
    }

    public static func == (lhs: SigV4Request, rhs: SigV4Request) -> Bool {
        lhs.method == rhs.method && lhs.host == rhs.host && lhs.path == rhs.path && lhs.query == rhs.query
            && lhs.headers.map { "\($0.name):\($0.value)" } == rhs.headers.map { "\($0.name):\($0.value)" }
            && lhs.payload == rhs.payload
    }
}

/// AWS Signature Version 4, as a value: credentials, region and service fixed, the date passed per call.
///
/// The stages are exposed separately so each can be checked against AWS's documentation:
/// ``canonicalRequest(_:date:)`` → ``stringToSign(canonicalRequest:date:)`` → ``signingKey(date:)`` →
/// ``signature(stringToSign:date:)``; ``sign(_:date:)`` runs them all.
public struct SigV4Signer: Sendable {
    /// Service-specific behaviour. S3 differs from every other service, so it is spelled out rather than
    /// keyed on the service name.
    public struct Options: Sendable, Equatable {
        /// Non-S3 services sign the path percent-encoded twice; S3 signs it as sent.
        public var doubleURIEncode: Bool
        /// Resolve `.`/`..` and repeated slashes in the canonical path (not for S3, where keys are literal).
        public var normalizePath: Bool
        /// Send and sign `x-amz-content-sha256` (required by S3).
        public var addContentSHA256Header: Bool

        public init(doubleURIEncode: Bool = true, normalizePath: Bool = true, addContentSHA256Header: Bool = false) {
            self.doubleURIEncode = doubleURIEncode
            self.normalizePath = normalizePath
            self.addContentSHA256Header = addContentSHA256Header
        }

        /// Every service but S3.
        public static let standard = Options()
        /// Amazon S3: single encoding, literal paths, `x-amz-content-sha256`.
        public static let s3 = Options(doubleURIEncode: false, normalizePath: false, addContentSHA256Header: true)
    }

    public var credentials: SigV4Credentials
    public var region: String
    public var service: String
    public var options: Options

    public init(credentials: SigV4Credentials, region: String, service: String, options: Options = .standard) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.options = options
    }

    static let algorithm = "AWS4-HMAC-SHA256"
    public static let unsignedPayload = "UNSIGNED-PAYLOAD"

    /// Headers never signed: they are added or rewritten by proxies and HTTP stacks after signing.
    static let unsignedHeaders: Set<String> = [
        "authorization", "user-agent", "x-amzn-trace-id", "expect", "connection", "content-length",
        "transfer-encoding",
    ]

    // MARK: - Whole request

    /// Returns `request` with the signing headers added: `host` (if absent), `x-amz-date`,
    /// `x-amz-security-token` (temporary credentials), `x-amz-content-sha256` (S3 option) and `authorization`.
    public func sign(_ request: SigV4Request, date: Date) -> SigV4Request {
        let prepared = prepare(request, date: date)
        let canonical = canonicalRequest(prepared, date: date)
        let toSign = stringToSign(canonicalRequest: canonical, date: date)
        let sig = signature(stringToSign: toSign, date: date)
        var signed = prepared
        signed.headers.append((
            "authorization",
            "\(Self.algorithm) Credential=\(credentials.accessKeyId)/\(credentialScope(date: date)), "
                + "SignedHeaders=\(signedHeaderNames(prepared).joined(separator: ";")), Signature=\(sig)"
        ))
        return signed
    }

    /// Adds the headers that must be present before the canonical request is built.
    public func prepare(_ request: SigV4Request, date: Date) -> SigV4Request {
        var r = request
        r.headers.removeAll { ["authorization", "x-amz-date"].contains($0.name.lowercased()) }
        if !r.headers.contains(where: { $0.name.lowercased() == "host" }) {
            r.headers.append(("host", r.host))
        }
        r.headers.append(("x-amz-date", SigV4Date(date).timestamp))
        if let token = credentials.sessionToken, !r.headers.contains(where: { $0.name.lowercased() == "x-amz-security-token" }) {
            r.headers.append(("x-amz-security-token", token))
        }
        if options.addContentSHA256Header, !r.headers.contains(where: { $0.name.lowercased() == "x-amz-content-sha256" }) {
            r.headers.append(("x-amz-content-sha256", Self.payloadHash(r.payload)))
        }
        return r
    }

    // MARK: - Stage 1: canonical request

    /// Task 1 of the AWS documentation. `request` must already carry the headers added by ``prepare(_:date:)``.
    public func canonicalRequest(_ request: SigV4Request, date: Date) -> String {
        let headers = canonicalHeaders(request)
        return [
            request.method.uppercased(),
            canonicalPath(request.path),
            canonicalQuery(request.query),
            headers.map { "\($0.name):\($0.value)\n" }.joined(),
            headers.map(\.name).joined(separator: ";"),
            Self.payloadHash(request.payload),
        ].joined(separator: "\n")
    }

    func canonicalPath(_ path: String) -> String {
        var p = path.isEmpty ? "/" : path
        if options.normalizePath { p = Self.normalize(p) }
        return options.doubleURIEncode ? SigV4Encoding.encodePath(p) : p
    }

    /// Removes `.`/`..` segments and empty segments, keeping a trailing slash (RFC 3986 section 5.2.4 style).
    static func normalize(_ path: String) -> String {
        var out: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".": continue
            case "..": _ = out.popLast()
            default: out.append(segment)
            }
        }
        var result = "/" + out.joined(separator: "/")
        if path.hasSuffix("/"), result != "/" { result += "/" }
        return result
    }

    func canonicalQuery(_ items: [SigV4QueryItem]) -> String {
        let encoded: [(name: String, value: String)] = items.map {
            (SigV4Encoding.encode($0.name), SigV4Encoding.encode($0.value))
        }
        // Sort by name, then value, comparing the encoded strings byte-wise as AWS does.
        let sorted = encoded.sorted { a, b in
            a.name == b.name ? Array(a.value.utf8).lexicographicallyPrecedes(b.value.utf8)
                : Array(a.name.utf8).lexicographicallyPrecedes(b.name.utf8)
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// Lower-cased names, trimmed values with inner runs of spaces collapsed, repeated headers joined by commas.
    func canonicalHeaders(_ request: SigV4Request) -> [(name: String, value: String)] {
        var merged: [String: [String]] = [:]
        for (name, value) in request.headers {
            let key = name.lowercased()
            guard !Self.unsignedHeaders.contains(key) else { continue }
            let trimmed = value.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ")
            merged[key, default: []].append(trimmed)
        }
        return merged.keys.sorted().map { ($0, merged[$0]!.joined(separator: ",")) }
    }

    func signedHeaderNames(_ request: SigV4Request) -> [String] {
        canonicalHeaders(request).map(\.name)
    }

    static func payloadHash(_ payload: SigV4Request.Payload) -> String {
        switch payload {
        case .bytes(let bytes): return hex(SHA256.hash(data: bytes))
        case .unsigned: return unsignedPayload
        case .precomputedSHA256(let hash): return hash
        }
    }

    // MARK: - Stage 2: string to sign

    public func credentialScope(date: Date) -> String {
        "\(SigV4Date(date).day)/\(region)/\(service)/aws4_request"
    }

    /// Task 2: algorithm, timestamp, scope and the hash of the canonical request.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        [
            Self.algorithm,
            SigV4Date(date).timestamp,
            credentialScope(date: date),
            Self.hex(SHA256.hash(data: Array(canonicalRequest.utf8))),
        ].joined(separator: "\n")
    }

    // MARK: - Stage 3: signing key

    /// Task 3: the secret chained through HMACs of date, region, service and `aws4_request`.
    public func signingKey(date: Date) -> SymmetricKey {
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [SigV4Date(date).day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Array(HMAC<SHA256>.authenticationCode(for: Array(part.utf8), using: key)))
        }
        return key
    }

    // MARK: - Stage 4: signature

    /// Task 4: hex HMAC of the string to sign with the signing key.
    public func signature(stringToSign: String, date: Date) -> String {
        Self.hex(HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: signingKey(date: date)))
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in digest {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Hex SHA-256 of `bytes`, as used for payload hashes.
    public static func sha256Hex(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }
}

/// The two date renderings SigV4 uses, computed from the Unix time without a formatter (UTC, Gregorian).
struct SigV4Date {
    let day: String        // 20150830
    let timestamp: String  // 20150830T123600Z

    init(_ date: Date) {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        // Civil-from-days (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        func pad(_ v: Int64, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let dayString: String = pad(y, 4) + pad(m, 2) + pad(d, 2)
        let hours: String = pad(secondOfDay / 3600, 2)
        let minutes: String = pad(secondOfDay % 3600 / 60, 2)
        let secs: String = pad(secondOfDay % 60, 2)
        day = dayString
        timestamp = "\(dayString)T\(hours)\(minutes)\(secs)Z"
    }
}
