public import Foundation
public import PnyxTransparency

/// The receipt of an acknowledged append: returned only after the transaction that wrote
/// the entry committed.
public struct LogReceipt: Sendable, Hashable {
    /// The entry's zero-based position in its log.
    public let position: Int64
    /// The entry hash (RFC 9162 leaf hash of the leaf bytes).
    public let entryHash: MerkleHash
    /// The previous entry's hash (the genesis hash for position 0).
    public let previousHash: MerkleHash
}

/// One stored entry.
public struct LogEntry: Sendable, Hashable {
    /// Zero-based position.
    public let position: Int64
    /// The previous entry's hash (the genesis hash for position 0).
    public let previousHash: MerkleHash
    /// The entry's canonical bytes.
    public let payload: [UInt8]
    /// The stored entry hash.
    public let entryHash: MerkleHash
    /// When the entry was committed (server clock).
    public let appendedAt: Date

    /// The leaf bytes (see ``PnyxTransparency/LogLeaf``).
    public var leafBytes: [UInt8] {
        // Payload sizes are checked on append and by a CHECK constraint.
        (try? LogLeaf(position: UInt64(position), previousHash: previousHash, payload: payload).bytes) ?? []
    }
}

/// The current end of a log: its size and the hash of its last entry.
public struct LogHead: Sendable, Hashable {
    /// Number of entries.
    public let size: Int64
    /// Hash of the last entry, or the genesis hash for an empty log.
    public let lastHash: MerkleHash
}

/// A log's identity as stored in `log_logs`.
public struct LogInfo: Sendable, Hashable {
    /// The log identifier (e.g. a poll id).
    public let logID: [UInt8]
    /// The checkpoint origin line.
    public let origin: String
    /// The note verifier key (`<name>+<key id>+<key>`) that checks its checkpoints.
    public let verifierKey: String
}

/// A signed checkpoint as stored.
public struct StoredCheckpoint: Sendable, Hashable {
    /// The tree size it commits to.
    public let treeSize: Int64
    /// The tree's root hash.
    public let rootHash: MerkleHash
    /// The signed note (checkpoint body and signature lines), as served.
    public let note: String
}

/// Errors of the log store other than the database's (``PnyxPostgres/PostgresError``) and
/// the Merkle math's (``PnyxTransparency/TransparencyError``).
public struct LogStoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, dotted codes.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No log has this identifier.
        public static let unknownLog = Code(rawValue: "logstore.unknown_log")
        /// A log with this identifier (or origin) exists with different attributes.
        public static let logConflict = Code(rawValue: "logstore.log_conflict")
        /// A tree size or index beyond the log's current size.
        public static let beyondHead = Code(rawValue: "logstore.beyond_head")
        /// Stored data is missing or contradicts itself (a stored hash, an entry).
        public static let corrupt = Code(rawValue: "logstore.corrupt")
        /// A new checkpoint is not consistent with the previous one.
        public static let checkpointInconsistent = Code(rawValue: "logstore.checkpoint_inconsistent")
        /// The signer's key is not the log's verifier key.
        public static let signerMismatch = Code(rawValue: "logstore.signer_mismatch")
        /// The log has no checkpoint yet.
        public static let noCheckpoint = Code(rawValue: "logstore.no_checkpoint")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
