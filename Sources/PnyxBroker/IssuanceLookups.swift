import Foundation
import PnyxCore
import PnyxPostgres

/// What one credential request's lookup found for its session token and poll: the session's
/// resident, expiry and whether the resident is still in the register, the resident's class
/// for the poll (nil when not a member) and any issuance row of (resident, poll).
struct SessionIssuanceLookup: Sendable {
    let residentID: String
    let expiresAt: Date
    let active: Bool
    let attributeClass: AttributeClass?
    let existing: IssuanceStore.ExistingIssuance?
}

/// Groups the lookups of concurrent credential requests: every request queued while one batch
/// is in flight is answered by the next batch's single statement (`unnest` of the requests'
/// poll ids and session token hashes `WITH ORDINALITY`, each row probing the session, the
/// resident, the poll member and the issuance by primary key), so a credential costs a
/// share of one statement and of one hop to a connection thread instead of a whole one.
///
/// Nothing is cached: every request reads the committed state when its batch runs (after the
/// request arrived), exactly as the one-statement lookup did, so a logout, an expired session
/// or an issuance committed by another broker process is seen as before. One batch is in
/// flight at a time (per broker); batches hold at most ``maxBatch`` requests.
final class IssuanceLookupBatcher: @unchecked Sendable {
    private struct Pending {
        let pollID: PollID
        let tokenHash: [UInt8]
        let continuation: CheckedContinuation<SessionIssuanceLookup?, any Error>
    }

    let pool: PostgresPool
    let metrics: BrokerMetrics
    let maxBatch: Int
    private let lock = NSLock()
    // Guarded by `lock`.
    private var pending: [Pending] = []
    private var draining = false

    init(pool: PostgresPool, metrics: BrokerMetrics, maxBatch: Int = 256) {
        self.pool = pool
        self.metrics = metrics
        self.maxBatch = maxBatch
    }

    static let lookupSQL = """
        SELECT u.ord, s.resident_id, s.expires_at, r.active, m.class, i.blinded_hash, i.blind_signature,
               i.register_position IS NOT NULL
        FROM unnest($1::bytea[], $2::bytea[]) WITH ORDINALITY AS u(poll_id, token_hash, ord)
        JOIN broker_sessions s ON s.token_hash = u.token_hash
        JOIN broker_residents r ON r.resident_id = s.resident_id
        LEFT JOIN LATERAL (
            SELECT class FROM broker_poll_members WHERE poll_id = u.poll_id AND resident_id = s.resident_id LIMIT 1) m ON true
        LEFT JOIN LATERAL (
            SELECT blinded_hash, blind_signature, register_position FROM broker_issuances
            WHERE poll_id = u.poll_id AND resident_id = s.resident_id LIMIT 1) i ON true
        """

