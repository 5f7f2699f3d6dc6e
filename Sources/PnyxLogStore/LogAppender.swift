import Foundation
import PnyxPostgres
import PnyxTransparency

/// Group commit for one log in this process: appends queue up while one batch is in flight;
/// when it commits (or fails), its waiters are resumed and the next batch, holding everything
/// queued meanwhile (up to the batch cap), starts. One batch in flight per log per process;
/// across processes the advisory lock in ``LogBatchWriter`` orders the batches.
final class LogAppender: @unchecked Sendable {
    /// What an append's waiter gets: its receipt and, when its batch signed a checkpoint,
    /// that checkpoint and the batch's in-memory proofs.
    struct Outcome: Sendable {
        let receipt: LogReceipt
        let checkpoint: StoredCheckpoint?
        let proofs: BatchProofs?
    }

    private struct Pending {
        let payload: [UInt8]
        let signing: BatchSigning?
        let continuation: CheckedContinuation<Outcome, any Error>
    }

    let logID: [UInt8]
    private let pool: PostgresPool
    private let maxBatch: Int
    private let observer: (any LogBatchObserver)?
    private let lock = NSLock()
    // Guarded by `lock`.
    private var pending: [Pending] = []
    private var draining = false
    private var committed: Int64?
    private var info: LogInfo?
    // Touched only by the single drain task.
    private var frontier: LogFrontier?

    init(logID: [UInt8], pool: PostgresPool, maxBatch: Int, observer: (any LogBatchObserver)? = nil) {
        self.logID = logID
        self.pool = pool
        self.maxBatch = maxBatch
        self.observer = observer
    }

    /// The log's size after the last batch this appender committed (nil before the first).
    var committedSize: Int64? { lock.withLock { committed } }

    /// The log's identity, read once (log rows never change); nil if there is no such log.
    func logInfo(_ load: () async throws -> LogInfo?) async throws -> LogInfo? {
        if let known = lock.withLock({ info }) { return known }
        guard let loaded = try await load() else { return nil }
        lock.withLock { info = loaded }
        return loaded
    }

    /// Queues `payload`; returns its receipt once its batch committed. With `signing`, the
    /// batch signs and stores a checkpoint of its end in its transaction (a batch signs when
    /// any of its appends asks), and the outcome carries it.
    func append(_ payload: [UInt8], signing: BatchSigning? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let start = lock.withLock { () -> Bool in
                pending.append(Pending(payload: payload, signing: signing, continuation: continuation))
                if draining { return false }
                draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    /// Takes up to `maxBatch` queued appends. With `stopIfEmpty`, an empty queue ends the
    /// drain (the next append starts a new one); otherwise the drain keeps running.
    private func takeBatch(stopIfEmpty: Bool) -> [Pending] {
        lock.withLock {
            if pending.isEmpty {
                if stopIfEmpty { draining = false }
                return []
            }
            let count = min(maxBatch, pending.count)
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            return batch
        }
    }

    /// Writes batches one at a time. While a batch's transaction runs on a pool thread, the
    /// next batch (whatever queued meanwhile) is hashed and encoded on top of the running
    /// batch's expected frontier, so the CPU work overlaps the database's. If the running
    /// batch fails, the prepared one is recomputed from a reloaded frontier.
    private func drain() async {
        let logID = self.logID
        let observer = self.observer
        var batch = takeBatch(stopIfEmpty: true)
        var prepared: LogBatchWriter.Prepared? = nil
        while !batch.isEmpty {
            if prepared == nil, let frontier {
                prepared = try? LogBatchWriter.prepare(logID: logID, payloads: batch.map(\.payload), frontier: frontier)
            }
            let ready = prepared
            let payloads = ready == nil ? batch.map(\.payload) : []
            let signing = batch.lazy.compactMap(\.signing).first
            let writing = Task { [pool] in
                try await pool.withBlockingConnection { conn in
                    if let ready {
                        return try LogBatchWriter.write(conn, logID: logID, prepared: ready, observer: observer, signing: signing)
                    }
                    return try LogBatchWriter.write(
                        conn, logID: logID, payloads: payloads, cached: nil, observer: observer, signing: signing)
                }
            }
            // Meanwhile: take the next batch and prepare it on top of this one.
            let next = takeBatch(stopIfEmpty: false)
            var nextPrepared: LogBatchWriter.Prepared? = nil
            if let base = ready?.next, !next.isEmpty {
                nextPrepared = try? LogBatchWriter.prepare(logID: logID, payloads: next.map(\.payload), frontier: base)
            }
            do {
                let committedBatch = try await writing.value
                let newFrontier = committedBatch.prepared.next
                let checkpoint = committedBatch.checkpoint
                let proofs = checkpoint == nil ? nil : BatchProofs(committedBatch.prepared)
                if let nextPrepared, newFrontier.size != nextPrepared.base.size || newFrontier.lastHash != nextPrepared.base.lastHash {
                    prepared = nil  // the batch was redone on another base (another process appended)
                } else {
                    prepared = nextPrepared
                }
                frontier = newFrontier
                lock.withLock { committed = max(committed ?? 0, newFrontier.size) }
                for (waiter, outcome) in zip(batch, committedBatch.outcomes()) {
                    switch outcome {
                    case .success(let receipt):
                        waiter.continuation.resume(returning: Outcome(receipt: receipt, checkpoint: checkpoint, proofs: proofs))
                    case .failure(let error):
                        waiter.continuation.resume(throwing: error)  // refused by the observer's screen
                    }
                }
            } catch let rejection as LogBatchRejection where !rejection.errors.isEmpty {
                // The observer refused some appends: fail those, queue the others again
                // (ahead of anything queued since), and go on from a reloaded frontier.
                frontier = nil
                prepared = nil
                var retry: [Pending] = []
                for (index, waiter) in batch.enumerated() {
                    if let error = rejection.errors[index] {
                        waiter.continuation.resume(throwing: error)
                    } else {
                        retry.append(waiter)
                    }
                }
                let requeued = retry + next
                lock.withLock { pending.insert(contentsOf: requeued, at: 0) }
                batch = takeBatch(stopIfEmpty: true)
                continue
            } catch {
                frontier = nil  // reload from the database next time
                prepared = nil
                for waiter in batch { waiter.continuation.resume(throwing: error) }
            }
            batch = next.isEmpty ? takeBatch(stopIfEmpty: true) : next
            if next.isEmpty { prepared = nil }
        }
    }
}
