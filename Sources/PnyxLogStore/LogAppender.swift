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
        let context: (any Sendable)?
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
    // Touched only by the running drain (one at a time).
    private var frontier: LogFrontier?
    /// Computes the next batch while one is written: a serial queue of its own, not the Swift
    /// concurrency pool (whose threads may all be busy).
    private let preparer = DispatchQueue(label: "pnyx.log.prepare")

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
    func append(_ payload: [UInt8], context: (any Sendable)? = nil, signing: BatchSigning? = nil) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let start = lock.withLock { () -> Bool in
                pending.append(Pending(payload: payload, context: context, signing: signing, continuation: continuation))
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

    /// Writes batches one at a time, all on one pool connection's thread for as long as appends
    /// keep coming: take what is queued (up to the cap), compute it on the log's frontier,
    /// write it, resume its waiters, take the next. Batches never pass through the Swift
    /// concurrency pool, whose threads are busy with the callers' own work (verifying
    /// entries, answering HTTP): one batch at a time per log is the serial part of appending,
    /// and every hop of it through a busy queue made all waiters wait. When a write fails with
    /// a broken connection, the drain goes on with a fresh one.
    private func drain() async {
        await pool.drainBatches({ [self] conn in writeBatches(on: conn) }, failing: failQueued)
    }

    /// Fails every queued append with `error` (no connection to be had) and ends the drain.
    private func failQueued(_ error: any Error) {
        let failed = lock.withLock { () -> [Pending] in
            defer { pending.removeAll(); draining = false }
            return pending
        }
        for waiter in failed { waiter.continuation.resume(throwing: error) }
    }

    /// Writes batches on `conn` until the queue is empty (returns false: the drain ended) or the
    /// connection broke with appends still queued (returns true: go on with another connection).
    /// While a batch is written, the appends queued meanwhile are taken as the next batch and
    /// hashed and encoded on top of the running batch's expected frontier on ``preparer``'s
    /// thread, so that CPU work overlaps the database's; if the running batch ends elsewhere
    /// (refusals, failure, another process), the next one is computed again.
    private func writeBatches(on conn: PostgresConnection) -> Bool {
        var batch = takeBatch(stopIfEmpty: true)
        var ready: LogBatchWriter.Prepared? = nil
        while !batch.isEmpty {
            let payloads = batch.map(\.payload)
            let contexts = batch.map(\.context)
            let signing = batch.lazy.compactMap(\.signing).first
            if ready == nil, let frontier {
                ready = try? LogBatchWriter.prepare(logID: logID, payloads: payloads, contexts: contexts, frontier: frontier)
            }
            let next = takeBatch(stopIfEmpty: false)
            let ahead = PreparedAhead()
            if let base = ready?.next, !next.isEmpty {
                let logID = self.logID
                preparer.async {
                    ahead.set(try? LogBatchWriter.prepare(
                        logID: logID, payloads: next.map(\.payload), contexts: next.map(\.context), frontier: base))
                }
            } else {
                ahead.set(nil)
            }
            do {
                let committed: CommittedBatch
                if let ready {
                    committed = try LogBatchWriter.write(conn, logID: logID, prepared: ready, observer: observer, signing: signing)
                } else {
                    committed = try LogBatchWriter.write(
                        conn, logID: logID, payloads: payloads, contexts: contexts, cached: nil, observer: observer, signing: signing)
                }
                let newFrontier = committed.prepared.next
                let checkpoint = committed.checkpoint
                let proofs = checkpoint == nil ? nil : BatchProofs(committed.prepared)
                let computed = ahead.wait()
                if let computed, computed.base.size == newFrontier.size, computed.base.lastHash == newFrontier.lastHash {
                    ready = computed
                } else {
                    ready = nil
                }
                frontier = newFrontier
                lock.withLock { self.committed = max(self.committed ?? 0, newFrontier.size) }
                for (waiter, outcome) in zip(batch, committed.outcomes()) {
                    switch outcome {
                    case .success(let receipt):
                        waiter.continuation.resume(returning: Outcome(receipt: receipt, checkpoint: checkpoint, proofs: proofs))
                    case .failure(let error):
                        waiter.continuation.resume(throwing: error)  // refused by the observer's screen
                    }
                }
            } catch let rejection as LogBatchRejection where !rejection.errors.isEmpty {
                // The observer refused some appends after the batch was written: fail those,
                // queue the others again (ahead of anything queued since), and go on from a
                // reloaded frontier.
                _ = ahead.wait()
                frontier = nil
                ready = nil
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
                _ = ahead.wait()
                frontier = nil  // reload from the database next time
                ready = nil
                for waiter in batch { waiter.continuation.resume(throwing: error) }
                if !conn.isConnected {
                    // Keep draining (the flag stays set) on a fresh connection, if anything is queued.
                    return lock.withLock {
                        pending.insert(contentsOf: next, at: 0)
                        if pending.isEmpty { draining = false }
                        return !pending.isEmpty
                    }
                }
            }
            if next.isEmpty { ready = nil }
            batch = next.isEmpty ? takeBatch(stopIfEmpty: true) : next
        }
        return false
    }
}

/// The next batch computed on the preparer's thread, handed to the writing thread.
private final class PreparedAhead: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false
    private var value: LogBatchWriter.Prepared?

    func set(_ prepared: LogBatchWriter.Prepared?) {
        condition.lock()
        value = prepared
        done = true
        condition.broadcast()
        condition.unlock()
    }

    func wait() -> LogBatchWriter.Prepared? {
        condition.lock()
        defer { condition.unlock() }
        while !done { condition.wait() }
        return value
    }
}
