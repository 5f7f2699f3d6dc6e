import Foundation
import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// Keys shared by every fixture of the process (RSA generation takes a moment).
enum FixtureKeys {
    static func seed(_ byte: UInt8) -> [UInt8] { [UInt8](repeating: byte, count: 32) }
    static let service = try! Ed25519.PrivateKey(seed: seed(0x51))
    static let broker = try! Ed25519.PrivateKey(seed: seed(0x52))
    /// One real RSA-2048 BlindRSA key per class.
    static let rsa = [try! BlindRSA.PrivateKey.generate(bits: 2048), try! BlindRSA.PrivateKey.generate(bits: 2048)]
    static let signer = try! NoteSigner(name: "pnyx.test/audit", privateKey: service)
}

/// What the standard fixture log can be made to get wrong, each written as a lying service
/// would write it (so chain, tree and checkpoint signatures are all valid).
enum Tamper: Hashable, CaseIterable {
    case forgedCredential, credentialWrongClassKey, credentialClassMismatch, badEntrySignature, reusedOneTimeKey,
         outsideWindow, directoryLate, lifecycleOutOfOrder, falseCertificate, replayedEntry
}

/// A realistic petition and its log: a signed definition, a broker-signed key directory with
/// one RSA key per class, real blind-signed credentials, signed entries (anonymous, named,
/// kiosk, a withdrawal), a certificate, open and close, two checkpoints.
struct PollFixture {
    static let opensAt: Int64 = 1_749_996_000  // a whole minute
    static let closesAt: Int64 = opensAt + 86_400

    let pollID: PollID
    let definition: PollDefinition
    let classes: [AttributeClass]
    let directory: KeyDirectory
    var builder: PollLogBuilder
    /// The position of each tampered record.
    private(set) var positions: [Tamper: Int64] = [:]
    /// Positions of notable records of the clean log.
    private(set) var firstEntry: Int64 = 0
    private(set) var certificatePosition: Int64 = 0
    private(set) var midCheckpointSize: Int64 = 0

