import TriplineJSON

/// A compiled Sigma detection: selections of field matchers plus a condition. Evaluation walks the event's tape
/// directly; nothing on the way allocates unless a value has escapes or a rule uses a regex or policy analysis.
///
/// An immutable class rather than a struct: the engine calls it for every candidate rule of every event, and
/// handing a struct of five arrays to a method copied it (five retains and releases) each time.
public final class Detection: @unchecked Sendable {  // immutable after init
    let selections: [CompiledSelection]
    let names: [String]
    public let condition: Condition

    /// One selection: either field groups (any group whose matchers all hold) or keywords.
    struct CompiledSelection: Sendable {
        var groups: [[FieldMatcher]] = []
        var keywords: [BytePattern] = []
        var isKeywords = false
        /// `'|all': [a, b]`: every keyword must be found (each in some string of the event), not any one.
        var allKeywords = false
    }

    /// What `matches` reads, laid out once in buffers this object owns: the condition's nodes and children (the
    /// condition flattened into plain values by `ConditionProgram`), a
    /// range of groups per selection, a range of matchers per group, and the matchers themselves unretained (the
    /// `selections` array keeps them alive). Reading them costs no reference counting per event.
    private let flat: Flat

    private struct Flat {
        let nodes: UnsafeMutableBufferPointer<ConditionProgram.Node>
        let children: UnsafeMutableBufferPointer<Int32>
        /// Selection i: groups `groupBounds[i] ..< groupBounds[i + 1]`, or keywords when `keywordSelection[i]`.
        let groupBounds: UnsafeMutableBufferPointer<Int32>
        let keywordSelection: UnsafeMutableBufferPointer<Bool>
        /// Group g: matchers `matcherBounds[g] ..< matcherBounds[g + 1]`.
        let matcherBounds: UnsafeMutableBufferPointer<Int32>
        let matchers: UnsafeMutableBufferPointer<Unmanaged<FieldMatcher>>

        init(_ selections: [CompiledSelection], _ program: ConditionProgram) {
            func copy<T>(_ a: [T]) -> UnsafeMutableBufferPointer<T> {
                let p = UnsafeMutableBufferPointer<T>.allocate(capacity: max(a.count, 1))
                _ = p.initialize(from: a)
                return UnsafeMutableBufferPointer(rebasing: p[0..<a.count])
            }
            nodes = copy(program.nodes)
            children = copy(program.children)
            var groupBounds: [Int32] = [0]
            var matcherBounds: [Int32] = [0]
            var matchers: [Unmanaged<FieldMatcher>] = []
            for selection in selections {
                for group in selection.groups {
                    matchers += group.map { Unmanaged.passUnretained($0) }
                    matcherBounds.append(Int32(matchers.count))
                }
                groupBounds.append(Int32(matcherBounds.count - 1))
            }
            self.groupBounds = copy(groupBounds)
            self.matcherBounds = copy(matcherBounds)
            self.matchers = copy(matchers)
            keywordSelection = copy(selections.map(\.isKeywords))
        }

        func deallocate() {
            for p in [UnsafeMutableRawPointer(nodes.baseAddress), UnsafeMutableRawPointer(children.baseAddress),
                      UnsafeMutableRawPointer(groupBounds.baseAddress), UnsafeMutableRawPointer(keywordSelection.baseAddress),
                      UnsafeMutableRawPointer(matcherBounds.baseAddress), UnsafeMutableRawPointer(matchers.baseAddress)] {
                p?.deallocate()
            }
        }
    }

    init(selections: [CompiledSelection], names: [String], condition: Condition) {
        self.selections = selections
        self.names = names
        self.condition = condition
        flat = Flat(selections, ConditionProgram(condition))
    }

    deinit { flat.deallocate() }

    /// The detection of a rule made of other rules (`Rule.sequence`): no event matches it by itself.
    public static let never: Detection = {
        do { return try compile(DetectionSpec(selections: [("none", .fieldGroups([]))], conditions: ["none"])) } catch {
            fatalError("an empty selection always compiles: \(error)")
        }
    }()

