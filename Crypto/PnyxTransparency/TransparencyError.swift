/// The one error type of the transparency module (signed notes, checkpoints,
/// cosignatures, Merkle trees, proofs and tiles).
///
/// Every failure carries a stable ``Code`` (for programs and HTTP bodies) and a human
/// ``reason``. Two errors are equal when their codes are equal.
public struct TransparencyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, dotted error codes. Never renamed once published.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // MARK: Signed notes (c2sp.org/signed-note)

        /// A note's text or signature block is malformed.
        public static let noteMalformed = Code(rawValue: "note.malformed")
        /// A note carries more signatures than the limit allows.
        public static let noteTooManySignatures = Code(rawValue: "note.too_many_signatures")
        /// No signature on a note came from a known verifier.
        public static let noteUnknownKey = Code(rawValue: "note.unknown_key")
        /// A signature from a known verifier failed to verify.
        public static let noteBadSignature = Code(rawValue: "note.bad_signature")
        /// Several known verifiers share one name and key ID.
        public static let noteAmbiguousKey = Code(rawValue: "note.ambiguous_key")

        // MARK: Keys

        /// A signer or verifier key (or its string encoding) is malformed.
        public static let keyMalformed = Code(rawValue: "key.malformed")
        /// A key name breaks the naming rules.
        public static let keyInvalidName = Code(rawValue: "key.invalid_name")
        /// A key's algorithm (signature type byte) is not supported.
        public static let keyUnsupportedAlgorithm = Code(rawValue: "key.unsupported_algorithm")

        // MARK: Checkpoints and cosignatures

        /// A checkpoint body is malformed.
        public static let checkpointMalformed = Code(rawValue: "checkpoint.malformed")
        /// A cosignature is malformed.
        public static let cosignatureMalformed = Code(rawValue: "cosignature.malformed")
        /// A cosignature did not verify.
        public static let cosignatureBadSignature = Code(rawValue: "cosignature.bad_signature")

        // MARK: Merkle trees, proofs and tiles

        /// A tree size is out of range.
        public static let treeInvalidSize = Code(rawValue: "tree.invalid_size")
        /// A leaf or node index is out of range.
        public static let treeInvalidIndex = Code(rawValue: "tree.invalid_index")
        /// A proof has the wrong number of hashes.
        public static let proofInvalidLength = Code(rawValue: "proof.invalid_length")
        /// A proof does not lead to the expected root.
        public static let proofRootMismatch = Code(rawValue: "proof.root_mismatch")
        /// A tile is malformed.
        public static let tileMalformed = Code(rawValue: "tile.malformed")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    public static func == (lhs: TransparencyError, rhs: TransparencyError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
