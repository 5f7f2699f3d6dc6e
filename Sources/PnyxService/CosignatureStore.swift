import PnyxCore
import PnyxPostgres

/// The witness cosignatures the service accepted (table `service_cosignatures`, migration 3):
/// one row per poll, checkpoint size and witness key, the latest cosignature of that witness
/// on that checkpoint (a newer timestamp replaces an older one).
struct CosignatureStore: Sendable {
    let pool: PostgresPool

    /// One accepted cosignature.
    struct Row: Sendable, Hashable {
        /// The witness's verifier key (`<name>+<id>+<base64>`).
        let witness: String
        /// The note signature line, `— <name> <base64>\n`.
        let line: String
        /// The cosignature's timestamp (POSIX seconds).
        let timestamp: UInt64
    }

    /// Stores `row` for the checkpoint of `treeSize` entries of `poll`, replacing an older
    /// cosignature by the same witness. Returns false when a newer one was already stored.
    @discardableResult
    func save(_ row: Row, poll: PollID, treeSize: Int64) async throws -> Bool {
        let changed = try await pool.execute(
            """
            INSERT INTO service_cosignatures (poll_id, tree_size, witness, line, cosigned_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (poll_id, tree_size, witness) DO UPDATE
                SET line = excluded.line, cosigned_at = excluded.cosigned_at, received_at = now()
                WHERE service_cosignatures.cosigned_at < excluded.cosigned_at
            """,
            [.bytea(poll.bytes), .int64(treeSize), .text(row.witness), .text(row.line), .int64(Int64(clamping: row.timestamp))])
        return changed > 0
    }

    /// The cosignatures of the checkpoint of `treeSize` entries by `witnesses` (verifier keys),
    /// ordered by witness key.
    func rows(poll: PollID, treeSize: Int64, witnesses: [String]) async throws -> [Row] {
        guard !witnesses.isEmpty else { return [] }
        let rows = try await pool.query(
            """
            SELECT witness, line, cosigned_at FROM service_cosignatures
            WHERE poll_id = $1 AND tree_size = $2 AND witness = ANY(string_to_array($3, E'\\n'))
            ORDER BY witness
            """, [.bytea(poll.bytes), .int64(treeSize), .text(witnesses.joined(separator: "\n"))])
        return try rows.map {
            Row(witness: try $0.decode(String.self, at: 0), line: try $0.decode(String.self, at: 1),
                timestamp: UInt64(clamping: try $0.decode(Int64.self, at: 2)))
        }
    }

    /// The largest checkpoint size above `position` that one of `witnesses` cosigned, if any.
    func latestCosignedSize(poll: PollID, above position: Int64, witnesses: [String]) async throws -> Int64? {
        guard !witnesses.isEmpty else { return nil }
        let rows = try await pool.query(
            """
            SELECT max(tree_size) FROM service_cosignatures
            WHERE poll_id = $1 AND tree_size > $2 AND witness = ANY(string_to_array($3, E'\\n'))
            """, [.bytea(poll.bytes), .int64(position), .text(witnesses.joined(separator: "\n"))])
        return try rows.first?.decode(Int64?.self, at: 0)
    }
}
