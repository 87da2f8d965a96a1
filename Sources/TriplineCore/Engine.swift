import TriplineJSON

/// Evaluates a compiled rule set against events.
///
/// Rules are indexed once by the `eventName` (or, failing that, `eventSource`) values their detection requires,
/// so an event meets only the rules that could possibly match it. Rules that name no API are filed by what else
/// they require, in CloudTrail's terms: an `errorCode` (failed calls are a few percent of a trail), or a
/// `userIdentity.type` (`Root`, `AssumedRole`, …), or failing those an `eventName` prefix (`Describe`, `List`).
/// Only the rest look at every event (suspicious user agents). Adding rules for other APIs costs an event nothing.
public struct Engine: Sendable {
    public let rules: [Rule]
    /// The rules' detections, side by side: the hot loop borrows them from here instead of copying them out of
    /// each `Rule`.
    private let detections: [Detection]
    private let byName: ByteTable
    /// Rules with the `eventName` prefixes one of which they require (case-insensitive patterns).
    private let byNamePrefix: [(rule: Int32, prefixes: [BytePattern])]
    private let bySource: ByteTable
    /// Rules that need the event to carry an `errorCode`.
    private let failed: [Int32]
    private let byIdentityType: ByteTable
    private let global: [Int32]
    /// Every rule filed under the eventName, eventSource and userIdentity.type tables, once each: what an event
    /// whose field is not a string (an array, any element of which may match, or an object) meets. Rare and
    /// bounded by the rule count; the detection itself then decides exactly.
    private let anyName: [Int32]
    private let anySource: [Int32]
    private let anyIdentityType: [Int32]
    /// What keeps a match from becoming an alert (allow-lists, Sigma filters): checked on matches only, by whoever
    /// turns matches into findings (`EventProcessor`).
    public let suppression: Suppression

    /// Enabled rules made of other rules (`Rule.sequence`): they match no event themselves, so they are kept out
    /// of `rules` and the index; `Aggregator` evaluates them over the findings.
    public let sequences: [Rule]

    /// Every enabled rule it runs, sequences included (what summaries and logs report).
    public var ruleCount: Int { rules.count + sequences.count }

    /// Builds the engine from enabled rules (disabled ones are kept out, never compiled into the index).
    public init(rules: [Rule], suppressors: [Suppressor] = []) {
        let active = rules.filter { $0.enabled && $0.sequence == nil }
        self.rules = active
        sequences = rules.filter { $0.enabled && $0.sequence != nil }
        suppression = Suppression(suppressors, rules: active)
        var names: [String: [Int32]] = [:]
        var namePrefixes: [(rule: Int32, prefixes: [BytePattern])] = []
        var sources: [String: [Int32]] = [:]
        var failed: [Int32] = []
        var identityTypes: [String: [Int32]] = [:]
        var global: [Int32] = []
        for (i, rule) in active.enumerated() {
            if let required = rule.detection.requiredValues(of: "eventName"), !required.isEmpty {
                for v in required { names[v, default: []].append(Int32(i)) }
            } else if let required = rule.detection.requiredValues(of: "eventSource"), !required.isEmpty {
                for v in required { sources[v, default: []].append(Int32(i)) }
            } else if let required = rule.detection.requiredPatterns(of: "errorCode"), !required.isEmpty {
                failed.append(Int32(i))  // a value pattern never matches an absent field
            } else if let required = rule.detection.requiredValues(of: "userIdentity.type"), !required.isEmpty {
                for v in required { identityTypes[v, default: []].append(Int32(i)) }
            } else if let required = rule.detection.requiredPatterns(of: "eventName"), !required.isEmpty,
                required.allSatisfy({ $0.shape == .prefix || $0.shape == .exact })
            {
                // A case-insensitive prefix test passes whatever the rule's own (possibly cased) test passes.
                namePrefixes.append((Int32(i), required.map {
                    BytePattern(String(decoding: $0.literal, as: UTF8.self), wrap: .startsWith, wildcards: false)
                }))
            } else {
                global.append(Int32(i))
            }
        }
        byName = ByteTable(names)
        byNamePrefix = namePrefixes
        bySource = ByteTable(sources)
        self.failed = failed
        byIdentityType = ByteTable(identityTypes)
        self.global = global
        anyName = Array(Set(names.values.joined()).union(namePrefixes.map(\.rule))).sorted()
        anySource = Array(Set(sources.values.joined())).sorted()
        anyIdentityType = Array(Set(identityTypes.values.joined())).sorted()
        detections = active.map(\.detection)
    }

    /// How the rules were indexed (for `rules list` and the benchmark).
    public var indexSummary: (byName: Int, bySource: Int, byErrorCode: Int, byIdentityType: Int, global: Int) {
        (Set(byName.allValues).count + byNamePrefix.count, Set(bySource.allValues).count, failed.count,
         Set(byIdentityType.allValues).count, global.count)
    }

    private static let eventNameKey = Array("eventName".utf8)
    private static let eventSourceKey = Array("eventSource".utf8)
    private static let errorCodeKey = Array("errorCode".utf8)
    private static let userIdentityKey = Array("userIdentity".utf8)
    private static let typeKey = Array("type".utf8)

