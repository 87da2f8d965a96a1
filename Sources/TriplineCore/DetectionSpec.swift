/// The detection part of a rule as written (Sigma), before compilation. The YAML loader produces this; the
/// engine compiles it into matchers. Keeping the two apart lets the loader report locations and the compiler
/// stay free of any YAML knowledge.
public struct DetectionSpec: Sendable {
    public var selections: [(name: String, selection: SelectionSpec)]
    /// Sigma allows a list of conditions, meaning any of them.
    public var conditions: [String]

    public init(selections: [(name: String, selection: SelectionSpec)], conditions: [String]) {
        self.selections = selections
        self.conditions = conditions
    }
}

public enum SelectionSpec: Sendable {
    /// A list of maps: any map matches (each map: all of its fields match).
    case fieldGroups([[FieldSpec]])
    /// A list of plain values: any string in the event contains one of them.
    case keywords([SigmaValue])
    /// The specification's `'|all': [a, b]` keyword form: every value is found (each in some string).
    case allKeywords([SigmaValue])
}

/// A value modifier (`field|contains|all`): the specification's, and Tripline's own for CloudTrail (`aws_ip`,
/// `actor`, `publicpolicy`, `externalprincipal`). Written in any case in rules.
public enum SigmaModifier: String, Sendable, Hashable, CaseIterable {
    case contains, startswith, endswith, all, re, cased, neq, exists, cidr, fieldref, expand, windash
    /// Regex flags: ignore case, multi-line, dot matches newline.
    case i, m, s
    case gt, gte, lt, lte
    case base64, base64offset, utf16le, utf16be, utf16, wide
    case publicpolicy, externalprincipal, actor
    case awsIP = "aws_ip"

    /// Modifiers that re-encode values for logs other than CloudTrail's JSON.
    public static let encodings: Set<SigmaModifier> = [.base64, .base64offset, .utf16le, .utf16be, .utf16, .wide]
    /// Numeric comparisons.
    public static let comparisons: Set<SigmaModifier> = [.gt, .gte, .lt, .lte]

    /// A modifier as written (`Contains`, `aws_ip`), or nil for one Tripline does not know.
    public init?(name: String) { self.init(rawValue: name.lowercased()) }
}

/// One `field|mod1|mod2: values` entry.
public struct FieldSpec: Sendable {
    public var field: String
    public var modifiers: [SigmaModifier]
    /// Modifier names as written that are none of ``SigmaModifier``: compiling the detection refuses them.
    public var unknownModifiers: [String]
    public var values: [SigmaValue]

    public init(field: String, modifiers: [SigmaModifier], values: [SigmaValue]) {
        self.field = field
        self.modifiers = modifiers
        self.unknownModifiers = []
        self.values = values
    }

    /// Parses `field|mod|mod` as written in a selection key.
    public init(key: String, values: [SigmaValue]) {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        self.init(field: parts[0], modifiers: [], values: values)
        for name in parts.dropFirst() {
            if let modifier = SigmaModifier(name: name) { modifiers.append(modifier) } else { unknownModifiers.append(name) }
        }
    }

    public func has(_ modifier: SigmaModifier) -> Bool { modifiers.contains(modifier) }
}

/// A scalar value in a Sigma selection.
public enum SigmaValue: Sendable, Equatable {
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    public var text: String {
        switch self {
        case .string(let s), .number(let s): return s
        case .bool(let b): return b ? "true" : "false"
        case .null: return "null"
        }
    }
}

/// Why a detection could not be compiled. The loader attaches file, line and rule id.
public struct DetectionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    /// The selection or field the problem is in, when known (helps the loader find a line).
    public var selection: String?
    public var field: String?

    public init(_ message: String, selection: String? = nil, field: String? = nil) {
        self.message = message
        self.selection = selection
        self.field = field
    }

    public var description: String { message }
}
