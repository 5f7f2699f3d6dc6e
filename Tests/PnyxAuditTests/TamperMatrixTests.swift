import Foundation
import PnyxAudit
import PnyxCore
import PnyxCrypto
import PnyxTransparency
import Testing

/// Every tamper class of the threat model, each detected with its code and position.
@Suite("verify: the tamper matrix")
struct TamperMatrixTests {
    // MARK: A lying service (everything re-signed): caught by the record checks

    /// Each tamper the service could write into its own log, and the code it must raise.
    static let serviceTampers: [(Tamper, FindingCode)] = [
        (.forgedCredential, .credentialInvalidSignature),
        (.credentialWrongClassKey, .credentialInvalidSignature),
        (.credentialClassMismatch, .credentialClassMismatch),
        (.badEntrySignature, .entryInvalidSignature),
        (.reusedOneTimeKey, .nullifierReused),
        (.outsideWindow, .entryOutsideWindow),
        (.directoryLate, .directoryLate),
        (.lifecycleOutOfOrder, .lifecycleOutOfOrder),
        (.falseCertificate, .certificateFalse),
        (.replayedEntry, .entryReplayed),
    ]

    @Test("a tamper by the service is found with its code and position",
          arguments: serviceTampers.map { "\($0.0)" })
    func serviceTamperIsFound(name: String) throws {
        let (tamper, code) = Self.serviceTampers.first { "\($0.0)" == name }!
        let fixture = try PollFixture(tampers: [tamper])
        let report = try Audit.verify(try fixture.export())
        let position = try #require(fixture.positions[tamper])
        #expect(Audit.has(report, code, at: position), "\(name): \(report.humanText)")
        #expect(report.exitStatus == 1)
        // The chain, tree and signatures are intact: only record-level findings.
        #expect(!Audit.codes(report).contains { $0.hasPrefix("chain.") || $0.hasPrefix("tile.") || $0.hasPrefix("leaf.") })
    }

    @Test("several tampers in one log are all reported in one run")
    func severalAtOnce() throws {
        let tampers: Set<Tamper> = [.forgedCredential, .badEntrySignature, .reusedOneTimeKey, .outsideWindow, .falseCertificate]
        let fixture = try PollFixture(tampers: tampers)
        let report = try Audit.verify(try fixture.export())
        for (tamper, code) in Self.serviceTampers where tampers.contains(tamper) {
            #expect(Audit.has(report, code, at: fixture.positions[tamper]), "\(tamper): \(report.humanText)")
        }
    }

