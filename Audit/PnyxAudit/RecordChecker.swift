import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// The order-dependent checks of a poll's records, one record at a time in log order: the
/// definition, the key directory's timing, lifecycle order (through PnyxCore's ``Tally``, the
/// reducer the service itself runs), entry times, one-time keys, disclosed classes. Signature
/// checks are handed to an ``EntryVerificationPipeline``; certificates are kept for the end.
struct RecordChecker {
    let collector: FindingCollector
    let pipeline: EntryVerificationPipeline

    /// The tally recomputed from the log (records it refuses are findings and change nothing).
    private(set) var tally = Tally()
    private(set) var definition: PollDefinition?
    private(set) var directory: KeyDirectory?
    /// Per threshold index, the log size at which it was first met (positions of the log,
    /// not of the tally, which skips refused records).
    private(set) var reachedAt: [Int: Int64] = [:]
    /// Certificates found, with their positions.
    private(set) var certificates: [(position: Int64, certificate: SignedCertificate)] = []
    /// Distinct one-time keys per class.
    private(set) var participantsByClass: [AttributeClass: Int64] = [:]
    private(set) var records: Int64 = 0
    private(set) var distinctKeys: Int64 = 0
    /// The recomputed tally summary at the log size the published tally states, once reached.
    private(set) var snapshot: TallySummary?
    /// The log size at which to take ``snapshot``.
    let snapshotSize: Int64?

    private var lastRecordedAt: Int64?
    private var reportedMissingDefinition = false
    private var sawOpening = false
    private var nullifiers: [KeyBytes: CredentialDigest] = [:]
    /// The first 16 bytes of every entry's signature, with its position: identical entries
    /// share them (a signature covers the entry's nonce), different ones do not.
    private var signatures: [SignaturePrefix: Int64] = [:]

    init(collector: FindingCollector, pipeline: EntryVerificationPipeline, snapshotSize: Int64?) {
        self.collector = collector
        self.pipeline = pipeline
        self.snapshotSize = snapshotSize
        if snapshotSize == 0 { snapshot = tally.summary }
    }

    private func add(_ finding: Finding) { collector.add(finding) }

    /// Checks the record carried by the well-formed leaf at `position`.
    mutating func process(position: Int64, leaf: LogLeaf) {
        records += 1
        defer {
            if let snapshotSize, position + 1 == snapshotSize { snapshot = tally.summary }
        }
        let record: LogRecord
        do { record = try LogRecord(leafPayload: leaf.payload) } catch {
            add(Finding(.recordMalformed, position: position, "the entry is not a Pnyx record: \(error)"))
            return
        }
        // Entries carry the minute they were recorded in (rounded down, for privacy), so an
        // entry may carry a time up to 59 s before an exact-time record of the same minute.
        let isEntry = if case .entry = record.body { true } else { false }
        if let lastRecordedAt {
            let floor = isEntry ? LogRecord.coarse(lastRecordedAt) : lastRecordedAt
            if record.recordedAt < floor {
                add(Finding(.recordTimeBackwards, position: position, "recorded before the record preceding it",
                            expected: "at or after \(floor)", computed: "\(record.recordedAt)"))
            }
        }
        lastRecordedAt = max(lastRecordedAt ?? record.recordedAt, record.recordedAt)

        switch record.body {
        case .definition(let signed):
            checkDefinition(signed, position: position)
        case .lifecycle(let event):
            checkLifecycle(event, record: record, position: position)
        case .entry(let entry):
            checkEntry(entry, record: record, position: position)
        }
        if position == 0, definition == nil, !reportedMissingDefinition {
            reportedMissingDefinition = true
            add(Finding(.pollMissingDefinition, position: 0, "the log does not start with a poll definition"))
        }
        apply(record, position: position)
    }

    // MARK: Definition and lifecycle

    private mutating func checkDefinition(_ signed: SignedPollDefinition, position: Int64) {
        guard position == 0 else {
            add(Finding(.pollMissingDefinition, position: position, "a second poll definition, after entry 0"))
            return
        }
        definition = signed.definition
        do { try signed.verify() } catch {
            add(Finding(.pollInvalidSignature, position: position, "the poll definition's service signature does not verify"))
        }
        do { try signed.definition.validate() } catch {
            add(Finding(.pollInvalid, position: position, "the poll definition breaks a rule: \(error.reason)"))
        }
    }

