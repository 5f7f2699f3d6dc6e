/// Who may take part in a poll.
public struct Eligibility: Hashable, Sendable, Codable, CanonicalEncodable {
    /// Areas whose residents are eligible; empty means the whole register.
    public var areaScope: Set<AreaCode>
    /// Minimum age in full years at ``referenceDate``.
    public var minimumAge: UInt8
    /// The date ages are computed at, "YYYY-MM-DD" (canonically a `string`).
    public var referenceDate: CivilDate

    public init(areaScope: Set<AreaCode> = [], minimumAge: UInt8 = 18, referenceDate: CivilDate) {
        self.areaScope = areaScope
        self.minimumAge = minimumAge
        self.referenceDate = referenceDate
    }

    /// `set<string> areaScope ‖ u8 minimumAge ‖ string referenceDate`.
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeSet(areaScope) { $0.writeString($1) }
        encoder.writeU8(minimumAge)
        encoder.writeString(referenceDate.description)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        areaScope = Set(try decoder.readSet { (d: inout CanonicalDecoder) throws(CoreError) in try d.readAreaCode() })
        minimumAge = try decoder.readU8()
        let at = decoder.offset
        guard let date = CivilDate(try decoder.readString(limit: 10)) else {
            throw CoreError(.encodingInvalidValue, "reference date at offset \(at) is not YYYY-MM-DD")
        }
        referenceDate = date
    }

    private enum CodingKeys: String, CodingKey { case areaScope, minimumAge, referenceDate }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(areaScope.sorted(), forKey: .areaScope)
        try container.encode(minimumAge, forKey: .minimumAge)
        try container.encode(referenceDate, forKey: .referenceDate)
    }
}

/// Which attributes an entry discloses.
public struct Disclosure: Hashable, Sendable, Codable, CanonicalEncodable {
    /// The area level disclosed (`none` for no area).
    public var areaLevel: AreaLevel
    /// Whether the age band is disclosed.
    public var ageBands: Bool

    public init(areaLevel: AreaLevel = .none, ageBands: Bool = false) {
        self.areaLevel = areaLevel
        self.ageBands = ageBands
    }

    /// `u8 areaLevel ‖ bool ageBands`.
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(areaLevel)
        encoder.writeBool(ageBands)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        areaLevel = try decoder.read()
        ageBands = try decoder.readBool()
    }
}

/// One question of a consultation.
public struct Question: Hashable, Sendable, Codable, CanonicalEncodable {
    /// The question's id, unique within the poll; answers refer to it.
    public var id: UInt16
    public var text: String
    public var kind: QuestionKind
    /// single: 1; multiple: 1…options; approval: the number of options.
    public var maxChoices: UInt16
    /// The options, 2…64; choices are indexes into this list.
    public var options: [String]

    public init(id: UInt16, text: String, kind: QuestionKind, maxChoices: UInt16? = nil, options: [String]) {
        self.id = id
        self.text = text
        self.kind = kind
        self.options = options
        switch kind {
        case .single: self.maxChoices = maxChoices ?? 1
        case .multiple: self.maxChoices = maxChoices ?? UInt16(clamping: options.count)
        case .approval: self.maxChoices = maxChoices ?? UInt16(clamping: options.count)
        }
    }

    /// `u16 id ‖ string text ‖ u8 kind ‖ u16 maxChoices ‖ list<string> options`.
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeU16(id)
        encoder.writeString(text)
        encoder.write(kind)
        encoder.writeU16(maxChoices)
        encoder.writeList(options) { $0.writeString($1) }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        id = try decoder.readU16()
        text = try decoder.readString()
        kind = try decoder.read()
        maxChoices = try decoder.readU16()
        options = try decoder.readList { (d: inout CanonicalDecoder) throws(CoreError) in try d.readString() }
    }
}

/// A threshold a poll can reach, as data.
public enum Threshold: Hashable, Sendable, CanonicalEncodable {
    /// At least `count` counted entries (tag 1: `u64 count`).
    case absolute(count: UInt64)
    /// At least this share of the eligible residents, in basis points 1…10 000 (tag 2: `u32`).
    /// The eligible count is the sum of the key directory's `eligibleCount`s.
    case shareOfEligible(basisPoints: UInt32)
    /// At least `minimumPerArea` entries in each of at least `minimumAreas` areas of
    /// `areaLevel` (tag 3: `u64 ‖ u32 ‖ u8`). `areaLevel` must be the poll's disclosed level.
    case areas(minimumPerArea: UInt64, minimumAreas: UInt32, areaLevel: AreaLevel)

    public func encode(to encoder: inout CanonicalEncoder) {
        switch self {
        case .absolute(let count):
            encoder.writeU8(1)
            encoder.writeU64(count)
        case .shareOfEligible(let basisPoints):
            encoder.writeU8(2)
            encoder.writeU32(basisPoints)
        case .areas(let minimumPerArea, let minimumAreas, let areaLevel):
            encoder.writeU8(3)
            encoder.writeU64(minimumPerArea)
            encoder.writeU32(minimumAreas)
            encoder.write(areaLevel)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        let tag = try decoder.readTag()
        switch tag {
        case 1: self = .absolute(count: try decoder.readU64())
        case 2: self = .shareOfEligible(basisPoints: try decoder.readU32())
        case 3:
            self = .areas(minimumPerArea: try decoder.readU64(), minimumAreas: try decoder.readU32(),
                          areaLevel: try decoder.read())
        default: throw decoder.unknownTag(tag, of: "threshold")
        }
    }
}

extension Threshold: Codable {
    private enum CodingKeys: String, CodingKey { case kind, count, basisPoints, minimumPerArea, minimumAreas, areaLevel }

    /// JSON: `{"kind":"absolute","count":…}`, `{"kind":"shareOfEligible","basisPoints":…}`,
    /// `{"kind":"areas","minimumPerArea":…,"minimumAreas":…,"areaLevel":"commune"}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .absolute(let count):
            try container.encode("absolute", forKey: .kind)
            try container.encode(count, forKey: .count)
        case .shareOfEligible(let basisPoints):
            try container.encode("shareOfEligible", forKey: .kind)
            try container.encode(basisPoints, forKey: .basisPoints)
        case .areas(let minimumPerArea, let minimumAreas, let areaLevel):
            try container.encode("areas", forKey: .kind)
            try container.encode(minimumPerArea, forKey: .minimumPerArea)
            try container.encode(minimumAreas, forKey: .minimumAreas)
            try container.encode(areaLevel, forKey: .areaLevel)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "absolute": self = .absolute(count: try container.decode(UInt64.self, forKey: .count))
        case "shareOfEligible": self = .shareOfEligible(basisPoints: try container.decode(UInt32.self, forKey: .basisPoints))
        case "areas":
            self = .areas(minimumPerArea: try container.decode(UInt64.self, forKey: .minimumPerArea),
                          minimumAreas: try container.decode(UInt32.self, forKey: .minimumAreas),
                          areaLevel: try container.decode(AreaLevel.self, forKey: .areaLevel))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "unknown threshold kind \(other)")
        }
    }
}
