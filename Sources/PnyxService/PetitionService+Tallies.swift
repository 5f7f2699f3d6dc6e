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
    /// True when the stored counts equal the recomputed ones, byte for byte.
    public let consistent: Bool
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
    /// compares them with the stored ones, in one repeatable-read snapshot.
    public func checkTally(_ id: PollID) async throws -> TallyCheck {
        let logID = id.bytes
        let (size, stored, recomputed) = try await pool.withBlockingConnection { conn in
            try conn.transaction(isolation: .repeatableRead) { conn -> (Int64, [UInt8], [UInt8]) in
                let rows = try conn.queryPrepared(
                    "SELECT log_size, summary FROM service_tallies WHERE poll_id = $1", [.bytea(logID)])
                guard let row = rows.first else { throw ServiceError.unknownPoll(Hex.encode(logID)) }
                let size = try row.decode(Int64.self, at: 0)
                let tally = try TallyKeeper.fold(conn, logID: logID, upTo: size)
                return (size, Array(try row.decode(String.self, at: 1).utf8), try tally.summary.jsonBytes())
            }
        }
        return TallyCheck(consistent: stored == recomputed, logSize: size,
                          stored: try TallySummary(jsonBytes: stored), recomputed: try TallySummary(jsonBytes: recomputed))
    }
}
