public import PnyxCrypto

/// The message a credential signs: its canonical bytes are RFC 9474's `msg`.
///
/// Canonical encoding ("pnyx/credential/v1"): `string tag ‖ pollID[16] ‖ AttributeClass ‖
/// oneTimeKey[32]`. The client prepares `prefix ‖ msg` (32 random bytes), blinds it under
/// the class's key, the broker blind-signs, the client finalizes into a ``Credential``.
public struct CredentialMessage: Hashable, Sendable, Codable, CanonicalEncodable {
    public let pollID: PollID
    public let attributeClass: AttributeClass
    /// The citizen's one-time Ed25519 key: it signs the entry and is the poll's nullifier.
    public let oneTimeKey: Ed25519.PublicKey

    public init(pollID: PollID, attributeClass: AttributeClass, oneTimeKey: Ed25519.PublicKey) {
        self.pollID = pollID
        self.attributeClass = attributeClass
        self.oneTimeKey = oneTimeKey
    }

    /// RFC 9474 PrepareRandomize with an explicit 32-byte prefix: `prefix ‖ canonicalBytes`.
    public func prepared(prefix: [UInt8]) throws(CoreError) -> [UInt8] {
        guard prefix.count == BlindRSA.prefixLength else {
            throw CoreError(.encodingInvalidValue, "the message prefix has \(BlindRSA.prefixLength) bytes, not \(prefix.count)")
        }
        return prefix + canonicalBytes
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(DomainTag.credential)
        encoder.write(pollID)
        encoder.write(attributeClass)
        encoder.writeKey(oneTimeKey)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.credential)
        pollID = try decoder.read()
        attributeClass = try decoder.read()
        oneTimeKey = try decoder.readKey()
    }

    private enum CodingKeys: String, CodingKey { case pollID, attributeClass = "class", oneTimeKey }
}

/// The client side of obtaining a credential: prepare, blind, then finalize the broker's
/// blind signature. Keep it secret until finalized (the inverse links request and credential).
public struct CredentialRequest: Sendable {
    public let message: CredentialMessage
    /// The 32-byte random PrepareRandomize prefix.
    public let prefix: [UInt8]
    /// The directory entry (class key) the request is blinded under.
    public let keyID: KeyID
    /// Sent to the broker.
    public let blindedMessage: [UInt8]
    /// Secret: r⁻¹ mod n.
    public let inverse: [UInt8]
    private let publicKey: BlindRSA.PublicKey
    private let variant: BlindRSA.Variant

    /// Prepares and blinds `message` under the directory's key for the message's class
    /// (`credential.unknown_key` if the directory has no key for it).
    public init(message: CredentialMessage, directory: KeyDirectory, random: some RandomSource = SystemRandom()) throws(CoreError) {
        guard directory.pollID == message.pollID else {
            throw CoreError(.directoryInvalid, "the key directory is for poll \(directory.pollID), not \(message.pollID)")
        }
        guard let entry = directory.entry(for: message.attributeClass) else {
            throw CoreError(.credentialUnknownKey, "no key for class \(message.attributeClass)")
        }
        self.message = message
        self.keyID = entry.keyID
        self.publicKey = entry.publicKey
        self.variant = directory.variant
        self.prefix = random.bytes(BlindRSA.prefixLength)
        let prepared = try message.prepared(prefix: prefix)
        do {
            let blinding = try BlindRSA.blind(prepared, publicKey: entry.publicKey, variant: variant, random: random)
            blindedMessage = blinding.blindedMessage
            inverse = blinding.inverse
        } catch {
            throw CoreError(.credentialInvalidSignature, "blinding failed: \(error)")
        }
    }

    /// Unblinds the broker's blind signature into a verified ``Credential``
    /// (`credential.invalid_signature` if it does not verify).
    public func finalize(blindSignature: [UInt8]) throws(CoreError) -> Credential {
        let prepared = try message.prepared(prefix: prefix)
        do {
            let signature = try BlindRSA.finalize(
                blindSignature, preparedMessage: prepared, inverse: inverse, publicKey: publicKey, variant: variant)
            return Credential(attributeClass: message.attributeClass, keyID: keyID, oneTimeKey: message.oneTimeKey,
                              prefix: prefix, signature: signature)
        } catch {
            throw CoreError(.credentialInvalidSignature, "the blind signature does not finalize: \(error)")
        }
    }
}
