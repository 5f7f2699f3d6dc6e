import Foundation
import PnyxPostgres
import PnyxTransparency

/// Group commit for one log in this process: appends queue up while one batch is in flight;
/// when it commits (or fails), its waiters are resumed and the next batch, holding everything
/// queued meanwhile (up to the batch cap), starts. One batch in flight per log per process;
/// across processes the advisory lock in ``LogBatchWriter`` orders the batches.
final class LogAppender: @unchecked Sendable {
    private struct Pending {
        let payload: [UInt8]
        let continuation: CheckedContinuation<LogReceipt, any Error>
    }

    let logID: [UInt8]
    private let pool: PostgresPool
    private let maxBatch: Int
    private let lock = NSLock()
    // Guarded by `lock`.
    private var pending: [Pending] = []
    private var draining = false
    // Touched only by the single drain task.
    private var frontier: LogFrontier?

    init(logID: [UInt8], pool: PostgresPool, maxBatch: Int) {
        self.logID = logID
        self.pool = pool
        self.maxBatch = maxBatch
    }

    /// Queues `payload`; returns its receipt once its batch committed.
    func append(_ payload: [UInt8]) async throws -> LogReceipt {
        try await withCheckedThrowingContinuation { continuation in
            let start = lock.withLock { () -> Bool in
                pending.append(Pending(payload: payload, continuation: continuation))
                if draining { return false }
                draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func nextBatch() -> [Pending] {
        lock.withLock {
            if pending.isEmpty {
                draining = false
                return []
            }
            let count = min(maxBatch, pending.count)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            return batch
        }
    }

    private func drain() async {
        while true {
            let batch = nextBatch()
            if batch.isEmpty { return }
            let payloads = batch.map(\.payload)
            let logID = self.logID
            let cached = frontier
            do {
                let (receipts, next) = try await pool.withBlockingConnection { conn in
                    try LogBatchWriter.write(conn, logID: logID, payloads: payloads, cached: cached)
                }
                frontier = next
                for (waiter, receipt) in zip(batch, receipts) { waiter.continuation.resume(returning: receipt) }
            } catch {
                frontier = nil  // reload from the database next time
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
        }
    }
}
