/// A read-only view of one parsed JSON value: the input bytes plus the tape the parser wrote for them.
///
/// This is what the detection engine walks on the hot path. It does not own its memory: it is valid only inside
/// the `withView` / `withUnsafe…` scope that produced it, and must not be stored.
public struct JSONView {
    public let bytes: UnsafeBufferPointer<UInt8>
    public let nodes: UnsafeBufferPointer<JSONNode>
    /// The object whose members `memberSlots` index (see `indexingMembers`), or -1.
    @usableFromInline var indexedObject: Int = -1
    @usableFromInline var memberSlots: UnsafePointer<Int32>?

    @inlinable public init(bytes: UnsafeBufferPointer<UInt8>, nodes: UnsafeBufferPointer<JSONNode>) {
        self.bytes = bytes
        self.nodes = nodes
    }

    /// Slots a member index needs (`indexingMembers`); it indexes objects of up to half as many keys.
    public static let memberSlotCount = 64

    /// This view, with the members of object `i` found through a small hash table in `slots` instead of a scan
    /// of the keys. An event's top-level object is looked into a dozen times or more (by the rule index, rules,
    /// thresholds), mostly for keys near its end or absent (`errorCode`): one pass to index it costs about one
    /// such scan. Objects with escaped or too many keys are left unindexed. `slots` must outlive the view.
    public func indexingMembers(of i: Int, slots: UnsafeMutableBufferPointer<Int32>) -> JSONView {
        guard nodes[i].kind == .object, slots.count == JSONView.memberSlotCount else { return self }
        slots.update(repeating: -1)
        var indexed = true
        var count = 0
        forEachMember(of: i) { k, _ in
            let n = nodes[k]
            count += 1
            guard !n.isEscaped, count <= JSONView.memberSlotCount / 2 else {
                indexed = false
                return false
            }
            let key = UnsafeBufferPointer(rebasing: bytes[Int(n.a)..<Int(n.b)])
            var s = JSONView.slot(key)
            while slots[s] >= 0 {
                if keyEquals(Int(slots[s]), key) {  // a repeated key: the last one wins, as in a scan
                    slots[s] = Int32(k)
                    return true
                }
                s = (s &+ 1) & (JSONView.memberSlotCount - 1)
            }
            slots[s] = Int32(k)
            return true
        }
        guard indexed else { return self }
        var view = self
        view.indexedObject = i
        view.memberSlots = UnsafePointer(slots.baseAddress!)
        return view
    }

    /// A key's first slot: from its length and first, middle and last bytes.
    @inlinable @inline(__always)
    static func slot(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        let n = key.count
        guard n > 0 else { return 0 }
        var h = UInt32(truncatingIfNeeded: n) &* 0x9E37_79B1
        h ^= UInt32(key[0]) &* 0x85EB_CA6B
        h ^= UInt32(key[n &- 1]) &* 0xC2B2_AE35
        h ^= UInt32(key[n >> 1]) &* 0x27D4_EB2F
        h ^= h >> 15
        return Int(h) & (memberSlotCount - 1)
    }

    /// Index of the root value.
    public static let root = 0

    @inlinable public func kind(_ i: Int) -> JSONKind { nodes[i].kind }

    /// The index of the node that follows value `i` and its whole subtree.
    @inlinable public func after(_ i: Int) -> Int {
        let n = nodes[i]
        return n.kind == .object || n.kind == .array ? Int(n.b) : i + 1
    }

    /// Calls `body(keyIndex, valueIndex)` for each member of object `i`, until it returns false.
    @inlinable public func forEachMember(of i: Int, _ body: (Int, Int) -> Bool) {
        guard nodes[i].kind == .object else { return }
        var k = i + 1
        let end = Int(nodes[i].b)
        while k < end {
            let v = k + 1
            if !body(k, v) { return }
            k = after(v)
        }
    }

    /// Calls `body(elementIndex)` for each element of array `i`, until it returns false.
    @inlinable public func forEachElement(of i: Int, _ body: (Int) -> Bool) {
        guard nodes[i].kind == .array else { return }
        var k = i + 1
        let end = Int(nodes[i].b)
        while k < end {
            if !body(k) { return }
            k = after(k)
        }
    }

    /// The value of member `key` of object `i`, compared byte for byte (keys are case-sensitive in JSON). A key
    /// written twice: the last one wins, as in most JSON readers (JavaScript, Python, Go), so a detection sees the
    /// value every other tool reading the same record sees.
    @inlinable public func member(of i: Int, _ key: UnsafeBufferPointer<UInt8>) -> Int? {
        if i == indexedObject, let slots = memberSlots {
            var s = JSONView.slot(key)
            while true {
                let k = Int(slots[s])
                if k < 0 { return nil }
                if keyEquals(k, key) { return k + 1 }
                s = (s &+ 1) & (JSONView.memberSlotCount - 1)
            }
        }
        guard nodes[i].kind == .object else { return nil }
        var k = i + 1
        let end = Int(nodes[i].b)
        var found: Int?
        while k < end {
            if keyEquals(k, key) { found = k + 1 }
            k = after(k + 1)
        }
        return found
    }

