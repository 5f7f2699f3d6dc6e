import Foundation

/// An async handle on one pooled connection, valid only inside the
/// ``PostgresPool/withConnection(callerIsolation:_:)`` (or `withTransaction`) closure that received it.
///
/// Every call is one hop to the connection's dedicated thread. To run several statements in
/// one hop (e.g. a group commit), use ``withBlockingConnection(_:)``.
/// Using a session after its closure returned throws `db.pool_closed`.
public final class PostgresSession: Sendable {
    let worker: ConnectionWorker
    private let lease = Lease()

    init(worker: ConnectionWorker) { self.worker = worker }

    /// Runs `body` on the connection's thread with the blocking connection: the way to run
    /// many statements (or a synchronous transaction) per hop. `body` must not stash the connection.
    public func withBlockingConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        guard lease.isValid else {
            throw PostgresError(.poolClosed, "this session was used after its connection went back to the pool")
        }
        return try await worker.run(body)
    }

    /// Runs one statement with parameters (see ``PostgresConnection/query(_:_:)``).
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await withBlockingConnection { try $0.query(sql, parameters) }
    }

    /// Runs one statement; returns the number of affected rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await withBlockingConnection { try $0.execute(sql, parameters) }
    }

    /// Runs a parameterless multi-statement script.
    public func executeScript(_ sql: String) async throws {
        try await withBlockingConnection { try $0.executeScript(sql) }
    }

    /// Prepares (once per connection) and runs `sql` (see ``PostgresConnection/queryPrepared(_:_:)``).
    public func queryPrepared(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await withBlockingConnection { try $0.queryPrepared(sql, parameters) }
    }

    /// Prepares `sql` under `name` on this connection.
    public func prepare(name: String, sql: String) async throws {
        try await withBlockingConnection { try $0.prepare(name: name, sql: sql) }
    }

    /// Runs the statement prepared under `name`.
    public func queryPrepared(name: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await withBlockingConnection { try $0.queryPrepared(name: name, parameters) }
    }

    /// `COPY … FROM STDIN` with the data in one buffer; returns the rows copied.
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8]) async throws -> Int {
        try await withBlockingConnection { try $0.copyIn(sql, data: data) }
    }

    /// The server process id of this connection (`pg_backend_pid()`).
    public func backendPID() async throws -> Int32 {
        try await withBlockingConnection { $0.backendPID }
    }

    func invalidate() { lease.invalidate() }
}

/// A one-way flag: valid until the session's closure ends.
final class Lease: @unchecked Sendable {
    private let lock = NSLock()
    private var valid = true
    var isValid: Bool { lock.withLock { valid } }
    func invalidate() { lock.withLock { valid = false } }
}
