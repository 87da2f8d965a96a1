internal import CYaml

/// Limits a YAML text must keep before it is composed into nodes.
///
/// Yams composes an alias by sharing the anchored node, and everything after it (duplicate-key checks, `RuleNode`)
/// walks the expansion: a 1 KB file of nested aliases ("billion laughs") would take all of memory. Composing is
/// also recursive, so nesting is bounded too. Both are checked on libyaml's event stream, which takes constant
/// memory per event, before a single node is built.
public enum YAMLBounds {
    /// Deepest nesting of sequences and mappings (a Sigma rule needs about six).
    public static let maxDepth = 64
    /// Most aliases in one text (rule files have little use for them).
    public static let maxAliases = 1_000
    /// Most nodes the whole text may expand to, aliases expanded.
    public static let maxExpandedNodes = 100_000

    /// Throws if `text` nests deeper than `maxDepth`, holds more than `maxAliases` aliases or expands past
    /// `maxExpandedNodes` nodes. Syntax errors are left to the composer, which reports them with more context.
    static func check(_ text: String) throws(RuleSyntaxError) {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else { return }
        defer { yaml_parser_delete(&parser) }
        var bytes = Array(text.utf8)
        try bytes.withUnsafeMutableBufferPointer { (buffer) throws(RuleSyntaxError) in
            yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
            yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
            // Open collections: the nodes counted inside each so far, and its anchor.
            var open: [(nodes: Int, anchor: String?)] = []
            var sizes: [String: Int] = [:]  // anchor → expanded node count
            var aliases = 0
            var total = 0
            func add(_ n: Int) { if open.isEmpty { total += n } else { open[open.count - 1].nodes += n } }
            func anchor(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
                p.map { String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self)) }
            }
            while true {
                var event = yaml_event_t()
                guard yaml_parser_parse(&parser, &event) == 1 else { return }
                defer { yaml_event_delete(&event) }
                let line = Int(event.start_mark.line) + 1
                switch event.type {
                case YAML_STREAM_END_EVENT:
                    return
                case YAML_SCALAR_EVENT:
                    add(1)
                    if let name = anchor(event.data.scalar.anchor) { sizes[name] = 1 }
                case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
                    let name = event.type == YAML_SEQUENCE_START_EVENT
                        ? anchor(event.data.sequence_start.anchor) : anchor(event.data.mapping_start.anchor)
                    open.append((1, name))
                    guard open.count <= maxDepth else {
                        throw RuleSyntaxError(line: line, problem: "nested deeper than \(maxDepth) levels")
                    }
                case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
                    guard let closed = open.popLast() else { return }
                    if let name = closed.anchor { sizes[name] = closed.nodes }
                    add(closed.nodes)
                case YAML_ALIAS_EVENT:
                    aliases += 1
                    guard aliases <= maxAliases else {
                        throw RuleSyntaxError(line: line, problem: "more than \(maxAliases) YAML aliases")
                    }
                    // An undefined alias is the composer's error to report.
                    add(anchor(event.data.alias.anchor).flatMap { sizes[$0] } ?? 1)
                default:
                    continue
                }
                if total + open.reduce(0, { $0 + $1.nodes }) > maxExpandedNodes {
                    throw RuleSyntaxError(
                        line: line, problem: "YAML aliases expand to more than \(maxExpandedNodes) nodes")
                }
            }
        }
    }
}
