// swift-tools-version: 6.1
import PackageDescription

// Tripline: CloudTrail detection and alerting.
// The core (TriplineJSON, TriplineCore, TriplineRules, TriplineAlerts) is pure: bytes and values in, values out.
// Everything that touches files, the network, the clock or AWS lives in the adapter modules above it.

let package = Package(
    name: "Tripline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tripline", targets: ["tripline"]),
        .executable(name: "tripline-lambda", targets: ["tripline-lambda"]),
        .executable(name: "tripline-bench", targets: ["tripline-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // zlib straight from the system: the hot path needs inflate and nothing else.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib"),
        // gzip's CRC-32 with carry-less multiplies (Swift cannot reach PCLMULQDQ itself); zlib's on other machines.
        .target(name: "CCRC32", linkerSettings: [.linkedLibrary("z")]),

        // Pure core.
        .target(name: "TriplineJSON"),
        .target(name: "TriplineCore", dependencies: ["TriplineJSON"]),
        // Rule files as trees of YAML nodes with their lines; read from YAML, or from the compiled form the build
        // writes for the built-in catalog.
        .target(name: "TriplineRuleDocument", dependencies: ["TriplineJSON", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "TriplineRules",
            dependencies: ["TriplineCore", "TriplineJSON", "TriplineRuleDocument"],
            plugins: ["EmbedCatalog"]
        ),
        .target(name: "TriplineAlerts", dependencies: ["TriplineCore", "TriplineJSON"]),
        // The configuration file (tuning, account names, named lists; later destinations) as values, and what
        // tuning does to rules. Pure: callers bring the text, from a file, S3 or SSM.
        .target(name: "TriplineConfig", dependencies: ["TriplineCore", "TriplineRuleDocument", "TriplineRules"]),

        // Adapters.
        .target(name: "TriplineIO", dependencies: ["TriplineCore", "TriplineJSON", "CZlib", "CCRC32"]),
        .target(name: "SigV4", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        .target(
            name: "TriplineAWS",
            dependencies: [
                "SigV4",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .target(
            name: "TriplineService",
            dependencies: [
                "TriplineCore", "TriplineJSON", "TriplineRules", "TriplineIO", "TriplineAlerts", "TriplineAWS", "TriplineConfig",
                "TriplineDestinations",
            ]
        ),
        // Alert destinations: the formats of TriplineAlerts carried over HTTP (Slack, Teams, PagerDuty, signed
        // webhooks) and AWS (Security Hub, EventBridge, SNS), with secrets from the environment, SSM or Secrets Manager.
        .target(
            name: "TriplineDestinations",
            dependencies: [
                "TriplineAlerts", "TriplineCore", "TriplineJSON", "TriplineAWS",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "TriplineSQLite",
            dependencies: ["TriplineCore", "TriplineService", .product(name: "GRDB", package: "GRDB.swift")]
        ),
        .target(name: "TriplineLambda", dependencies: ["TriplineService", "TriplineAWS", "TriplineCore", "TriplineJSON", "TriplineConfig"]),

        // Deterministic synthetic CloudTrail (benchmarks, bundled samples, scale tests).
        .target(name: "TriplineSynth", dependencies: ["TriplineCore"]),

        // Executables.
        .executableTarget(
            name: "tripline",
            dependencies: [
                "TriplineCore", "TriplineJSON", "TriplineRules", "TriplineIO", "TriplineAlerts",
                "TriplineService", "TriplineSQLite", "TriplineAWS", "TriplineConfig", "TriplineDestinations",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "tripline-lambda", dependencies: ["TriplineLambda"]),
        .executableTarget(
            name: "tripline-bench",
            dependencies: ["TriplineCore", "TriplineJSON", "TriplineRules", "TriplineIO", "TriplineSynth", "CZlib"]
        ),

        // Build tool: the rule catalog (rules/**/*.yml) is compiled into the binary, so the CLI and the Lambda
        // never have to find rule files at run time, nor parse YAML at start.
        .executableTarget(name: "catalog-embed", dependencies: ["TriplineRuleDocument"], path: "Plugins/catalog-embed"),
        .plugin(name: "EmbedCatalog", capability: .buildTool(), dependencies: ["catalog-embed"]),

        // Fuzz targets: plain code in the normal build (the regression replay runs them); scripts/fuzz compiles them
        // again with -sanitize=fuzzer,address into .build-fuzz for libFuzzer.
        .target(
            name: "TriplineFuzzTargets",
            dependencies: ["TriplineJSON", "TriplineCore", "TriplineIO", "TriplineRules", "TriplineService", "TriplineAWS", "SigV4", "CZlib"],
            path: "Fuzz/Targets"
        ),

        // Tests. TriplineTestSupport starts real servers (moto_server, the Lambda RIE) for the tests that need them.
        .target(name: "TriplineTestSupport", path: "Tests/Support"),
        .testTarget(name: "TriplineJSONTests", dependencies: ["TriplineJSON", "TriplineTestSupport"]),
        .testTarget(
            name: "TriplineCoreTests",
            dependencies: ["TriplineCore", "TriplineJSON", "TriplineRules", "TriplineTestSupport", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .testTarget(name: "TriplineRulesTests", dependencies: ["TriplineRules", "TriplineRuleDocument", "TriplineCore", "TriplineJSON"]),
        .testTarget(name: "TriplineIOTests", dependencies: ["TriplineIO", "TriplineCore", "TriplineJSON", "TriplineRules", "TriplineSynth", "CZlib", "CCRC32", "TriplineTestSupport"]),
        .testTarget(
            name: "TriplineConfigTests",
            dependencies: ["TriplineConfig", "TriplineRules", "TriplineCore", "TriplineJSON", "TriplineIO"]
        ),
        .testTarget(name: "TriplineAlertsTests", dependencies: ["TriplineAlerts", "TriplineCore", "TriplineRules", "TriplineJSON", "TriplineTestSupport"]),
        .testTarget(
            name: "TriplineDestinationsTests",
            dependencies: ["TriplineDestinations", "TriplineAlerts", "TriplineAWS", "TriplineCore", "TriplineJSON", "TriplineTestSupport"]
        ),
        .testTarget(name: "SigV4Tests", dependencies: ["SigV4"]),
        .testTarget(name: "TriplineAWSTests", dependencies: ["TriplineAWS", "SigV4", "TriplineTestSupport"]),
        .testTarget(
            name: "TriplineServiceTests",
            dependencies: ["TriplineService", "TriplineAWS", "TriplineCore", "TriplineRules", "TriplineSQLite", "TriplineLambda", "TriplineTestSupport", "CZlib", "TriplineConfig", "TriplineDestinations", "TriplineAlerts",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(
            name: "DeployTests",
            dependencies: ["TriplineService", "TriplineAWS", "TriplineLambda", "TriplineCore", "TriplineRules", "TriplineTestSupport", "TriplineSynth"]
        ),
        .testTarget(name: "FuzzRegressionTests", dependencies: ["TriplineFuzzTargets"]),
        .testTarget(name: "CLITests", dependencies: ["TriplineJSON", "TriplineTestSupport"]),
    ]
)