    public static func compile(_ spec: DetectionSpec) throws(DetectionError) -> Detection {
        guard !spec.conditions.isEmpty else { throw DetectionError("detection has no condition") }
        var compiled: [CompiledSelection] = []
        for (name, selection) in spec.selections {
            switch selection {
            case .keywords(let values):
                compiled.append(CompiledSelection(keywords: values.map { BytePattern($0.text, wrap: .contains) }, isKeywords: true))
            case .allKeywords(let values):
                compiled.append(CompiledSelection(keywords: values.map { BytePattern($0.text, wrap: .contains) }, isKeywords: true,
                                                  allKeywords: true))
            case .fieldGroups(let groups):
                var out: [[FieldMatcher]] = []
                for group in groups {
                    var matchers: [FieldMatcher] = []
                    for field in group {
                        do throws(DetectionError) {
                            matchers.append(try FieldMatcher(field))
                        } catch {
                            throw DetectionError(error.message, selection: name, field: field.field)
                        }
                    }
                    // All must hold, so test the cheap ones first (stable: rule order breaks ties).
                    out.append(matchers.enumerated().sorted { ($0.element.cost, $0.offset) < ($1.element.cost, $1.offset) }.map(\.element))
                }
                compiled.append(CompiledSelection(groups: out))
            }
        }
        let names = spec.selections.map(\.name)
        var conditions: [Condition] = []
        for text in spec.conditions { conditions.append(try ConditionParser.parse(text, selections: names)) }
        let condition = conditions.count == 1 ? conditions[0] : .or(conditions)
        return Detection(selections: compiled, names: names, condition: condition)
    }

    /// Whether the event at node `root` of `view` (a JSON object) satisfies the detection.
    public func matches(_ view: JSONView, root: Int = 0) -> Bool {
        evaluate(flat.nodes.count - 1, view, root)
    }

    private func evaluate(_ n: Int, _ view: JSONView, _ root: Int) -> Bool {
        let node = flat.nodes[n]
        switch node.op {
        case .selection: return matches(selection: Int(node.a), view, root)
        case .constant: return node.a != 0
        case .not: return !evaluate(Int(node.a), view, root)
        case .and:
            for k in Int(node.a)..<Int(node.b) where !evaluate(Int(flat.children[k]), view, root) { return false }
            return true
        case .or:
            for k in Int(node.a)..<Int(node.b) where evaluate(Int(flat.children[k]), view, root) { return true }
            return false
        }
    }

    private func matches(selection i: Int, _ view: JSONView, _ root: Int) -> Bool {
        if flat.keywordSelection[i] {
            if selections[i].allKeywords {
                return selections[i].keywords.allSatisfy { p in Keywords.anyString(in: view, from: root) { p.matches($0) } }
            }
            return selections[i].keywords.withUnsafeBufferPointer { patterns in
                Keywords.anyString(in: view, from: root) { s in patterns.contains { $0.matches(s) } }
            }
        }
        // Any group whose matchers all hold.
        for g in Int(flat.groupBounds[i])..<Int(flat.groupBounds[i + 1]) {
            var all = true
            for m in Int(flat.matcherBounds[g])..<Int(flat.matcherBounds[g + 1]) {
                let holds = flat.matchers[m]._withUnsafeGuaranteedRef { $0.matches(view, root) }
                if !holds {
                    all = false
                    break
                }
            }
            if all { return true }
        }
        return false
    }

    // MARK: Index analysis

    /// The lowercased values `field` must equal for the detection to match, or nil when it can match other
    /// values too. Used to index rules by eventName / eventSource so an event only meets rules that can fire.
    public func requiredValues(of field: String) -> Set<String>? {
        guard let patterns = requiredPatterns(of: field) else { return nil }
        var values = Set<String>()
        for p in patterns {
            guard let lit = p.exactLiteral else { return nil }
            values.insert(String(decoding: lit.map(asciiLower), as: UTF8.self))
        }
        return values
    }

    /// The patterns one of which `field` must match for the detection to match, or nil when the detection can
    /// match without any constraint on `field`.
    public func requiredPatterns(of field: String) -> [BytePattern]? {
        required(condition, field)
    }

    private func required(_ c: Condition, _ field: String) -> [BytePattern]? {
        switch c {
        case .selection(let i):
            let groups = selections[i].groups
            guard !selections[i].isKeywords, !groups.isEmpty else { return nil }
            var union: [BytePattern] = []
            for group in groups {
                guard let values = group.lazy.compactMap({ $0.requiredPatterns(of: field) }).first else { return nil }
                union += values
            }
            return union
        case .not, .constant: return nil
        case .and(let items):
            // Any constrained conjunct constrains the whole; prefer the tightest (fewest patterns).
            return items.compactMap { required($0, field) }.min { $0.count < $1.count }
        case .or(let items):
            var union: [BytePattern] = []
            for item in items {
                guard let r = required(item, field) else { return nil }
                union += r
            }
            return union
        }
    }
}

