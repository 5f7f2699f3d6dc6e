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
