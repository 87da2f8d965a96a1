/// The fuzz targets, one entry point each, shared by the libFuzzer driver (Fuzz/Driver, built by scripts/fuzz
/// with `-sanitize=fuzzer,address`) and the regression replay in the normal test suite (Tests/FuzzRegressionTests),
/// so a committed corpus or crash file runs through exactly the code the fuzzer ran.
///
/// A target returns normally when the input was handled (accepted or cleanly rejected), throws `FuzzFailure` when a
/// property it checks does not hold (differential mismatch, round trip lost), and crashes only on a real bug.
public struct FuzzFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

public struct FuzzTarget: Sendable {
    public var name: String
    /// What the input bytes mean, for the README and the driver's `-help`.
    public var input: String
    public var run: @Sendable (UnsafeBufferPointer<UInt8>) throws -> Void
}

public enum FuzzTargets {
    public static let all: [FuzzTarget] = [
        FuzzTarget(name: "json", input: "a JSON document", run: JSONFuzz.run),
        FuzzTarget(name: "gunzip", input: "byte 0 bit 0: 0 = a gzip file, 1 = a raw deflate stream (wrapped in gzip framing)",
                   run: GunzipFuzz.run),
        FuzzTarget(name: "records", input: "a log object as read from disk or S3 (gzip or not, any shape)", run: RecordsFuzz.run),
        FuzzTarget(name: "rules", input: "a rule file (YAML)", run: RulesFuzz.run),
        FuzzTarget(name: "regex", input: "byte 0: flags (i, m, s), then the pattern, a NUL byte, the subject", run: RegexFuzz.run),
        FuzzTarget(name: "payloads", input: "a Lambda payload or a queued message body (JSON)", run: PayloadsFuzz.run),
        FuzzTarget(name: "sigv4", input: "NUL-separated method, host, path, query (k=v&…), headers (name: value lines), payload",
                   run: SigV4Fuzz.run),
    ]

    public static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }
}

/// Splits fuzz input at NUL bytes (fields for targets that need several strings), at most `count` fields.
func fields(_ p: UnsafeBufferPointer<UInt8>, _ count: Int) -> [String] {
    p.split(separator: 0, maxSplits: count - 1, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}
