import Foundation
import TriplineTestSupport

/// The Terraform module (deploy/terraform) deployed through deploy/terraform/examples/moto onto a moto_server.
///
/// Everything happens in a private copy of `deploy/` in a temporary directory (state, lock file, `.terraform`
/// data dir), so the repository stays clean and concurrent runs never collide. Terraform only ever talks to
/// 127.0.0.1: the example's provider has explicit dummy credentials and a loopback-only `moto_endpoint`.
/// Each stack gets a unique `environment` (part of every resource name), so stacks can share one moto_server
/// (`MotoServer.shared()`) with each other and with other tests.
///
/// Reuse from another test:
///
///     let moto = try await MotoServer.shared()
///     try await DeployedStack.withApplied(on: moto) { stack in
///         // stack.outputs["queue_url"], stack.outputs["sns_topic_arn"], stack.aws(["sqs", ...]) ...
///     }
struct DeployedStack: Sendable {
    let moto: MotoServer
    let workDir: URL
    let rootDir: URL
    let environment: [String: String]
    /// Outputs of the moto example (`stack` output): sns_topic_arn, lambda_function_arn, lambda_function_name,
    /// eventbridge_rule_arns (a map as JSON text), polling_rule_arn, guardduty_rule_arn, trail_name, trail_bucket_name, trail_log_prefix,
    /// dynamodb_table_name, queue_url, dlq_url, kms_key_arn, log_group_name.
    var outputs: [String: String] = [:]
    /// Measured durations (seconds) of the Terraform steps, by step name.
    var timings: [String: Double] = [:]
    /// Resources in state after apply.
    var resourceCount = 0

    /// The unique environment name of this stack (resource names are `tripline-<environment>-…`).
    let environmentName: String
    var endpoint: String { moto.endpoint }
    func output(_ name: String) throws -> String {
        guard let value = outputs[name] else { throw CommandError(description: "no output \(name) in \(outputs.keys.sorted())") }
        return value
    }

    // MARK: - Preparation

    /// Copies deploy/ into a temporary directory and prepares the environment for terraform and the aws CLI.
    /// The same work directory, but rooted at deploy/terraform/examples/moto-switches (the plan tests' root module).
    static func prepareSwitches(on moto: MotoServer) throws -> DeployedStack {
        let stack = try prepare(on: moto)
        return DeployedStack(
            moto: moto, workDir: stack.workDir, rootDir: stack.rootDir.deletingLastPathComponent().appendingPathComponent("moto-switches"),
            environment: stack.environment, environmentName: stack.environmentName)
    }

