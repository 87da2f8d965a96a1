import Crypto
import Foundation
import TriplineAlerts
import TriplineAWS

/// The generic webhook's signature (docs/webhooks.md): `X-Tripline-Signature: v1=<hex>` where `<hex>` is
/// HMAC-SHA256, keyed with the shared secret, over `<timestamp>.<body>`; the timestamp (epoch seconds) is in
/// `X-Tripline-Timestamp`. Signing the time with the body lets receivers refuse replays.
public enum WebhookSignature {
    public static let signatureHeader = "X-Tripline-Signature"
    public static let timestampHeader = "X-Tripline-Timestamp"
    public static let version = "v1"

    public static func sign(body: [UInt8], timestamp: Int, key: Secret) -> String {
        let message = Array("\(timestamp).".utf8) + body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(key.revealed.utf8)))
        return version + "=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Checks a received signature in constant time, and that the timestamp is within `tolerance` seconds of `now`.
    public static func verify(body: [UInt8], timestamp: String, signature: String, key: Secret, now: Int, tolerance: Int = 300) -> Bool {
        guard let ts = Int(timestamp), abs(now - ts) <= tolerance else { return false }
        let expected = Array(sign(body: body, timestamp: ts, key: key).utf8)
        let given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(expected, given) { difference |= a ^ b }
        return difference == 0
    }
}

/// A generic HTTPS webhook: the alert as ``AlertJSON`` (``WebhookFormat``), signed per attempt, retried with
/// backoff. Headers: `X-Tripline-Timestamp`, `X-Tripline-Signature`, `X-Tripline-Alert-Id` (receivers dedupe
/// on it: a retry after a lost answer sends the alert again) and `X-Tripline-Attempt`.
public struct WebhookDestination: AlertDestination {
    public var name: String
    public var url: Secret
    /// The HMAC key; nil sends unsigned (receivers cannot then tell our alerts from forgeries).
    public var signingKey: Secret?
    public var poster: WebhookPoster
    public var format = WebhookFormat()
    public var now: @Sendable () -> Int

    public init(
        name: String = "webhook", url: Secret, signingKey: Secret?, poster: WebhookPoster = WebhookPoster(),
        now: @escaping @Sendable () -> Int = epochNow
    ) {
        self.name = name
        self.url = url
        self.signingKey = signingKey
        self.poster = poster
        self.now = now
    }

    public func deliver(_ alert: AlertContent) async throws(DeliveryError) {
        let body = Array(format.render(alert, now: now()).serialized().utf8)
        let (key, now, id) = (signingKey, now, alert.id)
        try await poster.post(name, url: url, body: body) { attempt in
            var headers: HTTPHeaders = ["X-Tripline-Alert-Id": id, "X-Tripline-Attempt": String(attempt)]
            if let key {
                let timestamp = now()
                headers.set(WebhookSignature.timestampHeader, String(timestamp))
                headers.set(WebhookSignature.signatureHeader, WebhookSignature.sign(body: body, timestamp: timestamp, key: key))
            }
            return headers
        }
    }
}