    /// Calls `onMatch(ruleIndex)` for every rule that fires on the event at node `root` of `view`.
    @inline(__always)
    public func evaluate(_ view: JSONView, root: Int = 0, _ onMatch: (Int) -> Void) {
        guard view.kind(root) == .object else { return }
        detections.withUnsafeBufferPointer { detections in
            @inline(__always) func run(_ candidates: UnsafeBufferPointer<Int32>) {
                for r in candidates where detections[Int(r)].matches(view, root: root) { onMatch(Int(r)) }
            }
            let nameNode = Engine.eventNameKey.withUnsafeBufferPointer { view.member(of: root, $0) }
            if let n = nameNode {
                if view.kind(n) == .string {
                    view.withStringBytes(n) { name in
                        byName.withRules(for: name, run)
                        for (rule, prefixes) in byNamePrefix
                        where prefixes.contains(where: { $0.matches(name) }) && detections[Int(rule)].matches(view, root: root) {
                            onMatch(Int(rule))
                        }
                    }
                } else {
                    anyName.withUnsafeBufferPointer(run)
                }
            }
            let sourceNode = Engine.eventSourceKey.withUnsafeBufferPointer { view.member(of: root, $0) }
            if let s = sourceNode {
                if view.kind(s) == .string {
                    view.withStringBytes(s) { bySource.withRules(for: $0, run) }
                } else {
                    anySource.withUnsafeBufferPointer(run)
                }
            }
            if !failed.isEmpty, Engine.errorCodeKey.withUnsafeBufferPointer({ view.member(of: root, $0) }) != nil {
                failed.withUnsafeBufferPointer(run)
            }
            if let identity = Engine.userIdentityKey.withUnsafeBufferPointer({ view.member(of: root, $0) }) {
                if let t = Engine.typeKey.withUnsafeBufferPointer({ view.member(of: identity, $0) }) {
                    if view.kind(t) == .string {
                        view.withStringBytes(t) { byIdentityType.withRules(for: $0, run) }
                    } else {
                        anyIdentityType.withUnsafeBufferPointer(run)
                    }
                } else if view.kind(identity) == .array {
                    // `userIdentity` itself an array: `userIdentity.type` reaches each element's type.
                    anyIdentityType.withUnsafeBufferPointer(run)
                }
            }
            global.withUnsafeBufferPointer(run)
        }
    }

    /// The indices of the rules that fire, in rule order.
    public func matches(_ view: JSONView, root: Int = 0) -> [Int] {
        var out: [Int] = []
        evaluate(view, root: root) { out.append($0) }
        return out.sorted()
    }

    public func matches(_ document: JSONDocument) -> [Int] {
        document.withView { matches($0) }
    }
}

/// An immutable open-addressing hash table from case-folded byte strings to rule lists. Lookups hash the event's
/// bytes in place: no String, no allocation.
struct ByteTable: Sendable {
    private var keys: [[UInt8]?]
    /// Each slot's rules are `rules[ranges[slot]]`: one flat array, so a lookup hands out a borrowed slice.
    private var ranges: [Range<Int>]
    private var rules: [Int32] = []
    private let mask: Int

    init(_ entries: [String: [Int32]]) {
        var capacity = 16
        while capacity < entries.count * 2 { capacity <<= 1 }
        keys = Array(repeating: nil, count: capacity)
        ranges = Array(repeating: 0..<0, count: capacity)
        mask = capacity - 1
        for (key, list) in entries.sorted(by: { $0.key < $1.key }) {
            let bytes = Array(key.utf8).map(asciiLower)
            var slot = bytes.withUnsafeBufferPointer { ByteTable.hash($0) } & mask
            while keys[slot] != nil { slot = (slot + 1) & mask }
            keys[slot] = bytes
            ranges[slot] = rules.count..<(rules.count + list.count)
            rules += list.sorted()
        }
    }

    var allValues: [Int32] { rules }

    /// A few words of the name rather than every byte (this runs twice per event): the first, middle and last
    /// eight bytes and the length. Every byte is OR-ed with 0x20, which lowercases ASCII letters and merges a few
    /// other bytes; merging only adds collisions, which the exact comparison settles.
    @inline(__always)
    static func hash(_ s: UnsafeBufferPointer<UInt8>) -> Int {
        let n = s.count
        let fold: UInt64 = 0x2020_2020_2020_2020
        var first: UInt64 = 0
        var middle: UInt64 = 0
        var last: UInt64 = 0
        if n >= 8 {
            let raw = UnsafeRawPointer(s.baseAddress!)
            first = raw.loadUnaligned(as: UInt64.self) | fold
            last = raw.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self) | fold
            if n >= 16 { middle = raw.loadUnaligned(fromByteOffset: n / 2 - 4, as: UInt64.self) | fold }
        } else {
            for k in 0..<n { first |= UInt64(s[k] | 0x20) << UInt64(8 * k) }
        }
        var h = (first &* 0x9E37_79B9_7F4A_7C15) ^ (middle &* 0xD6E8_FEB8_6659_FD93) ^ (last &* 0xC2B2_AE3D_27D4_EB4F)
        h ^= UInt64(n)
        h ^= h >> 31
        h = h &* 0x9E37_79B9_7F4A_7C15
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    /// Calls `body` with the rules filed under `s` (ASCII case-insensitive), if any.
    @inline(__always)
    func withRules(for s: UnsafeBufferPointer<UInt8>, _ body: (UnsafeBufferPointer<Int32>) -> Void) {
        var slot = ByteTable.hash(s) & mask
        while let key = keys[slot] {
            if key.count == s.count {
                var equal = true
                var k = 0
                while k < key.count {
                    if asciiLower(s[k]) != key[k] { equal = false; break }
                    k += 1
                }
                if equal {
                    let range = ranges[slot]
                    rules.withUnsafeBufferPointer { body(UnsafeBufferPointer(rebasing: $0[range])) }
                    return
                }
            }
            slot = (slot + 1) & mask
        }
    }
}
