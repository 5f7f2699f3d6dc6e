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
/// Before the batch is written, its screen (``screen(logID:payloads:contexts:connection:)``) reads in
/// two grouped queries which entries are already accepted and which one-time keys are bound,
/// and refuses replays (`entry.replayed`) and one-time keys bound to another credential
/// (`entry.nullifier_reused`): those entries are dropped from the batch, the others are
/// written in the same transaction. These are the only checks of committed entries (the
/// service's in-memory reservations catch concurrent duplicates before), and they run under
/// the log's append lock, so they hold across processes. After the entries are written it
/// refuses (``PnyxLogStore/LogBatchRejection``) a record the tally refuses (an entry while
/// the poll is not open, a lifecycle step out of order).
///
/// Memory does not grow per participant: the process keeps, per poll, only the tally's
/// aggregates (``PnyxCore/Tally/Snapshot``: counts, hours, interned classes and answer
/// sets), keyed by the hash of the last entry it has folded. Each credential's latest
/// contribution lives in `service_nullifiers.contribution`; a batch reads those of its own
/// one-time keys in the query that reads their bindings, restores them into the tally,
/// applies its records with the same reducer the auditor uses, and writes back the changed
/// ones, the summary and the snapshot (`service_tallies.state`) in the append transaction.
/// A batch whose previous hash is not the cached one (another process appended, a batch
/// rolled back, a restart) restores the aggregates from that committed snapshot — one row,
/// not a fold of the log. Only a database written before the snapshot existed (no state,
/// or contributions missing) is folded from the log once, and its rows completed.
final class TallyKeeper: LogBatchObserver, @unchecked Sendable {
    private let lock = NSLock()
    // Guarded by `lock`.
    private var tallies: [[UInt8]: (lastHash: MerkleHash, tally: Tally)] = [:]
    private var attributions: [[UInt8]: String] = [:]
    /// The lookups of the batch each log's screen passed, for its batchWillCommit.
    private var screened: [[UInt8]: Lookups] = [:]
    private var foldCount = 0
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

    /// Credentials' contributions held in memory by the cached tallies (0 between batches:
    /// the service keeps aggregates only).
    var heldContributions: Int { lock.withLock { tallies.values.reduce(0) { $0 + $1.tally.latestCount } } }

    /// How many times a batch had to fold a log from the database (only for a database
    /// written before the stored state existed).
    var folds: Int { lock.withLock { foldCount } }

    /// Drops the cached tallies (tests use it to force a restore from the stored state).
    func reset() { lock.withLock { tallies.removeAll() } }

    /// Makes the rest of the append transaction use generic plans for its prepared statements
    /// (`SET LOCAL`: it ends with the transaction). The grouped lookups take their row count
    /// from a parameter (`generate_series(0, $3 - 1)`), so every custom plan looks cheaper than
    /// the generic one (cost 85 against 16 995 for five rows) and PostgreSQL planned them again
    /// on every call (`pg_prepared_statements`: 0 generic, 8 custom after 8 calls), copying the
    /// whole bytea parameters into each plan. Their generic plans are the same primary-key
    /// probe per row (see ``seenDigests(_:pollID:digests:)``).
    ///
    /// Sequential scans are off for the transaction too: each of those probes is by primary
    /// key, and a generic plan made while the tables were analysed as (nearly) empty — a new
    /// deployment, or right after `VACUUM ANALYZE` — scanned the whole table per row and kept
    /// doing so on that connection as the poll grew (the broker's grouped lookup did, measured
    /// at 18–28 ms per batch). `set_config(…, true)` is `SET LOCAL`, both in one prepared statement.
    static let genericPlansSQL =
        "SELECT set_config('plan_cache_mode', 'force_generic_plan', true), set_config('enable_seqscan', 'off', true)"

    /// What a batch's records are and what the database already holds for them: the records
    /// (nil for a payload that is not a record), each entry's digest (SHA-256 of its canonical
    /// bytes) and credential hash, the digests already accepted and the existing bindings of
    /// its one-time keys. Read in two grouped queries.
    struct Lookups {
        var payloads: [[UInt8]]
        var records: [LogRecord?]
        var digests: [[UInt8]?]
        var credentialHashes: [[UInt8]?]
        var seen: Set<[UInt8]>
        var known: [[UInt8]: (credentialHash: [UInt8], contribution: Int64?)]

