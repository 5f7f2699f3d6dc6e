import PnyxPostgres
import Testing

@Suite("Migrations")
struct MigrationTests {
    static let v1 = Migration(version: 1, name: "create_notes", sql: "CREATE TABLE notes (id bigserial PRIMARY KEY, body text NOT NULL);")
    static let v2 = Migration(
        version: 2, name: "add_author",
        sql: "ALTER TABLE notes ADD COLUMN author text;\nCREATE INDEX notes_author ON notes (author);")

    @Test func appliedOnceThenNoOp() async throws {
        try await TestDatabase.withPool(size: 2) { pool in
            let first = try await pool.migrate(namespace: "notes", [Self.v1])
            let second = try await pool.migrate(namespace: "notes", [Self.v1, Self.v2])
            let third = try await pool.migrate(namespace: "notes", [Self.v1, Self.v2])
            #expect(first == [1])
            #expect(second == [2])
            #expect(third == [])
            try await pool.execute("INSERT INTO notes (body, author) VALUES ('hi', 'ann')")
            let recorded = try await pool.query(
                "SELECT version, name, length(checksum) FROM schema_migrations WHERE namespace = 'notes' ORDER BY version")
            #expect(recorded.count == 2)
            #expect(try recorded[1].decode(String.self, at: 1) == "add_author")
            #expect(try recorded[1].decode(Int.self, at: 2) == 64)
        }
    }

    @Test func namespacesAreIndependent() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let other = Migration(version: 1, name: "create_jobs", sql: "CREATE TABLE jobs (id int);")
            let notes = try await pool.migrate(namespace: "notes", [Self.v1])
            let broker = try await pool.migrate(namespace: "broker", [other])
            let again = try await pool.migrate(namespace: "notes", [Self.v1])
            #expect(notes == [1])
            #expect(broker == [1])
            #expect(again == [])
        }
    }

    @Test func changedChecksumIsRefused() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            try await pool.migrate(namespace: "notes", [Self.v1])
            let edited = Migration(version: 1, name: "create_notes", sql: Self.v1.sql + " -- edited")
            let error = await expectPostgresError { try await pool.migrate(namespace: "notes", [edited, Self.v2]) }
            #expect(error?.code == .migrationChanged)
            #expect(error?.code.rawValue == "db.migration_changed")
            // Nothing of the batch was applied.
            #expect(try await pool.query("SELECT count(*) FROM schema_migrations").scalar(Int64.self) == 1)
        }
    }

    @Test func malformedListsAndUnknownVersionsAreRefused() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let unordered = await expectPostgresError { try await pool.migrate(namespace: "notes", [Self.v2, Self.v1]) }
            #expect(unordered?.code == .migrationInvalid)
            try await pool.migrate(namespace: "notes", [Self.v1, Self.v2])
            let unknown = await expectPostgresError { try await pool.migrate(namespace: "notes", [Self.v1]) }
            #expect(unknown?.code == .migrationUnknown)
            let broken = Migration(version: 3, name: "broken", sql: "CREATE TABLE notes (x int);")
            let failed = await expectPostgresError { try await pool.migrate(namespace: "notes", [Self.v1, Self.v2, broken]) }
            #expect(failed?.code == .queryFailed)
            #expect(failed?.reason.contains("migration 3") == true)
        }
    }

    @Test func concurrentMigrateIsSafe() async throws {
        let url = try await TestDatabase.makeDatabase()
        // Separate pools stand in for separate processes starting at once.
        let results = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let pool = PostgresPool(url: url, size: 1)
                    defer { Task { await pool.close() } }
                    return try await pool.migrate(namespace: "notes", [Self.v1, Self.v2])
                }
            }
            return try await group.reduce(into: [[Int]]()) { $0.append($1) }
        }
        #expect(results.filter { $0 == [1, 2] }.count == 1)
        #expect(results.filter(\.isEmpty).count == 5)
    }
}
