public import PnyxCrypto

/// The broker's per-poll directory of RSA blind-signature keys, one per attribute class,
/// published (signed) before the poll opens.
///
/// Canonical encoding ("pnyx/key-directory/v1"): `string tag ‖ pollID[16] ‖ i64 issuedAt ‖
/// list<Entry> entries (strictly increasing by class encoding) ‖ u32 k ‖ string variant`,
/// where `Entry = AttributeClass ‖ keyID[32] ‖ bytes spki ‖ u64 eligibleCount`.
public struct KeyDirectory: Sendable, Hashable, Codable, CanonicalEncodable {
    /// One class's key.
    public struct Entry: Sendable, Hashable, Codable, CanonicalEncodable {
        public let attributeClass: AttributeClass
        /// SHA-256 of the SPKI DER.
        public let keyID: KeyID
        /// The RSA public key (DER SubjectPublicKeyInfo canonically).
        public let publicKey: BlindRSA.PublicKey
        /// Registered residents eligible in this class (the bound on its credentials).
        public let eligibleCount: UInt64

        public init(attributeClass: AttributeClass, publicKey: BlindRSA.PublicKey, eligibleCount: UInt64) {
            self.attributeClass = attributeClass
            self.keyID = KeyID(spki: publicKey.derRepresentation)
            self.publicKey = publicKey
            self.eligibleCount = eligibleCount
        }

        public func encode(to encoder: inout CanonicalEncoder) {
            encoder.write(attributeClass)
            encoder.write(keyID)
            encoder.writeBytes(publicKey.derRepresentation)
            encoder.writeU64(eligibleCount)
        }

        /// Refuses an SPKI that is not an RSA key, or whose hash is not the key id, with `directory.invalid`.
        public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
            attributeClass = try decoder.read()
            keyID = try decoder.read()
            let spki = try decoder.readBytes(limit: 4_096)
            eligibleCount = try decoder.readU64()
            publicKey = try Entry.parse(spki: spki, keyID: keyID)
        }

        static func parse(spki: [UInt8], keyID: KeyID) throws(CoreError) -> BlindRSA.PublicKey {
            guard KeyID(spki: spki) == keyID else { throw CoreError(.directoryInvalid, "key id \(keyID) is not the SPKI's SHA-256") }
            do { return try BlindRSA.PublicKey(derRepresentation: spki) } catch {
                throw CoreError(.directoryInvalid, "key \(keyID) is not an RSA public key: \(error)")
            }
        }

