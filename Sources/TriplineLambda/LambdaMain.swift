import Foundation
import TriplineAWS
import TriplineJSON
import TriplineService

/// What `tripline-lambda` (the custom runtime `bootstrap`) does: configure once, then serve invocations.
public enum LambdaMain {
    /// Runs until the Runtime API goes away; returns the process exit status.
    public static func run(
        environment env: [String: String] = ProcessInfo.processInfo.environment, mainStarted: ContinuousClock.Instant
    ) async -> Int32 {
        let log = Logger(level: env["LOG_LEVEL"].flatMap(LogLevel.init) ?? .info)
        guard let api = env["AWS_LAMBDA_RUNTIME_API"], !api.isEmpty else {
            log.error("AWS_LAMBDA_RUNTIME_API is not set: tripline-lambda runs as a Lambda custom runtime (bootstrap)")
            return 1
        }
        // `next` blocks while the environment idles: this transport must not time out on it.
        let runtimeTransport = AsyncHTTPClientTransport(
            timeouts: .init(connect: .seconds(5), read: .seconds(86400), request: .seconds(86400)))
        let client = HTTPRuntimeAPIClient(api: api, transport: runtimeTransport)

        let initStarted = ContinuousClock.now
        let handler: TriplineHandler
        let rulesLoaded: ContinuousClock.Instant
        do {
            let config = try ServiceConfig.fromEnvironment(env)
            // A configuration that cannot be read or has errors fails the cold start: never run untuned in silence.
            let configuration = try await TriplineHandler.loadConfiguration(environment: env, log: log)
            let rules = try TriplineHandler.loadRules(extraPath: config.rulesPath, lists: configuration?.lists)
            rulesLoaded = ContinuousClock.now
            // Destinations with their secrets, read once here (a secret that cannot be read fails the cold start).
            let router = try await TriplineHandler.destinations(environment: env, configuration: configuration)
            handler = try TriplineHandler.live(
                environment: env, config: config, rules: rules, configuration: configuration, router: router, log: log)
        } catch {
            log.error("initialisation failed", [("error", .string("\(error)"))])
            try? await client.initFailed(RuntimeError(type: "InitError", message: "\(error)"))
            try? await runtimeTransport.shutdown()
            return 1
        }
        for d in handler.ruleDiagnostics {
            // Warnings too: an expired tuning entry or a selector naming no rule is something to fix.
            if d.level == .error { log.error("rule diagnostic", [("diagnostic", .string(d.description))]) }
            else { log.warning("rule diagnostic", [("diagnostic", .string(d.description))]) }
        }
        let ready = ContinuousClock.now
        var fields: [(String, JSONValue)] = [
            ("cold_start_ms", .number(ms(ready - mainStarted))), ("init_ms", .number(ms(ready - initStarted))),
            ("rules_ms", .number(ms(rulesLoaded - initStarted))),
            ("rules", .number(handler.engine.ruleCount)),
            ("tuning_entries", .number(handler.engine.suppression.suppressors.count)),
            ("min_severity", .string(handler.config.minimumSeverity.description)),
            ("store", .string(handler.config.table == nil ? "memory" : "dynamodb")),
            ("sink", .string(handler.pipeline.router != nil ? "destinations" : handler.config.topicArn == nil ? "log" : "sns")),
        ]
        // Names only: never a URL, key or secret reference's value.
        if let router = handler.pipeline.router { fields.append(("destinations", .array(router.names.map { .string($0) }))) }
        // From exec, including the dynamic loader and Swift runtime start-up (10 ms resolution).
        if let sinceExec = ProcessUptime.seconds() { fields.append(("since_exec_ms", .number(String(Int(sinceExec * 1000))))) }
        log.info("ready", fields)

        let fallbackTimeout = env["AWS_LAMBDA_FUNCTION_TIMEOUT"].flatMap(Int64.init) ?? 900
        let loop = RuntimeLoop(
            client: client,
            handler: { invocation in
                try await handler.handle(
                    invocation.payload,
                    context: InvocationContext(
                        requestID: invocation.requestID, log: log.with(requestID: invocation.requestID),
                        deadline: invocation.workDeadline(fallbackTimeoutSeconds: fallbackTimeout)))
            },
            onHandlerError: { invocation, error in
                log.with(requestID: invocation.requestID).error("invocation failed", [("error", .string("\(error)"))])
            })
        var status: Int32 = 0
        do {
            try await loop.run()
        } catch {
            log.error("runtime API failed; exiting", [("error", .string("\(error)"))])
            status = 1
        }
        // AsyncHTTPClient insists on an orderly shutdown before its client is released.
        try? await runtimeTransport.shutdown()
        return status
    }

    static func ms(_ d: Duration) -> String {
        let (s, atto) = d.components
        return String(format: "%.2f", Double(s) * 1000 + Double(atto) / 1e15)
    }
}

/// How long this process has existed, from `/proc` (Linux): start time in clock ticks since boot vs uptime.
public enum ProcessUptime {
    public static func seconds() -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let uptimeText = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
            let uptime = uptimeText.split(separator: " ").first.flatMap({ Double($0) }),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // Fields after the command name: state is field 3, starttime field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]) else { return nil }
        let hz = Double(sysconf(Int32(_SC_CLK_TCK)))
        return max(0, uptime - ticks / hz)
    }
}
