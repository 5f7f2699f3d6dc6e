import PnyxCrypto

/// One entry of a Pnyx log as it is hashed: the bytes that are both a link of the hash chain
/// and a leaf of the RFC 9162 Merkle tree.
///
/// ```
/// leaf = 0x01 (version) || u64be(position) || previous_hash (32 bytes) || payload
/// entry_hash = SHA-256(0x00 || leaf)          (the RFC 9162 leaf hash)
/// previous_hash(0) = SHA-256("pnyx-log-genesis/v1" || 0x0A || log_id)
/// previous_hash(i) = entry_hash(i − 1)
/// ```
///
/// Because the previous hash is inside the leaf, the chain and the tree commit to the same
/// bytes: one hash per entry serves as chain link, Merkle leaf and receipt identifier.
/// - SeeAlso: docs/PROTOCOL.md, "Log entries".
public struct LogLeaf: Hashable, Sendable {
    /// The framing version byte.
    public static let version: UInt8 = 0x01
    /// Bytes before the payload: version, position, previous hash.
    public static let headerCount = 1 + 8 + MerkleHash.byteCount
    /// The largest payload a leaf may carry (entry bundles length-prefix entries with 16 bits).
    public static let maximumPayloadCount = Int(UInt16.max) - headerCount

    /// Zero-based position of the entry in its log.
    public let position: UInt64
    /// The entry hash of the entry before, or the genesis hash for position 0.
    public let previousHash: MerkleHash
    /// The entry's canonical bytes, defined by the layer above (poll entries, register records).
    public let payload: [UInt8]

    /// Makes a leaf. Throws `log.payload_too_large` past ``maximumPayloadCount``.
    public init(position: UInt64, previousHash: MerkleHash, payload: [UInt8]) throws(TransparencyError) {
        guard payload.count <= Self.maximumPayloadCount else {
            throw TransparencyError(
                .logPayloadTooLarge, "payload of \(payload.count) bytes exceeds \(Self.maximumPayloadCount)")
        }
        self.position = position
        self.previousHash = previousHash
        self.payload = payload
    }

    /// Parses leaf bytes. Throws `log.leaf_malformed` on a short input or an unknown version.
    public init(bytes: [UInt8]) throws(TransparencyError) {
        guard bytes.count >= Self.headerCount, bytes.count <= Int(UInt16.max) else {
            throw TransparencyError(.logLeafMalformed, "a leaf has \(Self.headerCount) to 65535 bytes, not \(bytes.count)")
        }
        guard bytes[0] == Self.version else {
            throw TransparencyError(.logLeafMalformed, "unknown leaf version \(bytes[0])")
        }
        var position: UInt64 = 0
        for byte in bytes[1..<9] { position = position << 8 | UInt64(byte) }
        self.position = position
        self.previousHash = try MerkleHash(bytes: bytes[9..<Self.headerCount])
        self.payload = Array(bytes[Self.headerCount...])
    }

    /// The leaf's bytes: version, big-endian position, previous hash, payload.
    public var bytes: [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(Self.headerCount + payload.count)
        out.append(Self.version)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: position >> UInt64(shift))) }
        out.append(contentsOf: previousHash.bytes)
        out.append(contentsOf: payload)
        return out
    }

    /// The entry hash: the RFC 9162 leaf hash SHA-256(0x00 || leaf).
    public var entryHash: MerkleHash { MerkleHash.leafHash(bytes) }

    /// The previous hash of entry 0, which binds the log's identifier:
    /// SHA-256("pnyx-log-genesis/v1\n" || logID).
    public static func genesisHash(logID: [UInt8]) -> MerkleHash {
        let hash = SHA256.hash(parts: [Array("pnyx-log-genesis/v1\n".utf8), logID])
        return try! MerkleHash(bytes: hash)  // SHA-256 always yields 32 bytes.
    }
}

extension TransparencyError.Code {
    /// A log leaf is truncated or has an unknown version.
    public static let logLeafMalformed = Self(rawValue: "log.leaf_malformed")
    /// A payload is too large for one log entry.
    public static let logPayloadTooLarge = Self(rawValue: "log.payload_too_large")
    /// An entry's position is not the next one.
    public static let logPositionMismatch = Self(rawValue: "log.position_mismatch")
    /// An entry's previous hash is not the hash of the entry before.
    public static let logChainBroken = Self(rawValue: "log.chain_broken")
}
