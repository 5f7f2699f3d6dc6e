/// One problem a ``LogExportVerifier`` found in an exported log: a stable code, where it is
/// (entry position and/or file) and the evidence (what was expected, what was computed).
///
/// Unlike a thrown ``TransparencyError``, problems are reported and the verification goes
/// on, so an auditor can list every problem of a log in one run.
public struct LogProblem: Sendable, Hashable, CustomStringConvertible {
    /// The stable code (`log.*`, `export.*`, `note.*`, `checkpoint.*`).
    public let code: TransparencyError.Code
    /// The zero-based entry position the problem is about, if any.
    public let position: Int64?
    /// The file of the export the problem is about, if any (`tile/0/000`, `checkpoints/100`…).
    public let path: String?
    /// A human explanation.
    public let reason: String
    /// What the verifier expected (a hash, a size), if it applies.
    public let expected: String?
    /// What the verifier computed or found instead, if it applies.
    public let computed: String?

    public init(_ code: TransparencyError.Code, position: Int64? = nil, path: String? = nil, _ reason: String,
                expected: String? = nil, computed: String? = nil) {
        self.code = code
        self.position = position
        self.path = path
        self.reason = reason
        self.expected = expected
        self.computed = computed
    }

    /// The problem as an error (code and reason), for callers that stop at the first one.
    public var error: TransparencyError { TransparencyError(code, reason) }

    public var description: String { "\(code.rawValue): \(reason)" }
}

/// One checkpoint of an export as the verifier read it.
public struct ExportedCheckpoint: Sendable, Hashable {
    /// The file it was read from (`checkpoint` or `checkpoints/<size>`).
    public let path: String
    /// The checkpoint body.
    public let checkpoint: Checkpoint
    /// The serialized signed note, signatures (and cosignatures) included.
    public let note: [UInt8]
    /// True when the log's key signed it (a problem was reported otherwise).
    public let signatureVerified: Bool

    /// The root hash as a ``MerkleHash``.
    public var rootHash: MerkleHash { try! MerkleHash(bytes: checkpoint.rootHash) }  // Checkpoint checks 32 bytes.
    /// The tree size as `Int64` (checked against ``TileMath/maxTreeSize`` by the verifier).
    public var size: Int64 { Int64(checkpoint.size) }
}

/// What a ``LogExportVerifier`` read and recomputed.
public struct LogExportVerification: Sendable {
    /// The log identifier.
    public let logID: [UInt8]
    /// The checkpoint origin.
    public let origin: String
    /// The tree size the export claims (the manifest's, equal to the latest checkpoint's).
    public let treeSize: Int64
    /// The latest checkpoint, if it could be parsed.
    public let latest: ExportedCheckpoint?
    /// Every checkpoint listed by the manifest that could be parsed, in manifest order.
    public let checkpoints: [ExportedCheckpoint]
    /// The number of entries read (equal to ``treeSize`` unless entries are missing).
    public let entriesRead: Int64
    /// The Merkle root recomputed from the entries read.
    public let computedRoot: MerkleHash
    /// The verifier key the checkpoints were checked with.
    public let verifierKey: String
    /// Every problem found, in the order found.
    public let problems: [LogProblem]
}
