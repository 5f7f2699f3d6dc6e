import Foundation
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

/// Log store benchmarks against a private, durable PostgreSQL cluster (fsync and
/// synchronous_commit on) started in a temporary folder:
///
/// - `log.append_ratio`: durable group-committed appends/s (1024 concurrent appenders, each
///   awaiting its receipt before its next append) ÷ raw binary-COPY inserts/s of the same
///   rows — the entry rows and the stored Merkle hash rows a log of that size holds — into
///   identical plain tables (same columns, storage, primary keys and checks; no triggers, no
///   advisory lock), pre-encoded, in transactions of the same average size, in the same run.
///   Bar ≥ 0.5.
/// - `log.proof_ms_1m`: median inclusion-proof latency (random index, tree of 1 M entries). Bar < 20.
/// - `log.rss_mb_1m`: this process's resident memory with the 1 M-entry log open. Bar < 500.
enum LogBenchmarks {
    static func run(_ report: inout BenchReport) throws {
        let figures = try blocking { try await measure() }
        for (key, value, unit) in figures.context { report.record(key, value, unit: unit) }
        report.record("log.append_ratio", figures.ratio, unit: "ratio", atLeast: 0.5)
        report.record("log.proof_ms_1m", figures.proofMs, unit: "ms", below: 20)
        report.record("log.rss_mb_1m", figures.rssMB, unit: "MiB", below: 500)
    }

    struct Figures: Sendable {
        var context: [(String, Double, String)] = []
        var ratio = 0.0
        var proofMs = 0.0
        var rssMB = 0.0
    }

    static let rounds = 4
    static let roundCount = 25_000
    static let inFlight = 1024
    static let payloadBytes = 100
    static let bigLogSize = 1_000_000

    static func measure() async throws -> Figures {
        let cluster = try await startCluster()
        defer { try? cluster.stop() }
        let signer = try NoteSigner.generate(name: "pnyx.bench")
        var figures = Figures()

        // 1. Durable group-committed appends.
        let store = LogStore(pool: PostgresPool(configuration: cluster.configuration, size: 4))
        try await store.migrate()
        let logID = SystemRandom().bytes(16)
        try await store.createLog(logID: logID, verifierKey: signer.verifier.verifierKey)
        _ = try await appendConcurrently(store, logID, count: 5_000, inFlight: inFlight)  // warm up
        try await createRawTable(store.pool)
        try await rawCopy(store.pool, logID: logID, rows: 5_000, batch: 500, from: 0)  // warm up

        // 2. Interleaved rounds (the machine is shared: alternate so both see the same load):
        //    ours, then the same number of rows by binary COPY into an identical plain table,
        //    in transactions of the average size our group commit produced in that round.
        var oursSeconds = 0.0, rawSeconds = 0.0, transactions = 0
        var position = Int64(5_000)
        for _ in 0..<rounds {
            let before = try await transactionCount(store.pool, logID)
            oursSeconds += try await appendConcurrently(store, logID, count: roundCount, inFlight: inFlight)
            let made = try await transactionCount(store.pool, logID) - before
            transactions += made
            rawSeconds += try await rawCopy(
                store.pool, logID: logID, rows: roundCount, batch: max(1, roundCount / max(1, made)), from: position)
            position += Int64(roundCount)
        }
        let ours = Double(rounds * roundCount) / oursSeconds
        let raw = Double(rounds * roundCount) / rawSeconds
        let batch = rounds * roundCount / max(1, transactions)
        figures.context += [
            ("log.append_per_s", ours, "appends/s"), ("log.append_avg_batch", Double(batch), "rows/txn"),
            ("log.raw_copy_rows_per_s", raw, "rows/s"),
        ]
        figures.ratio = ours / raw
        print("  (\(rounds) × \(roundCount) appends, \(inFlight) in flight: \(transactions) transactions)")

        // 3. A 1 M-entry log, filled through the same append path in large batches.
        let bigStore = LogStore(pool: store.pool, configuration: LogStore.Configuration(maxBatch: 10_000))
        let bigLog = SystemRandom().bytes(16)
        try await bigStore.createLog(logID: bigLog, verifierKey: signer.verifier.verifierKey)
        let fillSeconds = try await appendConcurrently(bigStore, bigLog, count: bigLogSize, inFlight: 20_000)
        figures.context.append(("log.fill_1m_per_s", Double(bigLogSize) / fillSeconds, "appends/s"))
        _ = try await store.pool.execute("VACUUM ANALYZE log_hashes")

        var latencies: [Double] = []
        let size = Int64(bigLogSize)
        let root = try await store.treeHash(logID: bigLog, size: size)
        for i in 0..<1_000 {
            let index = Int64.random(in: 0..<size)
            let start = DispatchTime.now().uptimeNanoseconds
            let proof = try await store.inclusionProof(logID: bigLog, index: index, treeSize: size)
            latencies.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            if i < 20 {
                let leaf = try await store.entries(logID: bigLog, index..<(index + 1))[0].entryHash
                try MerkleProofVerification.verifyInclusion(
                    leafHash: leaf, index: index, treeSize: size, proof: proof, rootHash: root)
            }
        }
        latencies.sort()
        figures.proofMs = latencies[latencies.count / 2]
        figures.context.append(("log.proof_p99_ms_1m", latencies[latencies.count * 99 / 100], "ms"))
        let consistencyStart = DispatchTime.now().uptimeNanoseconds
        _ = try await store.consistencyProof(logID: bigLog, oldSize: size / 3 + 7, newSize: size)
        figures.context.append((
            "log.consistency_ms_1m", Double(DispatchTime.now().uptimeNanoseconds - consistencyStart) / 1e6, "ms"))
        figures.rssMB = Measure.residentMegabytes()
        await store.pool.close()
        return figures
    }

