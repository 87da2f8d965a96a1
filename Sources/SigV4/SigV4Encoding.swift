/// AWS's percent-encoding: every byte except the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) becomes
/// `%XX` with upper-case hex. Space is `%20`, never `+`.
public enum SigV4Encoding {
    /// Encodes a query name or value, or a single path segment (`/` is encoded).
    public static func encode(_ string: String) -> String {
        encode(string, keepSlash: false)
    }

    /// Encodes a path, keeping `/` separators. Used to build wire paths from raw keys, and for the second
    /// encoding of non-S3 canonical paths (where `%` itself becomes `%25`).
    public static func encodePath(_ path: String) -> String {
        encode(path, keepSlash: true)
    }

    static func encode(_ string: String, keepSlash: Bool) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0f)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Builds a wire query string from unencoded items, in the given order, with the signer's encoding.
    public static func queryString(_ items: [SigV4QueryItem]) -> String {
        items.map { "\(encode($0.name))=\(encode($0.value))" }.joined(separator: "&")
    }
}
