import PnyxCrypto

/// The signature type identifier byte of a note key (c2sp.org/signed-note, "Signature types").
public struct NoteSignatureType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public var description: String { "0x" + Hex.encode([rawValue]) }

    /// `0x01`: Ed25519 signatures over the note text.
    public static let ed25519 = NoteSignatureType(rawValue: 0x01)
    /// `0x04`: timestamped Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, v1).
    public static let cosignatureV1 = NoteSignatureType(rawValue: 0x04)
}

/// Key names and key IDs shared by every note key type.
public enum NoteKey {
    /// True when `name` is a valid key name: non-empty, no `+`, no Unicode white space and
    /// no ASCII control characters.
    public static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty else { return false }
        for scalar in name.unicodeScalars {
            if scalar == "+" || scalar.value < 0x20 || scalar.value == 0x7f || scalar.properties.isWhitespace {
                return false
            }
        }
        return true
    }

    /// The key ID: the first four bytes, big-endian, of
    /// `SHA-256(name || 0x0A || signature type || public key)`.
    public static func keyID(name: String, type: NoteSignatureType, publicKey: [UInt8]) -> UInt32 {
        let digest = SHA256.hash(parts: [Array(name.utf8), [0x0a, type.rawValue], publicKey])
        return UInt32(digest[0]) << 24 | UInt32(digest[1]) << 16 | UInt32(digest[2]) << 8 | UInt32(digest[3])
    }

    /// Byte-wise equality of key names and texts (Swift's `==` on strings is canonical
    /// equivalence, which would let differently encoded names or texts compare equal).
    static func sameBytes(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }

    /// Eight lower-case hex digits of a key ID.
    static func hex(_ keyID: UInt32) -> String {
        Hex.encode([UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xff), UInt8(keyID >> 8 & 0xff), UInt8(keyID & 0xff)])
    }

    static func validateName(_ name: String) throws(TransparencyError) {
        guard isValidName(name) else {
            throw TransparencyError(.keyInvalidName, "invalid key name \"\(name)\"")
        }
    }

    /// The parts of a verifier key `<name>+<hex key ID>+<base64(type || key)>`, or of the
    /// same after `PRIVATE+KEY+` for a signer key. The key ID is not checked here.
    struct Encoded {
        let name: String
        let keyID: UInt32
        let type: NoteSignatureType
        let material: [UInt8]
    }

    /// Splits an encoded key. Strict: exactly 8 lower-case hex digits, canonical base64,
    /// a supported type and 32 bytes of Ed25519 key material.
    static func decode(_ text: String) throws(TransparencyError) -> Encoded {
        let utf8 = Array(text.utf8)
        guard let firstPlus = utf8.firstIndex(of: UInt8(ascii: "+")) else {
            throw TransparencyError(.keyMalformed, "key has no '+' separators")
        }
        let name = String(decoding: utf8[..<firstPlus], as: UTF8.self)
        try validateName(name)
        let hexStart = firstPlus + 1
        guard utf8.count >= hexStart + 9, utf8[hexStart + 8] == UInt8(ascii: "+") else {
            throw TransparencyError(.keyMalformed, "key ID must be 8 hex digits followed by '+'")
        }
        let hexDigits = utf8[hexStart..<(hexStart + 8)]
        guard hexDigits.allSatisfy({ (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }),
              let idBytes = try? Hex.decode(String(decoding: hexDigits, as: UTF8.self)) else {
            throw TransparencyError(.keyMalformed, "key ID must be 8 lower-case hex digits")
        }
        let keyID = UInt32(idBytes[0]) << 24 | UInt32(idBytes[1]) << 16 | UInt32(idBytes[2]) << 8 | UInt32(idBytes[3])
        guard let blob = try? Base64.decode(utf8: Array(utf8[(hexStart + 9)...])), !blob.isEmpty else {
            throw TransparencyError(.keyMalformed, "key material is not canonical base64")
        }
        let type = NoteSignatureType(rawValue: blob[0])
        guard type == .ed25519 || type == .cosignatureV1 else {
            throw TransparencyError(.keyUnsupportedAlgorithm, "unsupported key type \(type)")
        }
        guard blob.count == 33 else {
            throw TransparencyError(.keyMalformed, "Ed25519 key material must be 32 bytes, got \(blob.count - 1)")
        }
        return Encoded(name: name, keyID: keyID, type: type, material: Array(blob[1...]))
    }

    /// `<name>+<hex key ID>+<base64(type || material)>`.
    static func encode(name: String, keyID: UInt32, type: NoteSignatureType, material: [UInt8]) -> String {
        "\(name)+\(hex(keyID))+\(Base64.encode([type.rawValue] + material))"
    }

    static let privateKeyPrefix = "PRIVATE+KEY+"

    /// Parses a signer key `PRIVATE+KEY+<name>+<hex id>+<base64(type || seed)>` whose
    /// key ID must match the public key derived from the seed.
    static func decodeSigner(
        _ text: String, expecting type: NoteSignatureType
    ) throws(TransparencyError) -> (name: String, keyID: UInt32, privateKey: Ed25519.PrivateKey) {
        guard text.hasPrefix(privateKeyPrefix) else {
            throw TransparencyError(.keyMalformed, "signer key must start with PRIVATE+KEY+")
        }
        let parts = try decode(String(text.dropFirst(privateKeyPrefix.count)))
        guard parts.type == type else {
            throw TransparencyError(.keyUnsupportedAlgorithm, "signer key has type \(parts.type), expected \(type)")
        }
        let privateKey: Ed25519.PrivateKey
        do { privateKey = try Ed25519.PrivateKey(seed: parts.material) } catch {
            throw TransparencyError(.keyMalformed, "invalid Ed25519 seed: \(error.reason)")
        }
        let expected = keyID(name: parts.name, type: type, publicKey: privateKey.publicKey.rawRepresentation)
        guard expected == parts.keyID else {
            throw TransparencyError(.keyMalformed, "signer key ID \(hex(parts.keyID)) does not match the key (\(hex(expected)))")
        }
        return (parts.name, parts.keyID, privateKey)
    }

    /// Parses a verifier key of `type` whose key ID must match its name and public key.
    static func decodeVerifier(
        _ text: String, expecting type: NoteSignatureType
    ) throws(TransparencyError) -> (name: String, keyID: UInt32, publicKey: Ed25519.PublicKey) {
        let parts = try decode(text)
        guard parts.type == type else {
            throw TransparencyError(.keyUnsupportedAlgorithm, "verifier key has type \(parts.type), expected \(type)")
        }
        let expected = keyID(name: parts.name, type: type, publicKey: parts.material)
        guard expected == parts.keyID else {
            throw TransparencyError(.keyMalformed, "verifier key ID \(hex(parts.keyID)) does not match the key (\(hex(expected)))")
        }
        let publicKey: Ed25519.PublicKey
        do { publicKey = try Ed25519.PublicKey(rawRepresentation: parts.material) } catch {
            throw TransparencyError(.keyMalformed, "invalid Ed25519 public key: \(error.reason)")
        }
        return (parts.name, parts.keyID, publicKey)
    }
}
