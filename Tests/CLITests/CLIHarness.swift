import Foundation
import Testing
import TriplineJSON

/// Runs the built `tripline` binary the way a user or a script would: arguments, stdin, environment, exit status.
enum CLI {
    struct Failure: Error, CustomStringConvertible { var description: String }

    struct Result {
        var status: Int32
        /// True when the process died of a signal (a crash) rather than exiting.
        var crashed: Bool
        var timedOut: Bool
        var stdout: String
        var stderr: String

        /// stdout lines, without the empty last one.
        var lines: [String] { stdout.split(separator: "\n", omittingEmptySubsequences: true).map(String.init) }
        /// Every stdout line parsed as JSON (nil where a line is not JSON).
        var jsonLines: [JSONValue?] { lines.map { try? JSONValue.parse($0) } }
        /// `event_id` of every JSON line, in order.
        var eventIDs: [String] { jsonLines.compactMap { $0?.text("event_id") } }
    }

    /// `tripline` next to the test bundle (SwiftPM builds every product before `swift test`), or `TRIPLINE_BIN`.
    static func binary() throws -> URL {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["TRIPLINE_BIN"], !explicit.isEmpty {
            return URL(fileURLWithPath: explicit)
        }
        var candidates: [URL] = []
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        candidates.append(runner.deletingLastPathComponent())
        candidates.append(Bundle.main.bundleURL)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent())
        // macOS: …/debug/TriplinePackageTests.xctest/Contents/MacOS/TriplinePackageTests
        candidates.append(runner.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent())
        for folder in candidates {
            let url = folder.appendingPathComponent("tripline")
            if fm.isExecutableFile(atPath: url.path) { return url }
        }
        throw Failure(description: "built tripline binary not found next to the tests (looked in \(candidates.map(\.path))); set TRIPLINE_BIN")
    }

    /// A private environment: dummy AWS credentials (never a real account), no shared AWS config, and a fresh
    /// state file so tests never touch `~/.tripline`.
    static func environment(_ extra: [String: String] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("AWS_") || key.hasPrefix("TRIPLINE_") { env[key] = nil }
        env["AWS_ACCESS_KEY_ID"] = "AKIDTRIPLINETEST"
        env["AWS_SECRET_ACCESS_KEY"] = "tripline-test-secret"
        env["AWS_REGION"] = "us-east-1"
        env["AWS_CONFIG_FILE"] = "/nonexistent/aws-config"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/aws-credentials"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["TRIPLINE_DB"] = Fixtures.temporaryFolder().appendingPathComponent("tripline.sqlite").path
        for (k, v) in extra { env[k] = v }
        return env
    }

    /// Runs `tripline args…` and waits at most `timeout` seconds (then kills it and reports `timedOut`).
    /// `dataLimitMiB`: run it under that limit on its data (heap and other private writable memory, `ulimit -d`),
    /// where allocating past it fails as it would in a Lambda of that memory size.
    static func run(
        _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String] = CLI.environment(),
        timeout: Double = 120, dataLimitMiB: Int? = nil, whileRunning: ((Process) -> Void)? = nil
    ) throws -> Result {
        let process = Process()
        if let dataLimitMiB {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -d \(dataLimitMiB * 1024) && exec \"$0\" \"$@\"", try binary().path] + arguments
        } else {
            process.executableURL = try binary()
            process.arguments = arguments
        }
        process.environment = environment
        let out = Pipe(), err = Pipe(), input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = stdin == nil ? FileHandle.nullDevice : input
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()

        // Drain both pipes while the process runs: a full pipe would block it forever.
        let collected = Collected()
        let readers = DispatchGroup()
        for (handle, isOut) in [(out.fileHandleForReading, true), (err.fileHandleForReading, false)] {
            DispatchQueue.global().async(group: readers) {
                collected.set(handle.readDataToEndOfFile(), stdout: isOut)
            }
        }
        if let stdin { feed(stdin, to: input.fileHandleForWriting) }
        whileRunning?(process)
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            done.wait()
        }
        _ = readers.wait(timeout: .now() + 10)
        let (stdoutData, stderrData) = collected.value
        return Result(
            status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
            timedOut: timedOut, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var out = Data(), err = Data()
        func set(_ data: Data, stdout: Bool) { lock.withLock { if stdout { out = data } else { err = data } } }
        var value: (Data, Data) { lock.withLock { (out, err) } }
    }
}

/// A subprocess that is not tripline (aws, gzip), for setting up fixtures. Throws unless it exits 0.
@discardableResult
func shell(_ executable: String, _ arguments: [String], stdin: [UInt8]? = nil, environment: [String: String]? = nil) throws -> [UInt8] {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [executable] + arguments
    if let environment { process.environment = environment }
    let out = Pipe(), err = Pipe(), input = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = stdin == nil ? FileHandle.nullDevice : input
    try process.run()
    if let stdin { feed(stdin, to: input.fileHandleForWriting) }
    let errorText = ErrorText()
    let reader = DispatchGroup()
    let errorHandle = err.fileHandleForReading
    DispatchQueue.global().async(group: reader) { errorText.data = errorHandle.readDataToEndOfFile() }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    reader.wait()
    guard process.terminationStatus == 0 else {
        throw CLI.Failure(description: "\(executable) \(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errorText.data, as: UTF8.self))")
    }
    return Array(data)
}

/// Writes `bytes` to a child's stdin from another thread (a large input would otherwise block on a full pipe), then
/// closes it so the child sees end of file.
func feed(_ bytes: [UInt8], to handle: FileHandle) {
    DispatchQueue.global().async {
        try? handle.write(contentsOf: Data(bytes))
        try? handle.close()
    }
}

private final class ErrorText: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()
    var data: Data {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
