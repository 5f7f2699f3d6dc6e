/// One blocking libpq connection.
///
/// Every method blocks the calling thread until the server answers, so a
/// `PostgresConnection` must only be used from a thread of its own: ``PostgresPool`` runs
/// each pooled connection on a dedicated thread and hands async code a ``PostgresSession``.
/// Use it directly only from plain threads (tools, benchmarks). Not `Sendable`: one thread at a time.
///
/// Results are requested in binary format and decoded by column type (see ``PostgresValue``).
/// A failure on a broken connection is always reported as ``PostgresError/Code/connectionLost``,
/// never as success; COMMIT's command tag is checked (a COMMIT that rolled back throws).
public final class PostgresConnection {
    /// The libpq handle; owned, finished in `deinit`/``close()``.
    var handle: OpaquePointer?
    /// Prepared statements on this connection: name → SQL and server-resolved parameter types.
    var prepared: [String: PreparedStatement] = [:]
    /// The configuration this connection was opened with.
    public let configuration: PostgresConfiguration

    struct PreparedStatement {
        let sql: String
        let parameterTypes: [PostgresType]
    }

    /// Opens a connection (blocking). Throws `db.connection_failed`.
    public init(configuration: PostgresConfiguration = PostgresConfiguration()) throws {
        self.configuration = configuration
        self.handle = try Self.open(configuration)
    }

    /// Opens a connection to `url`, or from the PG* environment variables when `url` is nil.
    public convenience init(url: String?) throws {
        try self.init(configuration: PostgresConfiguration(url: url))
    }

    deinit { close() }

    /// Closes the connection (`PQfinish`). Later calls throw `db.connection_lost`.
    public func close() {
        if let handle { finish(handle) }
        handle = nil
        prepared.removeAll()
    }

    /// Runs one statement with `$1…$n` parameters (`PQexecParams`, binary results).
    ///
    /// Parameters carry their types (``PostgresValue``); text is sent untyped so the server infers it.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
        try execParams(sql, parameters)
    }

    /// Runs one statement and returns the number of affected rows (0 when not reported).
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) throws -> Int {
        try execParams(sql, parameters).affectedRows ?? 0
    }

    /// Runs a script of one or more `;`-separated statements without parameters (`PQexec`),
    /// e.g. a migration. Results are discarded.
    public func executeScript(_ sql: String) throws {
        try execSimple(sql)
    }

    /// Prepares `sql` under `name` (`PQprepare`), once per connection: a second call with the
    /// same SQL is free, a call with different SQL replaces the statement.
    public func prepare(name: String, sql: String) throws {
        if let existing = prepared[name] {
            if existing.sql == sql { return }
            try execSimple("DEALLOCATE \(Self.quoteIdentifier(name))")
            prepared[name] = nil
        }
        try prepareStatement(name: name, sql: sql)
    }

    /// Executes the statement prepared under `name` (`PQexecPrepared`). Parameters are converted
    /// to the types the server resolved at PREPARE time (e.g. an `.int64` into an `int4` slot).
    public func queryPrepared(name: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
        guard let statement = prepared[name] else {
            throw PostgresError(.queryFailed, "no statement prepared under name \(name)")
        }
        return try execPrepared(name: name, statement: statement, parameters)
    }

    /// Prepares `sql` on first use under a name derived from its text, then executes it.
    /// The cheap path for statements run many times on one connection.
    public func queryPrepared(_ sql: String, _ parameters: [PostgresValue] = []) throws -> PostgresRows {
        let name = Self.statementName(for: sql)
        if prepared[name] == nil { try prepareStatement(name: name, sql: sql) }
        guard let statement = prepared[name], statement.sql == sql else {
            return try execParams(sql, parameters)  // hash collision: don't reuse the slot
        }
        return try execPrepared(name: name, statement: statement, parameters)
    }

    /// Runs `body` inside `BEGIN ISOLATION LEVEL …` / `COMMIT`, rolling back when it throws.
    ///
    /// COMMIT's result is checked: if the server answers ROLLBACK (an earlier statement failed
    /// and the error was swallowed) this throws `db.transaction_aborted`; if the connection
    /// breaks, `db.connection_lost` (the outcome is then unknown).
    public func transaction<T>(
        isolation: PostgresIsolation = .readCommitted, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        try execSimple("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
        let value: T
        do {
            value = try body(self)
        } catch {
            rollbackQuietly()
            throw error
        }
        try commit()
        return value
    }

    /// Runs `body` in a transaction, retrying it (up to `maxAttempts` runs in all) when it
    /// fails with a serialization failure or deadlock. `body` must be safe to re-run.
    public func transaction<T>(
        isolation: PostgresIsolation, maxAttempts: Int, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        var attempt = 1
        while true {
            do {
                return try transaction(isolation: isolation, body)
            } catch let error as PostgresError where error.isRetryableTransactionFailure && attempt < maxAttempts {
                attempt += 1
            }
        }
    }

    /// `COPY … FROM STDIN` (text, CSV or binary): `body` writes the data through the writer;
    /// returns the number of rows copied. If `body` throws, the COPY is aborted and the error rethrown.
    @discardableResult
    public func copyIn(_ sql: String, _ body: (PostgresCopyWriter) throws -> Void) throws -> Int {
        try copyFromStdin(sql, body)
    }

    /// `COPY … FROM STDIN` with all data in one buffer; returns the number of rows copied.
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8]) throws -> Int {
        try copyFromStdin(sql) { try $0.write(data) }
    }

    /// Quotes an SQL identifier (`"name"`, doubling embedded quotes).
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Quotes an SQL string literal (`'text'`, doubling embedded quotes); prefer parameters.
    public static func quoteLiteral(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// The automatic prepared-statement name for `sql` (FNV-1a 64 of the text).
    static func statementName(for sql: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in sql.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return "pnyx_" + String(hash, radix: 16)
    }
}

@available(*, unavailable, message: "a PostgresConnection blocks; use it from one thread (or via PostgresPool)")
extension PostgresConnection: Sendable {}

/// Feeds `COPY … FROM STDIN` data to the server (`PQputCopyData`); valid only inside ``PostgresConnection/copyIn(_:_:)``.
public final class PostgresCopyWriter {
    let send: (UnsafeRawBufferPointer) throws -> Void

    init(send: @escaping (UnsafeRawBufferPointer) throws -> Void) { self.send = send }

    /// Sends a chunk of COPY data (any split; rows may span chunks).
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try send($0) }
    }

    /// Sends a chunk of COPY data from a buffer.
    public func write(_ buffer: UnsafeRawBufferPointer) throws {
        try send(buffer)
    }
}
