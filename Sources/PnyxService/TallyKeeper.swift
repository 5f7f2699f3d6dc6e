import Foundation
import Logging
import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

/// The service's ``PnyxLogStore/LogBatchObserver``: inside every append transaction it folds
/// the batch's records into the poll's ``PnyxCore/Tally`` (the same reducer the auditor
/// uses) and writes, in that transaction, everything derived from them: the poll row and
/// status, the nullifier bindings, the official attributions, the certificates and the
/// tally summary. Counts therefore can never drift from the log: they commit together.
///
/// It refuses (``PnyxLogStore/LogBatchRejection``) a record the tally refuses (an entry
/// while the poll is not open, a lifecycle step out of order) and an entry whose one-time
/// key is bound to another credential — the last line of defence behind the service's own
/// checks, for races between processes.
///
/// The tally of each poll is kept in memory keyed by the hash of the last entry it has
/// folded; a batch whose previous hash is not that one (another process appended, or a
/// batch rolled back) makes it refold the log from the database, under the append lock.
final class TallyKeeper: LogBatchObserver, @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var tallies: [[UInt8]: (lastHash: MerkleHash, tally: Tally)] = [:]
    private var attributions: [[UInt8]: String] = [:]
    let logger: Logger

    init(logger: Logger) { self.logger = logger }

    /// Remembers that the entry whose canonical record bytes are `payload` is recorded by
    /// `official`; the append transaction writes it next to the entry.
    func attribute(payload: [UInt8], to official: String) {
        let digest = SHA256.hash(payload)
        lock.withLock { attributions[digest] = official }
    }

    /// Forgets an attribution (after the append committed or failed).
    func forgetAttribution(payload: [UInt8]) {
        let digest = SHA256.hash(payload)
        _ = lock.withLock { attributions.removeValue(forKey: digest) }
    }

    /// Drops the cached tallies (tests use it to force a refold).
    func reset() { lock.withLock { tallies.removeAll() } }

    func batchWillCommit(_ batch: LogBatch, connection conn: PostgresConnection) throws {
        let pollID = try PollID(bytes: batch.logID)
        // Take the tally out of the cache: this batch owns it (no copy-on-write copy).
        let cached = lock.withLock { tallies.removeValue(forKey: batch.logID) }
        var tally: Tally
        if let cached, cached.lastHash == batch.previousHash, cached.tally.logSize == UInt64(batch.firstPosition) {
            tally = cached.tally
        } else {
            tally = try Self.fold(conn, logID: batch.logID, upTo: batch.firstPosition)
        }

        let records = batch.payloads.map { try? LogRecord(leafPayload: $0) }
        let known = try Self.bindings(conn, pollID: pollID, nullifiers: records.compactMap { record in
            if case .entry(let entry)? = record?.body { return entry.nullifier.rawRepresentation }
            return nil
        })
        let digests = records.map { record -> [UInt8]? in
            if case .entry(let entry)? = record?.body { return SHA256.hash(entry.canonicalBytes) }
            return nil
        }
        var seen = try Self.seenDigests(conn, pollID: pollID, digests: digests.compactMap { $0 })
        var fresh: [[UInt8]: [UInt8]] = [:]  // nullifier → credential hash, bound in this batch
        var writes = DerivedWrites(pollID: pollID)
        var rejected: [Int: any Error] = [:]

        for (index, record) in records.enumerated() {
            guard let record else {
                rejected[index] = CoreError(.encodingInvalidValue, "the payload is not a Pnyx log record")
                continue
            }
            let position = Int64(tally.logSize)
            var binding: (nullifier: [UInt8], credentialHash: [UInt8])? = nil
            if case .entry(let entry) = record.body {
                if let digest = digests[index] {
                    guard seen.insert(digest).inserted else {
                        rejected[index] = ServiceError.replayed
                        continue
                    }
                }
                let nullifier = entry.nullifier.rawRepresentation
                let credentialHash = SHA256.hash(entry.credential.canonicalBytes)
                if let bound = known[nullifier] ?? fresh[nullifier], bound != credentialHash {
                    rejected[index] = ServiceError.nullifierReused
                    continue
                }
                if known[nullifier] == nil && fresh[nullifier] == nil { binding = (nullifier, credentialHash) }
            }
            do {
                try tally.apply(record: record, position: UInt64(position))
            } catch {
                rejected[index] = Self.refusal(error)
                continue
            }
            if let binding {
                fresh[binding.nullifier] = binding.credentialHash
                writes.nullifiers.append((binding.nullifier, binding.credentialHash, position))
            }
            if let digest = digests[index] { writes.digests.append(digest) }
            writes.note(record, position: position, payload: batch.payloads[index], official: attribution(batch.payloads[index]))
        }
        if !rejected.isEmpty { throw LogBatchRejection(errors: rejected) }

        try writes.apply(conn, tally: tally)
        lock.withLock { tallies[batch.logID] = (batch.lastHash, tally) }
    }

    private func attribution(_ payload: [UInt8]) -> String? {
        let digest = SHA256.hash(payload)
        return lock.withLock { attributions[digest] }
    }

    /// The error an append refused by the tally gets.
    static func refusal(_ error: any Error) -> any Error {
        guard let core = error as? CoreError else { return error }
        switch core.code {
        case .tallyNotOpen: return ServiceError.notOpen("the poll is not open: \(core.reason)")
        case .tallyInvalidTransition: return ServiceError.invalidState(core.reason)
        default: return core
        }
    }

    /// Folds the first `size` records of the log from the database.
    static func fold(_ conn: PostgresConnection, logID: [UInt8], upTo size: Int64) throws -> Tally {
        var tally = Tally()
        var next: Int64 = 0
        while next < size {
            let rows = try conn.queryPrepared(
                "SELECT position, payload FROM log_entries WHERE log_id = $1 AND position >= $2 AND position < $3 ORDER BY position",
                [.bytea(logID), .int64(next), .int64(min(size, next + 1000))])
            guard !rows.isEmpty else { break }
            for row in rows {
                let position = try row.decode(Int64.self, at: 0)
                let record = try LogRecord(leafPayload: try row.decode([UInt8].self, at: 1))
                try tally.apply(record: record, position: UInt64(position))
                next = position + 1
            }
        }
        return tally
    }

    /// Which of `digests` (SHA-256 of entries' canonical bytes) were already accepted, in one query.
    static func seenDigests(_ conn: PostgresConnection, pollID: PollID, digests: [[UInt8]]) throws -> Set<[UInt8]> {
        guard !digests.isEmpty else { return [] }
        let rows = try conn.queryPrepared(
            """
            SELECT digest FROM service_entry_digests
            WHERE poll_id = $1 AND digest IN (
                SELECT substring($2::bytea FROM (i * 32 + 1)::int FOR 32) FROM generate_series(0, $3::int - 1) AS i)
            """, [.bytea(pollID.bytes), .bytea(digests.flatMap { $0 }), .int64(Int64(digests.count))])
        return Set(try rows.map { try $0.decode([UInt8].self, at: 0) })
    }

    /// The existing bindings of `nullifiers` (nullifier → credential hash), in one query.
    static func bindings(_ conn: PostgresConnection, pollID: PollID, nullifiers: [[UInt8]]) throws -> [[UInt8]: [UInt8]] {
        guard !nullifiers.isEmpty else { return [:] }
        let rows = try conn.queryPrepared(
            """
            SELECT nullifier, credential_hash FROM service_nullifiers
            WHERE poll_id = $1 AND nullifier IN (
                SELECT substring($2::bytea FROM (i * 32 + 1)::int FOR 32) FROM generate_series(0, $3::int - 1) AS i)
            """, [.bytea(pollID.bytes), .bytea(nullifiers.flatMap { $0 }), .int64(Int64(nullifiers.count))])
        var result: [[UInt8]: [UInt8]] = [:]
        for row in rows { result[try row.decode([UInt8].self, at: 0)] = try row.decode([UInt8].self, at: 1) }
        return result
    }
}

extension ServiceError {
    static let replayed = ServiceError(
        .entryReplayed, .conflict,
        "this exact entry is already in the log; an entry is accepted once (sign a new entry to change your choice)")

    static let nullifierReused = ServiceError(
        .nullifierReused, .conflict,
        "this one-time key is already used by another credential in this poll; make a new one-time key and credential")
}
