public import PnyxTransparency
import PnyxPostgres

extension LogStore {
    /// Signs and stores a checkpoint of the log's current size if it grew since the latest
    /// checkpoint, and returns the latest checkpoint (new or not; nil for a log that is
    /// empty and has none).
    ///
    /// Under a per-log advisory lock (safe from several processes): reads the latest
    /// checkpoint and the head, computes the new root from stored hashes, checks a
    /// consistency proof from the previous checkpoint with ``MerkleProofVerification``
    /// (`logstore.checkpoint_inconsistent` if it fails), signs the c2sp.org/tlog-checkpoint
    /// note with `signer` (which must be the log's verifier key: `logstore.signer_mismatch`),
    /// and inserts it (a trigger refuses any checkpoint that does not grow the tree).
    @discardableResult
    public func checkpoint(logID: [UInt8], signer: NoteSigner) async throws -> StoredCheckpoint? {
        try await pool.withBlockingConnection { conn in
            try conn.transaction { conn in try Self.checkpoint(conn, logID: logID, signer: signer) }
        }
    }

    /// The latest checkpoint, or nil if there is none.
    public func latestCheckpoint(logID: [UInt8]) async throws -> StoredCheckpoint? {
        try await pool.withBlockingConnection { try Self.latestCheckpoint($0, logID) }
    }

    /// Checkpoints with tree size greater than `after` (all with nil), in increasing size,
    /// at most `limit` of them.
    public func checkpoints(logID: [UInt8], after: Int64? = nil, limit: Int = 1000) async throws -> [StoredCheckpoint] {
        try await pool.withBlockingConnection { conn in
            try conn.queryPrepared(
                """
                SELECT tree_size, root_hash, note FROM log_checkpoints
                WHERE log_id = $1 AND tree_size > $2 ORDER BY tree_size LIMIT $3
                """, [.bytea(logID), .int64(after ?? -1), .int64(Int64(limit))]
            ).map(Self.checkpoint(row:))
        }
    }

    /// Logs whose head is past their latest checkpoint (or that have entries and no checkpoint).
    public func logsNeedingCheckpoint() async throws -> [[UInt8]] {
        try await pool.withBlockingConnection { conn in
            try conn.queryPrepared(
                """
                SELECT l.log_id FROM log_logs l
                WHERE coalesce((SELECT e.position + 1 FROM log_entries e WHERE e.log_id = l.log_id
                                ORDER BY e.position DESC LIMIT 1), 0)
                    > coalesce((SELECT c.tree_size FROM log_checkpoints c WHERE c.log_id = l.log_id
                                ORDER BY c.tree_size DESC LIMIT 1), 0)
                """
            ).map { try $0.decode([UInt8].self, at: 0) }
        }
    }

    // MARK: Blocking forms

    static func checkpoint(row: PostgresRow) throws -> StoredCheckpoint {
        StoredCheckpoint(
            treeSize: try row.decode(Int64.self, at: 0),
            rootHash: try MerkleHash(bytes: try row.decode([UInt8].self, at: 1)),
            note: try row.decode(String.self, at: 2))
    }

    static func latestCheckpoint(_ conn: PostgresConnection, _ logID: [UInt8]) throws -> StoredCheckpoint? {
        try conn.queryPrepared(
            "SELECT tree_size, root_hash, note FROM log_checkpoints WHERE log_id = $1 ORDER BY tree_size DESC LIMIT 1",
            [.bytea(logID)]
        ).first.map(checkpoint(row:))
    }

    static func checkpoint(_ conn: PostgresConnection, logID: [UInt8], signer: NoteSigner) throws -> StoredCheckpoint? {
        _ = try conn.queryPrepared(LogBatchWriter.lockSQL, [.int64(LogBatchWriter.checkpointLockKey(logID))])
        guard let info = try info(conn, logID) else {
            throw LogStoreError(.unknownLog, "no log \(logID.hexString)")
        }
        guard signer.verifier.verifierKey == info.verifierKey else {
            throw LogStoreError(.signerMismatch, "the signer \(signer.name) is not the key of log \(logID.hexString)")
        }
        let previous = try latestCheckpoint(conn, logID)
        let head = try LogBatchWriter.head(conn, logID)
        if let previous, previous.treeSize >= head.size { return previous }
        if previous == nil, head.size == 0 { return nil }

        let reader = DatabaseHashReader(connection: conn, logID: logID)
        let root = try TileMath.treeHash(treeSize: head.size, reader: reader)
        if let previous {
            try verifyConsistent(previous, size: head.size, root: root, logID: logID, reader: reader)
        }
        let body = try Checkpoint(origin: info.origin, size: UInt64(head.size), rootHash: root.bytes)
        let note = try signer.sign(body.note()).serializedString()
        try conn.execute(
            LogBatchWriter.insertCheckpointSQL,
            [.bytea(logID), .int64(head.size), .bytea(root.bytes), .text(note)])
        return StoredCheckpoint(treeSize: head.size, rootHash: root, note: note)
    }

    /// Checks that the tree of `size` entries with `root` extends `previous` (a consistency
    /// proof from the stored hashes); `logstore.checkpoint_inconsistent` otherwise.
    static func verifyConsistent(
        _ previous: StoredCheckpoint, size: Int64, root: MerkleHash, logID: [UInt8], reader: DatabaseHashReader
    ) throws {
        let proof = try TileMath.consistencyProof(oldSize: previous.treeSize, newSize: size, reader: reader)
        do {
            try MerkleProofVerification.verifyConsistency(
                oldSize: previous.treeSize, newSize: size, oldRoot: previous.rootHash, newRoot: root, proof: proof)
        } catch {
            throw LogStoreError(
                .checkpointInconsistent,
                "log \(logID.hexString) at size \(size) is not consistent with its checkpoint at \(previous.treeSize): \(error)")
        }
    }
}