/// One `field|modifiers: values` test. A class: it is immutable, and a reference is one retain to copy where a
/// struct of six arrays would be seven, in the loop that runs for every rule an event meets.
final class FieldMatcher: Sendable {
    let path: JSONPath
    let tests: [ValueTest]
    let requireAll: Bool
    let exists: Bool?
    let negate: Bool
    /// What the tests refer to by index. Keeping payloads out of `ValueTest` makes it a plain value: switching
    /// over a test per event copies a few bytes instead of retaining arrays and strings.
    let patterns: [BytePattern]
    let regexes: [RegexBox]
    let references: [JSONPath]
    /// `field|cidr: [networks…]`: each value is parsed as an address once for all networks (`anyAddress`).
    let cidrOnly: Bool
    /// `field: null` among the tests: an absent field matches too.
    let hasNullTest: Bool
    /// `field|contains: [a, b, c]`: the literals searched for in one pass over a string value, and the tests
    /// left for string values besides them (all of `tests` when there is no such group).
    let containsAny: LiteralSearch?
    let otherStringTests: [ValueTest]

    enum ValueTest: Sendable {
        case pattern(Int32)
        case number(Double, Int32)
        case bool(Bool)
        case null
        case regex(Int32)
        case cidr(IPNetwork)
        case compare(Comparison, Double)
        case fieldRef(Int32, BytePattern.Wrap, cased: Bool)
        case publicPolicy(Bool)
        case externalPrincipal(Bool)
        /// `|aws_ip: true`: an address inside AWS's published ranges; `false`: an address outside them.
        case awsAddress(Bool)
        /// `userIdentity|actor: human`: who is behind the call, from the whole event (`ActorKind`).
        case actor(ActorKind)
    }

    enum Comparison: Sendable { case gt, gte, lt, lte }

    init(_ spec: FieldSpec) throws(DetectionError) {
        guard !spec.field.isEmpty else { throw DetectionError("a selection key has no field name") }
        if let m = spec.unknownModifiers.first {
            throw DetectionError("unknown modifier '\(m.lowercased())' on field '\(spec.field)'")
        }
        let mods = Set(spec.modifiers)
        if mods.contains(.expand) {
            throw DetectionError("'|expand' needs placeholder values, which this rule set does not define")
        }
        if !mods.isDisjoint(with: SigmaModifier.encodings) {
            throw DetectionError("encoding modifiers (base64, utf16, wide) do not apply to CloudTrail JSON")
        }
        path = JSONPath(spec.field)
        requireAll = mods.contains(.all)
        negate = mods.contains(.neq)
        let cased = mods.contains(.cased)
        let wrap: BytePattern.Wrap =
            mods.contains(.contains) ? .contains : mods.contains(.startswith) ? .startsWith
            : mods.contains(.endswith) ? .endsWith : .none

        if mods.contains(.exists) {
            guard spec.values.count == 1, case .bool(let b) = spec.values[0] else {
                throw DetectionError("'|exists' takes true or false")
            }
            exists = b
            tests = []
            patterns = []
            regexes = []
            references = []
            cidrOnly = false
            hasNullTest = false
            containsAny = nil
            otherStringTests = []
            return
        }
        exists = nil
        guard !spec.values.isEmpty else { throw DetectionError("field '\(spec.field)' has no values") }

        var tests: [ValueTest] = []
        var patterns: [BytePattern] = []
        var regexes: [RegexBox] = []
        var references: [JSONPath] = []
        func pattern(_ p: BytePattern) -> Int32 {
            patterns.append(p)
            return Int32(patterns.count - 1)
        }
        for value in spec.values {
            if mods.contains(.re) {
                guard case .string(let pattern) = value else { throw DetectionError("'|re' needs a string pattern") }
                regexes.append(try RegexBox(pattern, ignoreCase: mods.contains(.i),
                                            multiline: mods.contains(.m), dotAll: mods.contains(.s)))
                tests.append(.regex(Int32(regexes.count - 1)))
            } else if mods.contains(.cidr) {
                guard let network = IPNetwork(value.text) else {
                    throw DetectionError("'\(value.text)' is not a CIDR network")
                }
                tests.append(.cidr(network))
            } else if let cmp = [SigmaModifier.gt: Comparison.gt, .gte: .gte, .lt: .lt, .lte: .lte].first(where: { mods.contains($0.key) }) {
                guard let n = Double(value.text) else { throw DetectionError("'|\(cmp.key.rawValue)' needs a number") }
                tests.append(.compare(cmp.value, n))
            } else if mods.contains(.fieldref) {
                references.append(JSONPath(value.text))
                tests.append(.fieldRef(Int32(references.count - 1), wrap, cased: cased))
            } else if mods.contains(.actor) {
                guard case .string(let name) = value, let kind = ActorKind(rawValue: name.lowercased()) else {
                    throw DetectionError("'|actor' takes human, automation or aws-service")
                }
                tests.append(.actor(kind))
            } else if mods.contains(.awsIP) {
                guard case .bool(let b) = value else { throw DetectionError("'|aws_ip' takes true or false") }
                tests.append(.awsAddress(b))
            } else if mods.contains(.publicpolicy) || mods.contains(.externalprincipal) {
                guard case .bool(let b) = value else { throw DetectionError("policy modifiers take true or false") }
                tests.append(mods.contains(.publicpolicy) ? .publicPolicy(b) : .externalPrincipal(b))
            } else {
                switch value {
                case .null: tests.append(.null)
                case .bool(let b): tests.append(.bool(b))
                case .number(let text):
                    tests.append(.number(Double(text) ?? .nan, pattern(BytePattern(text, wrap: wrap, cased: cased))))
                case .string(let s): tests.append(.pattern(pattern(BytePattern(s, wrap: wrap, cased: cased))))
                }
            }
        }
        self.tests = tests
        self.patterns = patterns
        self.regexes = regexes
        self.references = references
        cidrOnly = !requireAll && tests.allSatisfy { if case .cidr = $0 { true } else { false } }
        hasNullTest = tests.contains { if case .null = $0 { true } else { false } }
        let grouped = requireAll ? [] : tests.compactMap { t -> BytePattern? in
            if case .pattern(let p) = t, patterns[Int(p)].search != nil { patterns[Int(p)] } else { nil }
        }
        if grouped.count >= 2 {
            containsAny = LiteralSearch(grouped.map(\.literal), cased: cased)
            otherStringTests = tests.filter {
                if case .pattern(let p) = $0 { patterns[Int(p)].search == nil } else { true }
            }
        } else {
            containsAny = nil
            otherStringTests = tests
        }
    }

