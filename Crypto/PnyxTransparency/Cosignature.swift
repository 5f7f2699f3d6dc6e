public import PnyxCrypto

/// A v1 Ed25519 witness cosignature (c2sp.org/tlog-cosignature, signature type 0x04): a POSIX
/// timestamp and an Ed25519 signature over `cosignature/v1\ntime <timestamp>\n` followed by the
/// checkpoint body. On a note signature line it is encoded as `8-byte big-endian timestamp || signature`.
public struct Cosignature: Sendable, Hashable {
    /// The largest timestamp allowed, 2^63 − 1.
    public static let maxTimestamp = UInt64(Int64.max)
    /// Length of the note signature bytes (after the key ID): 8 + 64.
    public static let byteCount = 8 + Ed25519.signatureByteCount

    /// Seconds since the Epoch when the cosignature was made.
    public let timestamp: UInt64
    /// The 64-byte Ed25519 signature.
    public let signature: [UInt8]

    /// Decodes the signature bytes of a note signature line (after the key ID).
    /// Throws `cosignature.malformed` on a wrong length or a timestamp above 2^63 − 1.
    public init(noteSignatureBytes bytes: [UInt8]) throws(TransparencyError) {
        guard bytes.count == Cosignature.byteCount else {
            throw TransparencyError(.cosignatureMalformed, "cosignature must be 72 bytes, got \(bytes.count)")
        }
        let timestamp = bytes[0..<8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard timestamp <= Cosignature.maxTimestamp else {
            throw TransparencyError(.cosignatureMalformed, "cosignature timestamp exceeds 2^63 - 1")
        }
        self.timestamp = timestamp
        self.signature = Array(bytes[8...])
    }

    init(timestamp: UInt64, signature: [UInt8]) {
        self.timestamp = timestamp
        self.signature = signature
    }

    /// `timestamp (8 bytes, big-endian) || signature`: the bytes after the key ID on a signature line.
    public var noteSignatureBytes: [UInt8] {
        (0..<8).map { UInt8(timestamp >> (56 - 8 * UInt64($0)) & 0xff) } + signature
    }

    /// The signed message: `cosignature/v1\ntime <timestamp>\n` || checkpoint text.
    public static func signedMessage(checkpointText: [UInt8], timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n".utf8) + checkpointText
    }
}

/// A witness that cosigns checkpoints with an Ed25519 key (cosignature v1, key type 0x04).
public struct Cosigner: Sendable {
    /// The cosigner's key name.
    public let name: String
    /// The key ID, `SHA-256(name || 0x0A || 0x04 || public key)[:4]`.
    public let keyID: UInt32
    private let privateKey: Ed25519.PrivateKey

    private init(_ key: Ed25519SignerKey) {
        name = key.name
        keyID = key.keyID
        privateKey = key.privateKey
    }

    /// Name, key ID and private key, as one value.
    private var key: Ed25519SignerKey { Ed25519SignerKey(type: .cosignatureV1, name: name, keyID: keyID, privateKey: privateKey) }

    /// A cosigner for `privateKey` under `name`. Throws `key.invalid_name`.
    public init(name: String, privateKey: Ed25519.PrivateKey) throws(TransparencyError) {
        self.init(try Ed25519SignerKey(name: name, type: .cosignatureV1, privateKey: privateKey))
    }

    /// Parses a signer key `PRIVATE+KEY+<name>+<hex key ID>+<base64(0x04 || seed)>`.
    public init(signerKey: String) throws(TransparencyError) {
        self.init(try Ed25519SignerKey(signerKey: signerKey, type: .cosignatureV1))
    }

    /// The signer key string (type 0x04). Secret.
    public var signerKey: String { key.signerKey }

    /// The matching verifier.
    public var verifier: CosignatureVerifier { CosignatureVerifier(key.verifierKey) }

    /// The cosignature line for `checkpoint` at `timestamp` (POSIX seconds).
    /// Throws `cosignature.malformed` when the timestamp exceeds 2^63 − 1.
    public func cosign(_ checkpoint: Checkpoint, timestamp: UInt64) throws(TransparencyError) -> Note.Signature {
        guard timestamp <= Cosignature.maxTimestamp else {
            throw TransparencyError(.cosignatureMalformed, "cosignature timestamp exceeds 2^63 - 1")
        }
        let message = Cosignature.signedMessage(checkpointText: Array(checkpoint.text.utf8), timestamp: timestamp)
        let cosignature = Cosignature(timestamp: timestamp, signature: privateKey.sign(message))
        return key.line(cosignature.noteSignatureBytes)
    }

