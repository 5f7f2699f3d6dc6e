import PnyxLogStore
import PnyxPostgres
import PnyxTransparency
import Testing

@Suite("Append-only enforced by the database")
struct AppendOnlyTests {
    static let changes = [
        "UPDATE log_logs SET origin = origin || 'x'",
        "DELETE FROM log_logs",
        "TRUNCATE log_logs CASCADE",
        "UPDATE log_entries SET payload = '\\x00'",
        "DELETE FROM log_entries",
        "TRUNCATE log_entries",
        "UPDATE log_hashes SET hashes = hashes",
        "DELETE FROM log_hashes",
        "TRUNCATE log_hashes",
        "UPDATE log_checkpoints SET note = note",
        "DELETE FROM log_checkpoints",
        "TRUNCATE log_checkpoints",
    ]

    /// A store holding one log with a few entries and a checkpoint.
    static func populated() async throws -> (LogStore, String, [UInt8]) {
        let (store, url) = try await LogTestSupport.freshStore()
        let logID = try await LogTestSupport.newLog(store)
        _ = try await LogTestSupport.appendMany(store, logID, count: 10)
        try await store.checkpoint(logID: logID, signer: LogTestSupport.signer)
        return (store, url, logID)
    }

    @Test("triggers refuse UPDATE, DELETE and TRUNCATE on every log table, even for the owner")
    func triggersRefuseTheOwner() async throws {
        let (store, _, logID) = try await Self.populated()
        for sql in Self.changes {
            do {
                try await store.pool.execute(sql)
                Issue.record("owner was allowed: \(sql)")
            } catch let error as PostgresError {
                #expect(error.sqlState == "P0001", "\(sql): \(error)")
                #expect(error.message?.contains("append-only") == true, "\(sql): \(error)")
            }
        }
        _ = try await LogTestSupport.checkChain(store, logID)
        #expect(try await store.head(logID: logID).size == 10)
        await store.pool.close()
    }

    @Test("a checkpoint that does not grow the log is refused by the database")
    func checkpointsOnlyGrow() async throws {
        let (store, _, logID) = try await Self.populated()
        let latest = try #require(try await store.latestCheckpoint(logID: logID))
        await #expect(throws: PostgresError.self) {
            try await store.pool.execute(
                "INSERT INTO log_checkpoints (log_id, tree_size, root_hash, note) VALUES ($1, $2, $3, 'x')",
                [.bytea(logID), .int64(latest.treeSize - 1), .bytea(latest.rootHash.bytes)])
        }
        await store.pool.close()
    }

    @Test("the application role may SELECT and INSERT but has no UPDATE, DELETE or TRUNCATE privilege")
    func applicationRoleIsRefused() async throws {
        let (store, url, logID) = try await Self.populated()
        let role = "pnyx_app_\(UInt32.random(in: 0...UInt32.max))"
        try await store.pool.withBlockingConnection { try LogStoreSchema.grantApplicationRole(role, on: $0) }
        let app = LogStore(pool: PostgresPool(configuration: PostgresConfiguration(url: url).connecting(asUser: role), size: 2))
        // It works as the service: appends, reads, checkpoints.
        let receipt = try await app.append(logID: logID, payload: Array("as app".utf8))
        #expect(receipt.position == 10)
        try await app.checkpoint(logID: logID, signer: LogTestSupport.signer)
        for sql in Self.changes {
            do {
                try await app.pool.execute(sql)
                Issue.record("application role was allowed: \(sql)")
            } catch let error as PostgresError {
                #expect(error.code == .permissionDenied, "\(sql): \(error)")
            }
        }
        _ = try await LogTestSupport.checkChain(store, logID)
        await app.pool.close()
        await store.pool.close()
    }
}
