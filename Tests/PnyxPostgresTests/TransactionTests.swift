import PnyxPostgres
import Testing

@Suite("Transactions")
struct TransactionTests {
    @Test func commitAndRollback() async throws {
        try await TestDatabase.withPool(size: 2) { pool in
            try await pool.execute("CREATE TABLE t (v int8)")
            try await pool.withTransaction { session in
                try await session.execute("INSERT INTO t VALUES (1)")
                try await session.execute("INSERT INTO t VALUES (2)")
            }
            struct Boom: Error {}
            await #expect(throws: Boom.self) {
                try await pool.withTransaction(isolation: .serializable) { session in
                    try await session.execute("INSERT INTO t VALUES (3)")
                    throw Boom()
                }
            }
            #expect(try await pool.query("SELECT coalesce(sum(v), 0) FROM t").scalar(Int64.self) == 3)
            // The rolled-back connection is clean for the next borrower.
            let status = try await pool.withBlockingConnection { $0.transactionStatus }
            #expect(status == .idle)
        }
    }

    @Test func swallowedErrorMakesCommitFail() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            try await pool.execute("CREATE TABLE t (v int8 PRIMARY KEY)")
            let error = await expectPostgresError {
                try await pool.withTransaction { session in
                    try await session.execute("INSERT INTO t VALUES (1)")
                    _ = try? await session.execute("INSERT INTO t VALUES (1)")  // fails, error swallowed
                }
            }
            #expect(error?.code == .transactionAborted)
            #expect(try await pool.query("SELECT count(*) FROM t").scalar(Int64.self) == 0)
        }
    }

    @Test func blockingTransactionOnConnection() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let count = try await pool.withBlockingConnection { conn -> Int64 in
                try conn.execute("CREATE TABLE t (v int8)")
                _ = try conn.transaction { c in try c.execute("INSERT INTO t VALUES (1), (2)") }
                _ = try? conn.transaction { c -> Void in
                    try c.execute("INSERT INTO t VALUES (3)")
                    try c.execute("INSERT INTO nowhere VALUES (3)")
                }
                return try conn.query("SELECT count(*) FROM t").scalar(Int64.self)
            }
            #expect(count == 2)
        }
    }

    @Test func serializationFailureIsRetried() async throws {
        try await TestDatabase.withPool(size: 2) { pool in
            try await pool.execute("CREATE TABLE counter (id int PRIMARY KEY, n int8)")
            try await pool.execute("INSERT INTO counter VALUES (1, 0)")
            // Two serializable read-modify-write transactions collide; with retries both land.
            let attempts = AttemptCounter()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        try await pool.withTransaction(isolation: .serializable, maxAttempts: 10) { session in
                            let attempt = await attempts.increment()
                            let n = try await session.query("SELECT n FROM counter WHERE id = 1").scalar(Int64.self)
                            // Both first attempts read before either writes, so they must collide
                            // however the machine schedules them.
                            if attempt <= 2 { try await attempts.waitForFirstReads(2) }
                            try await session.execute("UPDATE counter SET n = $1 WHERE id = 1", [.int64(n + 1)])
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await pool.query("SELECT n FROM counter").scalar(Int64.self) == 2)
            #expect(await attempts.value >= 3)  // at least one retry happened

            // Without retries, the failure surfaces with its code.
            let errors = ErrorCollector()
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        do {
                            try await pool.withTransaction(isolation: .serializable) { session in
                                let n = try await session.query("SELECT n FROM counter WHERE id = 1").scalar(Int64.self)
                                try await Task.sleep(for: .milliseconds(100))
                                try await session.execute("UPDATE counter SET n = $1 WHERE id = 1", [.int64(n + 1)])
                            }
                        } catch let error as PostgresError {
                            await errors.add(error)
                        } catch {}
                    }
                }
            }
            let seen = await errors.errors
            #expect(seen.count == 1)
            #expect(seen.first?.code == .serializationFailure)
            #expect(seen.first?.sqlState == "40001")
        }
    }
}

actor AttemptCounter {
    var value = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var reads = 0

    /// Counts an attempt and returns its number (1-based).
    @discardableResult
    func increment() -> Int {
        value += 1
        return value
    }

    /// Waits until `count` first attempts have read (a barrier).
    func waitForFirstReads(_ count: Int) async throws {
        reads += 1
        if reads >= count {
            waiters.forEach { $0.resume() }
            waiters.removeAll()
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }
}

actor ErrorCollector {
    var errors: [PostgresError] = []
    func add(_ e: PostgresError) { errors.append(e) }
}
