import PnyxCrypto
import PnyxTransparency
import Testing

/// The Ed25519 example key pair and note from golang.org/x/mod/sumdb/note, the reference
/// implementation the C2SP signed-note spec was extracted from (transcribed exactly).
enum PeterNeumann {
    static let verifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let signerKey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let text = "If you think cryptography is the answer to your problem,\n"
        + "then you don't know what your problem is.\n"
    static let signatureLine =
        "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let note = text + "\n" + signatureLine
}

/// The example note of c2sp.org/signed-note (its key is not published, so it can only be parsed).
enum SignedNoteSpecExample {
    static let note = "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n\n"
        + "— quasimodo.example/salvatore NnugSzTjtVAewIS+Z/iJhUPeFDkO/5QQ2i5ddnGITLlC+EhfLW9oJKONrMouFSQU0xMcXxj99ihAQwaqP3ZekRwNtIc=\n"
}

/// Asserts that `body` throws a TransparencyError with `code`.
func expectTransparencyCode(
    _ code: TransparencyError.Code, sourceLocation: SourceLocation = #_sourceLocation,
    _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code), nothing thrown", sourceLocation: sourceLocation)
    } catch let error as TransparencyError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

func seededNoteSigner(_ name: String, seed: UInt8) throws -> NoteSigner {
    try NoteSigner(name: name, privateKey: Ed25519.PrivateKey(seed: [UInt8](repeating: seed, count: 32)))
}

@Suite("Signed notes (c2sp.org/signed-note)")
struct NoteTests {
    @Test("PeterNeumann example: keys parse, signing reproduces the note, the note verifies")
    func peterNeumann() throws {
        let verifier = try NoteVerifier(verifierKey: PeterNeumann.verifierKey)
        #expect(verifier.name == "PeterNeumann")
        #expect(verifier.keyID == 0xc74f20a3)
        #expect(verifier.verifierKey == PeterNeumann.verifierKey)

        let signer = try NoteSigner(signerKey: PeterNeumann.signerKey)
        #expect(signer.keyID == 0xc74f20a3)
        #expect(signer.signerKey == PeterNeumann.signerKey)
        #expect(signer.verifier == verifier)

        let signed = try signer.sign(text: PeterNeumann.text)
        #expect(try signed.serializedString() == PeterNeumann.note)

        let opened = try NoteVerifierSet([verifier]).open(PeterNeumann.note)
        #expect(opened.text == PeterNeumann.text)
        #expect(opened.signatures.count == 1)
        #expect(opened.signatures[0].name == "PeterNeumann")
        #expect(opened.signatures[0].keyID == 0xc74f20a3)
    }

    @Test("PeterNeumann example: a changed text does not verify")
    func peterNeumannTampered() throws {
        let set = try NoteVerifierSet([NoteVerifier(verifierKey: PeterNeumann.verifierKey)])
        let tampered = PeterNeumann.note.replacing("cryptography", with: "cryptographY")
        expectTransparencyCode(.noteBadSignature) { _ = try set.open(tampered) }
    }

    @Test("The spec's example note parses and serializes back byte for byte")
    func specExampleRoundTrip() throws {
        let note = try Note(parsing: SignedNoteSpecExample.note)
        #expect(note.text == "Ognuno sta solo sul cuor della terra\ntrafitto da un raggio di sole:\n\ned è subito sera.\n")
        #expect(note.signatures.map(\.name) == ["quasimodo.example/salvatore"])
        #expect(try note.serializedString() == SignedNoteSpecExample.note)
        // Nobody known signed it.
        let set = try NoteVerifierSet([NoteVerifier(verifierKey: PeterNeumann.verifierKey)])
        expectTransparencyCode(.noteUnknownKey) { try set.verify(note) }
    }

    @Test("Round trip: sign, serialize, parse, verify; parse(serialize) is the identity")
    func roundTrip() throws {
        let alice = try seededNoteSigner("example.com/alice", seed: 1)
        let note = try alice.sign(text: "line one\n\nline three after a blank line\n")
        let bytes = try note.serialized()
        let parsed = try Note(parsing: bytes)
        #expect(parsed == note)
        #expect(try parsed.serialized() == bytes)
        let verified = try NoteVerifierSet([alice.verifier]).verify(parsed)
        #expect(verified.map(\.name) == ["example.com/alice"])
    }

    @Test("A text of a single newline, and a text ending with a blank line, round trip")
    func edgeTexts() throws {
        let alice = try seededNoteSigner("alice", seed: 1)
        for text in ["\n", "a\n\n", "— looks like a signature line\n"] {
            let note = try alice.sign(text: text)
            let parsed = try NoteVerifierSet([alice.verifier]).open(note.serialized())
            #expect(parsed.text == text)
        }
    }

