import PnyxCrypto
import PnyxTransparency
import Testing

@Suite("Note keys (verifier and signer key strings)")
struct NoteKeyTests {
    @Test("Key ID is SHA-256(name || 0x0A || 0x01 || public key)[:4]")
    func keyID() throws {
        let verifier = try NoteVerifier(verifierKey: PeterNeumann.verifierKey)
        let digest = SHA256.hash(Array("PeterNeumann\n".utf8) + [0x01] + verifier.publicKey.rawRepresentation)
        let expected = UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
        #expect(verifier.keyID == expected)
        #expect(NoteKey.keyID(name: "PeterNeumann", type: .ed25519, publicKey: verifier.publicKey.rawRepresentation) == 0xc74f20a3)
    }

    @Test("Generated keys format and parse back")
    func generatedRoundTrip() throws {
        let signer = try NoteSigner.generate(name: "example.com/log")
        let again = try NoteSigner(signerKey: signer.signerKey)
        #expect(again.signerKey == signer.signerKey)
        #expect(try NoteVerifier(verifierKey: signer.verifier.verifierKey) == signer.verifier)
        #expect(signer.signerKey.hasPrefix("PRIVATE+KEY+example.com/log+"))
    }

    @Test("Malformed verifier keys: key.malformed", arguments: [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // wrong key ID
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", // upper-case hex
        "PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // 7 hex digits
        "PeterNeumann+c74f20a3ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  // missing '+'
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",  // bad base64
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWAA==", // 33-byte key
        "PeterNeumann+c74f20a3+",
        "PeterNeumann",
        "",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW\n",
    ])
    func malformedVerifierKey(_ key: String) {
        expectTransparencyCode(.keyMalformed) { _ = try NoteVerifier(verifierKey: key) }
    }

    @Test("Verifier key with a bad name: key.invalid_name")
    func badName() {
        expectTransparencyCode(.keyInvalidName) { _ = try NoteVerifier(verifierKey: "+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") }
        expectTransparencyCode(.keyInvalidName) { _ = try NoteVerifier(verifierKey: "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW") }
        for name in ["", "a+b", "a b", "a\tb", "a\u{2003}b", "a\nb"] {
            #expect(!NoteKey.isValidName(name), "\(name)")
            expectTransparencyCode(.keyInvalidName) { _ = try NoteSigner.generate(name: name) }
        }
        for name in ["a", "example.com/log42", "oid/1.3.6.1.4.1", "é"] { #expect(NoteKey.isValidName(name)) }
    }

    @Test("Unknown signature type: key.unsupported_algorithm")
    func unsupportedType() throws {
        let material = try Base64.decode("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW")
        let type2 = [0x02] + material.dropFirst()
        let id = NoteKey.keyID(name: "PeterNeumann", type: NoteSignatureType(rawValue: 2), publicKey: Array(material.dropFirst()))
        let key = "PeterNeumann+\(hex8(id))+\(Base64.encode(type2))"
        expectTransparencyCode(.keyUnsupportedAlgorithm) { _ = try NoteVerifier(verifierKey: key) }
    }

    @Test("Malformed signer keys", arguments: [
        ("PRIVATE+KEY+PeterNeumann+c74f20a4+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "key.malformed"), // wrong ID
        ("PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "key.malformed"), // no prefix
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDF", "key.malformed"),
        ("PRIVATE+KEY+PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "key.malformed"), // a public key as seed: ID mismatch
        ("private+key+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz", "key.malformed"),
    ])
    func malformedSignerKey(_ key: String, _ code: String) {
        expectTransparencyCode(TransparencyError.Code(rawValue: code)) { _ = try NoteSigner(signerKey: key) }
    }

    @Test("A signer key is not a verifier key and vice versa")
    func notInterchangeable() {
        // Read as a verifier key, "PRIVATE" is the name and "KEY+Pete" is no key ID.
        expectTransparencyCode(.keyMalformed) { _ = try NoteVerifier(verifierKey: PeterNeumann.signerKey) }
        expectTransparencyCode(.keyMalformed) { _ = try NoteSigner(signerKey: PeterNeumann.verifierKey) }
    }

    private func hex8(_ id: UInt32) -> String {
        Hex.encode([UInt8(id >> 24), UInt8(id >> 16 & 0xff), UInt8(id >> 8 & 0xff), UInt8(id & 0xff)])
    }
}