    /// Relative evaluation cost: byte comparisons, then address parsing, then regex and policy parsing.
    var cost: Int {
        tests.map { t -> Int in
            switch t {
            case .pattern, .number, .bool, .null, .compare: return 0
            case .cidr, .fieldRef, .awsAddress, .actor: return 1
            case .regex: return 2
            case .publicPolicy, .externalPrincipal: return 3
            }
        }.max() ?? 0
    }

    /// The patterns this matcher requires `field` to match (any of them), or nil if it does not constrain it.
    func requiredPatterns(of field: String) -> [BytePattern]? {
        guard path.description == field, exists == nil, !negate, !requireAll || tests.count == 1 else { return nil }
        var required: [BytePattern] = []
        for t in tests {
            guard case .pattern(let p) = t else { return nil }
            required.append(patterns[Int(p)])
        }
        return required
    }

    func matches(_ view: JSONView, _ root: Int) -> Bool {
        let result = evaluate(view, root)
        return negate ? !result : result
    }

    private func evaluate(_ view: JSONView, _ root: Int) -> Bool {
        if let exists {
            var found = false
            // Present, whatever the value (null included), as the Sigma specification says.
            view.forEachValue(at: path, from: root) { _ in
                found = true
                return false
            }
            return found == exists
        }
        if cidrOnly { return anyAddress(view, root) }
        return tests.withUnsafeBufferPointer { ts in
            if requireAll {
                for k in ts.indices where !anyValue(view, root, ts[k]) { return false }
                return true
            }
            // Any value passing any test: the path is walked once and each value meets every test.
            var seen = false
            var hit = false
            view.forEachValue(at: path, from: root) { v in
                seen = true
                hit = anyTest(view, root, v, ts)
                return !hit
            }
            return hit || (!seen && hasNullTest)
        }
    }

    /// Whether value `v` passes any of `ts`. A string is unescaped once for all the tests that read its bytes.
    private func anyTest(_ view: JSONView, _ root: Int, _ v: Int, _ ts: UnsafeBufferPointer<ValueTest>) -> Bool {
        let kind = view.kind(v)
        if kind == .null { return hasNullTest }
        if kind == .string {
            return view.withStringBytes(v) { bytes in
                if let containsAny, containsAny.found(in: bytes) { return true }
                return otherStringTests.withUnsafeBufferPointer { ts in
                    for k in ts.indices {
                        if let answer = stringTest(bytes, ts[k]) {
                            if answer { return true }
                        } else if leaf(view, root, v, ts[k]) {
                            return true
                        }
                    }
                    return false
                }
            }
        }
        if kind == .object {
            // String tests read the object's compact JSON text, built once for all of them.
            return CompactJSON.withText(view, v) { text in
                for k in ts.indices {
                    if let answer = objectTextTest(text, ts[k]) {
                        if answer { return true }
                    } else if leaf(view, root, v, ts[k]) {
                        return true
                    }
                }
                return false
            }
        }
        for k in ts.indices {
            if case .null = ts[k] { continue }  // the value itself is not null (arrays of nulls do not count)
            if leaf(view, root, v, ts[k]) { return true }
        }
        return false
    }