        private enum CodingKeys: String, CodingKey { case attributeClass = "class", keyID, spki, eligibleCount }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            attributeClass = try container.decode(AttributeClass.self, forKey: .attributeClass)
            keyID = try container.decode(KeyID.self, forKey: .keyID)
            eligibleCount = try container.decode(UInt64.self, forKey: .eligibleCount)
            do { publicKey = try Entry.parse(spki: try container.decodeBase64(forKey: .spki), keyID: keyID) } catch let error as CoreError {
                throw jsonError(error, decoder.codingPath)
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(attributeClass, forKey: .attributeClass)
            try container.encode(keyID, forKey: .keyID)
            try container.encodeBase64(publicKey.derRepresentation, forKey: .spki)
            try container.encode(eligibleCount, forKey: .eligibleCount)
        }
    }

    public let pollID: PollID
    /// Unix seconds UTC.
    public let issuedAt: Int64
    /// Sorted by class; one entry per class.
    public let entries: [Entry]
    /// The anonymity threshold the broker applied: every disclosed class has at least k eligible residents.
    public let k: UInt32
    /// The RFC 9474 variant of every key.
    public let variant: BlindRSA.Variant

    private let byKeyID: [KeyID: Int]

    /// A directory; entries are sorted by class. Repeated classes or key ids are `directory.invalid`.
    public init(pollID: PollID, issuedAt: Int64, entries: [Entry], k: UInt32, variant: BlindRSA.Variant = .default) throws(CoreError) {
        self.pollID = pollID
        self.issuedAt = issuedAt
        self.entries = entries.sorted { $0.attributeClass < $1.attributeClass }
        self.k = k
        self.variant = variant
        self.byKeyID = try KeyDirectory.index(self.entries)
    }

    private static func index(_ entries: [Entry]) throws(CoreError) -> [KeyID: Int] {
        var index = [KeyID: Int]()
        for (offset, entry) in entries.enumerated() {
            if offset > 0, !(entries[offset - 1].attributeClass < entry.attributeClass) {
                throw CoreError(.directoryInvalid, "class \(entry.attributeClass) repeats")
            }
            guard index.updateValue(offset, forKey: entry.keyID) == nil else {
                throw CoreError(.directoryInvalid, "key id \(entry.keyID) repeats")
            }
        }
        return index
    }

    /// The entry whose key has `keyID`.
    public func entry(keyID: KeyID) -> Entry? { byKeyID[keyID].map { entries[$0] } }

    /// The entry of `attributeClass`.
    public func entry(for attributeClass: AttributeClass) -> Entry? {
        entries.first { $0.attributeClass == attributeClass }
    }

    /// The sum of every class's eligible count.
    public var eligibleTotal: UInt64 { entries.reduce(0) { $0 &+ $1.eligibleCount } }

    public static func == (lhs: KeyDirectory, rhs: KeyDirectory) -> Bool {
        lhs.pollID == rhs.pollID && lhs.issuedAt == rhs.issuedAt && lhs.entries == rhs.entries && lhs.k == rhs.k
            && lhs.variant == rhs.variant
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(canonicalBytes) }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(DomainTag.keyDirectory)
        encoder.write(pollID)
        encoder.writeI64(issuedAt)
        encoder.writeList(entries)
        encoder.writeU32(k)
        encoder.writeString(variant.rawValue)
    }

    /// Unsorted or repeated classes are `encoding.invalid_value`; an unknown variant too.
    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.keyDirectory)
        pollID = try decoder.read()
        issuedAt = try decoder.readI64()
        let at = decoder.offset
        entries = try decoder.readList(of: Entry.self, limit: KeyDirectory.maximumEntries)
        for index in entries.indices.dropFirst() where !(entries[index - 1].attributeClass < entries[index].attributeClass) {
            throw CoreError(.encodingInvalidValue, "key directory entries at offset \(at) are not sorted by class")
        }
        k = try decoder.readU32()
        let variantAt = decoder.offset
        guard let variant = BlindRSA.Variant(rawValue: try decoder.readString(limit: 64)) else {
            throw CoreError(.encodingInvalidValue, "unknown RFC 9474 variant at offset \(variantAt)")
        }
        self.variant = variant
        byKeyID = try KeyDirectory.index(entries)
    }

    /// The most classes in one directory (it must fit, signed, in one log leaf).
    public static let maximumEntries = 150

    private enum CodingKeys: String, CodingKey { case pollID, issuedAt, entries, k, variant }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let name = try container.decode(String.self, forKey: .variant)
        guard let variant = BlindRSA.Variant(rawValue: name) else {
            throw DecodingError.dataCorruptedError(forKey: .variant, in: container, debugDescription: "unknown variant \(name)")
        }
        do {
            try self.init(pollID: try container.decode(PollID.self, forKey: .pollID),
                          issuedAt: try container.decode(Int64.self, forKey: .issuedAt),
                          entries: try container.decode([Entry].self, forKey: .entries),
                          k: try container.decode(UInt32.self, forKey: .k), variant: variant)
        } catch let error as CoreError { throw jsonError(error, decoder.codingPath) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(pollID, forKey: .pollID)
        try container.encode(issuedAt, forKey: .issuedAt)
        try container.encode(entries, forKey: .entries)
        try container.encode(k, forKey: .k)
        try container.encode(variant.rawValue, forKey: .variant)
    }
}
