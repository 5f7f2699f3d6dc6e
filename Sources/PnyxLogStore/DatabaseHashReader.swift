import PnyxPostgres
import PnyxTransparency

extension MerkleHash: HashBytes {
    func appendBytes(to buffer: inout [UInt8]) {
        withUnsafeBytes { buffer.append(contentsOf: $0) }
    }
}

/// A ``PnyxTransparency/HashReader`` over the `log_hashes` table of one log: one
/// query per ``readHashes(_:)`` call (O(log n) indexes for a root
/// or a proof). Blocking: use it on a pool thread, inside `withBlockingConnection`.
struct DatabaseHashReader: HashReader {
    let connection: PostgresConnection
    let logID: [UInt8]

    /// Each index's hash: the run starting at or before it (one primary-key probe per index), sliced.
    static let sql = """
        SELECT i.idx, substring(h.hashes FROM ((i.idx - h.first_index) * 32 + 1)::int FOR 32)
        FROM unnest($2::bigint[]) AS i(idx)
        CROSS JOIN LATERAL (
            SELECT first_index, hashes FROM log_hashes
            WHERE log_id = $1 AND first_index <= i.idx ORDER BY first_index DESC LIMIT 1) h
        """

    /// Hashes per `log_hashes` row (4 KiB, inline).
    static let runLength = 128

    func readHashes(_ indexes: [Int64]) throws -> [MerkleHash] {
        if indexes.isEmpty { return [] }
        let list = "{" + indexes.map(String.init).joined(separator: ",") + "}"
        let rows = try connection.queryPrepared(Self.sql, [.bytea(logID), .text(list)])
        var found: [Int64: MerkleHash] = [:]
        found.reserveCapacity(rows.count)
        for row in rows {
            let bytes = try row.decode([UInt8].self, at: 1)
            guard bytes.count == MerkleHash.byteCount else { continue }  // past the end of the last run
            found[try row.decode(Int64.self, at: 0)] = try MerkleHash(bytes: bytes)
        }
        return try indexes.map { index in
            guard let hash = found[index] else {
                throw LogStoreError(.corrupt, "stored hash \(index) of log \(logID.hexString) is missing")
            }
            return hash
        }
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hexadecimal.
    var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(count * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
