public import PnyxCrypto

/// An Ed25519 note signer (signature type 0x01): a key name, key ID and private key.
public struct NoteSigner: Sendable {
    /// The key name written on signature lines.
    public let name: String
    /// The key ID, `SHA-256(name || 0x0A || 0x01 || public key)[:4]`.
    public let keyID: UInt32
    private let privateKey: Ed25519.PrivateKey

    private init(_ key: Ed25519SignerKey) {
        name = key.name
        keyID = key.keyID
        privateKey = key.privateKey
    }

    /// Name, key ID and private key, as one value.
    private var key: Ed25519SignerKey { Ed25519SignerKey(type: .ed25519, name: name, keyID: keyID, privateKey: privateKey) }

    /// A signer for `privateKey` under `name`. Throws `key.invalid_name`.
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(TransparencyError) {
        self.init(try Ed25519SignerKey(name: name, type: .ed25519, privateKey: privateKey))
    }

    /// A new signer with a fresh key from `random`. Throws `key.invalid_name`.
    public static func generate(
        name: String, random: some RandomSource = SystemRandom()
    ) throws(TransparencyError) -> NoteSigner {
        try NoteSigner(name: name, privateKey: Ed25519.PrivateKey(random: random))
    }

    /// Parses a signer key `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x01 || seed)>`.
    /// Throws `key.malformed` (including a key ID that does not match), `key.invalid_name`
    /// or `key.unsupported_algorithm`.
    public init(signerKey: String) throws(TransparencyError) {
        self.init(try Ed25519SignerKey(signerKey: signerKey, type: .ed25519))
    }

    /// The signer key string. Secret: store it like a password.
    public var signerKey: String { key.signerKey }

    /// The matching verifier.
    public var verifier: NoteVerifier { NoteVerifier(key.verifierKey) }

    /// The signature line for `text` (the note text, ending in its newline).
    public func signature(forText text: [UInt8]) -> Note.Signature {
        key.line(privateKey.sign(text))
    }

    /// `note` with this signer's signature added, replacing any earlier one with the same name and key ID.
    public func sign(_ note: Note) -> Note {
        key.replacingLine(in: note, with: signature(forText: Array(note.text.utf8)))
    }

    /// A new note with `text` signed by this signer. Throws `note.malformed` for invalid text.
    public func sign(text: String) throws(TransparencyError) -> Note {
        sign(try Note(text: text))
    }
}
