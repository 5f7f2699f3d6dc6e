import Foundation
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency
import Testing

/// Shared helpers: one throwaway cluster per test process, one fresh database per store.
enum LogTestSupport {
    /// The key that signs the test logs' checkpoints.
    static let signer = try! NoteSigner.generate(name: "pnyx.test")

    /// A migrated store on a fresh database of the shared private cluster.
    static func freshStore(poolSize: Int = 4, maxBatch: Int = 1000) async throws -> (store: LogStore, url: String) {
        let cluster = try await PrivateCluster.sharedTemporary()
        let url = try await cluster.createDatabase()
        let store = LogStore(
            pool: PostgresPool(configuration: PostgresConfiguration(url: url), size: poolSize),
            configuration: LogStore.Configuration(maxBatch: maxBatch))
        try await store.migrate()
        return (store, url)
    }

    /// A random 16-byte log id.
    static func randomLogID() -> [UInt8] { SystemRandom().bytes(16) }

    /// Creates a random log in `store`.
    static func newLog(_ store: LogStore) async throws -> [UInt8] {
        let logID = randomLogID()
        try await store.createLog(logID: logID, verifierKey: signer.verifier.verifierKey)
        return logID
    }

    /// Appends `count` payloads `"<tag>-<i>"` concurrently; returns the receipts in position order.
    static func appendMany(_ store: LogStore, _ logID: [UInt8], count: Int, tag: String = "e") async throws -> [LogReceipt] {
        try await withThrowingTaskGroup(of: LogReceipt.self) { group in
            for i in 0..<count {
                group.addTask { try await store.append(logID: logID, payload: Array("\(tag)-\(i)".utf8)) }
            }
            var receipts: [LogReceipt] = []
            for try await receipt in group { receipts.append(receipt) }
            return receipts.sorted { $0.position < $1.position }
        }
    }

    /// Checks the stored log is one gapless chain from the genesis hash; returns its leaf hashes.
    static func checkChain(_ store: LogStore, _ logID: [UInt8]) async throws -> [MerkleHash] {
        let head = try await store.head(logID: logID)
        var previous = LogLeaf.genesisHash(logID: logID)
        var hashes: [MerkleHash] = []
        var start: Int64 = 0
        while start < head.size {
            let entries = try await store.entries(logID: logID, start..<min(head.size, start + 5000))
            for entry in entries {
                #expect(entry.position == Int64(hashes.count))
                #expect(entry.previousHash == previous)
                #expect(MerkleHash.leafHash(entry.leafBytes) == entry.entryHash)
                previous = entry.entryHash
                hashes.append(entry.entryHash)
            }
            start += 5000
        }
        #expect(Int64(hashes.count) == head.size)
        #expect(head.lastHash == previous)
        return hashes
    }

    /// The `pnyx` executable built next to the test bundle.
    static func pnyxExecutable() throws -> String {
        var candidates: [String] = []
        let bundleFolder = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        candidates.append(bundleFolder.appendingPathComponent("pnyx").path)
        candidates.append(Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("pnyx").path)
        candidates.append(Bundle.main.bundleURL.appendingPathComponent("pnyx").path)
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for scratch in [".build-log", ".build"] { candidates.append(root.path + "/\(scratch)/debug/pnyx") }
        for path in candidates where FileManager.default.isExecutableFile(atPath: path) { return path }
        throw TestFailure("pnyx executable not found (build it first: swift build --build-tests); looked in \(candidates)")
    }

    /// Writes the test signer key to a temporary file and returns its path.
    static func keyFile() throws -> String {
        let path = NSTemporaryDirectory() + "pnyx-test-key-\(getpid()).txt"
        try (signer.signerKey + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One child process whose stdout is collected line by line.
final class ChildProcess: @unchecked Sendable {
    let process = Process()
    private let pipe = Pipe()
    private let lock = NSLock()
    private var buffer = Data()

    init(_ executable: String, _ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = pipe
        process.standardError = FileHandle.standardError
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self else { return }
            self.lock.withLock { self.buffer.append(data) }
        }
        try process.run()
    }

    /// Complete lines printed so far.
    var lines: [String] {
        lock.withLock {
            String(decoding: buffer, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
                .map(String.init).filter { _ in true }
        }
    }

    /// Complete lines (a trailing line without its newline is dropped: it was not fully written).
    var completeLines: [String] {
        lock.withLock {
            let text = String(decoding: buffer, as: UTF8.self)
            var parts = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            parts.removeLast()  // after the last newline: empty or partial
            return parts.filter { !$0.isEmpty }
        }
    }

    func waitForExit() async -> Int32 {
        while process.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        // Drain what is left in the pipe.
        pipe.fileHandleForReading.readabilityHandler = nil
        let rest = pipe.fileHandleForReading.readDataToEndOfFile()
        lock.withLock { buffer.append(rest) }
        return process.terminationStatus
    }
}
