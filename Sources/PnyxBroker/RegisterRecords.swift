public import PnyxCore

/// One area of the hierarchy: district ⊂ commune ⊂ agglomeration ⊂ département.
public struct Area: Sendable, Hashable, Codable {
    /// The area code (see ``PnyxCore/AreaCodes``), unique across levels.
    public var code: AreaCode
    public var name: String
    public var level: AreaLevel
    /// The enclosing area, exactly one level up; nil only for a département.
    public var parentCode: AreaCode?

    public init(code: AreaCode, name: String, level: AreaLevel, parentCode: AreaCode?) {
        self.code = code
        self.name = name
        self.level = level
        self.parentCode = parentCode
    }
}

/// One resident of the register.
public struct Resident: Sendable, Hashable, Codable {
    /// The administration's stable identifier.
    public var residentID: String
    public var givenName: String
    public var familyName: String
    public var birthDate: CivilDate
    /// The finest area the resident lives in (a district).
    public var areaCode: AreaCode

    public init(residentID: String, givenName: String, familyName: String, birthDate: CivilDate, areaCode: AreaCode) {
        self.residentID = residentID
        self.givenName = givenName
        self.familyName = familyName
        self.birthDate = birthDate
        self.areaCode = areaCode
    }

    /// The certified partial name "Given F." (given name and the family name's initial).
    public var partialName: String {
        let initial = familyName.first.map { String($0).uppercased() + "." } ?? ""
        return "\(givenName) \(initial)"
    }
}

/// The area hierarchy, for walking up from a district.
public struct AreaHierarchy: Sendable {
    /// Every area by code.
    public let areas: [AreaCode: Area]

    public init(_ areas: [Area]) {
        self.areas = Dictionary(areas.map { ($0.code, $0) }, uniquingKeysWith: { _, last in last })
    }

    /// The area enclosing `code` at `level` (itself at its own level), or nil.
    public func ancestor(of code: AreaCode, at level: AreaLevel) -> AreaCode? {
        var current = areas[code]
        while let area = current {
            if area.level == level { return area.code }
            if area.level > level { return nil }
            current = area.parentCode.flatMap { areas[$0] }
        }
        return nil
    }

    /// The level of `code`.
    public func level(of code: AreaCode) -> AreaLevel? { areas[code]?.level }

    /// True if `code` is `scope` or lies inside it.
    public func isInside(_ code: AreaCode, _ scope: AreaCode) -> Bool {
        guard let level = areas[scope]?.level else { return false }
        return ancestor(of: code, at: level) == scope
    }
}
