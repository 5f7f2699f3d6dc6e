public import PnyxCrypto

/// A citizen's signed entry: a petition signature, a vote or a withdrawal.
///
/// Canonical encoding ("pnyx/entry/v2"): `string tag ‖ pollID[16] ‖ Credential ‖ u8 channel ‖
/// EntryPayload ‖ nonce[16] ‖ signature[64]`, where the signature is Ed25519 by the
/// credential's one-time key over ``signedBytes`` (everything before it). The one-time key
/// is the nullifier: the latest entry of a key counts. The nonce is fresh randomness, so
/// that returning to an earlier choice (A, B, then A again) makes new bytes, while an old
/// entry copied from the log stays byte-identical and is refused as a replay.
public struct Entry: Hashable, Sendable, Codable, CanonicalEncodable {
    public let pollID: PollID
    public let credential: Credential
    public let channel: Channel
    public let payload: EntryPayload
    /// 16 random bytes chosen by the signer: two entries never share their bytes by accident.
    public let nonce: [UInt8]
    public let signature: [UInt8]

    /// The size of ``nonce``.
    public static let nonceByteCount = 16

    /// An entry from its parts (`nonce` must be ``nonceByteCount`` bytes, as decoding checks).
    public init(pollID: PollID, credential: Credential, channel: Channel, payload: EntryPayload, nonce: [UInt8],
                signature: [UInt8]) {
        self.pollID = pollID
        self.credential = credential
        self.channel = channel
        self.payload = payload
        self.nonce = nonce
        self.signature = signature
    }

    /// Makes and signs an entry with the one-time key (which must be the credential's), with
    /// a nonce from `random` (the system's CSPRNG unless a test injects fixed bytes).
    public init(pollID: PollID, credential: Credential, channel: Channel, payload: EntryPayload,
                signingWith oneTimeKey: Ed25519.PrivateKey, random: any RandomSource = SystemRandom()) throws(CoreError) {
        guard oneTimeKey.publicKey == credential.oneTimeKey else {
            throw CoreError(.entryInvalidSignature, "the signing key is not the credential's one-time key")
        }
        let nonce = random.bytes(Entry.nonceByteCount)
        let bytes = Entry.signedBytes(pollID: pollID, credential: credential, channel: channel, payload: payload, nonce: nonce)
        self.init(pollID: pollID, credential: credential, channel: channel, payload: payload, nonce: nonce,
                  signature: oneTimeKey.sign(bytes))
    }

    /// The nullifier: the credential's one-time key.
    public var nullifier: Ed25519.PublicKey { credential.oneTimeKey }

    /// The bytes the one-time key signs: the canonical bytes without the trailing signature.
    public var signedBytes: [UInt8] {
        Entry.signedBytes(pollID: pollID, credential: credential, channel: channel, payload: payload, nonce: nonce)
    }

    static func signedBytes(
        pollID: PollID, credential: Credential, channel: Channel, payload: EntryPayload, nonce: [UInt8]
    ) -> [UInt8] {
        var encoder = CanonicalEncoder(reservingCapacity: 512)
        encoder.writeDomain(DomainTag.entry)
        encoder.write(pollID)
        encoder.write(credential)
        encoder.write(channel)
        encoder.write(payload)
        encoder.writeFixed(nonce)
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
        nonce = try decoder.readFixed(count: Entry.nonceByteCount)
        signature = try decoder.readEd25519Signature()
    }

    private enum CodingKeys: String, CodingKey { case pollID, credential, channel, payload, nonce, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pollID = try container.decode(PollID.self, forKey: .pollID)
        credential = try container.decode(Credential.self, forKey: .credential)
        channel = try container.decode(Channel.self, forKey: .channel)
        payload = try container.decode(EntryPayload.self, forKey: .payload)
        nonce = try container.decodeBase64(forKey: .nonce, count: Entry.nonceByteCount)
        signature = try container.decodeBase64(forKey: .signature, count: Ed25519.signatureByteCount)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pollID, forKey: .pollID)
        try container.encode(credential, forKey: .credential)
        try container.encode(channel, forKey: .channel)
        try container.encode(payload, forKey: .payload)
        try container.encodeBase64(nonce, forKey: .nonce)
        try container.encodeBase64(signature, forKey: .signature)
    }
}
