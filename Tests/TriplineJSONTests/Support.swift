import Testing

import TriplineJSON

// Shared helpers for the TriplineJSON tests.

/// Parses `bytes` as a whole document and returns the tape, or the error.
func parseDoc(_ bytes: [UInt8], maxDepth: Int = 512) -> Result<[JSONNode], JSONError> {
    var parser = JSONParser(maxDepth: maxDepth)
    do throws(JSONError) {
        try bytes.withUnsafeBufferPointer { (p) throws(JSONError) in try parser.parseDocument(p) }
        return .success(parser.nodes)
    } catch {
        return .failure(error)
    }
}

func parseDoc(_ text: String, maxDepth: Int = 512) -> Result<[JSONNode], JSONError> {
    parseDoc(Array(text.utf8), maxDepth: maxDepth)
}

/// The error a document fails with, or nil if it parses.
func docError(_ bytes: [UInt8], maxDepth: Int = 512) -> JSONError? {
    if case .failure(let e) = parseDoc(bytes, maxDepth: maxDepth) { return e }
    return nil
}

func docError(_ text: String, maxDepth: Int = 512) -> JSONError? { docError(Array(text.utf8), maxDepth: maxDepth) }

/// Parses and runs `body` on the view. Fails the test (and returns nil) if the parse fails.
func withDoc<R>(
    _ text: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: (JSONView) throws -> R
) rethrows -> R? {
    try withDoc(Array(text.utf8), sourceLocation: sourceLocation, body)
}

func withDoc<R>(
    _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation, _ body: (JSONView) throws -> R
) rethrows -> R? {
    let doc: JSONDocument
    do {
        doc = try JSONDocument(parsing: bytes)
    } catch {
        Issue.record("unexpected parse error \(error) for \(describe(bytes))", sourceLocation: sourceLocation)
        return nil
    }
    return try doc.withView(body)
}

/// A short printable rendering of test input for failure messages.
func describe(_ bytes: [UInt8]) -> String {
    var s = ""
    for b in bytes.prefix(120) {
        if b >= 0x20 && b < 0x7F { s.append(Character(Unicode.Scalar(b))) } else { s += "<\(String(b, radix: 16))>" }
    }
    if bytes.count > 120 { s += "…(\(bytes.count) bytes)" }
    return s
}

/// The unicode scalars of a string (String `==` uses canonical equivalence; JSON compares code points).
func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

/// Structural equality that compares strings by code points and numbers by their text.
func strictEqual(_ a: JSONValue, _ b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case let (.bool(x), .bool(y)): return x == y
    case let (.number(x), .number(y)): return x == y
    case let (.string(x), .string(y)): return scalars(x) == scalars(y)
    case let (.array(x), .array(y)): return x.count == y.count && zip(x, y).allSatisfy { strictEqual($0, $1) }
    case let (.object(x), .object(y)):
        return x.count == y.count && zip(x, y).allSatisfy { scalars($0.0) == scalars($1.0) && strictEqual($0.1, $1.1) }
    default: return false
    }
}