        /// The same lookups for the payloads at `indexes` only.
        func keeping(_ indexes: [Int]) -> Lookups {
            Lookups(payloads: indexes.map { payloads[$0] }, records: indexes.map { records[$0] },
                    digests: indexes.map { digests[$0] }, credentialHashes: indexes.map { credentialHashes[$0] },
                    seen: seen, known: known)
        }
    }

    /// What the service hands the log store with an entry's payload (its context): the record
    /// the payload encodes and the entry's digest and credential hash, computed while the
    /// entry was checked, so the append transaction (one batch at a time) neither decodes
    /// the payload again nor hashes it.
    struct EntryFacts: Sendable {
        let record: LogRecord
        let digest: [UInt8]
        let credentialHash: [UInt8]
    }

    static func lookups(
        _ conn: PostgresConnection, pollID: PollID, payloads: [[UInt8]], contexts: [(any Sendable)?]
    ) throws -> Lookups {
        _ = try conn.queryPrepared(Self.genericPlansSQL)  // prepared once per connection: no parse per batch
        let facts = payloads.indices.map { index in index < contexts.count ? contexts[index] as? EntryFacts : nil }
        let records = zip(payloads, facts).map { payload, known in known?.record ?? (try? LogRecord(leafPayload: payload)) }
        var nullifiers: [[UInt8]] = []
        var digests: [[UInt8]?] = []
        var credentialHashes: [[UInt8]?] = []
        for (record, known) in zip(records, facts) {
            if case .entry(let entry)? = record?.body {
                nullifiers.append(entry.nullifier.rawRepresentation)
                digests.append(known?.digest ?? SHA256.hash(entry.canonicalBytes))
                credentialHashes.append(known?.credentialHash ?? SHA256.hash(entry.credential.canonicalBytes))
            } else {
                digests.append(nil)
                credentialHashes.append(nil)
            }
        }
        return Lookups(
            payloads: payloads, records: records, digests: digests, credentialHashes: credentialHashes,
            seen: try seenDigests(conn, pollID: pollID, digests: digests.compactMap { $0 }),
            known: try bindings(conn, pollID: pollID, nullifiers: nullifiers))
    }

    /// The entries of a batch that must be refused whatever the tally says: a payload that is
    /// not a record, an entry already accepted (in the log or earlier in the batch:
    /// `entry.replayed`), a one-time key bound to another credential (in the log or earlier in
    /// the batch: `entry.nullifier_reused`).
    static func refusals(_ lookups: Lookups) -> [Int: any Error] {
        var refused: [Int: any Error] = [:]
        var seen = lookups.seen
        var fresh: [[UInt8]: [UInt8]] = [:]
        for (index, record) in lookups.records.enumerated() {
            guard let record else {
                refused[index] = CoreError(.encodingInvalidValue, "the payload is not a Pnyx log record")
                continue
            }
            guard case .entry(let entry) = record.body, let digest = lookups.digests[index],
                  let credentialHash = lookups.credentialHashes[index] else { continue }
            guard seen.insert(digest).inserted else {
                refused[index] = ServiceError.replayed
                continue
            }
            let nullifier = entry.nullifier.rawRepresentation
            if let bound = lookups.known[nullifier]?.credentialHash ?? fresh[nullifier], bound != credentialHash {
                refused[index] = ServiceError.nullifierReused
                continue
            }
            fresh[nullifier] = credentialHash
        }
        return refused
    }

    /// Before the batch is written: reads what the database holds for its entries and refuses
    /// replays and one-time keys bound to another credential (``refusals(_:)``), so one bad
    /// entry never rolls its batch back. The lookups are kept for ``batchWillCommit(_:connection:)``.
    /// An entry's record, digest and credential hash come from its ``EntryFacts`` context when
    /// the service gave one (decoded and hashed from the payload otherwise).
    func screen(
        logID: [UInt8], payloads: [[UInt8]], contexts: [(any Sendable)?], connection conn: PostgresConnection
    ) throws -> [Int: any Error] {
        let found = try Self.lookups(conn, pollID: try PollID(bytes: logID), payloads: payloads, contexts: contexts)
        let refused = Self.refusals(found)
        let kept = refused.isEmpty ? found : found.keeping(payloads.indices.filter { refused[$0] == nil })
        lock.withLock { screened[logID] = kept }
        return refused
    }

