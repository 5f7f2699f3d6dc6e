import Foundation
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency
import Testing

/// Writes one `observed` row per appended entry in the append transaction; refuses payloads
/// starting with "bad" (by index) and fails whole batches holding "boom".
private struct RecordingObserver: LogBatchObserver {
    struct Refused: Error, Equatable { let payload: String }
    struct Boom: Error {}

    func batchWillCommit(_ batch: LogBatch, connection: PostgresConnection) throws {
        var refused: [Int: any Error] = [:]
        for (index, payload) in batch.payloads.enumerated() {
            let text = String(decoding: payload, as: UTF8.self)
            if text.hasPrefix("boom") { throw Boom() }
            if text.hasPrefix("bad") { refused[index] = Refused(payload: text) }
        }
        if !refused.isEmpty { throw LogBatchRejection(errors: refused) }
        #expect(batch.entryHashes.count == batch.payloads.count)
        for (offset, payload) in batch.payloads.enumerated() {
            try connection.execute(
                "INSERT INTO observed (log_id, position, payload, entry_hash) VALUES ($1, $2, $3, $4)",
                [.bytea(batch.logID), .int64(batch.firstPosition + Int64(offset)), .bytea(payload), .bytea(batch.entryHashes[offset].bytes)])
        }
    }
}

@Suite("Batch observer: derived rows in the append transaction")
struct BatchObserverTests {
    static func store() async throws -> LogStore {
        let cluster = try await PrivateCluster.sharedTemporary()
        let url = try await cluster.createDatabase()
        let pool = PostgresPool(configuration: PostgresConfiguration(url: url), size: 4)
        let store = LogStore(pool: pool, configuration: LogStore.Configuration(maxBatch: 50, observer: RecordingObserver()))
        try await store.migrate()
        try await pool.execute("CREATE TABLE observed (log_id bytea, position bigint, payload bytea, entry_hash bytea, PRIMARY KEY (log_id, position))")
        return store
    }

    @Test("every committed entry has its derived row, with the same position and hash")
    func derivedRows() async throws {
        let store = try await Self.store()
        let logID = try await LogTestSupport.newLog(store)
        let receipts = try await LogTestSupport.appendMany(store, logID, count: 300)
        let rows = try await store.pool.query("SELECT position, entry_hash FROM observed WHERE log_id = $1 ORDER BY position", [.bytea(logID)])
        #expect(rows.count == 300)
        for (row, receipt) in zip(rows, receipts) {
            #expect(try row.decode(Int64.self, at: 0) == receipt.position)
            #expect(try row.decode([UInt8].self, at: 1) == receipt.entryHash.bytes)
        }
    }

    @Test("a rejection fails only the refused appends; the others commit in a later batch")
    func rejection() async throws {
        let store = try await Self.store()
        let logID = try await LogTestSupport.newLog(store)
        let payloads = (0..<120).map { $0 % 7 == 3 ? "bad-\($0)" : "good-\($0)" }
        let results = await withTaskGroup(of: (String, Result<LogReceipt, any Error>).self) { group in
            for payload in payloads {
                group.addTask {
                    do { return (payload, .success(try await store.append(logID: logID, payload: Array(payload.utf8)))) } catch {
                        return (payload, .failure(error))
                    }
                }
            }
            var all: [(String, Result<LogReceipt, any Error>)] = []
            for await result in group { all.append(result) }
            return all
        }
        for (payload, result) in results {
            switch result {
            case .success: #expect(payload.hasPrefix("good"))
            case .failure(let error):
                #expect(payload.hasPrefix("bad"))
                #expect(error as? RecordingObserver.Refused == RecordingObserver.Refused(payload: payload))
            }
        }
        let good = payloads.filter { $0.hasPrefix("good") }.count
        #expect(try await store.head(logID: logID).size == Int64(good))
        let hashes = try await LogTestSupport.checkChain(store, logID)
        #expect(hashes.count == good)
        #expect(try await store.pool.query("SELECT count(*) FROM observed").scalar(Int64.self) == Int64(good))
    }

    @Test("any other error rolls the whole batch back")
    func failure() async throws {
        let store = try await Self.store()
        let logID = try await LogTestSupport.newLog(store)
        _ = try await store.append(logID: logID, payload: Array("first".utf8))
        await #expect(throws: RecordingObserver.Boom.self) {
            _ = try await store.append(logID: logID, payload: Array("boom".utf8))
        }
        #expect(try await store.head(logID: logID).size == 1)
        #expect(try await store.append(logID: logID, payload: Array("after".utf8)).position == 1)
        #expect(try await store.pool.query("SELECT count(*) FROM observed").scalar(Int64.self) == 2)
    }
}

/// Screens out payloads starting with "dup" (read-only, before the batch is written) and
/// records, for every `batchWillCommit` call, one `screened` row per payload tagged with the
/// call's number: a rolled-back call leaves no rows, so calls == distinct call numbers in the
/// table means no batch was rolled back.
private final class ScreeningObserver: LogBatchObserver, @unchecked Sendable {
    struct Duplicate: Error, Equatable { let payload: String }
    private let lock = NSLock()
    private var calls = 0
    private(set) var screenedPayloads = 0

