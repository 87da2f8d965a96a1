import Foundation

/// Result of a finished child process.
struct CommandResult: Sendable {
    var status: Int32
    var stdout: String
    var stderr: String
    var seconds: Double

    var succeeded: Bool { status == 0 }
    /// The tail of both streams, for failure messages.
    var diagnostics: String {
        "exit \(status) after \(String(format: "%.1f", seconds))s\n--- stdout (tail)\n\(stdout.suffix(3000))\n--- stderr (tail)\n\(stderr.suffix(3000))"
    }
}

struct CommandError: Error, CustomStringConvertible {
    var description: String
}

/// Runs `arguments[0]` (looked up on PATH) with `arguments[1...]`, in `directory`, with `environment` (complete),
/// capturing output in temporary files (no pipe deadlocks on large outputs). Kills the process after `timeout`.
func runCommand(
    _ arguments: [String],
    in directory: URL? = nil,
    environment: [String: String]? = nil,
    timeout: Double = 300
) async throws -> CommandResult {
    let started = Date()
    let tmp = FileManager.default.temporaryDirectory
    let id = UUID().uuidString.prefix(8)
    let outURL = tmp.appendingPathComponent("deploytests-\(id).out")
    let errURL = tmp.appendingPathComponent("deploytests-\(id).err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)

    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    if let directory { process.currentDirectoryURL = directory }
    if let environment { process.environment = environment }
    process.standardInput = FileHandle.nullDevice
    process.standardOutput = outHandle
    process.standardError = errHandle

    let finished = AsyncStream<Void>.makeStream()
    process.terminationHandler = { _ in
        finished.continuation.yield()
        finished.continuation.finish()
    }
    do {
        try process.run()
    } catch {
        throw CommandError(description: "cannot run \(arguments.joined(separator: " ")): \(error)")
    }

    let timedOut = TimeoutFlag()
    let box = ProcessBox(process)
    let watchdog = Task.detached {
        try? await Task.sleep(nanoseconds: UInt64(timeout * 1_000_000_000))
        let process = box.process
        if process.isRunning {
            timedOut.set()
            process.terminate()
            try? await Task.sleep(nanoseconds: 5_000_000_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }
    for await _ in finished.stream {}
    watchdog.cancel()
    try? outHandle.close()
    try? errHandle.close()
    if process.isRunning {
        // The wait ended because the task was cancelled (a test's time limit): never leave the command running,
        // and never read the status of a running process (Foundation traps).
        process.terminate()
        process.waitUntilExit()
        throw CancellationError()
    }

    let result = CommandResult(
        status: process.terminationStatus,
        stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
        stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "",
        seconds: Date().timeIntervalSince(started)
    )
    if timedOut.isSet {
        throw CommandError(description: "\(arguments.joined(separator: " ")) timed out after \(timeout)s\n\(result.diagnostics)")
    }
    return result
}

/// Like `runCommand`, but throws unless the command exits 0.
@discardableResult
func runChecked(
    _ arguments: [String],
    in directory: URL? = nil,
    environment: [String: String]? = nil,
    timeout: Double = 300
) async throws -> CommandResult {
    let result = try await runCommand(arguments, in: directory, environment: environment, timeout: timeout)
    guard result.succeeded else {
        throw CommandError(description: "\(arguments.prefix(3).joined(separator: " ")) failed: \(result.diagnostics)")
    }
    return result
}

private final class ProcessBox: @unchecked Sendable {
    let process: Process
    init(_ process: Process) { self.process = process }
}

private final class TimeoutFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}

/// The repository root (this file is Tests/DeployTests/Shell.swift).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// Parses JSON text into Foundation values.
func parseJSON(_ text: String) throws -> Any {
    try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}
