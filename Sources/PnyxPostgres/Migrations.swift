/// One schema migration: a version (strictly increasing within its namespace), a name, and SQL.
///
/// The SQL runs as a script inside the migration transaction, so it must not contain statements
/// that refuse to run in a transaction (e.g. `CREATE INDEX CONCURRENTLY`, `VACUUM`).
/// Once applied, a migration's SQL must never change: its SHA-256 is recorded and checked.
public struct Migration: Sendable, Hashable {
    /// The version, unique and increasing within the namespace (1, 2, 3, …).
    public let version: Int
    /// A short human name (`create_log_entries`).
    public let name: String
    /// The SQL script.
    public let sql: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
    }
}

/// The migration list of one module (e.g. `"logstore"`, `"broker"`); namespaces are independent.
public struct MigrationSet: Sendable, Hashable {
    /// The module key; rows in `schema_migrations` are keyed by (namespace, version).
    public let namespace: String
    /// The migrations, in version order.
    public let migrations: [Migration]

    public init(namespace: String, migrations: [Migration]) {
        self.namespace = namespace
        self.migrations = migrations
    }

    func validate() throws {
        guard !namespace.isEmpty else { throw PostgresError(.migrationInvalid, "empty migration namespace") }
        var previous = 0
        for m in migrations {
            guard m.version > previous else {
                throw PostgresError(
                    .migrationInvalid,
                    "\(namespace): migration versions must be positive and strictly increasing (\(m.version) after \(previous))")
            }
            guard !m.name.isEmpty else {
                throw PostgresError(.migrationInvalid, "\(namespace): migration \(m.version) has no name")
            }
            previous = m.version
        }
    }
}

/// Key of the transaction-scoped advisory lock serialising migrations across processes.
let migrationLockKey: Int64 = 0x706E_7978_6D69_6772  // "pnyxmigr"

extension PostgresConnection {
    /// Applies the migrations of `set` not yet recorded in `schema_migrations`, in order, in one
    /// transaction holding `pg_advisory_xact_lock` (so concurrent starters wait and then find
    /// nothing to do). Returns the versions applied now (empty when up to date).
    ///
    /// Throws `db.migration_changed` if an applied migration's SQL changed, `db.migration_unknown`
    /// if the database has a version the list lacks, `db.migration_invalid` for a malformed list or
    /// a new migration older than the newest applied one. On any error nothing is applied.
    @discardableResult
    public func migrate(_ set: MigrationSet) throws -> [Int] {
        try set.validate()
        return try transaction { conn in
            _ = try conn.query("SELECT pg_advisory_xact_lock($1)", [.int64(migrationLockKey)])
            try conn.executeScript(
                """
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    namespace  text        NOT NULL,
                    version    integer     NOT NULL,
                    name       text        NOT NULL,
                    checksum   text        NOT NULL,
                    applied_at timestamptz NOT NULL DEFAULT now(),
                    PRIMARY KEY (namespace, version)
                )
                """)
            let applied = try conn.query(
                "SELECT version, name, checksum FROM schema_migrations WHERE namespace = $1 ORDER BY version",
                [.text(set.namespace)])
            var newest = 0
            var appliedVersions = Set<Int>()
            for row in applied {
                let version = try row.decode(Int.self, at: 0)
                let checksum = try row.decode(String.self, at: 2)
                guard let migration = set.migrations.first(where: { $0.version == version }) else {
                    throw PostgresError(
                        .migrationUnknown,
                        "\(set.namespace): the database has migration \(version) (\(try row.decode(String.self, at: 1))) which this program does not know")
                }
                guard try conn.checksum(migration.sql) == checksum else {
                    throw PostgresError(
                        .migrationChanged,
                        "\(set.namespace): migration \(version) (\(migration.name)) changed after it was applied")
                }
                appliedVersions.insert(version)
                newest = max(newest, version)
            }
            var appliedNow: [Int] = []
            for migration in set.migrations where !appliedVersions.contains(migration.version) {
                guard migration.version > newest else {
                    throw PostgresError(
                        .migrationInvalid,
                        "\(set.namespace): new migration \(migration.version) is older than applied migration \(newest)")
                }
                do {
                    try conn.executeScript(migration.sql)
                } catch let error as PostgresError {
                    throw PostgresError(
                        error.code, "\(set.namespace): migration \(migration.version) (\(migration.name)) failed",
                        sqlState: error.sqlState, message: error.message, detail: error.detail,
                        constraint: error.constraint)
                }
                try conn.execute(
                    """
                    INSERT INTO schema_migrations (namespace, version, name, checksum)
                    VALUES ($1, $2, $3, encode(sha256(convert_to($4, 'UTF8')), 'hex'))
                    """,
                    [.text(set.namespace), .int32(Int32(migration.version)), .text(migration.name), .text(migration.sql)])
                appliedNow.append(migration.version)
            }
            return appliedNow
        }
    }

    /// Applies several modules' migration sets, each in its own transaction, in order.
    @discardableResult
    public func migrate(_ sets: [MigrationSet]) throws -> [String: [Int]] {
        var applied: [String: [Int]] = [:]
        for set in sets { applied[set.namespace] = try migrate(set) }
        return applied
    }

    func checksum(_ sql: String) throws -> String {
        try query("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", [.text(sql)]).scalar(String.self)
    }
}

extension PostgresPool {
    /// Applies a module's migrations on one pooled connection (see ``PostgresConnection/migrate(_:)``).
    @discardableResult
    public func migrate(_ set: MigrationSet) async throws -> [Int] {
        try await withBlockingConnection { try $0.migrate(set) }
    }

    /// Applies a module's migrations: `namespace` keys its rows in `schema_migrations`.
    @discardableResult
    public func migrate(namespace: String, _ migrations: [Migration]) async throws -> [Int] {
        try await migrate(MigrationSet(namespace: namespace, migrations: migrations))
    }
}
