// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "klaxon",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "klaxon", targets: ["klaxon"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        // Pure domain: no I/O, `now` is always a parameter.
        .target(name: "KlaxonCore"),
        // YAML -> validated KlaxonCore values, every error with file:line:column.
        .target(name: "KlaxonConfig", dependencies: [
            "KlaxonCore",
            .product(name: "Yams", package: "Yams"),
        ]),
        // Ports and the services that run the core.
        .target(name: "KlaxonEngine", dependencies: [
            "KlaxonCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ]),
        // Storage adapters (SQLite through GRDB).
        .target(name: "KlaxonStore", dependencies: [
            "KlaxonEngine", "KlaxonCore",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // jemalloc as the process's malloc (libjemalloc-dev to build, libjemalloc2 to run): linked
        // into the executables that serve or measure the engine. Why: README, *Performance*.
        .target(name: "CJemalloc", linkerSettings: [.linkedLibrary("jemalloc")]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // Async HTTP (and SMTP) over libcurl's multi interface.
        .target(name: "KlaxonCurl", dependencies: ["CCurl"]),
        // One notifier per channel kind, Mustache rendering, retry classification.
        .target(name: "KlaxonDelivery", dependencies: [
            "KlaxonEngine", "KlaxonCore", "KlaxonCurl",
            .product(name: "Mustache", package: "swift-mustache"),
            .product(name: "Logging", package: "swift-log"),
        ]),
        // Hummingbird routes: ingest, Slack, REST API, health, metrics.
        .target(name: "KlaxonHTTP", dependencies: [
            "KlaxonEngine", "KlaxonCore",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            .product(name: "HTTPTypes", package: "swift-http-types"),
        ]),
        // The one composition root.
        .executableTarget(name: "klaxon", dependencies: [
            "KlaxonCore", "KlaxonConfig", "KlaxonEngine", "KlaxonStore", "CJemalloc",
            "KlaxonCurl", "KlaxonDelivery", "KlaxonHTTP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),

        // Release benchmark of the rotation math: `make bench-rotation`.
        .executableTarget(name: "klaxon-bench-rotation", dependencies: ["KlaxonCore"], path: "Benchmarks/RotationBench"),
        .executableTarget(name: "klaxon-bench-escalation", dependencies: [
            "KlaxonCore", "KlaxonEngine", "KlaxonStore", "CJemalloc",
            .product(name: "Logging", package: "swift-log"),
        ], path: "Benchmarks/EscalationBench"),
        // Engine-only ingest rate (no HTTP): `swift run -c release klaxon-bench-ingest`.
        .executableTarget(name: "klaxon-bench-ingest", dependencies: [
            "KlaxonCore", "KlaxonEngine", "KlaxonStore", "CJemalloc",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Metrics", package: "swift-metrics"),
        ], path: "Benchmarks/IngestBench"),
        // `make bench`'s ceiling: an HTTP server that answers 202 and does nothing else.
        .executableTarget(name: "klaxon-bench-null", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], path: "Benchmarks/NullServer"),

        // Helpers several test targets share (a loopback Hummingbird server, repository paths);
        // only test targets depend on it.
        .target(name: "KlaxonTestSupport", dependencies: [
            .product(name: "Hummingbird", package: "hummingbird"),
        ], path: "Tests/KlaxonTestSupport"),

        .testTarget(name: "KlaxonCoreTests", dependencies: ["KlaxonCore", "KlaxonTestSupport"]),
        .testTarget(name: "KlaxonConfigTests", dependencies: ["KlaxonConfig", "KlaxonCore", "KlaxonTestSupport"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "KlaxonEngineTests", dependencies: ["KlaxonEngine", "KlaxonCore", "KlaxonStore", "KlaxonConfig", "KlaxonTestSupport", "CJemalloc"]),
        .testTarget(name: "KlaxonStoreTests", dependencies: ["KlaxonStore", "KlaxonEngine", "KlaxonCore", .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "KlaxonCurlTests", dependencies: [
            "KlaxonCurl", "KlaxonTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(name: "KlaxonDeliveryTests", dependencies: [
            "KlaxonDelivery", "KlaxonEngine", "KlaxonCore", "KlaxonCurl", "KlaxonTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(name: "KlaxonHTTPTests", dependencies: [
            "KlaxonHTTP", "KlaxonEngine", "KlaxonCore", "KlaxonStore", "KlaxonConfig", "KlaxonTestSupport",
            .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdTesting", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
        ]),
        .testTarget(name: "KlaxonEndToEndTests", dependencies: [
            "KlaxonCurl", "KlaxonTestSupport",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ]
)
