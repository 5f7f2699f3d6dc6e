import Foundation
import PnyxCore
import PnyxPostgres

/// The service's pre-check that an entry is neither a replay nor a one-time key bound to
/// another credential among committed entries, grouped: the checks of one poll that arrive
/// while a query runs wait and share the next one (one query per group, not per entry).
/// It spares the append transaction refusals (which roll a whole batch back); the append
/// transaction still refuses both (``TallyKeeper``), for races and other processes.
final class EntryUsageChecks: @unchecked Sendable {
    private struct Item {
        let digest: [UInt8]
        let nullifier: [UInt8]
        let credentialHash: [UInt8]
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// The most checks one query carries.
    static let maxGroup = 1000

    private let pool: PostgresPool
    private let lock = NSLock()
    // Guarded by `lock`.
    private var pending: [PollID: [Item]] = [:]
    private var running: Set<PollID> = []

    init(pool: PostgresPool) { self.pool = pool }

    /// Throws `entry.replayed` if an entry with `digest` (SHA-256 of its canonical bytes) is
    /// committed in `poll`, `entry.nullifier_reused` if `nullifier` is bound there to a
    /// credential other than `credentialHash`.
    func check(poll: PollID, digest: [UInt8], nullifier: [UInt8], credentialHash: [UInt8]) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let item = Item(digest: digest, nullifier: nullifier, credentialHash: credentialHash, continuation: continuation)
            let start = lock.withLock { () -> Bool in
                pending[poll, default: []].append(item)
                return running.insert(poll).inserted
            }
            if start { Task { await self.drain(poll) } }
        }
    }

    private func take(_ poll: PollID) -> [Item] {
        lock.withLock {
            guard var items = pending[poll], !items.isEmpty else {
                pending[poll] = nil
                running.remove(poll)
                return []
            }
            let group = Array(items.prefix(Self.maxGroup))
            items.removeFirst(group.count)
            pending[poll] = items.isEmpty ? nil : items
            return group
        }
    }

    private func drain(_ poll: PollID) async {
        var group = take(poll)
        while !group.isEmpty {
            let digests = group.flatMap(\.digest)
            let nullifiers = group.flatMap(\.nullifier)
            let count = Int64(group.count)
            do {
                let answers = try await pool.withBlockingConnection { conn in
                    // The generic plan (one primary-key probe per entry), not a custom plan made
                    // again on every call: see TallyKeeper.genericPlansSQL.
                    // Both prepared once per connection: no parse per group.
                    _ = try conn.queryPrepared("SET plan_cache_mode = force_generic_plan")
                    defer { _ = try? conn.queryPrepared("RESET plan_cache_mode") }
                    return try conn.queryPrepared(Self.sql, [.bytea(poll.bytes), .bytea(digests), .bytea(nullifiers), .int64(count)])
                        .map { row in (try row.decode(Bool.self, at: 0), try row.decode([UInt8]?.self, at: 1)) }
                }
                for (index, item) in group.enumerated() {
                    let (replayed, bound) = index < answers.count ? answers[index] : (false, nil)
                    if replayed {
                        item.continuation.resume(throwing: ServiceError.replayed)
                    } else if let bound, bound != item.credentialHash {
                        item.continuation.resume(throwing: ServiceError.nullifierReused)
                    } else {
                        item.continuation.resume()
                    }
                }
            } catch {
                for item in group { item.continuation.resume(throwing: error) }
            }
            group = take(poll)
        }
    }

    /// One row per checked entry, in order: replayed?, the credential its nullifier is bound to.
    /// Lateral `LIMIT 1` lookups keep one primary-key probe per entry in the prepared
    /// statement's generic plan too (an `EXISTS` there becomes a hashed subplan over a
    /// sequential scan of every row of the poll).
    static let sql = """
        SELECT d.found IS NOT NULL, n.credential_hash FROM generate_series(0, $4::int - 1) AS i
        LEFT JOIN LATERAL (
            SELECT true AS found FROM service_entry_digests
            WHERE poll_id = $1 AND digest = substring($2::bytea FROM (i * 32 + 1)::int FOR 32) LIMIT 1) d ON true
        LEFT JOIN LATERAL (
            SELECT credential_hash FROM service_nullifiers
            WHERE poll_id = $1 AND nullifier = substring($3::bytea FROM (i * 32 + 1)::int FOR 32) LIMIT 1) n ON true
        ORDER BY i
        """
}

/// The witness-cosigned form of each batch's checkpoint, looked up once per checkpoint (not
/// once per receipt): receipts of one batch share one checkpoint.
final class CosignedNotes: @unchecked Sendable {
    private struct Key: Hashable {
        let poll: PollID
        let treeSize: Int64
    }

    private let lock = NSLock()
    private var notes: [Key: Task<String, any Error>] = [:]

    /// The cosigned note of the checkpoint of `treeSize` entries of `poll`, made by `make` once.
    func note(poll: PollID, treeSize: Int64, _ make: @escaping @Sendable () async throws -> String) async throws -> String {
        let key = Key(poll: poll, treeSize: treeSize)
        let task = lock.withLock { () -> Task<String, any Error> in
            if let known = notes[key] { return known }
            if notes.count >= 256 { notes.removeAll() }  // receipts only need the newest batches'
            let made = Task { try await make() }
            notes[key] = made
            return made
        }
        do {
            return try await task.value
        } catch {
            lock.withLock { if notes[key] == task { notes[key] = nil } }
            throw error
        }
    }
}
