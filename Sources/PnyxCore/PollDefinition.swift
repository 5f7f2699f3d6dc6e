public import PnyxCrypto

/// A poll as published: entry 0 of its log, signed by the service (``SignedPollDefinition``).
///
/// Canonical encoding ("pnyx/poll/v1"):
/// `string "pnyx/poll/v1" ‖ pollID[16] ‖ u8 kind ‖ string title ‖ string text ‖ i64 opensAt ‖
/// i64 closesAt ‖ Eligibility ‖ Disclosure ‖ bool allowPartialNames ‖ list<Question> questions ‖
/// list<Threshold> thresholds ‖ serviceKey[32] ‖ brokerKey[32]`.
public struct PollDefinition: Hashable, Sendable, Codable, CanonicalEncodable {
    public var pollID: PollID
    public var kind: PollKind
    public var title: String
    public var text: String
    /// Unix seconds UTC; entries are accepted in [opensAt, closesAt).
    public var opensAt: Int64
    public var closesAt: Int64
    public var eligibility: Eligibility
    public var disclosure: Disclosure
    /// Whether entries may show a broker-attested partial name (``NameAttestation``).
    public var allowPartialNames: Bool
    /// Empty for petitions; one or more for consultations.
    public var questions: [Question]
    public var thresholds: [Threshold]
    /// Signs this poll's checkpoints, lifecycle events and certificates.
    public var serviceKey: Ed25519.PublicKey
    /// The broker this poll trusts: it signs the key directory and name attestations.
    public var brokerKey: Ed25519.PublicKey

    public init(
        pollID: PollID, kind: PollKind, title: String, text: String, opensAt: Int64, closesAt: Int64,
        eligibility: Eligibility, disclosure: Disclosure, allowPartialNames: Bool = false,
        questions: [Question] = [], thresholds: [Threshold] = [],
        serviceKey: Ed25519.PublicKey, brokerKey: Ed25519.PublicKey
    ) {
        self.pollID = pollID
        self.kind = kind
        self.title = title
        self.text = text
        self.opensAt = opensAt
        self.closesAt = closesAt
        self.eligibility = eligibility
        self.disclosure = disclosure
        self.allowPartialNames = allowPartialNames
        self.questions = questions
        self.thresholds = thresholds
        self.serviceKey = serviceKey
        self.brokerKey = brokerKey
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(DomainTag.poll)
        encoder.write(pollID)
        encoder.write(kind)
        encoder.writeString(title)
        encoder.writeString(text)
        encoder.writeI64(opensAt)
        encoder.writeI64(closesAt)
        encoder.write(eligibility)
        encoder.write(disclosure)
        encoder.writeBool(allowPartialNames)
        encoder.writeList(questions)
        encoder.writeList(thresholds)
        encoder.writeKey(serviceKey)
        encoder.writeKey(brokerKey)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.poll)
        pollID = try decoder.read()
        kind = try decoder.read()
        title = try decoder.readString()
        text = try decoder.readString()
        opensAt = try decoder.readI64()
        closesAt = try decoder.readI64()
        eligibility = try decoder.read()
        disclosure = try decoder.read()
        allowPartialNames = try decoder.readBool()
        questions = try decoder.readList(of: Question.self, limit: PollDefinition.maximumQuestions)
        thresholds = try decoder.readList(of: Threshold.self, limit: PollDefinition.maximumThresholds)
        serviceKey = try decoder.readKey()
        brokerKey = try decoder.readKey()
    }

    /// The question with `id`, if any.
    public func question(id: UInt16) -> Question? { questions.first { $0.id == id } }
}

/// A poll definition with the service's Ed25519 signature over its canonical bytes.
///
/// Canonical encoding: `PollDefinition ‖ signature[64]` (no tag of its own: the definition's
/// tag comes first).
public struct SignedPollDefinition: Hashable, Sendable, Codable, CanonicalEncodable {
    public let definition: PollDefinition
    /// Ed25519 by `definition.serviceKey` over `definition.canonicalBytes`.
    public let signature: [UInt8]

    /// Wraps a definition and its signature (checked by ``verify()``).
    public init(definition: PollDefinition, signature: [UInt8]) {
        self.definition = definition
        self.signature = signature
    }

    /// Signs `definition` with the service key; the key must be `definition.serviceKey`.
    public init(signing definition: PollDefinition, with key: Ed25519.PrivateKey) throws(CoreError) {
        guard key.publicKey == definition.serviceKey else {
            throw CoreError(.pollInvalidSignature, "the signing key is not the poll's service key")
        }
        self.init(definition: definition, signature: key.sign(definition.canonicalBytes))
    }

    /// Throws `poll.invalid_signature` unless the service key signed the definition.
    public func verify() throws(CoreError) {
        guard definition.serviceKey.isValidSignature(signature, for: definition.canonicalBytes) else {
            throw CoreError(.pollInvalidSignature, "the poll definition's service signature does not verify")
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(definition)
        encoder.writeFixed(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        definition = try decoder.read()
        signature = try decoder.readEd25519Signature()
    }

    private enum CodingKeys: String, CodingKey { case definition, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        definition = try container.decode(PollDefinition.self, forKey: .definition)
        signature = try container.decodeBase64(forKey: .signature, count: Ed25519.signatureByteCount)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(definition, forKey: .definition)
        try container.encodeBase64(signature, forKey: .signature)
    }
}