    /// The lookup of the session whose token hashes to `tokenHash`, for `pollID`; nil when no
    /// session has that hash. Read by a statement that starts after this call.
    func lookup(pollID: PollID, tokenHash: [UInt8]) async throws -> SessionIssuanceLookup? {
        try await withCheckedThrowingContinuation { continuation in
            let start = lock.withLock { () -> Bool in
                pending.append(Pending(pollID: pollID, tokenHash: tokenHash, continuation: continuation))
                if draining { return false }
                draining = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func takeBatch() -> [Pending] {
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

    /// Runs the batches one after another on one pool connection's thread for as long as
    /// requests keep coming: the Swift concurrency pool's threads are busy signing, and a
    /// batch that went through them (a task, then a hop back with its answers) waited behind
    /// that work while every request of the next batch waited for it. A broken connection
    /// ends its use; the drain goes on with a fresh one.
    private func drain() async {
        await pool.drainBatches({ [self] conn in try lookUpBatches(on: conn) }, failing: failQueued)
    }

    /// Fails every queued request with `error` (no connection to be had, or the plan setting
    /// failed) and ends the drain.
    private func failQueued(_ error: any Error) {
        let failed = lock.withLock { () -> [Pending] in
            defer { pending.removeAll(); draining = false }
            return pending
        }
        for waiter in failed { waiter.continuation.resume(throwing: error) }
    }

    /// Answers batches on `conn` until none is queued (false) or the connection broke with
    /// requests still queued (true: go on with another connection).
    private func lookUpBatches(on conn: PostgresConnection) throws -> Bool {
        try Self.withGenericPlans(conn) {
            var batch = takeBatch()
            while !batch.isEmpty {
                let keys = batch.map { (pollID: $0.pollID, tokenHash: $0.tokenHash) }
                metrics.credentialLookupBatches.increment()
                metrics.credentialLookups.increment(by: keys.count)
                do {
                    let found = try Self.lookupRows(keys, on: conn)
                    for (waiter, answer) in zip(batch, found) { waiter.continuation.resume(returning: answer) }
                } catch {
                    for waiter in batch { waiter.continuation.resume(throwing: error) }
                    if !conn.isConnected {
                        return lock.withLock {
                            if pending.isEmpty { draining = false }
                            return !pending.isEmpty
                        }
                    }
                }
                batch = takeBatch()
            }
            return false
        }
    }

    /// Runs `body` under the generic plan (one primary-key probe per table and request), not
    /// a custom plan made again on every call: with the arrays as parameters every custom plan
    /// looks cheaper to PostgreSQL, which would plan the four-way join for each batch.
    ///
    /// Sequential scans are off meanwhile: every table is probed by its primary key, and a plan
    /// made while `broker_issuances` was (analysed as) nearly empty — a new deployment, or
    /// right after `VACUUM ANALYZE` — scanned the whole table for each request, and kept doing
    /// so as it grew, since the connection keeps its generic plan until the next analyse
    /// (measured: lookups of 30 requests taking 18–28 ms instead of well under 1 ms, the
    /// issuance rate falling by half per 4 000 credentials).
    static func withGenericPlans<T>(_ conn: PostgresConnection, _ body: () throws -> T) throws -> T {
        try conn.executeScript("SET plan_cache_mode = force_generic_plan; SET enable_seqscan = off")
        defer { if conn.isConnected { try? conn.executeScript("RESET plan_cache_mode; RESET enable_seqscan") } }
        return try body()
    }

    /// One batch's statement: the answer to each of `keys`, in order (nil: no such session).
    static func lookup(_ keys: [(pollID: PollID, tokenHash: [UInt8])], on conn: PostgresConnection) throws
        -> [SessionIssuanceLookup?]
    {
        try withGenericPlans(conn) { try lookupRows(keys, on: conn) }
    }

    /// ``lookup(_:on:)`` without setting the plan mode (the drain sets it once for its batches).
    static func lookupRows(_ keys: [(pollID: PollID, tokenHash: [UInt8])], on conn: PostgresConnection) throws
        -> [SessionIssuanceLookup?]
    {
        let rows = try conn.queryPrepared(
            lookupSQL, [BinaryArray.bytea(keys.map(\.pollID.bytes)), BinaryArray.bytea(keys.map(\.tokenHash))])
        var out = [SessionIssuanceLookup?](repeating: nil, count: keys.count)
        for row in rows {
            let ordinal = Int(try row.decode(Int64.self, at: 0))
            guard (1...keys.count).contains(ordinal) else { throw PostgresError(.decodeFailed, "lookup ordinal \(ordinal) out of range") }
            out[ordinal - 1] = SessionIssuanceLookup(
                residentID: try row.decode(String.self, at: 1), expiresAt: try row.decode(Date.self, at: 2),
                active: try row.decode(Bool.self, at: 3), attributeClass: try IssuanceStore.decodeClass(row, at: 4),
                existing: try IssuanceStore.decodeExisting(row, at: 5))
        }
        return out
    }
}
