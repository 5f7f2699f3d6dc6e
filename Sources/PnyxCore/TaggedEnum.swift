/// An enum without associated values, encoded canonically as its `u8` tag and in JSON as its name.
public protocol TaggedEnum: RawRepresentable, CaseIterable, Hashable, Sendable, Codable, CanonicalEncodable
where RawValue == UInt8 {
    /// The name used in JSON and text (stable).
    var name: String { get }
    /// The type's name in error messages.
    static var typeName: String { get }
}

extension TaggedEnum {
    public func encode(to encoder: inout CanonicalEncoder) { encoder.writeU8(rawValue) }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        let tag = try decoder.readTag()
        guard let value = Self(rawValue: tag) else { throw decoder.unknownTag(tag, of: Self.typeName) }
        self = value
    }

    /// The case named `name`, if any.
    public init?(name: String) {
        guard let value = Self.allCases.first(where: { $0.name == name }) else { return nil }
        self = value
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let value = Self(name: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "unknown \(Self.typeName) \"\(name)\""))
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// What a poll is: a petition (signatures) or a consultation (votes on questions).
public enum PollKind: UInt8, TaggedEnum {
    case petition = 1
    case consultation = 2
    public var name: String { self == .petition ? "petition" : "consultation" }
    public static let typeName = "poll kind"
}

/// The level of the area hierarchy an entry discloses (and thresholds count by).
public enum AreaLevel: UInt8, TaggedEnum, Comparable {
    /// No area disclosed.
    case none = 0
    case district = 1
    case commune = 2
    case agglomeration = 3
    case departement = 4
    public var name: String {
        switch self {
        case .none: "none"
        case .district: "district"
        case .commune: "commune"
        case .agglomeration: "agglomeration"
        case .departement: "departement"
        }
    }
    public static let typeName = "area level"
    public static func < (lhs: AreaLevel, rhs: AreaLevel) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// How a question is answered.
public enum QuestionKind: UInt8, TaggedEnum {
    /// Exactly one option.
    case single = 1
    /// At most `maxChoices` options.
    case multiple = 2
    /// Any subset of the options.
    case approval = 3
    public var name: String {
        switch self {
        case .single: "single"
        case .multiple: "multiple"
        case .approval: "approval"
        }
    }
    public static let typeName = "question kind"
}

/// Where an entry was made. Kiosk and paper entries are recorded by an official and counted apart.
public enum Channel: UInt8, TaggedEnum, Comparable {
    case online = 1
    case kiosk = 2
    case paper = 3
    public var name: String {
        switch self {
        case .online: "online"
        case .kiosk: "kiosk"
        case .paper: "paper"
        }
    }
    public static let typeName = "channel"
    public static func < (lhs: Channel, rhs: Channel) -> Bool { lhs.rawValue < rhs.rawValue }
}