    init(pollID: PollID = PollID.random(), tampers: Set<Tamper> = [], entryPadding: Int = 0) throws {
        self.pollID = pollID
        classes = [try AttributeClass(areaCode: "75056", ageBand: .from35to49), try AttributeClass(areaCode: "75101", ageBand: .from18to24)]
        definition = PollDefinition(
            pollID: pollID, kind: .petition, title: "Plant trees", text: "Plant a tree in every street.",
            opensAt: Self.opensAt, closesAt: Self.closesAt,
            eligibility: Eligibility(areaScope: [], minimumAge: 18, referenceDate: CivilDate("2025-06-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: true,
            questions: [], thresholds: [.absolute(count: 3)],
            serviceKey: FixtureKeys.service.publicKey, brokerKey: FixtureKeys.broker.publicKey)
        directory = try KeyDirectory(
            pollID: pollID, issuedAt: Self.opensAt - 7_200,
            entries: zip(classes, FixtureKeys.rsa).map { KeyDirectory.Entry(attributeClass: $0, publicKey: $1.publicKey, eligibleCount: 1_000) },
            k: 10)
        builder = PollLogBuilder(logID: pollID.bytes, origin: "pnyx.test/polls/\(pollID.hex)", signer: FixtureKeys.signer)
        try build(tampers, entryPadding: entryPadding)
    }

    // MARK: Credentials and entries

    func classIndex(_ attributeClass: AttributeClass) -> Int { classes.firstIndex(of: attributeClass)! }

    /// A real credential: prepare, blind, blind-sign with the class's key, finalize.
    func credential(_ classNumber: Int, _ oneTimeKey: Ed25519.PrivateKey) throws -> Credential {
        let message = CredentialMessage(pollID: pollID, attributeClass: classes[classNumber], oneTimeKey: oneTimeKey.publicKey)
        let request = try CredentialRequest(message: message, directory: directory)
        let blindSignature = try BlindRSA.blindSign(request.blindedMessage, privateKey: FixtureKeys.rsa[classNumber])
        return try request.finalize(blindSignature: blindSignature)
    }

    /// A credential for class `claimed` whose RSA signature is by the key of class `signer`,
    /// naming the key id of class `named`.
    func crossCredential(claimed: Int, signer: Int, named: Int, _ oneTimeKey: Ed25519.PrivateKey) throws -> Credential {
        let message = CredentialMessage(pollID: pollID, attributeClass: classes[claimed], oneTimeKey: oneTimeKey.publicKey)
        let prefix = SystemRandom().bytes(BlindRSA.prefixLength)
        let prepared = try message.prepared(prefix: prefix)
        let key = FixtureKeys.rsa[signer]
        let blinding = try BlindRSA.blind(prepared, publicKey: key.publicKey)
        let blindSignature = try BlindRSA.blindSign(blinding.blindedMessage, privateKey: key)
        let signature = try BlindRSA.finalize(blindSignature, preparedMessage: prepared, inverse: blinding.inverse, publicKey: key.publicKey)
        return Credential(attributeClass: classes[claimed], keyID: directory.entries[classIndexInDirectory(named)].keyID,
                          oneTimeKey: oneTimeKey.publicKey, prefix: prefix, signature: signature)
    }

    private func classIndexInDirectory(_ classNumber: Int) -> Int {
        directory.entries.firstIndex { $0.attributeClass == classes[classNumber] }!
    }

    func entry(_ credential: Credential, _ key: Ed25519.PrivateKey, _ payload: EntryPayload = .sign(nil),
               channel: Channel = .online) throws -> Entry {
        try Entry(pollID: pollID, credential: credential, channel: channel, payload: payload, signingWith: key)
    }

    func named(_ name: String, _ key: Ed25519.PrivateKey) -> EntryPayload {
        let attestation = NameAttestation(pollID: pollID, oneTimeKey: key.publicKey, partialName: name).sign(with: FixtureKeys.broker)
        return .sign(PartialName(name: name, attestation: attestation))
    }

    // MARK: The log

    private mutating func record(_ at: Int64, _ body: LogRecord.Body) -> Int64 {
        let position = builder.size
        builder.append(LogRecord(recordedAt: at, body: body))
        return position
    }

    private mutating func build(_ tampers: Set<Tamper>, entryPadding: Int) throws {
        let opens = Self.opensAt
        _ = record(opens - 3_600, .definition(try SignedPollDefinition(signing: definition, with: FixtureKeys.service)))
        let published = LifecycleEvent(kind: .published(SignedKeyDirectory(signing: directory, with: FixtureKeys.broker)),
                                       at: opens - 1_800)
        if tampers.contains(.directoryLate) {
            positions[.directoryLate] = record(opens + 60, .lifecycle(published))
        } else {
            _ = record(opens - 1_800, .lifecycle(published))
        }
        if tampers.contains(.lifecycleOutOfOrder) {
            positions[.lifecycleOutOfOrder] = record(opens + 60, .lifecycle(LifecycleEvent(kind: .closed, at: opens + 60)))
        }
        _ = record(opens + 60, .lifecycle(LifecycleEvent(kind: .opened, at: opens + 60)))

        let keys = (0..<10).map { _ in Ed25519.PrivateKey() }
        let credentials = try [0, 1, 0, 1, 0].enumerated().map { try credential($0.element, keys[$0.offset]) }
        let first = try entry(credentials[0], keys[0])
        firstEntry = record(opens + 120, .entry(first))
        _ = record(opens + 180, .entry(try entry(credentials[1], keys[1], named("Marie D.", keys[1]))))
        _ = record(opens + 240, .entry(try entry(credentials[2], keys[2], channel: .kiosk)))
        // The threshold (3 signatures) is reached now; a checkpoint, then the certificate.
        let reached = builder.size
        midCheckpointSize = reached
        builder.checkpoint()
        let certificate = Certificate(
            pollID: pollID, thresholdIndex: 0, reachedAtSize: UInt64(tampers.contains(.falseCertificate) ? reached - 1 : reached),
            rootAtReached: builder.tree.rootHash, checkpointSize: UInt64(reached), checkpointRoot: builder.tree.rootHash,
            date: opens + 300, statement: "The petition reached 3 signatures.")
        certificatePosition = record(opens + 300, .lifecycle(LifecycleEvent(
            kind: .certified(SignedCertificate(signing: certificate, with: FixtureKeys.service)), at: opens + 300)))
        if tampers.contains(.falseCertificate) { positions[.falseCertificate] = certificatePosition }
        _ = record(opens + 360, .entry(try entry(credentials[3], keys[3])))
        _ = record(opens + 420, .entry(try entry(credentials[0], keys[0], .withdraw)))  // withdraws entry 0
        _ = record(opens + 480, .entry(try entry(credentials[4], keys[4])))

        // More citizens, for logs longer than one tile.
        var time = opens + 540
        for _ in 0..<entryPadding {
            let key = Ed25519.PrivateKey()
            _ = record(time, .entry(try entry(try credential(Int.random(in: 0...1), key), key)))
            time += 60
        }

        if tampers.contains(.replayedEntry) {
            // Entry 0 again, byte for byte, after its key withdrew it: it would count again.
            positions[.replayedEntry] = record(time, .entry(first))
        }
        if tampers.contains(.forgedCredential) {
            let real = try credential(0, keys[5])
            let forged = Credential(attributeClass: real.attributeClass, keyID: real.keyID, oneTimeKey: real.oneTimeKey,
                                    prefix: real.prefix, signature: SystemRandom().bytes(real.signature.count))
            positions[.forgedCredential] = record(time, .entry(try entry(forged, keys[5])))
        }
        if tampers.contains(.credentialWrongClassKey) {
            // Claims class 0 and names class 0's key, but class 1's key signed it.
            positions[.credentialWrongClassKey] = record(time, .entry(try entry(try crossCredential(claimed: 0, signer: 1, named: 0, keys[6]), keys[6])))
        }
        if tampers.contains(.credentialClassMismatch) {
            // Claims class 0 but names (and was signed by) class 1's key.
            positions[.credentialClassMismatch] = record(time, .entry(try entry(try crossCredential(claimed: 0, signer: 1, named: 1, keys[7]), keys[7])))
        }
        if tampers.contains(.badEntrySignature) {
            let good = try entry(try credential(1, keys[8]), keys[8])
            var signature = good.signature
            signature[5] ^= 0x40
            positions[.badEntrySignature] = record(time, .entry(Entry(pollID: pollID, credential: good.credential, channel: .online,
                                                                      payload: good.payload, nonce: good.nonce, signature: signature)))
        }
        if tampers.contains(.reusedOneTimeKey) {
            // Citizen 3's one-time key again, with a second credential.
            positions[.reusedOneTimeKey] = record(time, .entry(try entry(try credential(1, keys[3]), keys[3])))
        }
        if tampers.contains(.outsideWindow) {
            positions[.outsideWindow] = record(Self.closesAt + 60, .entry(try entry(try credential(0, keys[9]), keys[9])))
        }
        _ = record(Self.closesAt + 120, .lifecycle(LifecycleEvent(kind: .closed, at: Self.closesAt + 120)))
        builder.checkpoint()
    }

    /// Writes the export folder with the tally the service would publish; returns its path.
    func export(_ directory: String = TestFolders.make("export"), tally: TallySummary? = nil, publishTally: Bool = true) throws -> String {
        try builder.export(to: directory, tally: publishTally ? (tally ?? builder.publishedTally()) : nil)
    }

    /// A receipt for the entry at `position` under the checkpoint of `size` leaves.
    func receipt(position: Int64, checkpointSize: Int64) throws -> Receipt {
        let note = builder.checkpoints.first { $0.size == checkpointSize }!.note
        let proof = try builder.tree.inclusionProof(index: position, size: checkpointSize)
        return Receipt(pollID: pollID, position: UInt64(position), entryHash: builder.tree.leafHashes[Int(position)].hex,
                       checkpoint: String(decoding: note, as: UTF8.self), inclusionProof: proof.map(\.hex))
    }
}

/// Temporary folders, one per use.
enum TestFolders {
    static func make(_ prefix: String) -> String {
        let path = NSTemporaryDirectory() + "pnyx-audit-\(prefix)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