    /// The tests an object answers from its compact JSON text (the text SIEMs index for an object-valued field):
    /// value patterns and regexes. Nil for the tests that read the object itself (policy analysis, actor).
    private func objectTextTest(_ text: UnsafeBufferPointer<UInt8>, _ test: ValueTest) -> Bool? {
        switch test {
        case .pattern(let p): return patterns[Int(p)].matches(text)
        case .regex(let r): return regexes[Int(r)].matches(text)
        case .number, .bool, .null, .cidr, .compare, .awsAddress: return false
        case .fieldRef, .publicPolicy, .externalPrincipal, .actor: return nil
        }
    }

    /// `field|cidr: [networks…]`: each value is parsed as an address once, then tested against every network.
    private func anyAddress(_ view: JSONView, _ root: Int) -> Bool {
        func check(_ v: Int) -> Bool {
            switch view.kind(v) {
            case .array:
                var hit = false
                view.forEachElement(of: v) { e in
                    hit = check(e)
                    return !hit
                }
                return hit
            case .string:
                guard let address = view.withStringBytes(v, IPAddress.init(bytes:)) else { return false }
                for case .cidr(let network) in tests where network.contains(address) { return true }
                return false
            default:
                return false
            }
        }
        var hit = false
        view.forEachValue(at: path, from: root) { v in
            hit = check(v)
            return !hit
        }
        return hit
    }

    /// Whether any value the path reaches passes `test` (arrays at the leaf count element by element).
    private func anyValue(_ view: JSONView, _ root: Int, _ test: ValueTest) -> Bool {
        if case .null = test {
            var seen = false
            var isNull = false
            view.forEachValue(at: path, from: root) { v in
                seen = true
                isNull = view.kind(v) == .null
                return !isNull
            }
            return !seen || isNull
        }
        var hit = false
        view.forEachValue(at: path, from: root) { v in
            hit = leaf(view, root, v, test)
            return !hit
        }
        return hit
    }

    /// The tests a string value answers from its bytes alone; nil for those that need the node (addresses,
    /// comparisons, field references, policy analysis).
    @inline(__always)
    private func stringTest(_ bytes: UnsafeBufferPointer<UInt8>, _ test: ValueTest) -> Bool? {
        switch test {
        case .pattern(let p), .number(_, let p): return patterns[Int(p)].matches(bytes)
        case .bool(let b): return (b ? FieldMatcher.trueText : FieldMatcher.falseText).matches(bytes)
        case .regex(let r): return regexes[Int(r)].matches(bytes)
        case .null: return false
        case .cidr, .compare, .fieldRef, .publicPolicy, .externalPrincipal, .awsAddress, .actor: return nil
        }
    }