    private mutating func checkLifecycle(_ event: LifecycleEvent, record: LogRecord, position: Int64) {
        guard let definition else { return }
        switch event.kind {
        case .published(let signed):
            do { try signed.verify(for: definition) } catch {
                add(Finding(.directoryInvalid, position: position, "the key directory: \(error.reason)"))
            }
            if sawOpening || tally.phase == .open || tally.phase == .closed {
                add(Finding(.directoryLate, position: position, "a key directory entered the log after the poll opened"))
            } else if record.recordedAt >= definition.opensAt || signed.directory.issuedAt >= definition.opensAt {
                add(Finding(.directoryLate, position: position, "the key directory entered the log at or after the opening time",
                            expected: "before \(definition.opensAt)", computed: "recorded \(record.recordedAt), issued \(signed.directory.issuedAt)"))
            }
            if directory == nil, signed.directory.pollID == definition.pollID {
                directory = signed.directory
                checkDirectoryClasses(signed.directory, definition: definition, position: position)
            }
        case .opened:
            sawOpening = true
            if directory == nil {
                add(Finding(.directoryMissing, position: position, "the poll opened without a key directory before it"))
            }
        case .certified(let signed):
            do { try signed.verify(serviceKey: definition.serviceKey) } catch {
                add(Finding(.certificateInvalidSignature, position: position, "the certificate's service signature does not verify"))
            }
            certificates.append((position, signed))
        case .closed, .moderationAccepted, .moderationRejected, .answered:
            break
        }
    }

    /// k-anonymity: every class of the directory has at least k eligible residents.
    private func checkDirectoryClasses(_ directory: KeyDirectory, definition: PollDefinition, position: Int64) {
        for entry in directory.entries where entry.eligibleCount < UInt64(directory.k) {
            add(Finding(.classBelowK, position: position,
                        "class \(entry.attributeClass) has \(entry.eligibleCount) eligible residents, fewer than k = \(directory.k)",
                        expected: "at least \(directory.k)", computed: "\(entry.eligibleCount)"))
        }
        for entry in directory.entries {
            if let reason = Self.ineligibility(of: entry.attributeClass, definition: definition) {
                add(Finding(.classIneligible, position: position, "the key directory has a key for class \(entry.attributeClass): \(reason)"))
            }
        }
    }

    /// Why a class cannot take part in the poll, or nil.
    static func ineligibility(of attributeClass: AttributeClass, definition: PollDefinition) -> String? {
        if attributeClass.areaCode != nil, definition.disclosure.areaLevel == .none {
            return "it discloses an area, which the poll does not disclose"
        }
        if attributeClass.ageBand != nil, !definition.disclosure.ageBands {
            return "it discloses an age band, which the poll does not disclose"
        }
        if let band = attributeClass.ageBand, let top = band.oldestAge, top < Int(definition.eligibility.minimumAge) {
            return "its age band \(band.rawValue) is under the minimum age \(definition.eligibility.minimumAge)"
        }
        return nil
    }

    // MARK: Entries

    private mutating func checkEntry(_ entry: Entry, record: LogRecord, position: Int64) {
        guard let definition else { return }
        if record.recordedAt < LogRecord.coarse(definition.opensAt) || record.recordedAt >= definition.closesAt {
            add(Finding(.entryOutsideWindow, position: position, "the entry was recorded outside the poll's window",
                        expected: "[\(definition.opensAt), \(definition.closesAt))", computed: "\(record.recordedAt)"))
        }
        let attributeClass = entry.credential.attributeClass
        if let reason = Self.ineligibility(of: attributeClass, definition: definition) {
            add(Finding(.classIneligible, position: position, "the entry's class \(attributeClass) is not eligible: \(reason)"))
        } else if let directory, directory.entry(for: attributeClass) == nil {
            add(Finding(.classIneligible, position: position, "the key directory has no key for the entry's class \(attributeClass)"))
        }

        // Replays: the same bytes twice (an honest signer's nonce makes every entry new).
        let prefix = SignaturePrefix(entry.signature)
        if let earlier = signatures.updateValue(position, forKey: prefix) {
            add(Finding(.entryReplayed, position: position, "the same entry as at position \(earlier) (same nonce and signature): a replay"))
        }

        // One-time keys: one credential each (re-votes repeat the same credential).
        let key = KeyBytes(entry.credential.oneTimeKey.rawRepresentation)
        let digest = CredentialDigest(entry.credential)
        var verifyCredential = true
        if let earlier = nullifiers[key] {
            if earlier != digest {
                add(Finding(.nullifierReused, position: position,
                            "the one-time key \(Hex.encode(entry.credential.oneTimeKey.rawRepresentation)) was used earlier with another credential"))
            } else {
                verifyCredential = false  // the same credential, already verified
            }
        } else {
            nullifiers[key] = digest
            distinctKeys += 1
            participantsByClass[attributeClass, default: 0] += 1
        }
        pipeline.add(EntryJob(position: position, entry: entry, directory: directory, brokerKey: definition.brokerKey,
                              verifyCredential: verifyCredential))
    }