    /// The lookups the screen made for exactly `payloads`, if any (taken: used once).
    private func takeScreened(_ logID: [UInt8], payloads: [[UInt8]]) -> Lookups? {
        guard let found = lock.withLock({ screened.removeValue(forKey: logID) }), found.payloads == payloads else { return nil }
        return found
    }

    func batchWillCommit(_ batch: LogBatch, connection conn: PostgresConnection) throws {
        let pollID = try PollID(bytes: batch.logID)
        let found = try takeScreened(batch.logID, payloads: batch.payloads)
            ?? Self.lookups(conn, pollID: pollID, payloads: batch.payloads, contexts: batch.contexts)
        let records = found.records
        let known = found.known
        // Take the tally out of the cache: this batch owns it (no copy-on-write copy).
        let cached = lock.withLock { tallies.removeValue(forKey: batch.logID) }
        var tally: Tally
        // True when `tally` is a fold of the whole log (its per-credential map holds every credential).
        var folded = false
        if let cached, cached.lastHash == batch.previousHash, cached.tally.logSize == UInt64(batch.firstPosition) {
            tally = cached.tally
        } else if let restored = try Self.restore(conn, pollID: pollID, size: batch.firstPosition) {
            tally = restored
        } else {
            tally = try Self.fold(conn, logID: batch.logID, upTo: batch.firstPosition)
            folded = true
            lock.withLock { foldCount += 1 }
        }

        if !folded {
            if known.values.contains(where: { $0.contribution == nil }) {
                // Rows from before contributions were stored: fold once and complete them.
                tally = try Self.fold(conn, logID: batch.logID, upTo: batch.firstPosition)
                folded = true
                lock.withLock { foldCount += 1 }
            } else {
                try tally.restoreLatest(known.map { ($0.key, $0.value.contribution!) })
            }
        }
        let digests = found.digests
        var seen = found.seen
        var fresh: [[UInt8]: [UInt8]] = [:]  // nullifier → credential hash, bound in this batch
        var freshPositions: [(nullifier: [UInt8], credentialHash: [UInt8], position: Int64)] = []
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
                let credentialHash = found.credentialHashes[index] ?? SHA256.hash(entry.credential.canonicalBytes)
                if let bound = known[nullifier]?.credentialHash ?? fresh[nullifier], bound != credentialHash {
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
                freshPositions.append((binding.nullifier, binding.credentialHash, position))
            }
            if let digest = digests[index] { writes.digests.append((digest, position)) }
            // Only kiosk and paper entries carry an official (the lookup hashes the payload).
            var official: String? = nil
            if case .entry(let entry) = record.body, entry.channel != .online { official = attribution(batch.payloads[index]) }
            writes.note(record, position: position, payload: batch.payloads[index], official: official)
        }
        if !rejected.isEmpty { throw LogBatchRejection(errors: rejected) }

        // Contributions: new bindings carry theirs; changed ones (all, after a fold) are updated.
        let latest = Dictionary(tally.takeLatest(), uniquingKeysWith: { first, _ in first })
        for row in freshPositions {
            guard let contribution = latest[row.nullifier] else {
                throw ServiceError(.tallyMismatch, .internalServerError, "the tally holds no contribution for a one-time key it just counted")
            }
            writes.nullifiers.append((row.nullifier, row.credentialHash, row.position, contribution))
        }
        for (nullifier, contribution) in latest where fresh[nullifier] == nil {
            if folded || known[nullifier]?.contribution != contribution {
                writes.contributions.append((nullifier, contribution))
            }
        }
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

    /// ``seenDigests(_:pollID:digests:)``'s statement: $1 poll, $2 the digests concatenated, $3 their count.
    static let seenDigestsSQL = """
        SELECT d.digest FROM generate_series(0, $3::int - 1) AS i
        CROSS JOIN LATERAL (
            SELECT digest FROM service_entry_digests
            WHERE poll_id = $1 AND digest = substring($2::bytea FROM (i * 32 + 1)::int FOR 32) LIMIT 1) d
        """

    /// ``bindings(_:pollID:nullifiers:)``'s statement: $1 poll, $2 the one-time keys concatenated, $3 their count.
    static let bindingsSQL = """
        SELECT n.nullifier, n.credential_hash, n.contribution FROM generate_series(0, $3::int - 1) AS i
        CROSS JOIN LATERAL (
            SELECT nullifier, credential_hash, contribution FROM service_nullifiers
            WHERE poll_id = $1 AND nullifier = substring($2::bytea FROM (i * 32 + 1)::int FOR 32) LIMIT 1) n
        """