    private func leaf(_ view: JSONView, _ root: Int, _ v: Int, _ test: ValueTest) -> Bool {
        let kind = view.kind(v)
        if kind == .array {
            var hit = false
            view.forEachElement(of: v) { e in
                hit = leaf(view, root, e, test)
                return !hit
            }
            return hit
        }
        if kind == .string, let answer = view.withStringBytes(v, { stringTest($0, test) }) { return answer }
        switch test {
        case .pattern(let p):
            switch kind {
            case .number, .true, .false: return patterns[Int(p)].matches(view.rawBytes(v))
            case .object: return CompactJSON.withText(view, v) { patterns[Int(p)].matches($0) }
            default: return false
            }
        case .number(let n, _):
            if kind == .number, let d = view.double(v) { return d == n }
            return false
        case .bool(let b):
            switch kind {
            case .true: return b
            case .false: return !b
            default: return false
            }
        case .null:
            return kind == .null
        case .regex(let r):
            switch kind {
            case .number, .true, .false: return regexes[Int(r)].matches(view.rawBytes(v))
            case .object: return CompactJSON.withText(view, v) { regexes[Int(r)].matches($0) }
            default: return false
            }
        case .cidr(let network):
            guard kind == .string, let address = view.withStringBytes(v, IPAddress.init(bytes:)) else { return false }
            return network.contains(address)
        case .actor(let kind):
            return ActorKind.classify(view, root: root) == kind
        case .awsAddress(let inside):
            // Not an address (`ec2.amazonaws.com`, `AWS Internal`): neither inside nor outside.
            guard kind == .string, let address = view.withStringBytes(v, IPAddress.init(bytes:)) else { return false }
            return AWSAddressRanges.current.contains(address) == inside
        case .compare(let op, let n):
            guard let d = view.double(v) else { return false }
            switch op {
            case .gt: return d > n
            case .gte: return d >= n
            case .lt: return d < n
            case .lte: return d <= n
            }
        case .fieldRef(let other, let wrap, let cased):
            guard let mine = view.scalarText(v) else { return false }
            var hit = false
            view.forEachValue(at: references[Int(other)], from: root) { o in
                if let ref = view.scalarText(o) {
                    hit = BytePattern(ref, wrap: wrap, cased: cased, wildcards: false).matches(mine)
                }
                return !hit
            }
            return hit
        case .publicPolicy(let expected):
            return PolicyAnalysis.isPublic(JSONValue(view, v)) == expected
        case .externalPrincipal(let expected):
            let own = view.member(of: root, "recipientAccountId").flatMap(view.string)
                ?? view.first(FieldMatcher.actorAccount, from: root).flatMap(view.string)
            return PolicyAnalysis.grantsExternal(JSONValue(view, v), ownAccount: own) == expected
        }
    }

    static let actorAccount = JSONPath("userIdentity.accountId")
    /// A string field holding a boolean (`"true"`), compared case-insensitively like any Sigma value.
    static let trueText = BytePattern("true")
    static let falseText = BytePattern("false")
}

/// The compact JSON text of an object-valued field, as SIEMs index it and as Sigma string tests on such a field
/// read it: no whitespace, members in the order written, strings unescaped and re-escaped minimally (`"`, `\\` and
/// control characters; `/` and non-ASCII as they are), numbers as written. `{"Status":"Suspended"}`.
public enum CompactJSON {
    public static func withText<R>(_ view: JSONView, _ i: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        write(view, i, &out)
        return out.withUnsafeBufferPointer(body)
    }

    public static func text(_ view: JSONView, _ i: Int) -> String {
        withText(view, i) { String(decoding: $0, as: UTF8.self) }
    }

    static func write(_ view: JSONView, _ i: Int, _ out: inout [UInt8]) {
        switch view.kind(i) {
        case .string:
            out.append(UInt8(ascii: "\""))
            view.withStringBytes(i) { s in
                for b in s {
                    switch b {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                        out.append(UInt8(ascii: "\\"))
                        out.append(b)
                    case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                    case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                    case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                    case 0..<0x20:
                        let hex = Array("0123456789abcdef".utf8)
                        out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                                hex[Int(b >> 4)], hex[Int(b & 15)]])
                    default: out.append(b)
                    }
                }
            }
            out.append(UInt8(ascii: "\""))
        case .number, .true, .false, .null:
            out.append(contentsOf: view.rawBytes(i))
        case .object:
            out.append(UInt8(ascii: "{"))
            var first = true
            view.forEachMember(of: i) { k, v in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(view, k, &out)
                out.append(UInt8(ascii: ":"))
                write(view, v, &out)
                return true
            }
            out.append(UInt8(ascii: "}"))
        case .array:
            out.append(UInt8(ascii: "["))
            var first = true
            view.forEachElement(of: i) { e in
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                write(view, e, &out)
                return true
            }
            out.append(UInt8(ascii: "]"))
        }
    }
}

/// Keyword search: any string value anywhere in the event (object keys are names, not values, and never match).
/// Recursion depth is bounded by the parser's nesting limit.
enum Keywords {
    static func anyString(in view: JSONView, from i: Int, _ test: (UnsafeBufferPointer<UInt8>) -> Bool) -> Bool {
        switch view.kind(i) {
        case .string:
            return view.withStringBytes(i, test)
        case .object:
            var hit = false
            view.forEachMember(of: i) { _, v in
                hit = anyString(in: view, from: v, test)
                return !hit
            }
            return hit
        case .array:
            var hit = false
            view.forEachElement(of: i) { e in
                hit = anyString(in: view, from: e, test)
                return !hit
            }
            return hit
        default:
            return false
        }
    }
}