    // MARK: The tally

    /// Applies the record to the tally; a refusal is a finding.
    private mutating func apply(_ record: LogRecord, position: Int64) {
        do {
            // The tally counts the records it accepted; refused ones are skipped, not counted.
            try tally.apply(record: record, position: tally.logSize)
        } catch {
            if let finding = tallyFinding(error, record: record, position: position) { add(finding) }
            return
        }
        for index in tally.reached.indices where reachedAt[index] == nil && tally.reached[index] != nil {
            reachedAt[index] = position + 1
        }
    }

    private func tallyFinding(_ error: CoreError, record: LogRecord, position: Int64) -> Finding? {
        switch error.code {
        case .tallyNoDefinition:
            return nil  // reported once, as poll.missing_definition
        case .tallyNotOpen:
            return Finding(.entryNotOpen, position: position, "an entry while the poll is \(tally.phase.rawValue)")
        case .tallyInvalidTransition:
            if case .lifecycle(let event) = record.body, case .published = event.kind, tally.phase == .open || tally.phase == .closed {
                return nil  // reported as directory.late
            }
            return Finding(.lifecycleOutOfOrder, position: position, error.reason,
                           computed: "phase \(tally.phase.rawValue)")
        case .entryWrongPoll:
            return Finding(.entryWrongPoll, position: position, error.reason)
        case .entryWrongPayload, .entryInvalidChoice, .entryInvalidName:
            return Finding(.entryInvalidPayload, position: position, "\(error.code.rawValue): \(error.reason)")
        case .directoryInvalid:
            return nil  // reported by checkLifecycle
        case .certificateInvalid:
            return Finding(.certificateFalse, position: position, error.reason)
        default:
            return Finding(.lifecycleOutOfOrder, position: position, error.description)
        }
    }
}

/// 32 key bytes inline, as a dictionary key.
struct KeyBytes: Hashable {
    let a: UInt64, b: UInt64, c: UInt64, d: UInt64

    init(_ bytes: [UInt8]) {
        func word(_ at: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(bytes[at + $1]) } }
        a = word(0); b = word(8); c = word(16); d = word(24)
    }
}

/// The first 16 bytes of an Ed25519 signature (the start of its R): tells two signed messages apart.
struct SignaturePrefix: Hashable {
    let high: UInt64, low: UInt64

    init(_ signature: [UInt8]) {
        high = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(signature[$1]) }
        low = (8..<16).reduce(UInt64(0)) { $0 << 8 | UInt64(signature[$1]) }
    }
}

/// The first 16 bytes of SHA-256 of a credential's canonical bytes: tells two credentials apart.
struct CredentialDigest: Hashable {
    let high: UInt64, low: UInt64

    init(_ credential: Credential) {
        let hash = SHA256.hash(credential.canonicalBytes)
        high = (0..<8).reduce(UInt64(0)) { $0 << 8 | UInt64(hash[$1]) }
        low = (8..<16).reduce(UInt64(0)) { $0 << 8 | UInt64(hash[$1]) }
    }
}

extension AgeBand {
    /// The oldest age in the band, nil for the open-ended one.
    var oldestAge: Int? {
        switch self {
        case .from16to17: 17
        case .from18to24: 24
        case .from25to34: 34
        case .from35to49: 49
        case .from50to64: 64
        case .from65: nil
        }
    }
}
