public import PnyxCore
import PnyxCrypto
import PnyxPostgres

extension PetitionService {
    /// The receipt of the entry whose canonical bytes (`pnyx/entry/v2`) hash to `entryDigest`
    /// (SHA-256), read now as ``receipt(_:position:)`` makes it: its position, entry hash,
    /// a signed checkpoint covering it and the inclusion proof to that checkpoint.
    ///
    /// A wallet whose submission's answer was lost (the entry may or may not have been
    /// committed) knows its entry's bytes but not its entry hash (the leaf hash depends on the
    /// position and the previous entry): the digest is what it can ask with. The lookup is the
    /// primary-key probe of `service_entry_digests` that the replay check already makes.
    /// `poll.unknown`, `entry.unknown` (404) when no committed entry of the poll has the digest.
    public func receipt(_ id: PollID, entryDigest: [UInt8]) async throws -> Receipt {
        _ = try await poll(id)
        let found = try await pool.withBlockingConnection { conn -> (Bool, Int64?) in
            guard let row = try conn.queryPrepared(Self.entryPositionSQL, [.bytea(id.bytes), .bytea(entryDigest)]).first else {
                return (false, nil)
            }
            if let position = try row.decode(Int64?.self, at: 0) { return (true, position) }
            // A row written without its position (by a tool that filled the table directly):
            // find the entry in the log itself.
            let scan = try conn.queryPrepared(Self.entryScanSQL, [.bytea(id.bytes), .bytea(entryDigest)])
            return (true, try scan.first?.decode(Int64.self, at: 0))
        }
        guard let position = found.1 else {
            throw ServiceError(.entryUnknown, .notFound,
                               "poll \(id) holds no entry with digest \(entryDigest.hex) (SHA-256 of the entry's canonical bytes); "
                               + "an entry that was never committed can be submitted again")
        }
        return try await receipt(id, position: position)
    }

    static let entryPositionSQL = "SELECT position FROM service_entry_digests WHERE poll_id = $1 AND digest = $2"

    /// An entry's canonical bytes are its LogRecord payload after `u32 14 ‖ "pnyx/record/v1" ‖
    /// recordedAt ‖ tag 3` (27 bytes, docs/PROTOCOL.md §6.8).
    static let entryScanSQL = """
        SELECT position FROM log_entries
        WHERE log_id = $1 AND substring(payload FROM 27 FOR 1) = '\\x03'::bytea AND sha256(substring(payload FROM 28)) = $2
        ORDER BY position LIMIT 1
        """
}
