public import PnyxCrypto

/// A citizen's signed entry: a petition signature, a vote or a withdrawal.
///
/// Canonical encoding ("pnyx/entry/v1"): `string tag ‖ pollID[16] ‖ Credential ‖ u8 channel ‖
/// EntryPayload ‖ signature[64]`, where the signature is Ed25519 by the credential's
/// one-time key over ``signedBytes`` (everything before it). The one-time key is the
/// nullifier: the latest entry of a key counts.
public struct Entry: Hashable, Sendable, Codable, CanonicalEncodable {
    public let pollID: PollID
    public let credential: Credential
    public let channel: Channel
    public let payload: EntryPayload
    public let signature: [UInt8]

    public init(pollID: PollID, credential: Credential, channel: Channel, payload: EntryPayload, signature: [UInt8]) {
        self.pollID = pollID
        self.credential = credential
        self.channel = channel
        self.payload = payload
        self.signature = signature
    }

    /// Makes and signs an entry with the one-time key (which must be the credential's).
    public init(pollID: PollID, credential: Credential, channel: Channel, payload: EntryPayload,
                signingWith oneTimeKey: Ed25519.PrivateKey) throws(CoreError) {
        guard oneTimeKey.publicKey == credential.oneTimeKey else {
            throw CoreError(.entryInvalidSignature, "the signing key is not the credential's one-time key")
        }
        let bytes = Entry.signedBytes(pollID: pollID, credential: credential, channel: channel, payload: payload)
        self.init(pollID: pollID, credential: credential, channel: channel, payload: payload,
                  signature: oneTimeKey.sign(bytes))
    }

    /// The nullifier: the credential's one-time key.
    public var nullifier: Ed25519.PublicKey { credential.oneTimeKey }

    /// The bytes the one-time key signs: the canonical bytes without the trailing signature.
    public var signedBytes: [UInt8] {
        Entry.signedBytes(pollID: pollID, credential: credential, channel: channel, payload: payload)
    }

    static func signedBytes(pollID: PollID, credential: Credential, channel: Channel, payload: EntryPayload) -> [UInt8] {
        var encoder = CanonicalEncoder(reservingCapacity: 512)
        encoder.writeDomain(DomainTag.entry)
        encoder.write(pollID)
        encoder.write(credential)
        encoder.write(channel)
        encoder.write(payload)
        return encoder.bytes
    }

    /// Verifies everything about the entry, cheapest first:
    /// `entry.wrong_poll`; the payload (``EntryPayload/validate(for:)``); `entry.invalid_signature`;
    /// a partial name's broker attestation (`entry.invalid_name`); the credential
    /// (``Credential/verify(directory:pollID:)``).
    public func verify(definition: PollDefinition, directory: KeyDirectory) throws(CoreError) {
        guard pollID == definition.pollID else {
            throw CoreError(.entryWrongPoll, "the entry is for poll \(pollID), not \(definition.pollID)")
        }
        try payload.validate(for: definition)
        guard credential.oneTimeKey.isValidSignature(signature, for: signedBytes) else {
            throw CoreError(.entryInvalidSignature, "the one-time key's signature does not verify")
        }
        if case .sign(let name?) = payload {
            try NameAttestation(pollID: pollID, oneTimeKey: credential.oneTimeKey, partialName: name.name)
                .verify(name.attestation, brokerKey: definition.brokerKey)
        }
        try credential.verify(directory: directory, pollID: pollID)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeFixed(signedBytes)
        encoder.writeFixed(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.entry)
        pollID = try decoder.read()
        credential = try decoder.read()
        channel = try decoder.read()
        payload = try decoder.read()
        signature = try decoder.readEd25519Signature()
    }

    private enum CodingKeys: String, CodingKey { case pollID, credential, channel, payload, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pollID = try container.decode(PollID.self, forKey: .pollID)
        credential = try container.decode(Credential.self, forKey: .credential)
        channel = try container.decode(Channel.self, forKey: .channel)
        payload = try container.decode(EntryPayload.self, forKey: .payload)
        signature = try container.decodeBase64(forKey: .signature, count: Ed25519.signatureByteCount)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pollID, forKey: .pollID)
        try container.encode(credential, forKey: .credential)
        try container.encode(channel, forKey: .channel)
        try container.encode(payload, forKey: .payload)
        try container.encodeBase64(signature, forKey: .signature)
    }
}
