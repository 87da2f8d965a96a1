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

/// One `field|mod1|mod2: values` entry.
public struct FieldSpec: Sendable {
    public var field: String
    public var modifiers: [String]
    public var values: [SigmaValue]

    public init(field: String, modifiers: [String], values: [SigmaValue]) {
        self.field = field
        self.modifiers = modifiers
        self.values = values
    }

    /// Parses `field|mod|mod` as written in a selection key.
    public init(key: String, values: [SigmaValue]) {
        let parts = key.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        self.init(field: parts[0], modifiers: Array(parts.dropFirst()), values: values)
    }
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
