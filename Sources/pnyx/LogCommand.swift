import ArgumentParser
import Foundation
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

/// `pnyx log …`: developer tools for the per-poll logs.
struct LogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Append to, checkpoint, export and verify logs.",
        subcommands: [Keygen.self, Append.self, Checkpoint.self, Export.self, VerifyExport.self])

    /// Connection and log selection shared by the subcommands.
    struct Target: ParsableArguments {
        @Option(help: "PostgreSQL URL (default: PNYX_DATABASE_URL, then the PG* variables).")
        var databaseURL: String?

        @Option(name: .customLong("log"), help: "The log id, hexadecimal.")
        var logHex: String

        var logID: [UInt8] {
            get throws {
                do { return try Hex.decode(logHex) } catch { throw ValidationError("--log is not hexadecimal") }
            }
        }

        func store(poolSize: Int = 4) async throws -> LogStore {
            let configuration = databaseURL.map { PostgresConfiguration(url: $0) } ?? .fromEnvironment()
            let store = LogStore(pool: PostgresPool(configuration: configuration, size: poolSize))
            try await store.migrate()
            return store
        }
    }

    static func signer(keyFile: String) throws -> NoteSigner {
        let text = try String(contentsOfFile: keyFile, encoding: .utf8)
        return try NoteSigner(signerKey: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `pnyx log keygen`: writes a new signer key.
    struct Keygen: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write a new Ed25519 note signer key.")
        @Option(help: "The key name.") var name: String = "pnyx.example"
        @Option(help: "Where to write the signer key (mode 0600).") var out: String

        func run() async throws {
            let signer = try NoteSigner.generate(name: name)
            _ = FileManager.default.createFile(
                atPath: out, contents: Data((signer.signerKey + "\n").utf8), attributes: [.posixPermissions: 0o600])
            print(signer.verifier.verifierKey)
        }
    }

    /// `pnyx log append`: appends N entries concurrently, one line per acknowledged append.
    struct Append: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append entries concurrently; prints '<position> <entry hash hex>' per acknowledged append.")
        @OptionGroup var target: Target
        @Option(help: "How many entries.") var count: Int = 100
        @Option(help: "Appends in flight at once.") var concurrency: Int = 64
        @Option(help: "The log's signer key file (creates the log with its verifier key if missing).")
        var keyFile: String
        @Option(help: "Payload prefix (each payload is '<prefix><pid>-<i>').") var prefix: String = "entry-"

        func run() async throws {
            let logID = try target.logID
            let store = try await target.store()
            try await store.createLog(logID: logID, verifierKey: try LogCommand.signer(keyFile: keyFile).verifier.verifierKey)
            let pid = getpid()
            try await withThrowingTaskGroup(of: LogReceipt.self) { group in
                var started = 0
                func startOne() {
                    let payload = Array("\(prefix)\(pid)-\(started)".utf8)
                    group.addTask { try await store.append(logID: logID, payload: payload) }
                    started += 1
                }
                while started < min(count, concurrency) { startOne() }
                while let receipt = try await group.next() {
                    // Unbuffered: the line is out before the next append is acknowledged.
                    FileHandle.standardOutput.write(Data("\(receipt.position) \(receipt.entryHash.hex)\n".utf8))
                    if started < count { startOne() }
                }
            }
            await store.pool.close()
        }
    }

    /// `pnyx log checkpoint`: signs a checkpoint now if the log grew.
    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a checkpoint of the log's current size.")
        @OptionGroup var target: Target
        @Option(help: "The log's signer key file.") var keyFile: String

        func run() async throws {
            let store = try await target.store()
            if let checkpoint = try await store.checkpoint(logID: try target.logID, signer: try LogCommand.signer(keyFile: keyFile)) {
                print(checkpoint.note, terminator: "")
            }
            await store.pool.close()
        }
    }

    /// `pnyx log export`: writes the log as a folder.
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Export a log up to its latest checkpoint.")
        @OptionGroup var target: Target
        @Option(help: "The folder to write.") var to: String

        func run() async throws {
            let store = try await target.store()
            let manifest = try await LogExporter(store: store).export(logID: try target.logID, to: to)
            print("exported \(manifest.treeSize) entries, \(manifest.checkpoints.count) checkpoints to \(to)")
            await store.pool.close()
        }
    }

    /// `pnyx log verify-export`: verifies an exported folder offline.
    struct VerifyExport: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "verify-export", abstract: "Verify an exported log offline.")
        @Argument(help: "The export folder.") var directory: String
        @Option(help: "The verifier key to trust (default: the export's verifier.txt).") var verifierKey: String?

        func run() async throws {
            let reader = LogExportReader(fetcher: DirectoryLogFetcher(directory: directory), trustedVerifierKey: verifierKey)
            do {
                let report = try reader.verify()
                print("OK \(report.origin) size \(report.treeSize) root \(report.rootHash.hex) checkpoints \(report.checkpointCount)")
            } catch let error as TransparencyError {
                print("FAIL \(error.code.rawValue): \(error.reason)")
                throw ExitCode(1)
            }
        }
    }
}
