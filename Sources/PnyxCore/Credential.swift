public import PnyxCrypto

/// A finalized broker credential: a standard RSASSA-PSS signature (SHA-384, MGF1-SHA-384,
/// salt 48) over `prefix ‖ CredentialMessage(pollID, class, oneTimeKey)`.
///
/// Canonical encoding (embedded, no tag): `AttributeClass ‖ keyID[32] ‖ oneTimeKey[32] ‖
/// prefix[32] ‖ bytes signature` (the signature has the modulus length).
public struct Credential: Hashable, Sendable, Codable, CanonicalEncodable {
    public let attributeClass: AttributeClass
    public let keyID: KeyID
    public let oneTimeKey: Ed25519.PublicKey
    public let prefix: [UInt8]
    public let signature: [UInt8]

    public init(attributeClass: AttributeClass, keyID: KeyID, oneTimeKey: Ed25519.PublicKey, prefix: [UInt8], signature: [UInt8]) {
        self.attributeClass = attributeClass
        self.keyID = keyID
        self.oneTimeKey = oneTimeKey
        self.prefix = prefix
        self.signature = signature
    }

    /// The signed message for `pollID`.
    public func message(pollID: PollID) -> CredentialMessage {
        CredentialMessage(pollID: pollID, attributeClass: attributeClass, oneTimeKey: oneTimeKey)
    }

    /// Verifies the credential for `pollID` under `directory`:
    /// - `directory.invalid`: the directory is for another poll;
    /// - `credential.unknown_key`: no key has `keyID`;
    /// - `credential.class_mismatch`: the key is another class's;
    /// - `credential.invalid_signature`: the RSA-PSS signature does not verify.
    public func verify(directory: KeyDirectory, pollID: PollID) throws(CoreError) {
        guard directory.pollID == pollID else {
            throw CoreError(.directoryInvalid, "the key directory is for poll \(directory.pollID), not \(pollID)")
        }
        guard let entry = directory.entry(keyID: keyID) else {
            throw CoreError(.credentialUnknownKey, "no key \(keyID) in the directory")
        }
        guard entry.attributeClass == attributeClass else {
            throw CoreError(.credentialClassMismatch, "key \(keyID) is for class \(entry.attributeClass), not \(attributeClass)")
        }
        guard prefix.count == BlindRSA.prefixLength, signature.count == entry.publicKey.modulusByteCount else {
            throw CoreError(.credentialInvalidSignature, "the credential's prefix or signature has the wrong length")
        }
        let prepared = prefix + message(pollID: pollID).canonicalBytes
        let valid = (try? BlindRSA.isValidSignature(signature, preparedMessage: prepared, publicKey: entry.publicKey,
                                                     variant: directory.variant)) ?? false
        guard valid else { throw CoreError(.credentialInvalidSignature, "the broker's signature does not verify") }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(attributeClass)
        encoder.write(keyID)
        encoder.writeKey(oneTimeKey)
        encoder.writeFixed(prefix)
        encoder.writeBytes(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        attributeClass = try decoder.read()
        keyID = try decoder.read()
        oneTimeKey = try decoder.readKey()
        prefix = try decoder.readFixed(count: BlindRSA.prefixLength)
        signature = try decoder.readBytes(limit: Credential.maximumSignatureByteCount)
    }

    /// The longest RSA signature (4096-bit keys).
    public static let maximumSignatureByteCount = 512

    private enum CodingKeys: String, CodingKey { case attributeClass = "class", keyID, oneTimeKey, prefix, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        attributeClass = try container.decode(AttributeClass.self, forKey: .attributeClass)
        keyID = try container.decode(KeyID.self, forKey: .keyID)
        oneTimeKey = try container.decode(Ed25519.PublicKey.self, forKey: .oneTimeKey)
        prefix = try container.decodeBase64(forKey: .prefix, count: BlindRSA.prefixLength)
        signature = try container.decodeBase64(forKey: .signature)
        guard signature.count <= Credential.maximumSignatureByteCount else {
            throw DecodingError.dataCorruptedError(forKey: .signature, in: container, debugDescription: "signature too long")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(attributeClass, forKey: .attributeClass)
        try container.encode(keyID, forKey: .keyID)
        try container.encode(oneTimeKey, forKey: .oneTimeKey)
        try container.encodeBase64(prefix, forKey: .prefix)
        try container.encodeBase64(signature, forKey: .signature)
    }
}
