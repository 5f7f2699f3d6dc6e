public import PnyxCore

/// One record of a poll's issuance register: a credential was issued to the resident with
/// this per-poll pseudonym, for this class, on this day.
///
/// Canonical encoding ("pnyx/issuance/v1"): `string "pnyx/issuance/v1" ‖ pollID[16] ‖
/// pseudonym[32] ‖ AttributeClass (embedded: optional<string> area ‖ optional<string> age) ‖
/// string day ("YYYY-MM-DD", UTC)`. See docs/PROTOCOL.md, "Broker issuance register".
public struct IssuanceRecord: Hashable, Sendable, Codable, CanonicalEncodable {
    /// The domain tag.
    public static let domainTag = "pnyx/issuance/v1"

    public let pollID: PollID
    /// `HMAC-SHA-256(broker secret, "pnyx/pseudonym/v1" ‖ pollID ‖ resident id)`.
    public let pseudonym: [UInt8]
    public let attributeClass: AttributeClass
    /// The UTC day of issuance (coarse on purpose).
    public let day: CivilDate

    public init(pollID: PollID, pseudonym: [UInt8], attributeClass: AttributeClass, day: CivilDate) {
        self.pollID = pollID
        self.pseudonym = pseudonym
        self.attributeClass = attributeClass
        self.day = day
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(Self.domainTag)
        encoder.write(pollID)
        encoder.writeFixed(pseudonym)
        encoder.write(attributeClass)
        encoder.writeString(day.description)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(Self.domainTag)
        pollID = try decoder.read()
        pseudonym = try decoder.readFixed(count: 32)
        attributeClass = try decoder.read()
        let at = decoder.offset
        guard let day = CivilDate(try decoder.readString(limit: 10)) else {
            throw CoreError(.encodingInvalidValue, "issuance day at offset \(at) is not YYYY-MM-DD")
        }
        self.day = day
    }

    private enum CodingKeys: String, CodingKey { case pollID, pseudonym, attributeClass = "class", day }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        pollID = try container.decode(PollID.self, forKey: .pollID)
        pseudonym = try container.decodeHex(forKey: .pseudonym, count: 32)
        attributeClass = try container.decode(AttributeClass.self, forKey: .attributeClass)
        day = try container.decode(CivilDate.self, forKey: .day)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pollID, forKey: .pollID)
        try container.encodeHex(pseudonym, forKey: .pseudonym)
        try container.encode(attributeClass, forKey: .attributeClass)
        try container.encode(day, forKey: .day)
    }
}
