import ArgumentParser
import Foundation
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

/// `pnyx log-demo`: demonstrates the log store alone on a private
/// PostgreSQL cluster: appends entries, signs a checkpoint, proves an entry's inclusion,
/// exports the log and verifies the export offline.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log-demo", abstract: "Demonstrate the log store alone: append, checkpoint, prove, export, verify.")

    @Option(help: "The demo's state folder (cluster, keys, export).")
    var directory: String = ".pnyx"

    @Option(help: "Entries to append in this run.")
    var entries: Int = 2000

    @Flag(help: "Wipe the demo's data first.")
    var reset: Bool = false

    func run() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let (configuration, cluster) = try await PrivateCluster.configurationFromEnvironmentOrPrivateCluster(
            directory: "\(directory)/pg", reset: reset)
        print(cluster == nil ? "PostgreSQL: \(configuration.redacted)" : "PostgreSQL: private cluster in \(directory)/pg")
        let pool = PostgresPool(configuration: configuration, size: 4)
        let store = LogStore(pool: pool)
        try await store.migrate()

        let signer = try demoSigner()
        let logID = Array("pnyx-demo-log-01".utf8)
        let info = try await store.createLog(logID: logID, verifierKey: signer.verifier.verifierKey)
        let before = try await store.head(logID: logID).size
        print("log \(info.origin): \(before) entries already")

        let started = Date()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<entries {
                let payload = Array("demo entry \(before + Int64(index))".utf8)
                group.addTask { _ = try await store.append(logID: logID, payload: payload) }
                if index >= 256 { try await group.next() }
            }
            try await group.waitForAll()
        }
        let elapsed = Date().timeIntervalSince(started)
        print(String(format: "appended %d entries durably in %.2f s (%.0f/s, group commit)", entries, elapsed,
                     Double(entries) / max(elapsed, 0.001)))

        _ = try await store.checkpoint(logID: logID, signer: signer)
        guard let checkpoint = try await store.latestCheckpoint(logID: logID) else { throw ExitCode.failure }
        print("\nsigned checkpoint:\n\(checkpoint.note)")

        let index = checkpoint.treeSize / 2
        let entry = try await store.entries(logID: logID, index..<index + 1)[0]
        let proof = try await store.inclusionProof(logID: logID, index: index, treeSize: checkpoint.treeSize)
        _ = try MerkleProofVerification.verifyInclusion(
            leafHash: entry.entryHash, index: index, treeSize: checkpoint.treeSize, proof: proof,
            rootHash: checkpoint.rootHash)
        print("entry \(index) (\(entry.entryHash.hex.prefix(16))…) is included: \(proof.count)-hash proof verified")

        let exportFolder = "\(directory)/export"
        try? FileManager.default.removeItem(atPath: exportFolder)
        let manifest = try await LogExporter(store: store).export(logID: logID, to: exportFolder)
        let report = try LogExportReader(fetcher: DirectoryLogFetcher(directory: exportFolder)).verify()
        print("exported \(manifest.treeSize) entries to \(exportFolder); offline verification: OK, root \(report.rootHash.hex)")
        print("verify it yourself: .build-release/release/pnyx log verify-export \(exportFolder)")
        await pool.close()
        try cluster?.stop()
    }

    /// The demo log's signer key, kept in the demo folder so reruns extend the same log.
    private func demoSigner() throws -> NoteSigner {
        let path = "\(directory)/demo-log.key"
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            return try NoteSigner(signerKey: text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let signer = try NoteSigner.generate(name: "pnyx.demo")
        _ = FileManager.default.createFile(
            atPath: path, contents: Data((signer.signerKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
        return signer
    }
}
