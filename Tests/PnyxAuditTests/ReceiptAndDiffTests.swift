import Foundation
import PnyxAudit
import PnyxCore
import PnyxCrypto
import PnyxTransparency
import Testing

@Suite("receipt and diff")
struct ReceiptAndDiffTests {
    static func log(_ folder: String) throws -> SourceLog {
        try SourceLog(fetcher: DirectoryLogFetcher(directory: folder), trustedKey: nil)
    }

    static func receiptBytes(_ receipt: Receipt) throws -> [UInt8] { Array(try JSONEncoder().encode(receipt)) }

    @Test("a good receipt under an earlier checkpoint is in today's log, explained in plain words")
    func goodReceipt() throws {
        let fixture = SharedFixture.clean
        let receipt = try fixture.receipt(position: fixture.firstEntry, checkpointSize: fixture.midCheckpointSize)
        let report = try ReceiptAuditor(log: try Self.log(SharedFixture.cleanExport))
            .run(receipt: try Self.receiptBytes(receipt), source: "test")
        #expect(report.findings.isEmpty, "\(report.humanText)")
        #expect(report.established.contains { $0.contains("inclusion proof") })
        #expect(report.established.contains { $0.contains("extends the receipt's checkpoint") })
        #expect(report.established.contains { $0.contains("is your signature") })
    }

    @Test("a receipt with a wrong proof, a wrong hash or an unsigned checkpoint is refused")
    func badReceipts() throws {
        let fixture = SharedFixture.clean
        let good = try fixture.receipt(position: fixture.firstEntry, checkpointSize: fixture.midCheckpointSize)
        let auditor = ReceiptAuditor(log: try Self.log(SharedFixture.cleanExport))

        var proof = good.inclusionProof
        proof[0] = String(repeating: "0", count: 64)
        let badProof = Receipt(pollID: good.pollID, position: good.position, entryHash: good.entryHash,
                               checkpoint: good.checkpoint, inclusionProof: proof)
        let r1 = try auditor.run(receipt: try Self.receiptBytes(badProof), source: "test")
        #expect(Audit.has(r1, .receiptNotIncluded, at: fixture.firstEntry), "\(r1.humanText)")

        let otherHash = Receipt(pollID: good.pollID, position: good.position, entryHash: String(repeating: "ab", count: 32),
                                checkpoint: good.checkpoint, inclusionProof: good.inclusionProof)
        let r2 = try auditor.run(receipt: try Self.receiptBytes(otherHash), source: "test")
        #expect(Audit.has(r2, .receiptNotIncluded, at: fixture.firstEntry))
        #expect(Audit.has(r2, .receiptEntryMismatch, at: fixture.firstEntry))

        let forgedSigner = try NoteSigner(name: FixtureKeys.signer.name, privateKey: Ed25519.PrivateKey())
        let body = try Checkpoint(note: try Note(parsing: Array(good.checkpoint.utf8)))
        let forged = Receipt(pollID: good.pollID, position: good.position, entryHash: good.entryHash,
                             checkpoint: try forgedSigner.sign(body.note()).serializedString(), inclusionProof: good.inclusionProof)
        let r3 = try auditor.run(receipt: try Self.receiptBytes(forged), source: "test")
        #expect(Audit.has(r3, .receiptBadCheckpoint, at: fixture.firstEntry), "\(r3.humanText)")
    }

    @Test("a receipt whose checkpoint was cosigned by a witness says so; a forged cosignature is a finding")
    func cosignedReceipt() throws {
        let fixture = SharedFixture.clean
        let good = try fixture.receipt(position: fixture.firstEntry, checkpointSize: fixture.midCheckpointSize)
        let witness = try Cosigner(name: "witness.test", privateKey: Ed25519.PrivateKey())
        let note = try Note(parsing: Array(good.checkpoint.utf8))
        let cosigned = try witness.cosign(note, timestamp: 1_750_000_000)
        let receipt = Receipt(pollID: good.pollID, position: good.position, entryHash: good.entryHash,
                              checkpoint: try cosigned.serializedString(), inclusionProof: good.inclusionProof)
        let report = try ReceiptAuditor(log: try Self.log(SharedFixture.cleanExport), witnesses: [witness.verifier])
            .run(receipt: try Self.receiptBytes(receipt), source: "test")
        #expect(report.findings.isEmpty, "\(report.humanText)")
        #expect(report.established.contains { $0.contains("witness witness.test cosigned") })

        // The same cosignature line with a flipped signature byte.
        var tampered = cosigned
        let line = tampered.signatures.removeLast()
        var bytes = line.bytes
        bytes[20] ^= 0x01
        tampered.signatures.append(try Note.Signature(name: line.name, keyID: line.keyID, bytes: bytes))
        let bad = Receipt(pollID: good.pollID, position: good.position, entryHash: good.entryHash,
                          checkpoint: try tampered.serializedString(), inclusionProof: good.inclusionProof)
        let refused = try ReceiptAuditor(log: try Self.log(SharedFixture.cleanExport), witnesses: [witness.verifier])
            .run(receipt: try Self.receiptBytes(bad), source: "test")
        #expect(Audit.has(refused, .receiptBadCosignature, at: fixture.firstEntry), "\(refused.humanText)")
    }

    @Test("diff: an earlier and a later checkpoint of one log are consistent")
    func diffConsistent() throws {
        let fixture = SharedFixture.clean
        let folder = SharedFixture.cleanExport
        let old = try Audit.read(folder + "/checkpoints/\(fixture.midCheckpointSize)")
        let new = try Audit.read(folder + "/checkpoint")
        let report = try CheckpointDiff(log: try Self.log(folder)).run(old: old, new: new, source: folder)
        #expect(report.findings.isEmpty, "\(report.humanText)")
        #expect(report.established.contains { $0.contains("extends OLD") })
        let same = try CheckpointDiff(log: try Self.log(folder)).run(old: new, new: new, source: folder)
        #expect(same.findings.isEmpty)
    }

    @Test("diff: a checkpoint of a forked history is history.forked; NEW before OLD is history.rolled_back")
    func diffForked() throws {
        let fixture = SharedFixture.clean
        let folder = SharedFixture.cleanExport
        let forked = try PollFixture(pollID: fixture.pollID)
        let forkedOld = forked.builder.checkpoints.first!.note  // same size as the clean mid checkpoint, another root
        let new = try Audit.read(folder + "/checkpoint")
        let report = try CheckpointDiff(log: try Self.log(folder)).run(old: forkedOld, new: new, source: folder)
        #expect(Audit.has(report, .historyForked, at: nil), "\(report.humanText)")

        let old = try Audit.read(folder + "/checkpoints/\(fixture.midCheckpointSize)")
        let backwards = try CheckpointDiff(log: try Self.log(folder)).run(old: new, new: old, source: folder)
        #expect(Audit.has(backwards, .historyRolledBack, at: nil))
    }
}
