public import PnyxTransparency

/// The stable codes of auditor findings. Never renamed once published; new ones may be added.
public struct FindingCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    // MARK: Log structure (hash chain, Merkle tree, tiles, checkpoints)

    /// An entry's previous hash is not the hash of the entry before it (or the genesis hash).
    public static let chainBroken = Self(rawValue: "chain.broken")
    /// An entry says another position than the one it is at.
    public static let leafPositionMismatch = Self(rawValue: "leaf.position_mismatch")
    /// An entry's framing is malformed (length, version).
    public static let leafMalformed = Self(rawValue: "leaf.malformed")
    /// The entries' Merkle root is not the latest checkpoint's root.
    public static let leafRootMismatch = Self(rawValue: "leaf.root_mismatch")
    /// An entry bundle is truncated or holds the wrong number of entries (an entry dropped or inserted).
    public static let bundleMalformed = Self(rawValue: "bundle.malformed")
    /// A hash tile does not hold the hashes recomputed from the entries.
    public static let tileMismatch = Self(rawValue: "tile.mismatch")
    /// A checkpoint's signature by the log key does not verify (or is missing).
    public static let checkpointBadSignature = Self(rawValue: "checkpoint.bad_signature")
    /// A checkpoint cannot be parsed.
    public static let checkpointMalformed = Self(rawValue: "checkpoint.malformed")
    /// A checkpoint has another origin than the log.
    public static let checkpointWrongOrigin = Self(rawValue: "checkpoint.wrong_origin")
    /// Checkpoints are not in increasing size, or the last one is not the latest.
    public static let checkpointOutOfOrder = Self(rawValue: "checkpoint.out_of_order")
    /// An earlier checkpoint's root is not the root of the entries' prefix of its size.
    public static let checkpointInconsistent = Self(rawValue: "checkpoint.inconsistent")

    // MARK: History (saved checkpoints, `diff`)

    /// A checkpoint is not an extension of an earlier one: the history was rewritten or forked.
    public static let historyForked = Self(rawValue: "history.forked")
    /// The log is smaller than a checkpoint saved earlier: it was rolled back.
    public static let historyRolledBack = Self(rawValue: "history.rolled_back")

    // MARK: Records

    /// A log entry's payload does not decode as a Pnyx record.
    public static let recordMalformed = Self(rawValue: "record.malformed")
    /// Record times go backwards.
    public static let recordTimeBackwards = Self(rawValue: "record.time_backwards")

    // MARK: Poll definition and key directory

    /// Entry 0 is not a poll definition, or a definition appears later.
    public static let pollMissingDefinition = Self(rawValue: "poll.missing_definition")
    /// The poll definition's service signature does not verify.
    public static let pollInvalidSignature = Self(rawValue: "poll.invalid_signature")
    /// The poll definition breaks a rule (``PnyxCore/PollDefinition/validate()``).
    public static let pollInvalid = Self(rawValue: "poll.invalid")
    /// The checkpoints are not signed by the poll's service key.
    public static let pollWrongServiceKey = Self(rawValue: "poll.wrong_service_key")
    /// No key directory was published before the poll opened.
    public static let directoryMissing = Self(rawValue: "directory.missing")
    /// The key directory's broker signature does not verify, or it is for another poll.
    public static let directoryInvalid = Self(rawValue: "directory.invalid")
    /// The key directory entered the log at or after the poll's opening time, or after it opened.
    public static let directoryLate = Self(rawValue: "directory.late")

    // MARK: Credentials and entries

    /// A credential's RSA-PSS signature does not verify under its class key.
    public static let credentialInvalidSignature = Self(rawValue: "credential.invalid_signature")
    /// A credential names a key that is not in the key directory.
    public static let credentialUnknownKey = Self(rawValue: "credential.unknown_key")
    /// A credential's class is not the class of the key it names.
    public static let credentialClassMismatch = Self(rawValue: "credential.class_mismatch")
    /// An entry's Ed25519 signature by its one-time key does not verify.
    public static let entryInvalidSignature = Self(rawValue: "entry.invalid_signature")
    /// An entry is for another poll.
    public static let entryWrongPoll = Self(rawValue: "entry.wrong_poll")
    /// An entry's payload is not valid for the poll (kind, choices, partial name).
    public static let entryInvalidPayload = Self(rawValue: "entry.invalid_payload")
    /// A partial name's broker attestation does not verify.
    public static let entryInvalidName = Self(rawValue: "entry.invalid_name")
    /// An entry was recorded outside [opensAt, closesAt).
    public static let entryOutsideWindow = Self(rawValue: "entry.outside_window")
    /// An entry was recorded while the poll was not open (before `opened` or after `closed`).
    public static let entryNotOpen = Self(rawValue: "entry.not_open")
    /// An entry's exact bytes (nonce and signature included) appear at an earlier position: a
    /// replay the service must refuse, which would make a withdrawn or changed entry count again.
    public static let entryReplayed = Self(rawValue: "entry.replayed")
    /// A one-time key (the nullifier) appears with two different credentials.
    public static let nullifierReused = Self(rawValue: "nullifier.reused")
    /// The disclosed class is not eligible for the poll (no key, an age band under the minimum age,
    /// an attribute the poll does not disclose).
    public static let classIneligible = Self(rawValue: "class.ineligible")
    /// A class of the key directory has fewer eligible residents than the directory's k
    /// (k-anonymity broken).
    public static let classBelowK = Self(rawValue: "class.below_k")
    /// More credentials of a class took part than residents are eligible in it.
    public static let classExceedsEligible = Self(rawValue: "class.exceeds_eligible")

    // MARK: Lifecycle, tallies, certificates

    /// A lifecycle event is not allowed where it is (opened before published, closed twice…).
    public static let lifecycleOutOfOrder = Self(rawValue: "lifecycle.out_of_order")
    /// A published count differs from the count recomputed from the log.
    public static let tallyMismatch = Self(rawValue: "tally.mismatch")
    /// A certificate's service signature does not verify.
    public static let certificateInvalidSignature = Self(rawValue: "certificate.invalid_signature")
    /// A certificate states something the log does not show (threshold not reached at that size,
    /// wrong root, unknown checkpoint).
    public static let certificateFalse = Self(rawValue: "certificate.false")

    // MARK: Issuance register

    /// More credentials of a class took part than the broker's register says it issued.
    public static let registerExceeded = Self(rawValue: "register.exceeded")
    /// A register record does not decode.
    public static let registerRecordMalformed = Self(rawValue: "register.record_malformed")

    // MARK: Receipts

    /// The receipt's checkpoint is not signed by the log's key.
    public static let receiptBadCheckpoint = Self(rawValue: "receipt.bad_checkpoint")
    /// The receipt's inclusion proof does not lead to its checkpoint's root.
    public static let receiptNotIncluded = Self(rawValue: "receipt.not_included")
    /// The log's entry at the receipt's position has another hash.
    public static let receiptEntryMismatch = Self(rawValue: "receipt.entry_mismatch")
    /// The receipt is for another poll or log.
    public static let receiptWrongLog = Self(rawValue: "receipt.wrong_log")
    /// A cosignature on the receipt's checkpoint by a witness the auditor trusts does not verify.
    public static let receiptBadCosignature = Self(rawValue: "receipt.bad_cosignature")

    /// The code an auditor reports for a problem of the transparency layer.
    public init(_ code: TransparencyError.Code) {
        switch code {
        case .logChainBroken: self = .chainBroken
        case .logPositionMismatch: self = .leafPositionMismatch
        case .logLeafMalformed, .logPayloadTooLarge: self = .leafMalformed
        case .exportRootMismatch: self = .leafRootMismatch
        case .exportBundleMalformed: self = .bundleMalformed
        case .exportTileMismatch: self = .tileMismatch
        case .noteBadSignature, .noteUnknownKey: self = .checkpointBadSignature
        case .exportOriginMismatch: self = .checkpointWrongOrigin
        case .exportCheckpointOrder: self = .checkpointOutOfOrder
        case .exportCheckpointInconsistent: self = .checkpointInconsistent
        default: self = .checkpointMalformed  // note.malformed, checkpoint.malformed, …
        }
    }
}
