import Foundation
import PnyxPostgres

/// The harness's private, durable PostgreSQL cluster (fsync and synchronous commit on, as in
/// production), with the two faults the chaos runs need: an immediate stop (no checkpoint,
/// crash recovery at the next start) and a restart.
final class ChaosCluster: @unchecked Sendable {
    private(set) var cluster: PrivateCluster
    let options: PrivateCluster.Options

    private init(cluster: PrivateCluster, options: PrivateCluster.Options) {
        self.cluster = cluster
        self.options = options
    }

    /// A fresh durable cluster in `directory` (wiped first).
    static func start(directory: String) async throws -> ChaosCluster {
        let options = PrivateCluster.Options(
            directory: directory, reset: true, durable: true, settings: ["max_connections": "100"],
            stopAtExit: true, removeDirectoryOnStop: true)
        return ChaosCluster(cluster: try await PrivateCluster.start(options), options: options)
    }

    /// `pg_ctl stop -m immediate`: every backend is killed, nothing is flushed beyond the WAL.
    func stopImmediately() async throws {
        var command = [cluster.binDirectory + "/pg_ctl", "stop", "-D", cluster.dataDirectory, "-m", "immediate", "-w", "-s"]
        if let user = cluster.systemUser { command = ["/usr/sbin/runuser", "-u", user, "--"] + command }
        let outcome = try await runCommand(command)
        guard outcome.status == 0 else {
            throw ReliabilityError(.setupFailed, "pg_ctl stop -m immediate failed (\(outcome.status)): \(outcome.output)")
        }
    }

    /// Starts the stopped cluster again (crash recovery replays the WAL).
    func restart() async throws {
        var again = options
        again.reset = false
        cluster = try await PrivateCluster.start(again)
    }

    /// Stops the cluster and deletes its folder.
    func stop() { try? cluster.stop() }
}
