public import PnyxCrypto

/// The broker's (non-blind) attestation that the holder of `oneTimeKey` is named
/// `partialName` ("Given F."). A resident who shows their name gives up anonymity for that
/// entry, by choice.
///
/// Canonical encoding ("pnyx/name-attestation/v1"): `string tag ‖ pollID[16] ‖
/// oneTimeKey[32] ‖ string partialName`; the broker signs these bytes with Ed25519.
public struct NameAttestation: Hashable, Sendable, Codable, CanonicalEncodable {
    public let pollID: PollID
    public let oneTimeKey: Ed25519.PublicKey
    public let partialName: String

    /// The longest partial name, in UTF-8 bytes.
    public static let maximumNameByteCount = 64

    public init(pollID: PollID, oneTimeKey: Ed25519.PublicKey, partialName: String) {
        self.pollID = pollID
        self.oneTimeKey = oneTimeKey
        self.partialName = partialName
    }

    /// True for "Given F.": 1–64 bytes, a given name without control characters, one space,
    /// one letter, a full stop.
    public static func isWellFormed(_ name: String) -> Bool {
        guard name.utf8.count <= maximumNameByteCount, name.hasSuffix("."),
              !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else { return false }
        let characters = Array(name)
        guard characters.count >= 4, characters[characters.count - 3] == " ",
              characters[characters.count - 2].isLetter else { return false }
        let given = characters[..<(characters.count - 3)]
        return !given.isEmpty && given.first != " " && given.last != " "
    }

    /// The broker's signature over these bytes.
    public func sign(with brokerKey: Ed25519.PrivateKey) -> [UInt8] { brokerKey.sign(canonicalBytes) }

    /// Throws `entry.invalid_name` unless the name is well formed and `brokerKey` signed it.
    public func verify(_ signature: [UInt8], brokerKey: Ed25519.PublicKey) throws(CoreError) {
        guard Self.isWellFormed(partialName) else { throw CoreError(.entryInvalidName, "the partial name is not \"Given F.\"") }
        guard brokerKey.isValidSignature(signature, for: canonicalBytes) else {
            throw CoreError(.entryInvalidName, "the broker's name attestation does not verify")
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(DomainTag.nameAttestation)
        encoder.write(pollID)
        encoder.writeKey(oneTimeKey)
        encoder.writeString(partialName)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.nameAttestation)
        pollID = try decoder.read()
        oneTimeKey = try decoder.readKey()
        partialName = try decoder.readString(limit: Self.maximumNameByteCount)
    }
}
