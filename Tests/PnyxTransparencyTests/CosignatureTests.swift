import PnyxCrypto
import PnyxTransparency
import Testing

@Suite("Cosignatures (c2sp.org/tlog-cosignature, Ed25519 v1)")
struct CosignatureTests {
    let log: NoteSigner
    let witness: Cosigner
    let checkpoint: Checkpoint

    init() throws {
        log = try NoteSigner(name: "example.com/log", privateKey: Ed25519.PrivateKey(seed: [UInt8](repeating: 1, count: 32)))
        witness = try Cosigner(name: "witness.example.com/w1", privateKey: Ed25519.PrivateKey(seed: [UInt8](repeating: 2, count: 32)))
        checkpoint = try Checkpoint(origin: "example.com/log", size: 20852163, rootHash: SHA256.hash(Array("root".utf8)))
    }

    @Test("The signed message is the header, the time line and the checkpoint body")
    func signedMessage() throws {
        let body = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let message = Cosignature.signedMessage(checkpointText: Array(body.utf8), timestamp: 1679315147)
        #expect(String(decoding: message, as: UTF8.self) == "cosignature/v1\ntime 1679315147\n" + body)
        #expect(String(decoding: Cosignature.signedMessage(checkpointText: [], timestamp: 0), as: UTF8.self) == "cosignature/v1\ntime 0\n")
    }

    @Test("The spec's example cosignature line decodes: key ID, timestamp 1679315147, 64-byte signature")
    func specExampleDecodes() throws {
        let note = try Note(parsing: "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n\n"
            + "— example.com/behind-the-sofa Az3grlgtzPICa5OS8npVmf1Myq/5IZniMp+ZJurmRDeOoRDe4URYN7u5/Zhcyv2q1gGzGku9nTo+zyWE+xeMcTOAYQ8=\n"
            + "— witness.example.com/w1 jWbPPwAAAABkGFDLEZMHwSRaJNiIDoe9DYn/zXcrtPHeolMI5OWXEhZCB9dlrDJsX3b2oyin1nPZqhf5nNo0xUe+mbIUBkBIfZ+qnA==\n")
        let line = note.signatures[1]
        #expect(line.keyID == 0x8d66cf3f)
        let cosignature = try Cosignature(noteSignatureBytes: line.bytes)
        #expect(cosignature.timestamp == 1679315147)
        #expect(cosignature.signature.count == 64)
        #expect(cosignature.noteSignatureBytes == line.bytes)
    }

    @Test("Key ID uses signature type 0x04, unlike a 0x01 note key for the same name and key")
    func keyIDType() throws {
        let key = try Ed25519.PrivateKey(seed: [UInt8](repeating: 2, count: 32))
        let noteKey = try NoteSigner(name: witness.name, privateKey: key)
        #expect(witness.keyID == NoteKey.keyID(name: witness.name, type: .cosignatureV1, publicKey: key.publicKey.rawRepresentation))
        #expect(witness.keyID != noteKey.keyID)
    }

    @Test("Round trip: log signs, witness cosigns, both verify; the timestamp comes back")
    func roundTrip() throws {
        let signed = log.sign(checkpoint.note())
        let cosigned = try witness.cosign(signed, timestamp: 1_700_000_000)
        let parsed = try Note(parsing: cosigned.serialized())
        #expect(parsed.signatures.count == 2)
        #expect(parsed.signatures[1].bytes.count == 72)
        let verified = try NoteVerifierSet([log.verifier, witness.verifier]).verify(parsed)
        #expect(verified.map(\.name) == ["example.com/log", "witness.example.com/w1"])
        #expect(try witness.verifier.verifiedTimestamp(in: parsed) == 1_700_000_000)
        #expect(try witness.verifier.verify(parsed.signatures[1], for: checkpoint) == 1_700_000_000)
        // Cosigning again replaces the old cosignature.
        #expect(try witness.cosign(cosigned, timestamp: 1_700_000_001).signatures.count == 2)
    }

    @Test("Verifier and signer key strings round trip with type 0x04, and are not 0x01 keys")
    func keyStrings() throws {
        let vkey = witness.verifier.verifierKey
        #expect(try CosignatureVerifier(verifierKey: vkey) == witness.verifier)
        #expect(try Cosigner(signerKey: witness.signerKey).keyID == witness.keyID)
        expectTransparencyCode(.keyUnsupportedAlgorithm) { _ = try NoteVerifier(verifierKey: vkey) }
        expectTransparencyCode(.keyUnsupportedAlgorithm) { _ = try CosignatureVerifier(verifierKey: log.verifier.verifierKey) }
        expectTransparencyCode(.keyUnsupportedAlgorithm) { _ = try NoteSigner(signerKey: witness.signerKey) }
    }

    @Test("Tampering with the checkpoint, the timestamp or the signature is detected")
    func tamper() throws {
        let line = try witness.cosign(checkpoint, timestamp: 1_700_000_000)
        let verifier = witness.verifier

        let other = try Checkpoint(origin: checkpoint.origin, size: checkpoint.size + 1, rootHash: checkpoint.rootHash)
        expectTransparencyCode(.cosignatureBadSignature) { _ = try verifier.verify(line, for: other) }

        var timestamp = line.bytes
        timestamp[7] ^= 1
        expectTransparencyCode(.cosignatureBadSignature) {
            _ = try verifier.verify(Note.Signature(name: line.name, keyID: line.keyID, bytes: timestamp), for: checkpoint)
        }
        var signature = line.bytes
        signature[40] ^= 0x80
        expectTransparencyCode(.cosignatureBadSignature) {
            _ = try verifier.verify(Note.Signature(name: line.name, keyID: line.keyID, bytes: signature), for: checkpoint)
        }
        // In a note, a tampered cosignature from a known cosigner rejects the note.
        var note = log.sign(checkpoint.note())
        note.signatures.append(try Note.Signature(name: line.name, keyID: line.keyID, bytes: signature))
        expectTransparencyCode(.noteBadSignature) { try NoteVerifierSet([log.verifier, verifier]).verify(note) }
        // A plain Ed25519 signature does not pass as a cosignature.
        #expect(!verifier.isValidSignature(Array(line.bytes.dropFirst(8)), forText: Array(checkpoint.text.utf8)))
    }

    @Test("Malformed cosignatures and timestamps")
    func malformed() throws {
        expectTransparencyCode(.cosignatureMalformed) { _ = try Cosignature(noteSignatureBytes: [UInt8](repeating: 0, count: 71)) }
        expectTransparencyCode(.cosignatureMalformed) { _ = try Cosignature(noteSignatureBytes: [UInt8](repeating: 0, count: 73)) }
        expectTransparencyCode(.cosignatureMalformed) { _ = try Cosignature(noteSignatureBytes: [0x80] + [UInt8](repeating: 0, count: 71)) }
        expectTransparencyCode(.cosignatureMalformed) { _ = try witness.cosign(checkpoint, timestamp: 1 << 63) }
        _ = try witness.cosign(checkpoint, timestamp: Cosignature.maxTimestamp)
        expectTransparencyCode(.noteUnknownKey) { _ = try witness.verifier.verifiedTimestamp(in: log.sign(checkpoint.note())) }
        expectTransparencyCode(.noteUnknownKey) {
            _ = try witness.verifier.verify(log.signature(forText: Array(checkpoint.text.utf8)), for: checkpoint)
        }
        expectTransparencyCode(.checkpointMalformed) { _ = try witness.cosign(log.sign(text: "not a checkpoint\n"), timestamp: 1) }
    }
}
