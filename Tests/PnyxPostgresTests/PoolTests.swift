import Foundation
import PnyxPostgres
import Testing

@Suite("Pool")
struct PoolTests {
    @Test func runsConcurrentWorkOnSeveralConnections() async throws {
        try await TestDatabase.withPool(size: 4) { pool in
            try await pool.execute("CREATE TABLE hits (pid int4, n int8, started timestamptz, ended timestamptz)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<8 {
                    group.addTask { () async throws -> Void in
                        try await pool.withConnection { session in
                            // pg_sleep blocks a connection thread, not the cooperative pool.
                            _ = try await session.execute(
                                """
                                INSERT INTO hits SELECT pg_backend_pid(), $1, s, clock_timestamp()
                                FROM (SELECT clock_timestamp() AS s) t, pg_sleep(0.3)
                                """, [.int64(Int64(i))])
                        }
                    }
                }
                try await group.waitForAll()
            }
            let rows = try await pool.query("SELECT count(*), count(DISTINCT pid) FROM hits")
            #expect(rows[0][0] == .int64(8))
            #expect(try rows[0].decode(Int64.self, at: 1) == 4)
            // The server's own clock shows the statements ran at the same time (on a serial
            // pool no two intervals would overlap), whatever the machine's load.
            let overlapping = try await pool.query(
                "SELECT count(*) FROM hits a JOIN hits b ON a.n < b.n AND a.started < b.ended AND b.started < a.ended"
            ).scalar(Int64.self)
            #expect(overlapping >= 1)
        }
    }

    @Test func connectionKilledWhileIdleIsReplacedBeforeUse() async throws {
        let url = try await TestDatabase.makeDatabase()
        let pool = PostgresPool(url: url, size: 1)
        let killer = PostgresPool(url: url, size: 1)
        defer { Task { await pool.close(); await killer.close() } }

        let pid = try await pool.withConnection { try await $0.backendPID() }
        let terminated = try await killer.query("SELECT pg_terminate_backend($1)", [.int32(pid)]).scalar(Bool.self)
        #expect(terminated)
        // Wait until the server has really closed it (the backend is gone from pg_stat_activity).
        for _ in 0..<200 {
            let alive = try await killer.query("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", [.int32(pid)]).scalar(Int64.self)
            if alive == 0 { break }
            try await Task.sleep(for: .milliseconds(10))
        }

        // The next borrower notices the closed socket before its first statement: the query
        // runs on a fresh connection instead of failing (as after a PostgreSQL restart).
        #expect(try await pool.query("SELECT 41 + 1").scalar(Int64.self) == 42)
        let newPID = try await pool.withConnection { try await $0.backendPID() }
        #expect(newPID != pid)
    }

    @Test func connectionKilledDuringABorrowFailsItsNextStatement() async throws {
        let url = try await TestDatabase.makeDatabase()
        let pool = PostgresPool(url: url, size: 1)
        let killer = PostgresPool(url: url, size: 1)
        defer { Task { await pool.close(); await killer.close() } }

        let error = await expectPostgresError {
            try await pool.withConnection { session in
                let pid = try await session.backendPID()
                _ = try await killer.query("SELECT pg_terminate_backend($1)", [.int32(pid)])
                try await Task.sleep(for: .milliseconds(100))
                _ = try await session.query("SELECT 1")
            }
        }
        let e = try #require(error, "a statement on a connection killed while borrowed must fail, never succeed")
        #expect(e.code == .connectionLost)
        // The pool discarded it: the next use gets a fresh connection.
        #expect(try await pool.query("SELECT 41 + 1").scalar(Int64.self) == 42)
    }

    @Test func connectionKilledMidTransactionFailsTheCommit() async throws {
        let url = try await TestDatabase.makeDatabase()
        let pool = PostgresPool(url: url, size: 1)
        let killer = PostgresPool(url: url, size: 1)
        defer { Task { await pool.close(); await killer.close() } }
        try await pool.execute("CREATE TABLE t (v int8)")
        let error = await expectPostgresError {
            try await pool.withTransaction { session in
                try await session.execute("INSERT INTO t VALUES (1)")
                let pid = try await session.backendPID()
                _ = try await killer.query("SELECT pg_terminate_backend($1)", [.int32(pid)])
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(error?.code == .connectionLost)
        #expect(try await pool.query("SELECT count(*) FROM t").scalar(Int64.self) == 0)
    }

    @Test func connectionFailureAndClosedPool() async throws {
        let cluster = try await TestDatabase.cluster()
        let bad = PostgresPool(url: cluster.url(database: "no_such_database"), size: 1)
        let error = await expectPostgresError { _ = try await bad.query("SELECT 1") }
        #expect(error?.code == .connectionFailed)
        #expect(error?.message?.contains("no_such_database") == true)
        await bad.close()
        let closed = await expectPostgresError { _ = try await bad.query("SELECT 1") }
        #expect(closed?.code == .poolClosed)
    }

    @Test func sessionIsUnusableAfterItsClosure() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let leaked = try await pool.withConnection { $0 }
            let error = await expectPostgresError { _ = try await leaked.query("SELECT 1") }
            #expect(error?.code == .poolClosed)
        }
    }

    @Test func waitersAreServedInTurn() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let total = try await withThrowingTaskGroup(of: Int64.self) { group in
                for i in 0..<20 {
                    group.addTask { try await pool.query("SELECT $1::int8", [.int64(Int64(i))]).scalar(Int64.self) }
                }
                return try await group.reduce(0, +)
            }
            #expect(total == 190)
        }
    }
}
