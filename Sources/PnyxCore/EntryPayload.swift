import PnyxCrypto

/// A partial name shown on a petition signature, with the broker's attestation.
public struct PartialName: Hashable, Sendable, Codable {
    /// "Given F."
    public let name: String
    /// Ed25519 by the poll's broker key over ``NameAttestation`` (poll, one-time key, name).
    public let attestation: [UInt8]

    public init(name: String, attestation: [UInt8]) {
        self.name = name
        self.attestation = attestation
    }

    private enum CodingKeys: String, CodingKey { case name, attestation }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        attestation = try container.decodeBase64(forKey: .attestation, count: Ed25519.signatureByteCount)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(name, forKey: .name)
        try container.encodeBase64(attestation, forKey: .attestation)
    }
}

/// The answer to one question: the chosen option indexes (a set).
public struct Answer: Hashable, Sendable, Codable, CanonicalEncodable {
    public let questionID: UInt16
    /// Option indexes (0-based); encoded sorted.
    public let choices: Set<UInt16>

    public init(questionID: UInt16, choices: Set<UInt16>) {
        self.questionID = questionID
        self.choices = choices
    }

    /// `u16 questionID ‖ set<u16> choices`.
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeU16(questionID)
        encoder.writeSet(choices) { $0.writeU16($1) }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        questionID = try decoder.readU16()
        choices = Set(try decoder.readSet(limit: PollDefinition.optionCountRange.upperBound) {
            (d: inout CanonicalDecoder) throws(CoreError) in try d.readU16()
        })
    }

    private enum CodingKeys: String, CodingKey { case questionID, choices }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(questionID, forKey: .questionID)
        try container.encode(choices.sorted(), forKey: .choices)
    }
}

/// What an entry says.
///
/// Canonical encoding: `u8 tag ‖ fields`: sign = 1 ‖ `optional<string name ‖ attestation[64]>`;
/// vote = 2 ‖ `set<Answer>` (sorted by encoding, hence by question id); withdraw = 3.
public enum EntryPayload: Hashable, Sendable, CanonicalEncodable {
    /// Sign a petition, anonymously or with an attested partial name.
    case sign(PartialName?)
    /// Vote in a consultation: one answer per question.
    case vote([Answer])
    /// Withdraw this credential's earlier signature or vote.
    case withdraw

    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .sign(let name):
            encoder.writeU8(1)
            encoder.writeOptional(name) { encoder, name in
                encoder.writeString(name.name)
                encoder.writeFixed(name.attestation)
            }
        case .vote(let answers):
            encoder.writeU8(2)
            encoder.writeSet(answers) { $0.write($1) }
        case .withdraw:
            encoder.writeU8(3)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        let tag = try decoder.readTag()
        switch tag {
        case 1:
            self = .sign(try decoder.readOptional { (d: inout CanonicalDecoder) throws(CoreError) -> PartialName in
                PartialName(name: try d.readString(limit: NameAttestation.maximumNameByteCount),
                            attestation: try d.readEd25519Signature())
            })
        case 2:
            self = .vote(try decoder.readSet(limit: PollDefinition.maximumQuestions) {
                (d: inout CanonicalDecoder) throws(CoreError) in try Answer(from: &d)
            })
        case 3: self = .withdraw
        default: throw decoder.unknownTag(tag, of: "entry payload")
        }
    }
}

extension EntryPayload: Codable {
    private enum CodingKeys: String, CodingKey { case kind, partialName, answers }

    /// JSON: `{"kind":"sign"}` / `{"kind":"sign","partialName":{"name":…,"attestation":…}}`,
    /// `{"kind":"vote","answers":[{"questionID":1,"choices":[0,2]}]}`, `{"kind":"withdraw"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .sign(let name):
            try container.encode("sign", forKey: .kind)
            try container.encodeIfPresent(name, forKey: .partialName)
        case .vote(let answers):
            try container.encode("vote", forKey: .kind)
            try container.encode(answers.sorted { $0.questionID < $1.questionID }, forKey: .answers)
        case .withdraw:
            try container.encode("withdraw", forKey: .kind)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "sign": self = .sign(try container.decodeIfPresent(PartialName.self, forKey: .partialName))
        case "vote": self = .vote(try container.decode([Answer].self, forKey: .answers))
        case "withdraw": self = .withdraw
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown payload kind \(other)")
        }
    }
}