    public func member(of i: Int, _ key: String) -> Int? {
        var key = key
        return key.withUTF8 { member(of: i, $0) }
    }

    /// Whether string node `i` (usually a key) equals `key` after unescaping.
    @inlinable public func keyEquals(_ i: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = nodes[i]
        let len = Int(n.b &- n.a)
        if !n.isEscaped {
            guard len == key.count else { return false }
            if len == 0 { return true }
            return memcmpEqual(bytes.baseAddress! + Int(n.a), key.baseAddress!, len)
        }
        let decoded = JSONString.unescape(bytes, from: Int(n.a), to: Int(n.b))
        return decoded.elementsEqual(key)
    }

    /// Calls `body` with the UTF-8 bytes of string node `i`, unescaped. No allocation unless the string has escapes.
    @inlinable public func withStringBytes<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        let n = nodes[i]
        if !n.isEscaped {
            return body(UnsafeBufferPointer(rebasing: bytes[Int(n.a)..<Int(n.b)]))
        }
        let decoded = JSONString.unescape(bytes, from: Int(n.a), to: Int(n.b))
        return decoded.withUnsafeBufferPointer(body)
    }

    /// The raw bytes of a scalar node (string content still escaped, number text, literal text).
    @inlinable public func rawBytes(_ i: Int) -> UnsafeBufferPointer<UInt8> {
        let n = nodes[i]
        return UnsafeBufferPointer(rebasing: bytes[Int(n.a)..<Int(n.b)])
    }

    /// The string value of node `i` (unescaped), or nil if it is not a string.
    public func string(_ i: Int) -> String? {
        guard nodes[i].kind == .string else { return nil }
        return withStringBytes(i) { String(decoding: $0, as: UTF8.self) }
    }

    /// A scalar rendered as text: strings unescaped, numbers and literals as written. Nil for containers.
    public func scalarText(_ i: Int) -> String? {
        switch nodes[i].kind {
        case .string: return string(i)
        case .number, .true, .false, .null: return String(decoding: rawBytes(i), as: UTF8.self)
        case .object, .array: return nil
        }
    }

    /// The numeric value of a number node, or of a string node that holds a number.
    public func double(_ i: Int) -> Double? {
        switch nodes[i].kind {
        case .number: return JSONNumber.parse(rawBytes(i))
        case .string: return withStringBytes(i) { JSONNumber.parse($0) }
        default: return nil
        }
    }

    /// Looks up a dotted path (`userIdentity.sessionContext.sessionIssuer.arn`) from object `i`. Arrays on the
    /// way are crossed as "any element": `body` is called with every value the path reaches, until it returns
    /// false. Returns false if `body` stopped the walk.
    @discardableResult
    public func forEachValue(at path: JSONPath, from i: Int = root, _ body: (Int) -> Bool) -> Bool {
        walk(path, 0, i, body)
    }

    private func walk(_ path: JSONPath, _ depth: Int, _ i: Int, _ body: (Int) -> Bool) -> Bool {
        // Objects are descended in a loop; only an array on the way fans out (recursively, per element).
        let storage = path.storage
        var depth = depth
        var i = i
        while depth < storage.count {
            switch nodes[i].kind {
            case .object:
                guard let v = member(of: i, storage.component(depth)) else { return true }
                i = v
                depth += 1
            case .array:
                var keepGoing = true
                forEachElement(of: i) { e in
                    keepGoing = walk(path, depth, e, body)
                    return keepGoing
                }
                return keepGoing
            default:
                return true
            }
        }
        return body(i)
    }

    /// Appends value `i` as compact JSON text, straight from the tape (strings keep their escapes as written).
    /// Much cheaper than building a `JSONValue`: used to keep a copy of an event for later.
    public func write(_ i: Int, to out: inout [UInt8]) {
        let n = nodes[i]
        switch n.kind {
        case .string:
            out.append(UInt8(ascii: "\""))
            out.append(contentsOf: rawBytes(i))
            out.append(UInt8(ascii: "\""))
        case .number, .true, .false, .null:
            out.append(contentsOf: rawBytes(i))
        case .object:
            out.append(UInt8(ascii: "{"))
            var first = true
            forEachMember(of: i) { k, v in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(k, to: &out)
                out.append(UInt8(ascii: ":"))
                write(v, to: &out)
                return true
            }
            out.append(UInt8(ascii: "}"))
        case .array:
            out.append(UInt8(ascii: "["))
            var first = true
            forEachElement(of: i) { e in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(e, to: &out)
                return true
            }
            out.append(UInt8(ascii: "]"))
        }
    }

    /// The first value a path reaches (without fanning out past the first array element that has it).
    public func first(_ path: JSONPath, from i: Int = root) -> Int? {
        var result: Int?
        forEachValue(at: path, from: i) { v in
            result = v
            return false
        }
        return result
    }
}

