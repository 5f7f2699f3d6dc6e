public import PnyxCrypto

/// An Ed25519 note signer (signature type 0x01): a key name, key ID and private key.
public struct NoteSigner: Sendable {
    /// The key name written on signature lines.
    public let name: String
    /// The key ID, `SHA-256(name || 0x0A || 0x01 || public key)[:4]`.
    public let keyID: UInt32
    private let privateKey: Ed25519.PrivateKey

    /// A signer for `privateKey` under `name`. Throws `key.invalid_name`.
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(TransparencyError) {
        try NoteKey.validateName(name)
        self.name = name
        self.privateKey = privateKey
        self.keyID = NoteKey.keyID(name: name, type: .ed25519, publicKey: privateKey.publicKey.rawRepresentation)
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
        let parts = try NoteKey.decodeSigner(signerKey, expecting: .ed25519)
        self.name = parts.name
        self.keyID = parts.keyID
        self.privateKey = parts.privateKey
    }

    /// The signer key string. Secret: store it like a password.
    public var signerKey: String {
        NoteKey.privateKeyPrefix
            + NoteKey.encode(name: name, keyID: keyID, type: .ed25519, material: privateKey.seed)
    }

    /// The matching verifier.
    public var verifier: NoteVerifier {
        // The name was validated at construction.
        try! NoteVerifier(name: name, publicKey: privateKey.publicKey)
    }

    /// The signature line for `text` (the note text, ending in its newline).
    public func signature(forText text: [UInt8]) -> Note.Signature {
        Note.Signature(unchecked: name, keyID: keyID, bytes: privateKey.sign(text))
    }

    /// `note` with this signer's signature added, replacing any earlier one with the same name and key ID.
    public func sign(_ note: Note) -> Note {
        var signed = note
        signed.signatures.removeAll { $0.isBy(name: name, keyID: keyID) }
        signed.signatures.append(signature(forText: Array(note.text.utf8)))
        return signed
    }

    /// A new note with `text` signed by this signer. Throws `note.malformed` for invalid text.
    public func sign(text: String) throws(TransparencyError) -> Note {
        sign(try Note(text: text))
    }
}
