import Foundation
import PnyxCore
import PnyxHTTP

/// Parsing and validating the two register CSV files. Every bad row is reported with its
/// file and line; a file with any bad row yields no records at all.
///
/// `areas.csv`: `code,name,level,parent_code` — level is `district`, `commune`,
/// `agglomeration` or `departement`; the parent is exactly one level up, empty only for a
/// département.
///
/// `residents.csv`: `resident_id,given_name,family_name,birth_date,area_code` — birth date
/// `YYYY-MM-DD`, area a district of the hierarchy, resident ids unique (at most 64 bytes).
///
/// A first line equal to the header above is skipped.
public enum RegisterCSV {
    /// The areas header.
    public static let areasHeader = ["code", "name", "level", "parent_code"]
    /// The residents header.
    public static let residentsHeader = ["resident_id", "given_name", "family_name", "birth_date", "area_code"]
    /// The longest resident id and name, in UTF-8 bytes.
    public static let maximumFieldBytes = 128

    /// Parses and checks an area hierarchy. Throws `register.bad_row` listing every bad row.
    public static func parseAreas(_ text: String, source: String = "areas.csv") throws(BrokerError) -> [Area] {
        let table = try CSVTable(parsing: text)
        var problems: [APIError.Detail] = []
        var areas: [Area] = []
        var seen: [AreaCode: Int] = [:]
        for record in table.records {
            if record.line == table.records.first?.line, record.fields.map(trim) == areasHeader { continue }
            func bad(_ reason: String) { problems.append(.init(source: source, line: record.line, reason: reason)) }
            guard record.fields.count == 4 else { bad("expected 4 fields (code,name,level,parent_code), found \(record.fields.count)"); continue }
            let f = record.fields.map(trim)
            guard AreaCodes.isValid(f[0]) else { bad("malformed area code \"\(f[0])\": 1–64 printable ASCII, no space ; = * ,"); continue }
            guard !f[1].isEmpty, f[1].utf8.count <= maximumFieldBytes else { bad("area name empty or longer than \(maximumFieldBytes) bytes"); continue }
            guard let level = AreaLevel(name: f[2]), level != .none else {
                bad("unknown level \"\(f[2])\": use district, commune, agglomeration or departement"); continue
            }
            if let first = seen[f[0]] { bad("area code \(f[0]) repeats line \(first)"); continue }
            seen[f[0]] = record.line
            areas.append(Area(code: f[0], name: f[1], level: level, parentCode: f[3].isEmpty ? nil : f[3]))
        }
        // Parents: exist, one level up; only départements have none.
        let byCode = Dictionary(areas.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for area in areas {
            let line = seen[area.code]
            switch area.parentCode {
            case nil where area.level != .departement:
                problems.append(.init(source: source, line: line, reason: "\(area.level.name) \(area.code) has no parent_code"))
            case .some(let parent):
                if let p = byCode[parent] {
                    if p.level.rawValue != area.level.rawValue + 1 {
                        problems.append(.init(source: source, line: line,
                            reason: "parent \(parent) of \(area.level.name) \(area.code) is a \(p.level.name), not one level up"))
                    }
                } else {
                    problems.append(.init(source: source, line: line, reason: "unknown parent_code \(parent)"))
                }
            default: break
            }
        }
        try check(problems, source: source)
        return areas
    }

    /// Parses and checks residents against `hierarchy`. Throws `register.bad_row` listing every bad row.
    public static func parseResidents(
        _ text: String, hierarchy: AreaHierarchy, source: String = "residents.csv"
    ) throws(BrokerError) -> [Resident] {
        let table = try CSVTable(parsing: text)
        var problems: [APIError.Detail] = []
        var residents: [Resident] = []
        var seen: [String: Int] = [:]
        for record in table.records {
            if record.line == table.records.first?.line, record.fields.map(trim) == residentsHeader { continue }
            func bad(_ reason: String) { problems.append(.init(source: source, line: record.line, reason: reason)) }
            guard record.fields.count == 5 else {
                bad("expected 5 fields (resident_id,given_name,family_name,birth_date,area_code), found \(record.fields.count)"); continue
            }
            let f = record.fields.map(trim)
            guard !f[0].isEmpty, f[0].utf8.count <= maximumFieldBytes, !f[0].contains(where: { $0.isNewline || $0 == "\t" || $0 == "\\" }) else {
                bad("resident_id empty or longer than \(maximumFieldBytes) bytes"); continue
            }
            guard !f[1].isEmpty, f[1].utf8.count <= maximumFieldBytes, !f[2].isEmpty, f[2].utf8.count <= maximumFieldBytes else {
                bad("given and family names must be 1–\(maximumFieldBytes) bytes"); continue
            }
            guard let birth = CivilDate(f[3]) else { bad("birth_date \"\(f[3])\" is not a valid YYYY-MM-DD date"); continue }
            guard let level = hierarchy.level(of: f[4]) else { bad("unknown area_code \(f[4]): add it to the areas file"); continue }
            guard level == .district else { bad("area_code \(f[4]) is a \(level.name); residents live in a district"); continue }
            if let first = seen[f[0]] { bad("resident_id \(f[0]) repeats line \(first)"); continue }
            seen[f[0]] = record.line
            residents.append(Resident(residentID: f[0], givenName: f[1], familyName: f[2], birthDate: birth, areaCode: f[4]))
        }
        try check(problems, source: source)
        return residents
    }

    /// Writes areas as CSV with the header.
    public static func write(areas: [Area]) -> String {
        areas.reduce(CSVWriter.line(areasHeader)) {
            $0 + CSVWriter.line([$1.code, $1.name, $1.level.name, $1.parentCode ?? ""])
        }
    }

    /// Writes residents as CSV with the header.
    public static func write(residents: [Resident]) -> String {
        var out = CSVWriter.line(residentsHeader)
        out.reserveCapacity(residents.count * 60)
        for r in residents {
            out += CSVWriter.line([r.residentID, r.givenName, r.familyName, r.birthDate.description, r.areaCode])
        }
        return out
    }

    static func trim(_ s: String) -> String { s.trimmingCharacters(in: .whitespaces) }

    static func check(_ problems: [APIError.Detail], source: String) throws(BrokerError) {
        guard !problems.isEmpty else { return }
        let lines = problems.compactMap(\.line).prefix(10).map(String.init).joined(separator: ", ")
        throw BrokerError(
            .registerBadRow,
            "\(problems.count) bad row(s) in \(source) (lines \(lines)\(problems.count > 10 ? ", …" : "")); nothing was imported — fix them and import again",
            details: problems)
    }
}
