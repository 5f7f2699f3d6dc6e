public import Logging

/// A small async pool of PostgreSQL connections, each on its own dedicated thread.
///
/// Blocking libpq work never runs on the Swift concurrency cooperative pool or an event loop:
/// each of the ``size`` connections has one `Thread` with a FIFO job queue, and callers await
/// checked continuations. Connections open lazily; a broken one is discarded and replaced by a
/// fresh connection on its next use (the failing call itself reports `db.connection_lost`).
/// A transaction left open by a closure is rolled back before the connection is reused.
public final class PostgresPool: Sendable {
    /// Where the connections go.
    public let configuration: PostgresConfiguration
    /// The number of connections (and threads).
    public let size: Int
    let workers: [ConnectionWorker]
    let state: PoolState
    let logger: Logger

    /// Creates a pool of `size` connections to `configuration`. No connection is opened yet.
    public init(
        configuration: PostgresConfiguration, size: Int = 4,
        logger: Logger = Logger(label: "pnyx.postgres.pool")
    ) {
        precondition(size >= 1, "a pool needs at least one connection")
        self.configuration = configuration
        self.size = size
        self.logger = logger
        let target = configuration.redacted
        self.workers = (0..<size).map { i in
            ConnectionWorker(name: "pnyx-pg-\(i)", configuration: configuration) { reason in
                logger.warning("discarding PostgreSQL connection", metadata: [
                    "connection": "\(i)", "reason": "\(reason)", "target": "\(target)",
                ])
            }
        }
        self.state = PoolState(workers: workers)
    }

    /// Creates a pool for `url` (nil: the PG* environment variables).
    public convenience init(url: String?, size: Int = 4, logger: Logger = Logger(label: "pnyx.postgres.pool")) {
        self.init(configuration: PostgresConfiguration(url: url), size: size, logger: logger)
    }

    deinit {
        for worker in workers { worker.shutdown() }
    }

    /// Borrows a connection for the duration of `body`, waiting if all are busy.
    /// Throws `db.pool_closed` once ``close()`` was called, `CancellationError` if the task is
    /// cancelled while waiting.
    public func withConnection<T>(
        callerIsolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresSession) async throws -> T
    ) async throws -> T {
        let worker = try await state.acquire()
        worker.discardIfClosedWhileIdle()
        let session = PostgresSession(worker: worker)
        let result: Result<T, any Error>
        do {
            result = .success(try await body(session))
        } catch {
            result = .failure(error)
        }
        session.invalidate()
        worker.cleanUp()
        await state.release(worker)
        return try result.get()
    }

    /// Runs `body` in a transaction (`BEGIN ISOLATION LEVEL …` / `COMMIT`; `ROLLBACK` when it throws).
    ///
    /// With `maxAttempts > 1` the whole transaction (including `body`) is re-run when it fails
    /// with a serialization failure (40001) or deadlock (40P01); `body` must then be safe to re-run.
    /// COMMIT's outcome is checked: `db.transaction_aborted` if it rolled back, `db.connection_lost`
    /// if the connection broke (the outcome is then unknown).
    public func withTransaction<T>(
        isolation: PostgresIsolation = .readCommitted, maxAttempts: Int = 1,
        callerIsolation: isolated (any Actor)? = #isolation,
        _ body: (PostgresSession) async throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection { session in
                    try await session.withBlockingConnection {
                        try $0.execSimple("BEGIN ISOLATION LEVEL \(isolation.rawValue)")
                    }
                    let value: T
                    do {
                        value = try await body(session)
                    } catch {
                        _ = try? await session.withBlockingConnection { $0.rollbackQuietly() }
                        throw error
                    }
                    try await session.withBlockingConnection { try $0.commit() }
                    return value
                }
            } catch let error as PostgresError where error.isRetryableTransactionFailure && attempt < maxAttempts {
                logger.debug("retrying transaction", metadata: ["attempt": "\(attempt)", "error": "\(error.code)"])
                attempt += 1
            }
        }
    }

    /// Runs `body` with a blocking connection on its dedicated thread (one hop for many statements).
    public func withBlockingConnection<T: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        try await withConnection { try await $0.withBlockingConnection(body) }
    }

    /// Runs a queue's batches on one connection's thread, for a drain that must not pass
    /// through the Swift concurrency pool between batches: `batches` runs on the worker thread
    /// and returns false when nothing is left queued (the drain ends), true when the connection
    /// broke with work still queued (it runs again on a fresh connection). When no connection
    /// can be had (pool closed, task cancelled) or `batches` throws, `fail` gets the error and
    /// the drain ends.
    public func drainBatches(
        _ batches: @escaping @Sendable (PostgresConnection) throws -> Bool, failing fail: (any Error) -> Void
    ) async {
        while true {
            do {
                guard try await withBlockingConnection(batches) else { return }
            } catch {
                fail(error)
                return
            }
        }
    }

    /// Runs one statement on any connection.
    public func query(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> PostgresRows {
        try await withBlockingConnection { try $0.query(sql, parameters) }
    }

    /// Runs one statement on any connection; returns the number of affected rows.
    @discardableResult
    public func execute(_ sql: String, _ parameters: [PostgresValue] = []) async throws -> Int {
        try await withBlockingConnection { try $0.execute(sql, parameters) }
    }

    /// Closes the pool: waiters and later calls get `db.pool_closed`; idle connections are
    /// closed now, borrowed ones when they are returned. Idempotent.
    public func close() async {
        let idle = await state.close()
        for worker in idle { await worker.shutdownAndWait() }
    }
}

/// The pool's bookkeeping: idle workers and waiting borrowers.
actor PoolState {
    private var idle: [ConnectionWorker]
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<ConnectionWorker, any Error>)] = []
    private var nextWaiter: UInt64 = 0
    private var closed = false

    init(workers: [ConnectionWorker]) { self.idle = workers }

    func acquire() async throws -> ConnectionWorker {
        guard !closed else { throw PostgresError(.poolClosed, "the connection pool is closed") }
        if let worker = idle.popLast() { return worker }
        let id = nextWaiter
        nextWaiter += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancelWaiter(id) }
        }
    }

    func release(_ worker: ConnectionWorker) {
        if closed {
            worker.shutdown()
        } else if !waiters.isEmpty {
            waiters.removeFirst().continuation.resume(returning: worker)
        } else {
            idle.append(worker)
        }
    }

    private func cancelWaiter(_ id: UInt64) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
    }

    func close() -> [ConnectionWorker] {
        guard !closed else { return [] }
        closed = true
        for waiter in waiters {
            waiter.continuation.resume(throwing: PostgresError(.poolClosed, "the connection pool was closed"))
        }
        waiters.removeAll()
        defer { idle.removeAll() }
        return idle
    }
}
