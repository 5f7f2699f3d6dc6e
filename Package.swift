// swift-tools-version:6.0
import PackageDescription

/// One settings array for every Swift target (Swift 6 language mode everywhere).
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Pnyx",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "PnyxCrypto", targets: ["PnyxCrypto"]),
        .library(name: "PnyxTransparency", targets: ["PnyxTransparency"]),
        .library(name: "PnyxPostgres", targets: ["PnyxPostgres"]),
        .library(name: "PnyxLogStore", targets: ["PnyxLogStore"]),
        .library(name: "PnyxCore", targets: ["PnyxCore"]),
        .library(name: "PnyxBroker", targets: ["PnyxBroker"]),
        .library(name: "PnyxService", targets: ["PnyxService"]),
        .library(name: "PnyxAudit", targets: ["PnyxAudit"]),
        .library(name: "PnyxClient", targets: ["PnyxClient"]),
        .executable(name: "pnyx", targets: ["pnyx"]),
        .executable(name: "pnyx-audit", targets: ["pnyx-audit"]),
        .executable(name: "pnyx-bench", targets: ["pnyx-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // MARK: C libraries (Crypto/)
        .systemLibrary(
            name: "COpenSSL", path: "Crypto/COpenSSL", pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CSodium", path: "Crypto/CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),

        // MARK: Cryptography (Crypto/)
        .target(
            name: "PnyxCrypto", dependencies: ["COpenSSL", "CSodium"],
            path: "Crypto/PnyxCrypto", swiftSettings: swiftSettings),
        .target(
            name: "PnyxTransparency", dependencies: ["PnyxCrypto"],
            path: "Crypto/PnyxTransparency", swiftSettings: swiftSettings),

        // MARK: Store (Sources/)
        .systemLibrary(
            name: "CLibPQ", path: "Sources/CLibPQ", pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]),
        .target(
            name: "PnyxPostgres",
            dependencies: ["CLibPQ", .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "PnyxLogStore",
            dependencies: ["PnyxPostgres", "PnyxTransparency", "PnyxCrypto",
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),

        // MARK: Domain and services (Sources/)
        .target(
            name: "PnyxCore", dependencies: ["PnyxCrypto", "PnyxTransparency"],
            swiftSettings: swiftSettings),
        .target(
            name: "PnyxHTTP",
            dependencies: ["PnyxCore", "PnyxLogStore", "PnyxPostgres", "PnyxTransparency", "PnyxCrypto",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras")],
            swiftSettings: swiftSettings),
        .target(
            name: "PnyxBroker",
            dependencies: ["PnyxCore", "PnyxHTTP", "PnyxPostgres", "PnyxLogStore", "PnyxCrypto",
                           "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),
        .target(
            name: "PnyxService",
            dependencies: ["PnyxCore", "PnyxHTTP", "PnyxPostgres", "PnyxLogStore", "PnyxCrypto",
                           "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                           .product(name: "Logging", package: "swift-log")],
            swiftSettings: swiftSettings),

        .target(
            name: "PnyxWeb",
            dependencies: ["PnyxCore", "PnyxHTTP", "PnyxService", "PnyxBroker", "PnyxCrypto", "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird")],
            resources: [.copy("Assets")],
            swiftSettings: swiftSettings),

        // MARK: Clients (Sources/): the wallet and the administration's command line over HTTP.
        .target(
            name: "PnyxClient",
            dependencies: ["PnyxCore", "PnyxCrypto", "PnyxTransparency"],
            swiftSettings: swiftSettings),

        // MARK: Executables (Sources/)
        .executableTarget(
            name: "pnyx",
            dependencies: ["PnyxLogStore", "PnyxPostgres", "PnyxTransparency", "PnyxCrypto",
                           "PnyxCore", "PnyxBroker", "PnyxService", "PnyxWeb", "PnyxClient", "PnyxAudit",
                           .product(name: "ArgumentParser", package: "swift-argument-parser"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "Hummingbird", package: "hummingbird")],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "pnyx-bench",
            dependencies: ["PnyxLogStore", "PnyxPostgres", "PnyxTransparency", "PnyxCrypto",
                           "COpenSSL", "CSodium", "CLibPQ",
                           "PnyxCore", "PnyxHTTP", "PnyxBroker", "PnyxService", "PnyxAudit", "PnyxClient",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),

        // MARK: Auditor (Audit/) — pure code only: never the store, never a server.
        .target(
            name: "PnyxAudit", dependencies: ["PnyxCore", "PnyxTransparency", "PnyxCrypto"],
            path: "Audit/PnyxAudit", swiftSettings: swiftSettings),
        .executableTarget(
            name: "pnyx-audit",
            dependencies: ["PnyxAudit",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")],
            path: "Audit/pnyx-audit", swiftSettings: swiftSettings),

        // MARK: Reliability harnesses (Sources/): kills, outages and bad input (`make chaos`, `make fuzz`).
        .target(
            name: "PnyxReliability",
            dependencies: ["PnyxCore", "PnyxCrypto", "PnyxTransparency", "PnyxPostgres", "PnyxAudit"],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "pnyx-chaos",
            dependencies: ["PnyxReliability", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),
        .executableTarget(
            name: "pnyx-fuzz",
            dependencies: ["PnyxReliability", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: swiftSettings),

        // MARK: Tests
        // Shared by the integration test targets: a live broker and service on PostgreSQL, a test clock.
        .target(
            name: "PnyxTestSupport",
            dependencies: ["PnyxBroker", "PnyxService", "PnyxWeb", "PnyxCore", "PnyxCrypto", "PnyxPostgres",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            path: "Tests/PnyxTestSupport", swiftSettings: swiftSettings),
        .testTarget(name: "PnyxCryptoTests", dependencies: ["PnyxCrypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxTransparencyTests", dependencies: ["PnyxTransparency", "PnyxCrypto"],
            swiftSettings: swiftSettings),
        .testTarget(name: "PnyxCoreTests", dependencies: ["PnyxCore", "PnyxCrypto", "PnyxTransparency"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxBrokerTests",
            dependencies: ["PnyxTestSupport", "PnyxBroker", "PnyxCore", "PnyxHTTP", "PnyxPostgres", "PnyxLogStore", "PnyxCrypto",
                           "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxServiceTests",
            dependencies: ["PnyxTestSupport", "PnyxService", "PnyxBroker", "PnyxCore", "PnyxHTTP", "PnyxPostgres", "PnyxLogStore",
                           "PnyxCrypto", "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxWebTests",
            dependencies: ["PnyxTestSupport", "PnyxWeb", "PnyxService", "PnyxBroker", "PnyxCore", "PnyxHTTP", "PnyxPostgres",
                           "PnyxCrypto", "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings),
        // Real headless Chromium (Debian's chromium and chromium-driver) against live servers on loopback.
        .testTarget(
            name: "PnyxWebBrowserTests",
            dependencies: ["PnyxTestSupport", "PnyxWeb", "PnyxService", "PnyxBroker", "PnyxCore", "PnyxHTTP", "PnyxPostgres",
                           "PnyxCrypto", "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings),
        .testTarget(name: "PnyxPostgresTests", dependencies: ["PnyxPostgres"], swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxLogStoreTests",
            dependencies: ["PnyxLogStore", "PnyxPostgres", "PnyxTransparency", "PnyxCrypto"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxClientTests",
            dependencies: ["PnyxTestSupport", "PnyxClient", "PnyxBroker", "PnyxService", "PnyxCore", "PnyxHTTP", "PnyxPostgres",
                           "PnyxCrypto", "PnyxTransparency",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxAuditTests",
            // The servers, the store and PostgreSQL are for the real-service fixture only.
            dependencies: ["PnyxTestSupport", "PnyxAudit", "PnyxCore", "PnyxTransparency", "PnyxCrypto",
                           "PnyxService", "PnyxBroker", "PnyxLogStore", "PnyxPostgres", "PnyxHTTP",
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "PnyxReliabilityTests", dependencies: ["PnyxReliability", "PnyxCore", "PnyxCrypto"],
            swiftSettings: swiftSettings),
    ],
    swiftLanguageModes: [.v6]
)