@inlinable @inline(__always) @usableFromInline
func memcmpEqual(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, _ n: Int) -> Bool {
    var k = 0
    while k + 8 <= n {
        if UnsafeRawPointer(a + k).loadUnaligned(as: UInt64.self)
            != UnsafeRawPointer(b + k).loadUnaligned(as: UInt64.self)
        {
            return false
        }
        k += 8
    }
    while k < n {
        if a[k] != b[k] { return false }
        k += 1
    }
    return true
}

/// A dotted field path, split once into byte components so lookups never build strings.
public struct JSONPath: Sendable, Hashable, CustomStringConvertible {
    public let description: String
    /// The components in one allocation that lives as long as the path: a lookup reads them through plain
    /// pointers, with no reference counting per component.
    @usableFromInline let storage: Storage

    public init(_ dotted: String) {
        description = dotted
        storage = Storage(dotted.split(separator: ".", omittingEmptySubsequences: false).map { Array($0.utf8) })
    }

    public var components: [[UInt8]] { (0..<storage.count).map { Array(storage.component($0)) } }

    public static func == (a: JSONPath, b: JSONPath) -> Bool { a.description == b.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }

    /// Immutable after init (hence `@unchecked Sendable`).
    @usableFromInline final class Storage: @unchecked Sendable {
        private let bytes: UnsafeMutableBufferPointer<UInt8>
        /// Component k is `bytes[bounds[2k] ..< bounds[2k + 1]]`.
        private let bounds: UnsafeMutableBufferPointer<Int32>
        @usableFromInline let count: Int

        init(_ components: [[UInt8]]) {
            let total = components.reduce(0) { $0 + $1.count }
            bytes = .allocate(capacity: max(total, 1))
            bounds = .allocate(capacity: 2 * components.count)
            count = components.count
            var at = 0
            for (k, c) in components.enumerated() {
                bounds[2 * k] = Int32(at)
                for b in c {
                    bytes[at] = b
                    at += 1
                }
                bounds[2 * k + 1] = Int32(at)
            }
        }

        deinit {
            bytes.deallocate()
            bounds.deallocate()
        }

        @inline(__always) @usableFromInline func component(_ k: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: UnsafeBufferPointer(bytes)[Int(bounds[2 * k])..<Int(bounds[2 * k + 1])])
        }
    }
}

/// Number text → Double. Only RFC 8259 number syntax counts (so a string field holding "nan", "inf" or "0x10" is
/// not a number), surrounding spaces allowed.
public enum JSONNumber {
    public static func parse(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        var start = 0
        var end = text.count
        while start < end && text[start] == 0x20 { start += 1 }
        while end > start && text[end - 1] == 0x20 { end -= 1 }
        guard start < end else { return nil }
        let trimmed = UnsafeBufferPointer(rebasing: text[start..<end])
        guard let stop = try? JSONScan.scanNumber(trimmed, 0), stop == trimmed.count else { return nil }
        return Double(String(decoding: trimmed, as: UTF8.self))
    }
}

/// String unescaping (lazy: only for strings that contain a backslash).
public enum JSONString {
    /// Unescapes the content bytes `from..<to` (already validated by the parser).
    public static func unescape(_ p: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(to - from)
        var i = from
        while i < to {
            let c = p[i]
            if c != UInt8(ascii: "\\") {
                out.append(c)
                i += 1
                continue
            }
            let e = p[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = hex4(p, i)
                i += 4
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate needs a low one right after it; otherwise it is replaced.
                    if i + 6 <= to, p[i] == UInt8(ascii: "\\"), p[i + 1] == UInt8(ascii: "u") {
                        let low = hex4(p, i + 2)
                        if (0xDC00...0xDFFF).contains(low) {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            i += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else {
                        scalar = 0xFFFD
                    }
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    scalar = 0xFFFD
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)  // \" \\ \/
            }
        }
        return out
    }

    private static func hex4(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> UInt32 {
        var v: UInt32 = 0
        for k in 0..<4 { v = v << 4 | (JSONScan.hexValue(p[i + k]) ?? 0) }
        return v
    }

    static func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
        switch scalar {
        case 0..<0x80:
            out.append(UInt8(scalar))
        case 0x80..<0x800:
            out.append(UInt8(0xC0 | scalar >> 6))
            out.append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            out.append(UInt8(0xE0 | scalar >> 12))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        default:
            out.append(UInt8(0xF0 | scalar >> 18))
            out.append(UInt8(0x80 | scalar >> 12 & 0x3F))
            out.append(UInt8(0x80 | scalar >> 6 & 0x3F))
            out.append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}