    /// A private, durable cluster (fsync and synchronous_commit on) in a temporary folder,
    /// stopped and removed at exit.
    static func startCluster() async throws -> PrivateCluster {
        var template = Array("/tmp/pnyx-bench-pg-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw PostgresError(.clusterFailed, "mkdtemp failed")
        }
        let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return try await PrivateCluster.start(PrivateCluster.Options(
            directory: directory, database: "bench", durable: true,
            settings: ["shared_buffers": "256MB", "max_wal_size": "4GB", "checkpoint_timeout": "30min"],
            stopAtExit: true, removeDirectoryOnStop: true))
    }

    static func payload(_ i: Int) -> [UInt8] {
        var bytes = Array("entry-\(i)-".utf8)
        while bytes.count < payloadBytes { bytes.append(UInt8(ascii: "x")) }
        return bytes
    }

    /// Appends `count` entries from `inFlight` concurrent appenders (tasks that each append,
    /// await the receipt, and append the next); returns the seconds taken.
    static func appendConcurrently(_ store: LogStore, _ logID: [UInt8], count: Int, inFlight: Int) async throws -> Double {
        let payloads = (0..<count).map(payload)
        let next = Counter()
        let start = DispatchTime.now().uptimeNanoseconds
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<min(count, inFlight) {
                group.addTask {
                    while let index = next.take(below: count) {
                        _ = try await store.append(logID: logID, payload: payloads[index])
                    }
                }
            }
            try await group.waitForAll()
        }
        return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }

    /// The number of transactions that appended to `logID` so far (`appended_at` is the
    /// transaction's start time, so each committed batch has its own).
    static func transactionCount(_ pool: PostgresPool, _ logID: [UInt8]) async throws -> Int {
        Int(try await pool.query(
            "SELECT count(DISTINCT appended_at) FROM log_entries WHERE log_id = $1", [.bytea(logID)]).scalar(Int64.self))
    }

    /// Plain copies of `log_entries` and `log_hashes`: same columns, defaults, checks, storage
    /// and primary keys; no triggers.
    static func createRawTable(_ pool: PostgresPool) async throws {
        try await pool.withBlockingConnection { conn in
            try conn.executeScript(
                """
                DROP TABLE IF EXISTS raw_entries;
                DROP TABLE IF EXISTS raw_hashes;
                CREATE TABLE raw_entries (LIKE log_entries INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES);
                CREATE TABLE raw_hashes (LIKE log_hashes INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING INDEXES
                                         INCLUDING STORAGE);
                """)
        }
    }

    /// Seconds to binary-COPY the rows a log of that size holds — `rows` entry rows (positions
    /// from `from`) into `raw_entries` and their stored Merkle hashes, in runs of 128 like the
    /// log's, into `raw_hashes` — committing every `batch` entries, on one connection. The data
    /// is encoded before the clock starts: only the database work is timed (the raw side's
    /// best case); the log's own figure includes hashing and encoding.
    @discardableResult
    static func rawCopy(_ pool: PostgresPool, logID: [UInt8], rows: Int, batch: Int, from: Int64) async throws -> Double {
        try await pool.withBlockingConnection { conn in
            let hash = [UInt8](repeating: 0xAB, count: 32)
            var position = from
            var batches: [(entries: [UInt8], hashes: [UInt8])] = []
            var encoded = 0
            while encoded < rows {
                let count = min(batch, rows - encoded)
                var encoder = PostgresBinaryCopyEncoder(reservingCapacity: count * 200)
                let first = position
                for _ in 0..<count {
                    try encoder.append(row: [.bytea(logID), .int64(position), .bytea(payload(Int(position))),
                                             .bytea(hash), .bytea(hash)])
                    position += 1
                }
                var hashes = PostgresBinaryCopyEncoder(reservingCapacity: count * 80)
                var stored = TileMath.storedHashCount(treeSize: first)
                let end = TileMath.storedHashCount(treeSize: position)
                while stored < end {
                    let run = Int(min(128, end - stored))
                    try hashes.append(row: [.bytea(logID), .int64(stored),
                                            .bytea([UInt8](repeating: 0xCD, count: 32 * run))])
                    stored += Int64(run)
                }
                batches.append((encoder.finish(), hashes.finish()))
                encoded += count
            }
            let start = DispatchTime.now().uptimeNanoseconds
            for data in batches {
                _ = try conn.transaction { conn in
                    try conn.copyIn(
                        "COPY raw_entries (log_id, position, payload, previous_hash, entry_hash) FROM STDIN (FORMAT binary)",
                        data: data.entries)
                    try conn.copyIn("COPY raw_hashes (log_id, first_index, hashes) FROM STDIN (FORMAT binary)", data: data.hashes)
                }
            }
            return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        }
    }

    /// Runs async work from this synchronous benchmark driver and waits for it.
    static func blocking<T: Sendable>(_ body: @escaping @Sendable () async throws -> T) throws -> T {
        let semaphore = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        Task {
            do { box.result = .success(try await body()) } catch { box.result = .failure(error) }
            semaphore.signal()
        }
        semaphore.wait()
        return try box.result!.get()
    }
}

final class ResultBox<T>: @unchecked Sendable {
    var result: Result<T, any Error>?
}

/// A shared counter handing out indexes 0, 1, 2, … to concurrent workers.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0

    /// The next index, or nil once `limit` indexes were handed out.
    func take(below limit: Int) -> Int? {
        lock.withLock {
            guard value < limit else { return nil }
            defer { value += 1 }
            return value
        }
    }
}