/// A compiled regular expression. Swift's `Regex` is not declared Sendable; it is immutable after creation.
///
/// Regex evaluation is far slower than the byte matchers, so each regex carries the literal substrings any match
/// must contain; a value lacking one is rejected with a byte search before the regex engine runs.
final class RegexBox: @unchecked Sendable {
    let regex: Regex<AnyRegexOutput>
    /// The same pattern on the linear-time byte engine, when its syntax allows (used for printable ASCII values).
    let fast: ByteRegex?
    let required: [BytePattern]
    let ignoreCase: Bool
    /// Longest value Swift's `Regex` (a backtracking engine) is run on. Longer values are matched by the linear
    /// byte engine over their Unicode scalars (`scalarBytes`), so no length lets a value slip past a rule.
    static let maxInput = 65_536

    init(_ pattern: String, ignoreCase: Bool, multiline: Bool, dotAll: Bool) throws(DetectionError) {
        if let feature = RegexBox.backtrackingFeature(pattern) {
            throw DetectionError(
                "regular expression '\(pattern)' uses \(feature), which needs a backtracking engine (minutes on a "
                    + "few KB of hostile input); Tripline's regexes run in linear time and do not support it")
        }
        do {
            var r = try Regex(pattern)
            if ignoreCase { r = r.ignoresCase() }
            if multiline { r = r.anchorsMatchLineEndings() }
            if dotAll { r = r.dotMatchesNewlines() }
            regex = r
            fast = ByteRegex(pattern, ignoreCase: ignoreCase, multiline: multiline, dotAll: dotAll)
            self.ignoreCase = ignoreCase
        } catch {
            throw DetectionError("invalid regular expression '\(pattern)': \(error)")
        }
        required = RegexBox.requiredLiterals(pattern, ignoreCase: ignoreCase).map {
            BytePattern($0, wrap: .contains, cased: !ignoreCase, wildcards: false)
        }
    }

    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        if bytes.count > RegexBox.maxInput, fast != nil {
            return fast?.matches(bytes) ?? longValue(bytes)
        }
        // A pattern tied to the end is read backwards and mostly decided within a few bytes of it: searching for
        // its literals first would cost more than it saves.
        let backwards = fast?.dfa?.backwards ?? false
        if backwards, let answer = fast?.matches(bytes) { return answer }
        // Literals every match contains are searched 16 bytes at a time: most values are rejected here.
        for literal in required where !literal.matches(bytes) { return false }
        // The byte engine answers for printable-ASCII values; other values go the long way.
        if !backwards, let answer = fast?.matches(bytes) { return answer }
        return (try? regex.firstMatch(in: String(decoding: bytes, as: UTF8.self))) != nil
    }

    /// A value too long for the backtracking engine that the byte engine does not take as it is (non-ASCII or
    /// control characters): read one Unicode scalar per byte, each scalar beyond ASCII as
    /// `ByteRegex.nonASCIIScalar`, the byte engine decides it in linear time. With case folding the Kelvin sign
    /// (U+212A, the one scalar beyond ASCII that `Regex` folds to an ASCII letter) is read as `K`.
    private func longValue(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let fast else { return false }
        var scalars: [UInt8] = []
        scalars.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b < 0x80 {
                scalars.append(b)
            } else if b & 0xC0 != 0x80 {  // continuation bytes belong to the scalar already counted
                let kelvin = ignoreCase && b == 0xE2 && i + 2 < bytes.count && bytes[i + 1] == 0x84 && bytes[i + 2] == 0xAA
                scalars.append(kelvin ? UInt8(ascii: "K") : ByteRegex.nonASCIIScalar)
            }
            i += 1
        }
        return scalars.withUnsafeBufferPointer { fast.matchesByVM($0) }
    }

    /// The construct in `pattern` that only a backtracking engine can run (backreferences, lookaround), if any.
    static func backtrackingFeature(_ pattern: String) -> String? {
        let c = Array(pattern.unicodeScalars)
        var i = 0
        var inClass = false
        while i < c.count {
            let ch = c[i]
            if ch == "\\", i + 1 < c.count {
                let e = c[i + 1]
                if !inClass {
                    if ("1"..."9").contains(e) { return "a backreference (\\\(e))" }
                    if e == "k" || e == "g" { return "a backreference (\\\(e))" }
                }
                i += 2
                continue
            }
            if inClass {
                if ch == "]" { inClass = false }
            } else if ch == "[" {
                inClass = true
                if i + 1 < c.count && c[i + 1] == "]" { i += 1 }
                else if i + 2 < c.count && c[i + 1] == "^" && c[i + 2] == "]" { i += 2 }
            } else if ch == "(", i + 2 < c.count, c[i + 1] == "?" {
                let rest = String(String.UnicodeScalarView(c[(i + 2)..<min(c.count, i + 4)]))
                if rest.hasPrefix("=") || rest.hasPrefix("!") { return "a lookahead (?\(rest.prefix(1)))" }
                if rest.hasPrefix("<=") || rest.hasPrefix("<!") { return "a lookbehind (?\(rest))" }
                if rest.hasPrefix("P=") { return "a backreference (?P=)" }
            }
            i += 1
        }
        return nil
    }

    func matches(_ text: String) -> Bool {
        var t = text
        return t.withUTF8 { matches($0) }
    }

    /// Literal runs every match must contain, as bytes a matching value holds. Conservative: a pattern with
    /// alternation at the top level, inline options (`(?i)`, `(?x)`), or any construct this reader does not
    /// understand yields no literals (the regex then always runs).
    ///
    /// Swift's `Regex` matches characters, not bytes: a non-ASCII literal also matches its canonical equivalents
    /// (`é` matches `e` + U+0301), and with case folding `k` matches the Kelvin sign (U+212A). Such characters
    /// end a run instead of joining it.
    static func requiredLiterals(_ pattern: String, ignoreCase: Bool = false) -> [String] {
        let chars = Array(pattern)
        var runs: [String] = []
        var current = ""
        var depth = 0
        var i = 0
        func flush() {
            if current.count >= 2 { runs.append(current) }
            current = ""
        }
        func append(_ c: Character) {
            if !c.isASCII || ignoreCase && (c == "k" || c == "K") {
                flush()
            } else {
                current.append(c)
            }
        }
        while i < chars.count {
            let c = chars[i]
            // A quantifier after an atom makes that atom optional or repeated: drop it from the run.
            let next = i + 1 < chars.count ? chars[i + 1] : nil
            let quantified = next == "?" || next == "*" || next == "{" || next == "+"
            switch c {
            case "|":
                if depth == 0 { return [] }
                i += 1
            case "(":
                // Inline options (`(?i)`, `(?x)`) change what the rest means; only `(?:` is read.
                if next == "?", i + 2 < chars.count, chars[i + 2] != ":" { return [] }
                depth += 1
                flush()
                i += 1
            case ")":
                depth = max(0, depth - 1)
                flush()
                i += 1
                // A quantified group may be absent; runs inside groups were already not collected.
            case "[":
                flush()
                // Skip the character class, and the classes nested in it (`[[a]b]`, `[[:alpha:]]`).
                i += 1
                if i < chars.count && chars[i] == "]" { i += 1 }
                var open = 1
                while i < chars.count {
                    if chars[i] == "\\" {
                        i += 1
                    } else if chars[i] == "[" {
                        open += 1
                    } else if chars[i] == "]" {
                        open -= 1
                        if open == 0 { break }
                    }
                    i += 1
                }
                i += 1
            case "\\":
                guard i + 1 < chars.count else { return runs }
                let e = chars[i + 1]
                let escapedQuantified = i + 2 < chars.count && "?*{+".contains(chars[i + 2])
                if e.isLetter || e.isNumber {
                    // One-letter classes and anchors end a run; escapes that take arguments (\x41, \u{…}, \p{L},
                    // \k<name>, backreferences) are not followed here, so no literal is trusted.
                    guard "dDwWsSbBtnrfvaeAzZGhHR".contains(e) else { return [] }
                    flush()
                } else if depth == 0 && !escapedQuantified {
                    append(e)
                } else {
                    flush()
                }
                i += 2
            case "{":
                // A counted repeat; a brace that does not open one is a literal to Regex, and the text after it
                // (an alternation, say) would be misread: no literals then.
                flush()
                var j = i + 1
                while j < chars.count && (chars[j].isASCII && chars[j].isNumber || chars[j] == ",") { j += 1 }
                guard j < chars.count, chars[j] == "}", j > i + 1 else { return [] }
                i = j + 1
            case ".", "^", "$", "?", "*", "+", "}":
                flush()
                i += 1
            default:
                if depth == 0 && !quantified {
                    append(c)
                } else {
                    flush()
                }
                i += 1
            }
        }
        flush()
        return runs
    }
}

/// The literal substrings every match of a regex must contain (exposed for tests and `rules show`).
public func requiredRegexLiterals(_ pattern: String, ignoreCase: Bool = false) -> [String] {
    RegexBox.requiredLiterals(pattern, ignoreCase: ignoreCase)
}
