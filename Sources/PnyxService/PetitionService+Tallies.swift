public import PnyxCore
import PnyxCrypto
import PnyxPostgres

/// A poll's counts as stored by the last append transaction.
public struct StoredTally: Sendable, Hashable {
    /// The log size the counts cover.
    public let logSize: Int64
    /// ``PnyxCore/TallySummary`` JSON (deterministic: sorted keys).
    public let summaryJSON: [UInt8]

    /// The decoded summary.
    public func summary() throws -> TallySummary { try TallySummary(jsonBytes: summaryJSON) }
}

/// The result of recomputing a poll's counts from its log.
public struct TallyCheck: Sendable, Codable, Hashable {
    /// True when everything stored agrees with the recomputation: the summary byte for byte,
    /// the aggregates the service restores from, and every credential's latest contribution.
    public let consistent: Bool
    /// The stored aggregates (`service_tallies.state`) equal the recomputed ones.
    public let stateConsistent: Bool
    /// Stored per-credential contributions read (one per one-time key).
    public let contributionsChecked: Int64
    /// Stored contributions that differ from the recomputation, are missing, or are extra.
    public let contributionMismatches: Int64
    /// The log size both cover.
    public let logSize: Int64
    public let stored: TallySummary
    public let recomputed: TallySummary
}

extension PetitionService {
    /// The stored counts of a poll (one row: O(1)). `poll.unknown` if there is none.
    public func tally(_ id: PollID) async throws -> StoredTally {
        let rows = try await pool.query(
            "SELECT log_size, summary FROM service_tallies WHERE poll_id = $1", [.bytea(id.bytes)])
        guard let row = rows.first else { throw ServiceError.unknownPoll(id.hex) }
        return StoredTally(logSize: try row.decode(Int64.self, at: 0), summaryJSON: Array(try row.decode(String.self, at: 1).utf8))
    }

    /// Recomputes the counts from the log with the Core reducer (as the auditor does) and
    /// compares them with everything the service stores and restores from — the summary,
    /// the aggregates and each credential's latest contribution — in one repeatable-read
    /// snapshot. The fold holds every credential in memory (about 100 bytes each) for the
    /// duration of the check.
    ///
    /// At most one check per poll runs at a time, and a finished one is answered again for
    /// ``ServiceConfiguration/tallyCheckInterval`` (``TallyCheckGate``): the public endpoint
    /// cannot be used to make the service refold a large log over and over.
    public func checkTally(_ id: PollID) async throws -> TallyCheck {
        try await tallyChecks.check(id) { [self] in try await recomputeTally(id) }
    }

    /// Recomputes the tally from the log now and compares (no gate).
    func recomputeTally(_ id: PollID) async throws -> TallyCheck {
        let logID = id.bytes
        return try await pool.withBlockingConnection { conn in
            try conn.transaction(isolation: .repeatableRead) { conn -> TallyCheck in
                let rows = try conn.queryPrepared(
                    "SELECT log_size, summary, state FROM service_tallies WHERE poll_id = $1", [.bytea(logID)])
                guard let row = rows.first else { throw ServiceError.unknownPoll(Hex.encode(logID)) }
                let size = try row.decode(Int64.self, at: 0)
                let tally = try TallyKeeper.fold(conn, logID: logID, upTo: size)
                let stored = Array(try row.decode(String.self, at: 1).utf8)
                let recomputed = try tally.summary.jsonBytes()
                let state = try row.decode([UInt8]?.self, at: 2).flatMap { try? Tally.Snapshot(jsonBytes: $0) }
                let stateConsistent = state == tally.snapshot
                let (checked, mismatches) = try TallyKeeper.compareContributions(conn, pollID: id, with: tally)
                return TallyCheck(
                    consistent: stored == recomputed && stateConsistent && mismatches == 0, stateConsistent: stateConsistent,
                    contributionsChecked: checked, contributionMismatches: mismatches, logSize: size,
                    stored: try TallySummary(jsonBytes: stored), recomputed: try TallySummary(jsonBytes: recomputed))
            }
        }
    }
}
