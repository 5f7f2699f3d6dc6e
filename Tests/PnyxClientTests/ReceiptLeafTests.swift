import Foundation
@testable import PnyxClient
import PnyxCore
import PnyxCrypto
import PnyxTransparency
import Testing

/// `check` reads the log's leaf at the receipt's position: it must be the wallet's own entry.
@Suite struct ReceiptLeafTests {
    let poll = PollID.random()
    let key = Ed25519.PrivateKey()

    /// An entry bundle of four leaves whose leaf 3 is an entry signed by `signer` saying `payload`.
    func bundle(signer: Ed25519.PrivateKey, payload: EntryPayload) throws -> (bundle: [UInt8], leaf: [UInt8]) {
        let credential = Credential(attributeClass: .anonymous, keyID: KeyID(spki: [1, 2, 3]), oneTimeKey: signer.publicKey,
                                    prefix: [UInt8](repeating: 7, count: BlindRSA.prefixLength),
                                    signature: [UInt8](repeating: 9, count: 256))
        let entry = try Entry(pollID: poll, credential: credential, channel: .online, payload: payload, signingWith: signer)
        var leaves: [[UInt8]] = []
        var previous = LogLeaf.genesisHash(logID: poll.bytes)
        for position in 0..<4 {
            let body: LogRecord.Body = position == 3
                ? .entry(entry) : .lifecycle(LifecycleEvent(kind: .opened, at: 1_800_000_000))
            let leaf = try LogLeaf(position: UInt64(position), previousHash: previous,
                                   payload: try LogRecord(recordedAt: 1_800_000_000, body: body).leafPayload())
            previous = leaf.entryHash
            leaves.append(leaf.bytes)
        }
        return (LogExport.entryBundle(leaves: leaves), leaves[3])
    }

    func receipt(for leaf: [UInt8], position: UInt64 = 3) -> Receipt {
        Receipt(pollID: poll, position: position, entryHash: MerkleHash.leafHash(leaf).hex, checkpoint: "", inclusionProof: [])
    }

    @Test func theWalletsOwnEntryPasses() throws {
        let (bundle, leaf) = try bundle(signer: key, payload: .sign(nil))
        try ReceiptLeafTests.expectNoThrow {
            try ReceiptCheck.verifyLeaf(receipt(for: leaf), bundle: bundle, width: 4, payload: .sign(nil), oneTimeKey: key.publicKey)
        }
    }

    @Test func anotherEntryAtThePositionIsAMismatch() throws {
        let (bundle, leaf) = try bundle(signer: key, payload: .withdraw)
        // The leaf says "withdraw", the wallet sent "sign".
        #expect(code { try ReceiptCheck.verifyLeaf(receipt(for: leaf), bundle: bundle, width: 4, payload: .sign(nil), oneTimeKey: key.publicKey) }
                == "receipt.entry_mismatch")
        // Someone else's one-time key.
        let (other, otherLeaf) = try self.bundle(signer: Ed25519.PrivateKey(), payload: .sign(nil))
        #expect(code { try ReceiptCheck.verifyLeaf(receipt(for: otherLeaf), bundle: other, width: 4, payload: .sign(nil),
                                                   oneTimeKey: key.publicKey) } == "receipt.entry_mismatch")
        // A receipt whose entry hash is not the leaf's.
        let (mine, _) = try self.bundle(signer: key, payload: .sign(nil))
        #expect(code { try ReceiptCheck.verifyLeaf(receipt(for: [1, 2, 3]), bundle: mine, width: 4, payload: .sign(nil),
                                                   oneTimeKey: key.publicKey) } == "receipt.entry_mismatch")
        // A lifecycle record at the receipt's position is not an entry.
        let lifecycle = try LogExport.parseEntryBundle(mine, count: 4, path: "x")[2]
        #expect(code { try ReceiptCheck.verifyLeaf(receipt(for: lifecycle, position: 2), bundle: mine, width: 4, payload: .sign(nil),
                                                   oneTimeKey: key.publicKey) } == "receipt.entry_mismatch")
        // A truncated bundle is a bad answer.
        #expect(code { try ReceiptCheck.verifyLeaf(receipt(for: leaf), bundle: Array(bundle.dropLast(5)), width: 4, payload: .withdraw,
                                                   oneTimeKey: key.publicKey) } == "client.bad_response")
    }

    private func code(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch let error as ClientError { return error.code } catch { return "\(error)" }
    }

    private static func expectNoThrow(_ body: () throws -> Void) throws {
        do { try body() } catch { Issue.record("\(error)") }
    }
}
