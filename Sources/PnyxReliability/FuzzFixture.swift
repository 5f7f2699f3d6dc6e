import Foundation
import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// The valid inputs the fuzzer mutates: a petition with a broker-signed key directory (a
/// real RSA-2048 key), valid entries (anonymous, named, kiosk, withdrawal) with real blind
/// signatures, and the poll's complete public log as an export (definition, directory,
/// lifecycle, entries, signed checkpoints, tiles, entry bundles, tally) held in memory.
struct FuzzFixture: @unchecked Sendable {
    let serviceKey: Ed25519.PrivateKey
    let brokerKey: Ed25519.PrivateKey
    let signer: NoteSigner
    let pollID: PollID
    let definition: PollDefinition
    let directory: KeyDirectory
    let entries: [Entry]
    /// The canonical bytes of every valid entry: an accepted input must be one of them.
    let validEntryBytes: Set<[UInt8]>
    /// The export's files by path.
    let export: [String: [UInt8]]
    let exportSize: Int64
    let exportRoot: MerkleHash
    let tally: TallySummary

    init(random: inout SeededGenerator) throws {
        func key() throws -> Ed25519.PrivateKey { try Ed25519.PrivateKey(seed: (0..<32).map { _ in UInt8.random(in: 0...255, using: &random) }) }
        serviceKey = try key()
        brokerKey = try key()
        signer = try NoteSigner(name: "fuzz.pnyx.test", privateKey: serviceKey)
        pollID = try PollID(hex: Hex.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }))
        let opensAt: Int64 = 1_749_996_000
        let closesAt = opensAt + 86_400
        definition = PollDefinition(
            pollID: pollID, kind: .petition, title: "Fuzzed petition", text: "Every input is a mutation of a valid one.",
            opensAt: opensAt, closesAt: closesAt,
            eligibility: Eligibility(areaScope: [], minimumAge: 18, referenceDate: CivilDate("2025-06-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: true,
            questions: [], thresholds: [.absolute(count: 2)],
            serviceKey: serviceKey.publicKey, brokerKey: brokerKey.publicKey)
        let classes = [try AttributeClass(areaCode: "75056", ageBand: .from35to49), try AttributeClass(areaCode: "75101", ageBand: .from18to24)]
        let rsa = [try BlindRSA.PrivateKey.generate(bits: 2048), try BlindRSA.PrivateKey.generate(bits: 2048)]
        directory = try KeyDirectory(
            pollID: pollID, issuedAt: opensAt - 7_200,
            entries: zip(classes, rsa).map { KeyDirectory.Entry(attributeClass: $0, publicKey: $1.publicKey, eligibleCount: 1_000) }, k: 10)

        var made: [Entry] = []
        for index in 0..<6 {
            let oneTime = try key()
            let message = CredentialMessage(pollID: pollID, attributeClass: classes[index % 2], oneTimeKey: oneTime.publicKey)
            let request = try CredentialRequest(message: message, directory: directory)
            let credential = try request.finalize(blindSignature: try BlindRSA.blindSign(request.blindedMessage, privateKey: rsa[index % 2]))
            let payload: EntryPayload
            switch index {
            case 1, 4:
                let name = index == 1 ? "Marie D." : "Jean-Luc P."
                let attestation = NameAttestation(pollID: pollID, oneTimeKey: oneTime.publicKey, partialName: name).sign(with: brokerKey)
                payload = .sign(PartialName(name: name, attestation: attestation))
            case 5: payload = .withdraw
            default: payload = .sign(nil)
            }
            made.append(try Entry(pollID: pollID, credential: credential, channel: index == 3 ? .kiosk : .online, payload: payload,
                                  signingWith: oneTime))
            if index == 5 {  // the withdrawal needs the same key's signature first
                made[5] = try Entry(pollID: pollID, credential: credential, channel: .online, payload: .sign(nil), signingWith: oneTime)
                made.append(try Entry(pollID: pollID, credential: credential, channel: .online, payload: .withdraw, signingWith: oneTime))
            }
        }
        entries = made
        validEntryBytes = Set(made.map(\.canonicalBytes))

        // The log: definition, published, opened, entries, closed; checkpoints along the way.
        var records: [LogRecord] = [
            LogRecord(recordedAt: opensAt - 3_600, body: .definition(try SignedPollDefinition(signing: definition, with: serviceKey))),
            LogRecord(recordedAt: opensAt - 1_800, body: .lifecycle(LifecycleEvent(
                kind: .published(SignedKeyDirectory(signing: directory, with: brokerKey)), at: opensAt - 1_800))),
            LogRecord(recordedAt: opensAt + 60, body: .lifecycle(LifecycleEvent(kind: .opened, at: opensAt + 60))),
        ]
        for (index, entry) in made.enumerated() { records.append(LogRecord(recordedAt: opensAt + 120 + Int64(index) * 60, body: .entry(entry))) }
        records.append(LogRecord(recordedAt: closesAt + 120, body: .lifecycle(LifecycleEvent(kind: .closed, at: closesAt + 120))))

        var tree = MerkleTree()
        var leaves: [[UInt8]] = []
        var checkpoints: [(Int64, [UInt8])] = []
        var tallying = Tally()
        let origin = "fuzz.pnyx.test/poll/\(pollID.hex)"
        for (position, record) in records.enumerated() {
            let previous = tree.size == 0 ? LogLeaf.genesisHash(logID: pollID.bytes) : tree.leafHashes.last!
            let leaf = try LogLeaf(position: UInt64(position), previousHash: previous, payload: record.leafPayload())
            leaves.append(leaf.bytes)
            tree.append(leafHash: MerkleHash.leafHash(leaf.bytes))
            try? tallying.apply(record: record, position: tallying.logSize)
            if position == 5 || position == records.count - 1 {
                let body = try Checkpoint(origin: origin, size: UInt64(tree.size), rootHash: tree.rootHash.bytes)
                checkpoints.append((tree.size, Array(try signer.sign(body.note()).serialized())))
            }
        }
        var files: [String: [UInt8]] = [:]
        files[LogExport.verifierPath] = Array((signer.verifier.verifierKey + "\n").utf8)
        files[LogExport.checkpointPath] = checkpoints.last!.1
        for (size, note) in checkpoints { files[LogExport.checkpointPath(treeSize: size)] = note }
        let store = MemoryHashStore(leafHashes: tree.leafHashes)
        for tile in Tile.newTiles(oldSize: 0, newSize: tree.size) {
            files[tile.path] = try tile.readData(from: store)
            if tile.level == 0 {
                let range = tile.leafRange
                files[tile.entriesPath] = LogExport.entryBundle(leaves: Array(leaves[Int(range.lowerBound)..<Int(range.upperBound)]))
            }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        files[LogExport.manifestPath] = Array(try encoder.encode(LogExport.Manifest(
            logID: Hex.encode(pollID.bytes), origin: origin, treeSize: tree.size, checkpoints: checkpoints.map(\.0))))
        tally = tallying.summary
        files["tally.json"] = try tally.jsonBytes()
        export = files
        exportSize = tree.size
        exportRoot = tree.rootHash
    }
}

/// An export held in memory, as a ``LogFetcher``.
struct MemoryLogFetcher: LogFetcher {
    let files: [String: [UInt8]]

    func fetch(_ path: String) throws -> [UInt8] {
        guard let bytes = files[path] else {
            throw TransparencyError(.exportMissingFile, "no \(path) in the export")
        }
        return bytes
    }
}
