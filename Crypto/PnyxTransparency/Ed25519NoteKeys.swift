import PnyxCrypto

/// The parts every Ed25519-based note verifier key has (c2sp.org/signed-note, "Verifier
/// keys"), whatever its signature type (``NoteSignatureType/ed25519`` for log signatures,
/// ``NoteSignatureType/cosignatureV1`` for witness cosignatures): the key name, the key ID
/// `SHA-256(name || 0x0A || type || public key)[:4]` and the Ed25519 public key.
/// ``NoteVerifier`` and ``CosignatureVerifier`` are this with their own signature check (they
/// keep the three parts as their own stored properties, so their memory layout is unchanged).
struct Ed25519VerifierKey: Sendable, Hashable {
    let type: NoteSignatureType
    let name: String
    let keyID: UInt32
    let publicKey: Ed25519.PublicKey

    /// The parts of a key built or parsed before (not checked again).
    init(type: NoteSignatureType, name: String, keyID: UInt32, publicKey: Ed25519.PublicKey) {
        self.type = type
        self.name = name
        self.keyID = keyID
        self.publicKey = publicKey
    }

    /// The key of `publicKey` under `name`; the key ID is derived. Throws `key.invalid_name`.
    init(name: String, type: NoteSignatureType, publicKey: Ed25519.PublicKey) throws(TransparencyError) {
        try NoteKey.validateName(name)
        self.type = type
        self.name = name
        self.publicKey = publicKey
        self.keyID = NoteKey.keyID(name: name, type: type, publicKey: publicKey.rawRepresentation)
    }

    /// Parses a verifier key `<name>+<hex key ID>+<base64(type || public key)>`. Throws
    /// `key.malformed` (including a key ID that does not match), `key.invalid_name` or
    /// `key.unsupported_algorithm` (another type).
    init(verifierKey: String, type: NoteSignatureType) throws(TransparencyError) {
        let parts = try NoteKey.decodeVerifier(verifierKey, expecting: type)
        self.type = type
        self.name = parts.name
        self.keyID = parts.keyID
        self.publicKey = parts.publicKey
    }

    /// `<name>+<hex key ID>+<base64(type || public key)>`.
    var verifierKey: String { NoteKey.encode(name: name, keyID: keyID, type: type, material: publicKey.rawRepresentation) }

    /// Byte-wise equality of type, name, key ID and public key.
    static func == (lhs: Ed25519VerifierKey, rhs: Ed25519VerifierKey) -> Bool {
        lhs.type == rhs.type && lhs.keyID == rhs.keyID && lhs.publicKey == rhs.publicKey && NoteKey.sameBytes(lhs.name, rhs.name)
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(keyID)
        hasher.combine(publicKey)
        hasher.combine(Array(name.utf8))
    }
}

/// The parts every Ed25519-based note signer key has (c2sp.org/signed-note, "Signer keys"):
/// the key name, the key ID (as ``Ed25519VerifierKey``) and the private key.
/// ``NoteSigner`` and ``Cosigner`` are this with their own signed message.
struct Ed25519SignerKey: Sendable {
    let type: NoteSignatureType
    let name: String
    let keyID: UInt32
    let privateKey: Ed25519.PrivateKey

    /// The parts of a key built or parsed before (not checked again).
    init(type: NoteSignatureType, name: String, keyID: UInt32, privateKey: Ed25519.PrivateKey) {
        self.type = type
        self.name = name
        self.keyID = keyID
        self.privateKey = privateKey
    }

    /// The key of `privateKey` under `name`; the key ID is derived. Throws `key.invalid_name`.
    init(name: String, type: NoteSignatureType, privateKey: Ed25519.PrivateKey) throws(TransparencyError) {
        try NoteKey.validateName(name)
        self.type = type
        self.name = name
        self.privateKey = privateKey
        self.keyID = NoteKey.keyID(name: name, type: type, publicKey: privateKey.publicKey.rawRepresentation)
    }

    /// Parses a signer key `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>`. Throws
    /// `key.malformed` (including a key ID that does not match), `key.invalid_name` or
    /// `key.unsupported_algorithm` (another type).
    init(signerKey: String, type: NoteSignatureType) throws(TransparencyError) {
        let parts = try NoteKey.decodeSigner(signerKey, expecting: type)
        self.type = type
        self.name = parts.name
        self.keyID = parts.keyID
        self.privateKey = parts.privateKey
    }

    /// `PRIVATE+KEY+<name>+<hex key ID>+<base64(type || seed)>`. Secret.
    var signerKey: String {
        NoteKey.privateKeyPrefix + NoteKey.encode(name: name, keyID: keyID, type: type, material: privateKey.seed)
    }

    /// The matching verifier key (the name was validated at construction).
    var verifierKey: Ed25519VerifierKey { try! Ed25519VerifierKey(name: name, type: type, publicKey: privateKey.publicKey) }

    /// A signature line of this key carrying `bytes` (the bytes after the key ID).
    func line(_ bytes: [UInt8]) -> Note.Signature { Note.Signature(unchecked: name, keyID: keyID, bytes: bytes) }

    /// `note` with `line` added, replacing any earlier line with this key's name and key ID.
    func replacingLine(in note: Note, with line: Note.Signature) -> Note {
        var signed = note
        signed.signatures.removeAll { $0.isBy(name: name, keyID: keyID) }
        signed.signatures.append(line)
        return signed
    }
}
