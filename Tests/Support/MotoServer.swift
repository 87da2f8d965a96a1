import Foundation

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A moto_server (AWS look-alike) on loopback for integration tests.
///
/// - ``shared()`` is one server per test process, started on first use. Tests share it concurrently, so they must
///   use unique resource names (``uniqueName(_:)``) and must not call ``reset()`` or turn authentication on.
/// - ``startDedicated()`` gives a private server (for tests that change global moto state, like auth checking).
/// - With `TRIPLINE_MOTO_ENDPOINT` set, ``shared()`` uses that server instead of spawning one.
///
/// Failing to start throws ``MotoServerError``: tests that need moto fail loudly rather than skip.
public final class MotoServer: @unchecked Sendable {
    public let endpoint: String
    public let port: Int
    private let process: Process?
    private let logPath: String?

    /// Dummy credentials moto accepts while authentication is off (and that other test code can reuse).
    public static let accessKeyId = "AKIDTRIPLINETEST"
    public static let secretAccessKey = "tripline-test-secret"
    public static let region = "us-east-1"
    public static let accountId = "123456789012"

    private init(endpoint: String, port: Int, process: Process?, logPath: String?) {
        self.endpoint = endpoint
        self.port = port
        self.process = process
        self.logPath = logPath
    }

    // MARK: - Instances

    private actor Registry {
        var shared: Task<MotoServer, any Error>?
        func sharedServer() async throws -> MotoServer {
            if let shared { return try await shared.value }
            let task = Task { () throws -> MotoServer in
                if let external = ProcessInfo.processInfo.environment["TRIPLINE_MOTO_ENDPOINT"], !external.isEmpty {
                    return try MotoServer.external(external)
                }
                return try await MotoServer.startDedicated()
            }
            shared = task
            return try await task.value
        }
    }

    private static let registry = Registry()

    /// The process-wide server (started once, concurrency-safe).
    public static func shared() async throws -> MotoServer { try await registry.sharedServer() }

    /// A server already running elsewhere (`http://127.0.0.1:5000`).
    static func external(_ url: String) throws -> MotoServer {
        guard let components = URLComponents(string: url), let port = components.port else {
            throw MotoServerError("TRIPLINE_MOTO_ENDPOINT must be http://host:port, got \(url)")
        }
        let server = MotoServer(endpoint: url.hasSuffix("/") ? String(url.dropLast()) : url, port: port, process: nil, logPath: nil)
        try server.waitUntilReady(timeout: 10)
        return server
    }

    /// Starts a private moto_server on a free port and waits (up to `timeout` seconds) until it answers.
    public static func startDedicated(timeout: Double = 20) async throws -> MotoServer {
        let port = try freePort()
        let logPath = NSTemporaryDirectory() + "tripline-moto-\(port)-\(UUID().uuidString.prefix(8)).log"
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell is a watchdog: if the test process dies without cleaning up, moto is killed within a second.
        process.arguments = [
            "-c",
            """
            moto_server -H 127.0.0.1 -p "$1" >>"$3" 2>&1 & child=$!
            echo $child >"$3.pid"
            while kill -0 "$2" 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done
            kill -9 $child 2>/dev/null
            """,
            "moto-watchdog", String(port), String(getpid()), logPath,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw MotoServerError("cannot launch /bin/sh for moto_server: \(error)")
        }
        let server = MotoServer(endpoint: "http://127.0.0.1:\(port)", port: port, process: process, logPath: logPath)
        Self.track(server)
        do {
            try server.waitUntilReady(timeout: timeout)
        } catch {
            server.stop()
            throw error
        }
        return server
    }

    private func waitUntilReady(timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        var lastError = "no attempt"
        while Date() < deadline {
            if let process, !process.isRunning {
                throw MotoServerError("moto_server exited during start-up (status \(process.terminationStatus)): \(log())")
            }
            do {
                let response = try rawHTTP(port: port, method: "GET", path: "/moto-api/", timeoutSeconds: 2)
                if response.status == 200 { return }
                lastError = "status \(response.status)"
            } catch {
                lastError = "\(error)"
            }
            usleep(100_000)
        }
        throw MotoServerError("moto_server on port \(port) not ready after \(timeout)s (\(lastError)): \(log())")
    }

    private func log() -> String {
        guard let logPath, let text = try? String(contentsOfFile: logPath, encoding: .utf8) else { return "(no log)" }
        return String(text.suffix(2000))
    }

    // MARK: - Control

    /// Wipes all state. Only on a dedicated server: the shared one is used by concurrent tests.
    public func reset() throws {
        let r = try rawHTTP(port: port, method: "POST", path: "/moto-api/reset")
        guard r.status == 200 else { throw MotoServerError("reset answered \(r.status)") }
    }

    /// Turns on signature and IAM checking for the whole server (dedicated servers only). Create the IAM user and
    /// access key you will sign with before calling this.
    public func enableAuthentication() throws {
        let r = try rawHTTP(
            port: port, method: "POST", path: "/moto-api/reset-auth", headers: ["Content-Type": "text/plain"], body: Array("0".utf8))
        guard r.status == 200 else { throw MotoServerError("reset-auth answered \(r.status): \(String(decoding: r.body, as: UTF8.self))") }
    }

    /// Stops a server this process started (no-op for an external one).
    public func stop() {
        guard let process, process.isRunning else { return }
        // SIGKILL, because children spawned from Swift concurrency threads inherit their blocked signal mask
        // (SIGTERM included). Kill moto itself (the watchdog wrote its pid), then the watchdog; poll rather than
        // waitUntilExit, which relies on a run loop that concurrency threads do not spin.
        if let logPath, let text = try? String(contentsOfFile: logPath + ".pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
        {
            kill(pid, SIGKILL)
            try? FileManager.default.removeItem(atPath: logPath + ".pid")
        }
        kill(process.processIdentifier, SIGKILL)
        for _ in 0..<50 where process.isRunning { usleep(100_000) }
    }

    // MARK: - Exit cleanup

    nonisolated(unsafe) private static var tracked: [MotoServer] = []
    private static let trackLock = NSLock()
    private static let installExitHandler: Void = {
        atexit {
            MotoServer.trackLock.withLock {
                for server in MotoServer.tracked { server.stop() }
            }
        }
    }()

    private static func track(_ server: MotoServer) {
        _ = installExitHandler
        trackLock.withLock { tracked.append(server) }
    }
}

public struct MotoServerError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}

/// A resource name unique to this run (`prefix-1a2b3c4d`), for tests sharing one moto server.
public func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}