    /// Which of `digests` (SHA-256 of entries' canonical bytes) were already accepted, in one query.
    /// (One primary-key probe per digest, also in the generic plan of the prepared statement:
    /// an `IN (subquery)` form was planned generically as a hash join over a sequential scan of
    /// every row of the poll, once the plan cache switched to it.)
    static func seenDigests(_ conn: PostgresConnection, pollID: PollID, digests: [[UInt8]]) throws -> Set<[UInt8]> {
        guard !digests.isEmpty else { return [] }
        let rows = try conn.queryPrepared(
            seenDigestsSQL, [.bytea(pollID.bytes), .bytea(digests.flatMap { $0 }), .int64(Int64(digests.count))])
        return Set(try rows.map { try $0.decode([UInt8].self, at: 0) })
    }

    /// The existing bindings of `nullifiers` (nullifier → credential hash and latest packed
    /// contribution, nil in rows written before contributions were stored), in one query.
    static func bindings(
        _ conn: PostgresConnection, pollID: PollID, nullifiers: [[UInt8]]
    ) throws -> [[UInt8]: (credentialHash: [UInt8], contribution: Int64?)] {
        guard !nullifiers.isEmpty else { return [:] }
        let rows = try conn.queryPrepared(
            bindingsSQL, [.bytea(pollID.bytes), .bytea(nullifiers.flatMap { $0 }), .int64(Int64(nullifiers.count))])
        var result: [[UInt8]: (credentialHash: [UInt8], contribution: Int64?)] = [:]
        for row in rows {
            result[try row.decode([UInt8].self, at: 0)] = (try row.decode([UInt8].self, at: 1), try row.decode(Int64?.self, at: 2))
        }
        return result
    }

    /// The poll's aggregates as committed by the last append transaction, when they cover
    /// exactly `size` records; an empty tally for a new log; nil when the stored state is
    /// missing (a database from before it existed) or does not match (fold instead).
    static func restore(_ conn: PostgresConnection, pollID: PollID, size: Int64) throws -> Tally? {
        let rows = try conn.queryPrepared(
            """
            SELECT t.log_size, t.state, p.definition, p.directory
            FROM service_tallies t JOIN service_polls p ON p.poll_id = t.poll_id WHERE t.poll_id = $1
            """, [.bytea(pollID.bytes)])
        guard let row = rows.first else { return size == 0 ? Tally() : nil }
        guard try row.decode(Int64.self, at: 0) == size, let state = try row.decode([UInt8]?.self, at: 1) else { return nil }
        let snapshot = try Tally.Snapshot(jsonBytes: state)
        let definition = try SignedPollDefinition(canonicalBytes: try row.decode([UInt8].self, at: 2)).definition
        let directory = try row.decode([UInt8]?.self, at: 3).map { try SignedKeyDirectory(canonicalBytes: $0).directory }
        return try Tally(snapshot: snapshot, definition: definition, directory: directory)
    }

    /// Compares every stored contribution of `pollID` with those of `tally` (a fold of the
    /// whole log), reading the rows in pages: (rows read, rows that differ or are missing on
    /// either side).
    static func compareContributions(_ conn: PostgresConnection, pollID: PollID, with tally: Tally) throws -> (checked: Int64, mismatches: Int64) {
        var after: [UInt8] = []
        var checked: Int64 = 0, mismatches: Int64 = 0
        while true {
            let rows = try conn.queryPrepared(
                """
                SELECT nullifier, contribution FROM service_nullifiers
                WHERE poll_id = $1 AND nullifier > $2 ORDER BY nullifier LIMIT 10000
                """, [.bytea(pollID.bytes), .bytea(after)])
            guard !rows.isEmpty else { break }
            for row in rows {
                let nullifier = try row.decode([UInt8].self, at: 0)
                let stored = try row.decode(Int64?.self, at: 1)
                if stored == nil || tally.latestContribution(of: nullifier) != stored { mismatches += 1 }
                checked += 1
                after = nullifier
            }
        }
        // Credentials the fold counts but no row holds.
        mismatches += max(0, Int64(tally.latestCount) - checked)
        return (checked, mismatches)
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
