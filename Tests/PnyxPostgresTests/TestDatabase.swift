import PnyxPostgres

/// The shared test fixture: one private cluster per test process (started lazily in a temp
/// folder, stopped and deleted at exit) and a fresh database per test.
enum TestDatabase {
    /// The process-wide throwaway cluster.
    static func cluster() async throws -> PrivateCluster {
        try await PrivateCluster.sharedTemporary()
    }

    /// A fresh, empty database; returns its URL.
    static func makeDatabase() async throws -> String {
        try await cluster().createDatabase()
    }

    /// Runs `body` with a pool on a fresh database, closing the pool afterwards.
    static func withPool<T>(
        size: Int = 4, isolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresPool) async throws -> T
    ) async throws -> T {
        let pool = PostgresPool(url: try await makeDatabase(), size: size)
        do {
            let value = try await body(pool)
            await pool.close()
            return value
        } catch {
            await pool.close()
            throw error
        }
    }
}

/// Runs `body` expecting a `PostgresError`; returns it (or records an issue via the thrown error).
func expectPostgresError(
    _ body: () async throws -> Void
) async -> PostgresError? {
    do {
        try await body()
        return nil
    } catch let error as PostgresError {
        return error
    } catch {
        return nil
    }
}