    static func prepare(on moto: MotoServer) throws -> DeployedStack {
        guard moto.endpoint.hasPrefix("http://127.0.0.1:") else {
            throw CommandError(description: "refusing to deploy to \(moto.endpoint): loopback only")
        }
        let fm = FileManager.default
        let workDir = fm.temporaryDirectory.appendingPathComponent("tripline-deploytest-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: workDir, withIntermediateDirectories: true)
        let deployCopy = workDir.appendingPathComponent("deploy")
        try fm.copyItem(at: repositoryRoot.appendingPathComponent("deploy"), to: deployCopy)
        // Drop anything a developer may have left in their tree (init, state, lock files).
        if let walker = fm.enumerator(at: deployCopy, includingPropertiesForKeys: nil) {
            var doomed: [URL] = []
            for case let url as URL in walker {
                let name = url.lastPathComponent
                if name == ".terraform" || name == ".terraform.lock.hcl" || name.hasSuffix(".tfstate") || name.hasSuffix(".tfstate.backup") {
                    doomed.append(url)
                }
            }
            for url in doomed { try? fm.removeItem(at: url) }
        }

        // A stand-in deployment package: moto stores the zip but cannot run it (no Docker).
        let zip = workDir.appendingPathComponent("tripline-lambda.zip")
        try Data(minimalZip(name: "bootstrap", contents: Array("#!/bin/sh\necho placeholder\n".utf8))).write(to: zip)

        var env = ProcessInfo.processInfo.environment
        for key in env.keys where key.hasPrefix("AWS_") || key.hasPrefix("TF_") { env.removeValue(forKey: key) }
        env["TF_CLI_CONFIG_FILE"] = repositoryRoot.appendingPathComponent("deploy/terraform/offline.tfrc").path
        env["TF_DATA_DIR"] = workDir.appendingPathComponent("tf-data").path
        env["TF_IN_AUTOMATION"] = "1"
        env["TF_INPUT"] = "0"
        env["CHECKPOINT_DISABLE"] = "1"
        let environmentName = "d" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(8).lowercased()
        env["TF_VAR_environment"] = environmentName
        env["TF_VAR_moto_endpoint"] = moto.endpoint
        env["TF_VAR_lambda_zip"] = zip.path
        // For the aws CLI (terraform's provider block has its own dummy credentials).
        env["AWS_ACCESS_KEY_ID"] = MotoServer.accessKeyId
        env["AWS_SECRET_ACCESS_KEY"] = MotoServer.secretAccessKey
        env["AWS_DEFAULT_REGION"] = MotoServer.region
        env["AWS_REGION"] = MotoServer.region
        env["AWS_CONFIG_FILE"] = "/dev/null"
        env["AWS_SHARED_CREDENTIALS_FILE"] = "/dev/null"
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        env["AWS_PAGER"] = ""
        env["NO_PROXY"] = "127.0.0.1,localhost"
        env["no_proxy"] = "127.0.0.1,localhost"

        return DeployedStack(
            moto: moto, workDir: workDir,
            rootDir: deployCopy.appendingPathComponent("terraform/examples/moto"),
            environment: env, environmentName: environmentName)
    }

    // MARK: - Terraform

    @discardableResult
    func terraform(_ args: [String], timeout: Double = 240) async throws -> CommandResult {
        try await runChecked(["terraform"] + args + [], in: rootDir, environment: environment, timeout: timeout)
    }

    @discardableResult
    mutating func timed(_ step: String, _ args: [String], timeout: Double = 240) async throws -> CommandResult {
        let result = try await terraform(args, timeout: timeout)
        timings[step] = result.seconds
        return result
    }

    /// init, then validate and plan (concurrently: validate is read-only); returns `terraform show -json` of the plan.
    mutating func plan() async throws -> String {
        try await timed("init", ["init", "-input=false", "-no-color"])
        let me = self
        async let validate = me.terraform(["validate", "-no-color"])
        async let plan = me.terraform(["plan", "-input=false", "-no-color", "-out=tripline.tfplan"])
        timings["validate"] = try await validate.seconds
        timings["plan"] = try await plan.seconds
        return try await timed("show-plan", ["show", "-json", "tripline.tfplan"]).stdout
    }

    /// `terraform show -json` of the state after apply (all policies fully known).
    private(set) var stateJSON = ""

    /// Applies the saved plan, then reads the state: outputs, resource count, and the JSON for linting.
    mutating func applyPlan() async throws {
        try await timed("apply", ["apply", "-input=false", "-no-color", "-auto-approve", "tripline.tfplan"], timeout: 270)
        stateJSON = try await timed("show-state", ["show", "-json"]).stdout
        guard let state = try parseJSON(stateJSON) as? [String: Any], let values = state["values"] as? [String: Any],
            let stack = ((values["outputs"] as? [String: Any])?["stack"] as? [String: Any])?["value"] as? [String: Any]
        else {
            throw CommandError(description: "no `stack` output in the state: \(stateJSON.prefix(1000))")
        }
        outputs = stack.compactMapValues { $0 as? String }
        resourceCount = Self.managedResources(in: values["root_module"] as? [String: Any] ?? [:])
    }

    private static func managedResources(in module: [String: Any]) -> Int {
        let own = (module["resources"] as? [[String: Any]] ?? []).filter { $0["mode"] as? String == "managed" }.count
        let children = (module["child_modules"] as? [[String: Any]] ?? []).map(managedResources(in:)).reduce(0, +)
        return own + children
    }

    /// Destroys without refreshing (the state is fresh; refreshing costs a minute against moto).
    mutating func destroy() async throws {
        do {
            try await timed("destroy", ["destroy", "-refresh=false", "-input=false", "-no-color", "-auto-approve"], timeout: 240)
        } catch {
            await forgetTrail()
            throw error
        }
        await forgetTrail()
    }

    /// moto keeps a trail that the AWS provider deletes by ARN (moto only deletes by name), and its DescribeTrails
    /// returns every trail whatever the filter: a leftover trail breaks the next stack's apply ("too many results").
    /// Deleting it by name after destroy keeps the shared server clean.
    func forgetTrail() async {
        _ = try? await runCommand(["aws", "--endpoint-url", moto.endpoint, "cloudtrail", "delete-trail", "--name",
                                   "tripline-\(environmentName)-trail"], environment: environment, timeout: 60)
    }

    func removeWorkDir() {
        try? FileManager.default.removeItem(at: workDir)
    }

    /// Prepares, plans, applies, runs `body`, then destroys (also when `body` throws) and cleans up.
    static func withApplied<T>(on moto: MotoServer, _ body: (DeployedStack) async throws -> T) async throws -> T {
        // One applied stack at a time: moto's DescribeTrails ignores the name filter, so the AWS provider sees every
        // stack's trail when it reads its own and fails ("too many results").
        await StackLock.shared.acquire()
        defer { Task { await StackLock.shared.release() } }
        var stack = try prepare(on: moto)
        defer { stack.removeWorkDir() }
        _ = try await stack.plan()
        do {
            try await stack.applyPlan()
        } catch {
            try? await stack.destroy()
            throw error
        }
        let result: T
        do {
            result = try await body(stack)
        } catch {
            try? await stack.destroy()
            throw error
        }
        try await stack.destroy()
        return result
    }

    // MARK: - aws CLI against moto

    /// Runs `aws --endpoint-url <moto> <args> --output json` and parses the answer (nil for an empty answer).
    @discardableResult
    func aws(_ args: [String]) async throws -> JSONObject? {
        let result = try await runChecked(
            ["aws", "--endpoint-url", moto.endpoint, "--output", "json"] + args, environment: environment, timeout: 60)
        let text = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return nil }
        guard let object = try parseJSON(text) as? [String: Any] else {
            throw CommandError(description: "aws \(args.joined(separator: " ")) did not return an object: \(text.prefix(500))")
        }
        return JSONObject(raw: object)
    }