    @Test("Several signers: each known one is reported once")
    func severalSigners() throws {
        let a = try seededNoteSigner("a.example", seed: 1), b = try seededNoteSigner("b.example", seed: 2), c = try seededNoteSigner("c.example", seed: 3)
        let note = try c.sign(b.sign(a.sign(text: "hello\n")))
        #expect(note.signatures.count == 3)
        let verified = try NoteVerifierSet([a.verifier, c.verifier]).verify(Note(parsing: note.serialized()))
        #expect(verified.map(\.name) == ["a.example", "c.example"])
        // Re-signing replaces, not duplicates.
        #expect(a.sign(note).signatures.count == 3)
    }

    @Test("Signatures by unknown keys are ignored, even sharing a name or a key ID with a known key")
    func unknownIgnored() throws {
        let peter = try NoteSigner(signerKey: PeterNeumann.signerKey)
        let text = Array(PeterNeumann.text.utf8)
        var note = try Note(parsing: PeterNeumann.note)
        // Same name, another key ID; another name, the same key ID; a stranger.
        note.signatures.insert(try Note.Signature(name: "PeterNeumann", keyID: 0xdeadbeef, bytes: [1, 2, 3]), at: 0)
        note.signatures.append(try Note.Signature(name: "Impostor", keyID: peter.keyID, bytes: peter.signature(forText: text).bytes.reversed()))
        note.signatures.append(try seededNoteSigner("stranger", seed: 9).signature(forText: text))
        let reparsed = try Note(parsing: note.serialized())
        let verified = try NoteVerifierSet([peter.verifier]).verify(reparsed)
        #expect(verified.map(\.name) == ["PeterNeumann"])
    }

    @Test("Names match byte for byte: a canonically equivalent name is another key")
    func byteExactNames() throws {
        let precomposed = try seededNoteSigner("caf\u{E9}", seed: 4)
        let note = try precomposed.sign(text: "menu\n")
        var renamed = note
        renamed.signatures = [try Note.Signature(name: "cafe\u{301}", keyID: precomposed.keyID, bytes: note.signatures[0].bytes)]
        #expect(renamed != note)
        expectTransparencyCode(.noteUnknownKey) { try NoteVerifierSet([precomposed.verifier]).verify(Note(parsing: renamed.serialized())) }
        _ = try NoteVerifierSet([precomposed.verifier]).verify(note)
        #expect(try Note(text: "caf\u{E9}\n") != (try Note(text: "cafe\u{301}\n")))
    }

    @Test("Only unknown signatures: note.unknown_key; empty verifier set too")
    func onlyUnknown() throws {
        let note = try Note(parsing: PeterNeumann.note)
        expectTransparencyCode(.noteUnknownKey) { try NoteVerifierSet([seededNoteSigner("other", seed: 5).verifier]).verify(note) }
        expectTransparencyCode(.noteUnknownKey) { try NoteVerifierSet([]).verify(note) }
    }

    @Test("A signature with the right name but a wrong key ID is ignored (note.unknown_key)")
    func wrongKeyID() throws {
        let wrongID = PeterNeumann.text + "\n— PeterNeumann " + Base64.encode([0xc7, 0x4f, 0x20, 0xa4] + [UInt8](repeating: 7, count: 64)) + "\n"
        let set = try NoteVerifierSet([NoteVerifier(verifierKey: PeterNeumann.verifierKey)])
        expectTransparencyCode(.noteUnknownKey) { _ = try set.open(wrongID) }
    }

    @Test("A failing signature from a known key rejects the note, even next to a good one")
    func badKnownSignature() throws {
        let peter = try NoteSigner(signerKey: PeterNeumann.signerKey)
        var note = try Note(parsing: PeterNeumann.note)
        var bytes = note.signatures[0].bytes
        bytes[10] ^= 1
        note.signatures.append(try Note.Signature(name: "PeterNeumann", keyID: peter.keyID, bytes: bytes))
        expectTransparencyCode(.noteBadSignature) { try NoteVerifierSet([peter.verifier]).verify(note) }
        // A signature of the wrong length from a known key.
        let short = try Note(text: PeterNeumann.text, signatures: [
            Note.Signature(name: "PeterNeumann", keyID: peter.keyID, bytes: [1, 2, 3]),
        ])
        expectTransparencyCode(.noteBadSignature) { try NoteVerifierSet([peter.verifier]).verify(short) }
    }

    @Test("Exactly 100 signatures are accepted; 101 are refused")
    func signatureLimit() throws {
        let alice = try seededNoteSigner("alice", seed: 1)
        let line = try alice.sign(text: "t\n").signatures[0].line
        let hundred = "t\n\n" + String(repeating: line, count: 100)
        let parsed = try Note(parsing: hundred)
        #expect(parsed.signatures.count == 100)
        #expect(try NoteVerifierSet([alice.verifier]).verify(parsed).count == 1)
        expectTransparencyCode(.noteTooManySignatures) { _ = try Note(parsing: hundred + line) }
        var tooMany = parsed
        tooMany.signatures.append(parsed.signatures[0])
        expectTransparencyCode(.noteTooManySignatures) { _ = try tooMany.serialized() }
    }

