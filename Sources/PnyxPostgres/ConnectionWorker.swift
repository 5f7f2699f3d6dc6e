import Foundation

/// One dedicated OS thread owning (at most) one ``PostgresConnection``.
///
/// Blocking libpq calls run only here, never on the Swift concurrency cooperative pool or an
/// event loop: async callers enqueue a job and await a checked continuation. Jobs run in FIFO
/// order. The connection is opened lazily, and replaced on the next job after it breaks.
final class ConnectionWorker: @unchecked Sendable {
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []
    private var stopping = false

    // Touched only on the worker thread.
    private var connection: PostgresConnection?

    let configuration: PostgresConfiguration
    let name: String
    /// Called on the worker thread when a broken connection is discarded.
    let onDiscard: @Sendable (String) -> Void

    init(name: String, configuration: PostgresConfiguration, onDiscard: @escaping @Sendable (String) -> Void) {
        self.name = name
        self.configuration = configuration
        self.onDiscard = onDiscard
        let thread = Thread { [self] in self.loop() }
        thread.name = name
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty && !stopping { condition.wait() }
            if jobs.isEmpty && stopping {
                condition.unlock()
                break
            }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
        connection?.close()
        connection = nil
    }

    /// Enqueues a job; false when the worker is stopping.
    @discardableResult
    private func enqueue(_ job: @escaping () -> Void) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !stopping else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// Runs `body` with a live connection on the worker thread (connecting first if needed).
    func run<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            let accepted = enqueue { [self] in
                let outcome: Result<T, any Error>
                do {
                    let conn = try connected()
                    outcome = .success(try body(conn))
                } catch {
                    outcome = .failure(error)
                }
                discardIfBroken()
                continuation.resume(with: outcome)
            }
            if !accepted {
                continuation.resume(throwing: PostgresError(.poolClosed, "the connection pool is closed"))
            }
        }
    }

    /// Leaves the connection clean for the next borrower: rolls back a transaction left open,
    /// discards a connection that is mid-command or broken. Does not wait.
    func cleanUp() {
        enqueue { [self] in
            guard let conn = connection else { return }
            switch conn.transactionStatus {
            case .idle: break
            case .inTransaction, .inFailedTransaction: conn.rollbackQuietly()
            case .active, .unknown: discard(reason: "left in an unknown state")
            }
            discardIfBroken()
        }
    }

    /// At the start of a borrow: discards the connection if the server closed it while it sat
    /// idle in the pool (a PostgreSQL restart, `pg_terminate_backend`), so that the borrower's
    /// first statement runs on a fresh connection instead of failing. Only an idle connection
    /// is probed: never one inside a transaction. Queued before the borrower's jobs; does not wait.
    func discardIfClosedWhileIdle() {
        enqueue { [self] in
            guard let conn = connection, conn.transactionStatus == .idle, !conn.isAliveWhenIdle else { return }
            discard(reason: "closed by the server while idle")
        }
    }

    /// Stops the thread after the queued jobs, closing the connection. Idempotent.
    func shutdown() {
        condition.lock()
        stopping = true
        condition.signal()
        condition.unlock()
    }

    /// Stops the thread after the queued jobs and waits until it has closed the connection.
    func shutdownAndWait() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let accepted = enqueue { [self] in
                connection?.close()
                connection = nil
                continuation.resume()
            }
            if !accepted { continuation.resume() }
        }
        shutdown()
    }

    // MARK: On the worker thread

    private func connected() throws -> PostgresConnection {
        if let connection, connection.isConnected { return connection }
        if connection != nil { discard(reason: "broken") }
        let fresh = try PostgresConnection(configuration: configuration)
        connection = fresh
        return fresh
    }

    private func discardIfBroken() {
        if let connection, !connection.isConnected { discard(reason: "broken") }
    }

    private func discard(reason: String) {
        connection?.close()
        connection = nil
        onDiscard(reason)
    }
}