    func awsObject(_ args: [String]) async throws -> JSONObject {
        guard let object = try await aws(args) else {
            throw CommandError(description: "aws \(args.joined(separator: " ")) returned nothing")
        }
        return object
    }
}

/// A parsed JSON object that can cross task boundaries (it is immutable after parsing).
struct JSONObject: @unchecked Sendable, CustomStringConvertible {
    let raw: [String: Any]
    subscript(key: String) -> Any? { raw[key] }
    var description: String { "\(raw)" }
}

// MARK: - A tiny zip writer (stored, no compression) so the test needs no `zip` binary.

func minimalZip(name: String, contents: [UInt8]) -> [UInt8] {
    func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
    func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * UInt32($0))) & 0xff) } }
    var table = [UInt32](repeating: 0, count: 256)
    for i in 0..<256 {
        var c = UInt32(i)
        for _ in 0..<8 { c = (c & 1) != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        table[i] = c
    }
    var crc: UInt32 = 0xFFFF_FFFF
    for b in contents { crc = table[Int((crc ^ UInt32(b)) & 0xff)] ^ (crc >> 8) }
    crc ^= 0xFFFF_FFFF
    let nameBytes = Array(name.utf8)
    let size = UInt32(contents.count)
    // version 2.0, no flags, stored, DOS time/date 1980-01-01 00:00
    let common = le16(20) + le16(0) + le16(0) + le16(0) + le16(0x21) + le32(crc) + le32(size) + le32(size) + le16(nameBytes.count) + le16(0)
    let local = le32(0x0403_4b50) + common + nameBytes + contents
    // central directory: made by UNIX (3), mode 0755 regular file in the external attributes
    let central = le32(0x0201_4b50) + [20, 3] + common + le16(0) + le16(0) + le16(0) + le32(0o100755 << 16) + le32(0) + nameBytes
    let end = le32(0x0605_4b50) + le16(0) + le16(0) + le16(1) + le16(1) + le32(UInt32(central.count)) + le32(UInt32(local.count)) + le16(0)
    return local + central + end
}

/// Serialises the tests that apply a stack (see `withApplied`).
actor StackLock {
    static let shared = StackLock()
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        if !held {
            held = true
            return
        }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty {
            held = false
        } else {
            waiting.removeFirst().resume()
        }
    }
}