    /// `note` (whose text must be a checkpoint, `checkpoint.malformed` otherwise) with this
    /// cosigner's cosignature added, replacing an earlier one by the same key.
    public func cosign(_ note: Note, timestamp: UInt64) throws(TransparencyError) -> Note {
        let checkpoint = try Checkpoint(note: note)
        return key.replacingLine(in: note, with: try cosign(checkpoint, timestamp: timestamp))
    }
}

/// Verifies v1 Ed25519 cosignatures of one witness (key type 0x04). It is also a
/// ``NoteSignatureVerifier``, so it can sit in a ``NoteVerifierSet`` next to the log's key.
public struct CosignatureVerifier: NoteSignatureVerifier, Hashable {
    public let name: String
    public let keyID: UInt32
    /// The cosigner's Ed25519 public key.
    public let publicKey: Ed25519.PublicKey

    init(_ key: Ed25519VerifierKey) {
        name = key.name
        keyID = key.keyID
        publicKey = key.publicKey
    }

    /// Name, key ID and public key, as one value.
    var key: Ed25519VerifierKey { Ed25519VerifierKey(type: .cosignatureV1, name: name, keyID: keyID, publicKey: publicKey) }

    /// A verifier for `publicKey` under `name`; the key ID is derived with type 0x04. Throws `key.invalid_name`.
    public init(name: String, publicKey: Ed25519.PublicKey) throws(TransparencyError) {
        self.init(try Ed25519VerifierKey(name: name, type: .cosignatureV1, publicKey: publicKey))
    }

    /// Parses a verifier key `<name>+<hex key ID>+<base64(0x04 || public key)>`.
    public init(verifierKey: String) throws(TransparencyError) {
        self.init(try Ed25519VerifierKey(verifierKey: verifierKey, type: .cosignatureV1))
    }

    public var verifierKey: String { key.verifierKey }

    /// Byte-wise equality of name, key ID and public key.
    public static func == (lhs: CosignatureVerifier, rhs: CosignatureVerifier) -> Bool { lhs.key == rhs.key }

    public func hash(into hasher: inout Hasher) { key.hash(into: &hasher) }

    public func isValidSignature(_ signature: [UInt8], forText text: [UInt8]) -> Bool {
        guard let cosignature = try? Cosignature(noteSignatureBytes: signature) else { return false }
        let message = Cosignature.signedMessage(checkpointText: text, timestamp: cosignature.timestamp)
        return publicKey.isValidSignature(cosignature.signature, for: message)
    }

    /// Verifies a cosignature line over `checkpoint` and returns its timestamp.
    /// Throws `note.unknown_key` when the line is not this cosigner's, `cosignature.malformed`
    /// or `cosignature.bad_signature`.
    public func verify(_ signature: Note.Signature, for checkpoint: Checkpoint) throws(TransparencyError) -> UInt64 {
        guard signature.isBy(name: name, keyID: keyID) else {
            throw TransparencyError(.noteUnknownKey, "signature is by \(signature.name), not cosigner \(name)")
        }
        let cosignature = try Cosignature(noteSignatureBytes: signature.bytes)
        let message = Cosignature.signedMessage(checkpointText: Array(checkpoint.text.utf8), timestamp: cosignature.timestamp)
        guard publicKey.isValidSignature(cosignature.signature, for: message) else {
            throw TransparencyError(.cosignatureBadSignature, "cosignature by \(name) does not verify")
        }
        return cosignature.timestamp
    }

    /// Finds this cosigner's signature on a checkpoint note, verifies it and returns its timestamp.
    /// Throws `checkpoint.malformed`, `note.unknown_key` when absent, or as ``verify(_:for:)``.
    public func verifiedTimestamp(in note: Note) throws(TransparencyError) -> UInt64 {
        let checkpoint = try Checkpoint(note: note)
        guard let line = note.signatures.first(where: { $0.isBy(name: name, keyID: keyID) }) else {
            throw TransparencyError(.noteUnknownKey, "no cosignature by \(name) on the note")
        }
        return try verify(line, for: checkpoint)
    }
}