    var commitCalls: Int { lock.withLock { calls } }

    func screen(logID: [UInt8], payloads: [[UInt8]], contexts: [(any Sendable)?], connection: PostgresConnection) throws -> [Int: any Error] {
        lock.withLock { screenedPayloads += payloads.count }
        var refused: [Int: any Error] = [:]
        for (index, payload) in payloads.enumerated() where payload.starts(with: Array("dup".utf8)) {
            refused[index] = Duplicate(payload: String(decoding: payload, as: UTF8.self))
        }
        return refused
    }

    func batchWillCommit(_ batch: LogBatch, connection: PostgresConnection) throws {
        let call = lock.withLock { () -> Int in
            calls += 1
            return calls
        }
        #expect(!batch.payloads.contains { $0.starts(with: Array("dup".utf8)) })
        for (offset, payload) in batch.payloads.enumerated() {
            try connection.execute(
                "INSERT INTO screened (log_id, position, payload, entry_hash, call) VALUES ($1, $2, $3, $4, $5)",
                [.bytea(batch.logID), .int64(batch.firstPosition + Int64(offset)), .bytea(payload),
                 .bytea(batch.entryHashes[offset].bytes), .int64(Int64(call))])
        }
    }
}

@Suite("Batch observer screen: refusals without rolling the batch back")
struct BatchScreenTests {
    @Test("screened-out appends fail with their error; the rest of their batch commits in the same transaction, signed and provable",
          arguments: [1, 16, 500])
    func screenedOut(maxBatch: Int) async throws {
        let cluster = try await PrivateCluster.sharedTemporary()
        let url = try await cluster.createDatabase()
        let pool = PostgresPool(configuration: PostgresConfiguration(url: url), size: 4)
        let observer = ScreeningObserver()
        let store = LogStore(pool: pool, configuration: LogStore.Configuration(maxBatch: maxBatch, observer: observer))
        try await store.migrate()
        try await pool.execute(
            "CREATE TABLE screened (log_id bytea, position bigint, payload bytea, entry_hash bytea, call bigint, PRIMARY KEY (log_id, position))")
        let logID = try await LogTestSupport.newLog(store)
        let payloads = (0..<300).map { $0 % 5 == 2 ? "dup-\($0)" : "new-\($0)" } + ["dup-only"]
        let results = await withTaskGroup(of: (String, Result<CheckpointedReceipt, any Error>).self) { group in
            for payload in payloads {
                group.addTask {
                    do {
                        return (payload, .success(try await store.append(logID: logID, payload: Array(payload.utf8), signer: LogTestSupport.signer)))
                    } catch {
                        return (payload, .failure(error))
                    }
                }
            }
            var all: [(String, Result<CheckpointedReceipt, any Error>)] = []
            for await result in group { all.append(result) }
            return all
        }
        var receipts: [CheckpointedReceipt] = []
        for (payload, result) in results {
            switch result {
            case .success(let receipt):
                #expect(payload.hasPrefix("new"))
                receipts.append(receipt)
            case .failure(let error):
                #expect(payload.hasPrefix("dup"))
                #expect(error as? ScreeningObserver.Duplicate == ScreeningObserver.Duplicate(payload: payload))
            }
        }
        let fresh = payloads.filter { $0.hasPrefix("new") }.count
        #expect(receipts.count == fresh)
        // One linear chain of exactly the accepted payloads, each receipt proved by its batch's checkpoint.
        #expect(try await store.head(logID: logID).size == Int64(fresh))
        #expect(try await LogTestSupport.checkChain(store, logID).count == fresh)
        try await BatchCheckpointTests.checkReceipts(store, logID, receipts)
        try await BatchCheckpointTests.checkCheckpointChain(store, logID)
        let stored = try await store.entries(logID: logID, 0..<Int64(fresh))
        let hashes = Dictionary(uniqueKeysWithValues: receipts.map { ($0.receipt.position, $0.receipt.entryHash) })
        for entry in stored {
            #expect(hashes[entry.position] == entry.entryHash)
            #expect(String(decoding: entry.payload, as: UTF8.self).hasPrefix("new"))
        }
        // Every derived row matches its entry, and no batch was rolled back.
        let rows = try await pool.query("SELECT position, entry_hash, call FROM screened WHERE log_id = $1 ORDER BY position", [.bytea(logID)])
        #expect(rows.count == fresh)
        let byPosition = Dictionary(uniqueKeysWithValues: receipts.map { ($0.receipt.position, $0.receipt.entryHash.bytes) })
        for row in rows { #expect(byPosition[try row.decode(Int64.self, at: 0)] == (try row.decode([UInt8].self, at: 1))) }
        let calls = Set(try rows.map { try $0.decode(Int64.self, at: 2) })
        #expect(calls.count == observer.commitCalls)
        #expect(observer.screenedPayloads == payloads.count)
    }
}
