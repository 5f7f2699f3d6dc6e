public import PnyxCrypto

/// Anything that can check one note signature line: the key name and ID it answers to,
/// and the check itself. ``NoteVerifier`` (type 0x01) and ``CosignatureVerifier`` (type 0x04) conform.
public protocol NoteSignatureVerifier: Sendable {
    /// The key name on the signature lines this verifier checks.
    var name: String { get }
    /// The key ID on the signature lines this verifier checks.
    var keyID: UInt32 { get }
    /// The verifier key string `<name>+<hex key ID>+<base64(type || public key)>`.
    var verifierKey: String { get }
    /// True when `signature` (the bytes after the key ID) is valid over the note `text`.
    func isValidSignature(_ signature: [UInt8], forText text: [UInt8]) -> Bool
}

/// An Ed25519 note verifier (signature type 0x01): a key name, key ID and public key.
public struct NoteVerifier: NoteSignatureVerifier, Hashable {
    public let name: String
    public let keyID: UInt32
    /// The Ed25519 public key.
    public let publicKey: Ed25519.PublicKey

    init(_ key: Ed25519VerifierKey) {
        name = key.name
        keyID = key.keyID
        publicKey = key.publicKey
    }

    /// Name, key ID and public key, as one value.
    var key: Ed25519VerifierKey { Ed25519VerifierKey(type: .ed25519, name: name, keyID: keyID, publicKey: publicKey) }

    /// A verifier for `publicKey` under `name`; the key ID is derived. Throws `key.invalid_name`.
    public init(name: String, publicKey: Ed25519.PublicKey) throws(TransparencyError) {
        self.init(try Ed25519VerifierKey(name: name, type: .ed25519, publicKey: publicKey))
    }

    /// Parses a verifier key `<name>+<hex key ID>+<base64(0x01 || public key)>`.
    /// Throws `key.malformed` (including a key ID that does not match), `key.invalid_name`
    /// or `key.unsupported_algorithm`.
    public init(verifierKey: String) throws(TransparencyError) {
        self.init(try Ed25519VerifierKey(verifierKey: verifierKey, type: .ed25519))
    }

    public var verifierKey: String { key.verifierKey }

    /// Byte-wise equality of name, key ID and public key.
    public static func == (lhs: NoteVerifier, rhs: NoteVerifier) -> Bool { lhs.key == rhs.key }

    public func hash(into hasher: inout Hasher) { key.hash(into: &hasher) }

    public func isValidSignature(_ signature: [UInt8], forText text: [UInt8]) -> Bool {
        publicKey.isValidSignature(signature, for: text)
    }
}
