/// The coarse attributes a credential discloses: an area (at the poll's disclosure level, or
/// a coarser one after k-anonymity merging) and an age band, each optional.
///
/// Embedded canonically as `optional<string> areaCode ‖ optional<string> ageBand`; standing
/// alone (``canonicalBytes``) prefixed with the domain tag "pnyx/class/v1". Text and JSON form:
/// `area=75056;age=35-49`, `area=75056`, `age=35-49`, or `*` when nothing is disclosed.
/// Classes order by their embedded encoding (the order of a key directory).
public struct AttributeClass: Hashable, Sendable, Comparable, CustomStringConvertible, Codable, CanonicalEncodable {
    public let areaCode: AreaCode?
    public let ageBand: AgeBand?

    /// Nothing disclosed.
    public static let anonymous = AttributeClass(uncheckedArea: nil, ageBand: nil)

    /// A class; a malformed area code is `class.invalid`.
    public init(areaCode: AreaCode? = nil, ageBand: AgeBand? = nil) throws(CoreError) {
        if let areaCode, !AreaCodes.isValid(areaCode) { throw CoreError(.classInvalid, "malformed area code \"\(areaCode)\"") }
        self.init(uncheckedArea: areaCode, ageBand: ageBand)
    }

    private init(uncheckedArea: AreaCode?, ageBand: AgeBand?) {
        self.areaCode = uncheckedArea
        self.ageBand = ageBand
    }

    /// Parses the text form; anything else is `class.invalid`.
    public init(text: String) throws(CoreError) {
        if text == "*" { self = .anonymous; return }
        var area: AreaCode? = nil
        var band: AgeBand? = nil
        let parts = text.split(separator: ";", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count) else { throw CoreError(.classInvalid, "malformed class \"\(text)\"") }
        for (index, part) in parts.enumerated() {
            if part.hasPrefix("area="), index == 0 {
                area = String(part.dropFirst(5))
            } else if part.hasPrefix("age="), let value = AgeBand(rawValue: String(part.dropFirst(4))),
                      index == parts.count - 1, band == nil {
                band = value
            } else {
                throw CoreError(.classInvalid, "malformed class \"\(text)\"")
            }
        }
        try self.init(areaCode: area, ageBand: band)
    }

    /// `area=…;age=…`, or `*`.
    public var text: String {
        var parts = [String]()
        if let areaCode { parts.append("area=\(areaCode)") }
        if let ageBand { parts.append("age=\(ageBand.rawValue)") }
        return parts.isEmpty ? "*" : parts.joined(separator: ";")
    }

    public var description: String { text }

    public static func < (lhs: AttributeClass, rhs: AttributeClass) -> Bool {
        var left = CanonicalEncoder(), right = CanonicalEncoder()
        lhs.encode(to: &left)
        rhs.encode(to: &right)
        return left.bytes.lexicographicallyPrecedes(right.bytes)
    }

    /// The embedded form: `optional<string> areaCode ‖ optional<string> ageBand`.
    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeOptional(areaCode) { $0.writeString($1) }
        encoder.writeOptional(ageBand) { $0.writeString($1.rawValue) }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        areaCode = try decoder.readOptional { (d: inout CanonicalDecoder) throws(CoreError) in try d.readAreaCode() }
        ageBand = try decoder.readOptional { (d: inout CanonicalDecoder) throws(CoreError) -> AgeBand in
            let at = d.offset
            guard let band = AgeBand(rawValue: try d.readString(limit: 16)) else {
                throw CoreError(.encodingInvalidValue, "unknown age band at offset \(at)")
            }
            return band
        }
    }

    /// The standalone form: `string "pnyx/class/v1" ‖ embedded form`.
    public var canonicalBytes: [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.writeDomain(DomainTag.attributeClass)
        encode(to: &encoder)
        return encoder.bytes
    }

    /// Decodes the standalone form.
    public init(canonicalBytes: [UInt8]) throws(CoreError) {
        var decoder = CanonicalDecoder(canonicalBytes)
        try decoder.expectDomain(DomainTag.attributeClass)
        self = try AttributeClass(from: &decoder)
        try decoder.finish()
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(text: text) } catch { throw jsonError(error, decoder.codingPath) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
