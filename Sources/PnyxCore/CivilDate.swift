/// A calendar date "YYYY-MM-DD" (proleptic Gregorian), with no time zone.
public struct CivilDate: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let year: Int
    public let month: Int
    public let day: Int

    /// A valid date; `nil` for 2023-02-29 and the like.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= CivilDate.daysInMonth(year: year, month: month) else { return nil }
        self.year = year
        self.month = month
        self.day = day
    }

    /// The UTC calendar day of a Unix time in seconds (H. Hinnant's `civil_from_days`,
    /// proleptic Gregorian, by arithmetic: no Foundation `Calendar`); nil outside years 1–9999.
    public init?(unixTime seconds: Int64) {
        let days = Int((seconds - ((seconds % 86_400) + 86_400) % 86_400) / 86_400) + 719_468
        let era = (days >= 0 ? days : days - 146_096) / 146_097
        let dayOfEra = days - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        self.init(year: yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month: month, day: day)
    }

    /// Parses exactly "YYYY-MM-DD".
    public init?(_ text: String) {
        let utf8 = Array(text.utf8)
        guard utf8.count == 10, utf8[4] == UInt8(ascii: "-"), utf8[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for byte in utf8[range] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10) else { return nil }
        self.init(year: year, month: month, day: day)
    }

    /// "YYYY-MM-DD".
    public var description: String {
        func pad(_ value: Int, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    public static func < (lhs: CivilDate, rhs: CivilDate) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }

    /// Full years from `birth` to `self` (a person born on 29 February comes of age on 1 March in common years).
    public func age(bornOn birth: CivilDate) -> Int {
        var years = year - birth.year
        if (month, day) < (birth.month, birth.day) { years -= 1 }
        return years
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let date = CivilDate(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a YYYY-MM-DD date"))
        }
        self = date
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// The fixed age bands an entry may disclose. `16-17` exists because polls may admit
/// residents from 16 (the lowest minimum age a poll may set).
public enum AgeBand: String, CaseIterable, Sendable, Hashable, Codable, Comparable {
    case from16to17 = "16-17"
    case from18to24 = "18-24"
    case from25to34 = "25-34"
    case from35to49 = "35-49"
    case from50to64 = "50-64"
    case from65 = "65+"

    /// The band of an age in years; `nil` under 16.
    public init?(age: Int) {
        switch age {
        case ..<16: return nil
        case 16...17: self = .from16to17
        case 18...24: self = .from18to24
        case 25...34: self = .from25to34
        case 35...49: self = .from35to49
        case 50...64: self = .from50to64
        default: self = .from65
        }
    }

    /// The band of someone born on `birth`, at `reference`; `nil` under 16.
    public init?(bornOn birth: CivilDate, at reference: CivilDate) {
        self.init(age: reference.age(bornOn: birth))
    }

    /// The youngest age in the band.
    public var minimumAge: Int {
        switch self {
        case .from16to17: 16
        case .from18to24: 18
        case .from25to34: 25
        case .from35to49: 35
        case .from50to64: 50
        case .from65: 65
        }
    }

    public static func < (lhs: AgeBand, rhs: AgeBand) -> Bool { lhs.minimumAge < rhs.minimumAge }
}