    static let sig = "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM="

    @Test("Malformed notes are refused with note.malformed", arguments: [
        ("missing blank line", PeterNeumann.text + "— PeterNeumann \(sig)\n"),
        ("no signatures", PeterNeumann.text + "\n"),
        ("empty message", ""),
        ("text only, no newline", "hello"),
        ("bad base64", PeterNeumann.text + "\n— PeterNeumann !!!!\n"),
        ("non-canonical base64 (spare bits)", PeterNeumann.text + "\n— PeterNeumann " + sig.replacing("AM=", with: "AN=") + "\n"),
        ("unpadded base64", PeterNeumann.text + "\n— PeterNeumann " + String(sig.dropLast()) + "\n"),
        ("empty base64", PeterNeumann.text + "\n— PeterNeumann \n"),
        ("signature of 4 bytes", "a\n\n— a AAAAAA==\n"),
        ("4-byte signature after a valid line", PeterNeumann.note + "— a AAAAAA==\n"),
        ("trailing data after the last line", PeterNeumann.note + "trailing"),
        ("signature line without final newline", PeterNeumann.text + "\n— PeterNeumann \(sig)"),
        ("trailing blank line", PeterNeumann.note + "\n"),
        ("no em dash", PeterNeumann.text + "\n- PeterNeumann \(sig)\n"),
        ("no space after em dash", PeterNeumann.text + "\n—PeterNeumann \(sig)\n"),
        ("no space after name", PeterNeumann.text + "\n— PeterNeumann\n"),
        ("empty name", "a\n\n—  AAAAAAA=\n"),
        ("plus in name", PeterNeumann.text + "\n— Peter+Neumann \(sig)\n"),
        ("extra space before signature", PeterNeumann.text + "\n— PeterNeumann  \(sig)\n"),
        ("extra field", PeterNeumann.text + "\n— PeterNeumann \(sig) extra\n"),
        ("tab control character", "a\tb\n\n— PeterNeumann \(sig)\n"),
        ("carriage return", "a\r\n\n— PeterNeumann \(sig)\n"),
        ("NUL", "a\u{0}\n\n— PeterNeumann \(sig)\n"),
        ("unicode space in name", PeterNeumann.text + "\n— Peter\u{00A0}Neumann \(sig)\n"),
    ])
    func malformed(_ label: String, _ message: String) {
        expectTransparencyCode(.noteMalformed) { _ = try Note(parsing: message) }
    }

    @Test("Invalid UTF-8 is refused")
    func invalidUTF8() {
        let bytes = Array("a".utf8) + [0xff, 0x0a, 0x0a] + Array("— a AAAAAAA=\n".utf8)
        expectTransparencyCode(.noteMalformed) { _ = try Note(parsing: bytes) }
        let truncated = Array("a".utf8) + [0xe2, 0x80, 0x0a, 0x0a] + Array("— a AAAAAAA=\n".utf8)
        expectTransparencyCode(.noteMalformed) { _ = try Note(parsing: truncated) }
    }

    @Test("Note texts must end in a newline and hold no control characters; unsigned notes do not serialize")
    func textRules() throws {
        for text in ["", "no newline", "a\u{1}\n", "tab\there\n"] {
            expectTransparencyCode(.noteMalformed) { _ = try Note(text: text) }
        }
        expectTransparencyCode(.noteMalformed) { _ = try Note(text: "ok\n").serialized() }
        expectTransparencyCode(.keyInvalidName) { _ = try Note.Signature(name: "a b", keyID: 1, bytes: [1]) }
        expectTransparencyCode(.noteMalformed) { _ = try Note.Signature(name: "ab", keyID: 1, bytes: []) }
    }

    @Test("Two different keys with one name and key ID make an ambiguous verifier set")
    func ambiguous() throws {
        let peter = try NoteVerifier(verifierKey: PeterNeumann.verifierKey)
        _ = try NoteVerifierSet([peter, peter])
        let other = CollidingNoteVerifier(name: peter.name, keyID: peter.keyID)
        expectTransparencyCode(.noteAmbiguousKey) { _ = try NoteVerifierSet([peter, other]) }
    }
}

/// A verifier that accepts nothing, used to provoke name/key ID collisions.
struct CollidingNoteVerifier: NoteSignatureVerifier {
    let name: String
    let keyID: UInt32
    var verifierKey: String { "\(name)+fake" }
    func isValidSignature(_ signature: [UInt8], forText text: [UInt8]) -> Bool { false }
}