    @Test("a published tally that differs from the recomputed one is tally.mismatch, per count")
    func tallyMismatch() throws {
        let fixture = SharedFixture.clean
        let folder = try Audit.tampered(SharedFixture.cleanExport, "tally.json") { bytes in
            var json = try JSONSerialization.jsonObject(with: Data(bytes)) as! [String: Any]
            json["participants"] = (json["participants"] as! Int) + 1
            var channels = json["byChannel"] as! [String: Int]
            channels["paper"] = 1
            json["byChannel"] = channels
            bytes = [UInt8](try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys]))
        }
        let report = try Audit.verify(folder)
        let mismatches = report.findings.filter { $0.code == .tallyMismatch }
        #expect(mismatches.contains { $0.message.contains("participants") && $0.expected == "4" && $0.computed == "5" })
        #expect(mismatches.contains { $0.message.contains("channel paper") && $0.expected == "0" && $0.computed == "1" })
        _ = fixture
    }

    // MARK: An attacker editing the published files (no key): caught by chain, tiles, roots

    static let bundle = "tile/entries/000.p/"

    static func bundlePath(_ fixture: PollFixture) -> String { bundle + "\(fixture.builder.size)" }

    static func leaves(_ bytes: [UInt8], _ count: Int) throws -> [[UInt8]] {
        try LogExport.parseEntryBundle(bytes, count: count, path: "")
    }

    @Test("a flipped entry byte: the next entry's link breaks, the tile and root differ")
    func flippedEntryByte() throws {
        let fixture = SharedFixture.clean
        let target = fixture.firstEntry
        let folder = try Audit.tampered(SharedFixture.cleanExport, Self.bundlePath(fixture)) { bytes in
            var leaves = try Self.leaves(bytes, Int(fixture.builder.size))
            leaves[Int(target)][leaves[Int(target)].count - 3] ^= 0x01  // inside the entry's signature
            bytes = LogExport.entryBundle(leaves: leaves)
        }
        let report = try Audit.verify(folder)
        #expect(Audit.has(report, .chainBroken, at: target + 1), "\(report.humanText)")
        #expect(Audit.has(report, .tileMismatch, at: target))
        #expect(Audit.has(report, .leafRootMismatch, at: nil))
        #expect(Audit.has(report, .entryInvalidSignature, at: target))
    }

    @Test("a dropped entry: the bundle is short and the chain breaks where it was")
    func droppedEntry() throws {
        let fixture = SharedFixture.clean
        let target = fixture.firstEntry + 1
        let folder = try Audit.tampered(SharedFixture.cleanExport, Self.bundlePath(fixture)) { bytes in
            var leaves = try Self.leaves(bytes, Int(fixture.builder.size))
            leaves.remove(at: Int(target))
            bytes = LogExport.entryBundle(leaves: leaves)
        }
        let report = try Audit.verify(folder)
        #expect(Audit.has(report, .bundleMalformed, at: 0), "\(report.humanText)")
        #expect(Audit.has(report, .chainBroken, at: target))
        #expect(Audit.has(report, .leafPositionMismatch, at: target))
        #expect(Audit.has(report, .leafRootMismatch, at: nil))
    }

    @Test("an inserted entry: the chain breaks at it and after it")
    func insertedEntry() throws {
        let fixture = SharedFixture.clean
        let target = fixture.firstEntry + 1
        let folder = try Audit.tampered(SharedFixture.cleanExport, Self.bundlePath(fixture)) { bytes in
            var leaves = try Self.leaves(bytes, Int(fixture.builder.size))
            let key = Ed25519.PrivateKey()
            let entry = try fixture.entry(try fixture.credential(0, key), key)
            let record = LogRecord(recordedAt: PollFixture.opensAt + 150, body: .entry(entry))
            let leaf = try LogLeaf(position: UInt64(target), previousHash: MerkleHash.leafHash(leaves[Int(target) - 1]),
                                   payload: record.leafPayload())
            leaves.insert(leaf.bytes, at: Int(target))
            bytes = LogExport.entryBundle(leaves: leaves)
        }
        let report = try Audit.verify(folder)
        #expect(Audit.has(report, .bundleMalformed, at: 0), "\(report.humanText)")
        #expect(Audit.has(report, .chainBroken, at: target + 1))
        #expect(Audit.has(report, .leafRootMismatch, at: nil))
    }

    @Test("reordered entries: positions and links no longer match")
    func reorderedEntries() throws {
        let fixture = SharedFixture.clean
        let target = fixture.firstEntry
        let folder = try Audit.tampered(SharedFixture.cleanExport, Self.bundlePath(fixture)) { bytes in
            var leaves = try Self.leaves(bytes, Int(fixture.builder.size))
            leaves.swapAt(Int(target), Int(target) + 1)
            bytes = LogExport.entryBundle(leaves: leaves)
        }
        let report = try Audit.verify(folder)
        #expect(Audit.has(report, .leafPositionMismatch, at: target), "\(report.humanText)")
        #expect(Audit.has(report, .leafPositionMismatch, at: target + 1))
        #expect(Audit.has(report, .chainBroken, at: target))
        #expect(Audit.has(report, .tileMismatch, at: target))
    }

    @Test("a bad checkpoint signature is checkpoint.bad_signature; the rest is still checked")
    func badCheckpointSignature() throws {
        let folder = try Audit.tampered(SharedFixture.cleanExport, LogExport.checkpointPath) { bytes in
            let i = bytes.count - 10
            bytes[i] = bytes[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        }
        let report = try Audit.verify(folder)
        #expect(Audit.has(report, .checkpointBadSignature, at: nil), "\(report.humanText)")
        #expect(report.summary.entrySignaturesVerified == 6)
    }

    @Test("a checkpoint signed by another key than the definition's service key is poll.wrong_service_key")
    func checkpointsByAnotherKey() throws {
        let other = try NoteSigner(name: "pnyx.test/audit", privateKey: Ed25519.PrivateKey())
        var builder = PollLogBuilder(logID: SharedFixture.clean.pollID.bytes, origin: SharedFixture.clean.builder.origin, signer: other)
        for record in SharedFixture.clean.builder.records { builder.append(record) }
        builder.checkpoint()
        let report = try Audit.verify(try builder.export(to: TestFolders.make("otherkey"), tally: nil))
        #expect(Audit.has(report, .pollWrongServiceKey, at: 0), "\(report.humanText)")
    }

    // MARK: A rewritten history: caught against the saved checkpoint

    @Test("a forked history is history.forked against the checkpoint saved by the previous run")
    func forkedHistory() throws {
        let state = TestFolders.make("state")
        let pollID = PollID.random()
        let original = try PollFixture(pollID: pollID)
        let first = try Audit.verify(try original.export(), state: state)
        #expect(first.findings.isEmpty && first.notes.contains { $0.contains("first run") })

        // The service rewrites its log (another history for the same poll), re-signed.
        let forked = try PollFixture(pollID: pollID, tampers: [])
        let report = try Audit.verify(try forked.export(), state: state)
        #expect(Audit.has(report, .historyForked, at: nil), "\(report.humanText)")
        #expect(report.findings.allSatisfy { $0.code == .historyForked })

        // The original log again (grown by nothing): consistent with what was saved.
        let again = try Audit.verify(try original.export(), state: state)
        #expect(again.findings.isEmpty, "\(again.humanText)")
        #expect(again.summary.provedConsistentFrom != nil)
    }

    @Test("a log that shrank since the saved checkpoint is history.rolled_back")
    func rolledBack() throws {
        let state = TestFolders.make("state")
        let fixture = try PollFixture(entryPadding: 2)
        _ = try Audit.verify(try fixture.export(), state: state)
        // The same log cut back to its first checkpoint.
        var builder = PollLogBuilder(logID: fixture.pollID.bytes, origin: fixture.builder.origin, signer: FixtureKeys.signer)
        for record in fixture.builder.records.prefix(Int(fixture.midCheckpointSize)) { builder.append(record) }
        builder.checkpoint()
        let report = try Audit.verify(try builder.export(to: TestFolders.make("short"), tally: nil), state: state)
        #expect(Audit.has(report, .historyRolledBack, at: nil), "\(report.humanText)")
    }
}
