import Foundation
import PnyxBroker
import PnyxCrypto
import PnyxPostgres

/// The demo's persistent state in its folder (default `.pnyx`): the private PostgreSQL
/// cluster, the broker's and the service's keys, the admin and official tokens, and the
/// marker that says the demo data is already there. `make run` again reuses all of it;
/// `--reset` wipes it.
struct DemoState {
    let directory: String

    var clusterDirectory: String { "\(directory)/pg" }
    var keysDirectory: String { "\(directory)/keys" }
    var seededMarker: String { "\(directory)/seeded.json" }
    var enrolmentCodesFile: String { "\(directory)/enrolment-codes.csv" }

    /// Forgets the demo's keys, tokens and seeded data (the cluster is reset when it starts).
    func reset() throws {
        for path in [keysDirectory, seededMarker, enrolmentCodesFile] where FileManager.default.fileExists(atPath: path) {
            try FileManager.default.removeItem(atPath: path)
        }
    }

    /// A secret kept in `keys/<name>` (mode 0600), made by `make` on first use.
    func secret(_ name: String, make: () throws -> String) throws -> String {
        try FileManager.default.createDirectory(atPath: keysDirectory, withIntermediateDirectories: true)
        let path = "\(keysDirectory)/\(name)"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let value = try make()
        guard FileManager.default.createFile(
            atPath: path, contents: Data((value + "\n").utf8), attributes: [.posixPermissions: 0o600])
        else { throw DemoError("cannot write \(path)") }
        return value
    }

    /// A random URL-safe token.
    static func token() -> String { Hex.encode(SystemRandom().bytes(24)) }
}

/// The databases of the demo: one for the broker, one for the service (never shared).
struct DemoDatabases {
    let brokerURL: String
    let serviceURL: String
    let cluster: PrivateCluster?

    /// From `PNYX_BROKER_DATABASE_URL` and `PNYX_SERVICE_DATABASE_URL` when both are set;
    /// otherwise two databases in the demo's private cluster.
    static func open(state: DemoState, reset: Bool) async throws -> DemoDatabases {
        let environment = ProcessInfo.processInfo.environment
        if let broker = environment["PNYX_BROKER_DATABASE_URL"], let service = environment["PNYX_SERVICE_DATABASE_URL"] {
            guard broker != service else {
                throw DemoError("PNYX_BROKER_DATABASE_URL and PNYX_SERVICE_DATABASE_URL must name different databases")
            }
            return DemoDatabases(brokerURL: broker, serviceURL: service, cluster: nil)
        }
        let cluster = try await PrivateCluster.start(.init(directory: state.clusterDirectory, reset: reset))
        let existing = try await PostgresPool(configuration: cluster.configuration, size: 1).withClosing { pool in
            try await pool.query("SELECT datname FROM pg_database").map { try $0.decode(String.self, at: 0) }
        }
        for name in ["pnyx_broker", "pnyx_service"] where !existing.contains(name) {
            _ = try await cluster.createDatabase(named: name)
        }
        return DemoDatabases(
            brokerURL: cluster.url(database: "pnyx_broker"), serviceURL: cluster.url(database: "pnyx_service"),
            cluster: cluster)
    }
}

extension PostgresPool {
    /// Runs `body` and closes the pool.
    func withClosing<T: Sendable>(_ body: (PostgresPool) async throws -> T) async throws -> T {
        do {
            let value = try await body(self)
            await close()
            return value
        } catch {
            await close()
            throw error
        }
    }
}

/// A demo setup failure, with what to do about it.
struct DemoError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = "demo: \(description)" }
}
