import Foundation
public import PnyxTransparency
import PnyxPostgres

extension LogStore {
    /// The committed head: size and last entry hash (genesis hash when empty).
    public func head(logID: [UInt8]) async throws -> LogHead {
        try await pool.withBlockingConnection { try LogBatchWriter.head($0, logID) }
    }

    /// MTH of the first `size` entries. Throws `logstore.beyond_head` past the current size.
    /// One stored-hash query of at most 1 + log₂ n indexes.
    public func treeHash(logID: [UInt8], size: Int64) async throws -> MerkleHash {
        try await pool.withBlockingConnection { conn in
            try Self.checkWithinHead(conn, logID, size)
            return try TileMath.treeHash(treeSize: size, reader: DatabaseHashReader(connection: conn, logID: logID))
        }
    }

    /// The inclusion proof of entry `index` in the tree of `treeSize` entries (RFC 9162 PATH).
    /// One stored-hash query of O(log n) indexes.
    public func inclusionProof(logID: [UInt8], index: Int64, treeSize: Int64) async throws -> [MerkleHash] {
        try await pool.withBlockingConnection { conn in
            try Self.checkWithinHead(conn, logID, treeSize)
            return try TileMath.inclusionProof(
                index: index, treeSize: treeSize, reader: DatabaseHashReader(connection: conn, logID: logID))
        }
    }

    /// The consistency proof from `oldSize` to `newSize` (RFC 9162 PROOF).
    /// One stored-hash query of O(log n) indexes.
    public func consistencyProof(logID: [UInt8], oldSize: Int64, newSize: Int64) async throws -> [MerkleHash] {
        try await pool.withBlockingConnection { conn in
            try Self.checkWithinHead(conn, logID, newSize)
            return try TileMath.consistencyProof(
                oldSize: oldSize, newSize: newSize, reader: DatabaseHashReader(connection: conn, logID: logID))
        }
    }

    /// The data of hash tile `tile` (c2sp.org/tlog-tiles): `tile.width` hashes, 32 bytes each.
    /// Throws `logstore.beyond_head` if the log is not yet large enough for that tile.
    public func tile(logID: [UInt8], _ tile: Tile) async throws -> [UInt8] {
        try await pool.withBlockingConnection { try Self.tile($0, logID, tile) }
    }

    /// The entry bundle of level-0 tile `tile` (c2sp.org/tlog-tiles): each entry's leaf bytes
    /// prefixed by their big-endian 16-bit length.
    public func entryBundle(logID: [UInt8], _ tile: Tile) async throws -> [UInt8] {
        try await pool.withBlockingConnection { try Self.entryBundle($0, logID, tile) }
    }

    /// The entries at positions `range`, in order (fewer if the log ends sooner).
    public func entries(logID: [UInt8], _ range: Range<Int64>) async throws -> [LogEntry] {
        try await pool.withBlockingConnection { try Self.entries($0, logID, range) }
    }

    // MARK: Blocking forms (pool threads only)

    static func checkWithinHead(_ conn: PostgresConnection, _ logID: [UInt8], _ size: Int64) throws {
        let head = try LogBatchWriter.head(conn, logID)
        guard size <= head.size else {
            throw LogStoreError(.beyondHead, "tree size \(size) is beyond the log's size \(head.size)")
        }
    }

    static func tile(_ conn: PostgresConnection, _ logID: [UInt8], _ tile: Tile) throws -> [UInt8] {
        let level = tile.level * Tile.height
        let first = tile.index * Int64(Tile.fullWidth)
        // The last hash of the tile exists iff the tree has (first + width)·256^L leaves.
        try checkWithinHead(conn, logID, (first + Int64(tile.width)) << Int64(level))
        let indexes = (0..<Int64(tile.width)).map { TileMath.storedHashIndex(level: level, index: first + $0) }
        let hashes = try DatabaseHashReader(connection: conn, logID: logID).readHashes(indexes)
        var data: [UInt8] = []
        data.reserveCapacity(tile.byteCount)
        for hash in hashes { hash.appendBytes(to: &data) }
        return data
    }

    static func entryBundle(_ conn: PostgresConnection, _ logID: [UInt8], _ tile: Tile) throws -> [UInt8] {
        let first = tile.index * Int64(Tile.fullWidth)
        let entries = try entries(conn, logID, first..<(first + Int64(tile.width)))
        guard entries.count == tile.width else {
            throw LogStoreError(.beyondHead, "entry bundle \(tile.entriesPath) needs \(tile.width) entries, log has \(entries.count) there")
        }
        var data: [UInt8] = []
        for entry in entries {
            let leaf = entry.leafBytes
            data.append(UInt8(leaf.count >> 8))
            data.append(UInt8(leaf.count & 0xFF))
            data.append(contentsOf: leaf)
        }
        return data
    }

    static func entries(_ conn: PostgresConnection, _ logID: [UInt8], _ range: Range<Int64>) throws -> [LogEntry] {
        let rows = try conn.queryPrepared(
            """
            SELECT position, previous_hash, payload, entry_hash, appended_at FROM log_entries
            WHERE log_id = $1 AND position >= $2 AND position < $3 ORDER BY position
            """, [.bytea(logID), .int64(range.lowerBound), .int64(range.upperBound)])
        return try rows.map { row in
            LogEntry(
                position: try row.decode(Int64.self, at: 0),
                previousHash: try MerkleHash(bytes: try row.decode([UInt8].self, at: 1)),
                payload: try row.decode([UInt8].self, at: 2),
                entryHash: try MerkleHash(bytes: try row.decode([UInt8].self, at: 3)),
                appendedAt: try row.decode(Date.self, at: 4))
        }
    }
}
