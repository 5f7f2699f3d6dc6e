import Foundation
import PnyxCore
public import PnyxPostgres

/// What an import changed.
public struct ImportSummary: Sendable, Hashable, Codable {
    /// Areas in the hierarchy after the import.
    public var areas: Int
    /// Residents new to the register.
    public var added: Int
    /// Residents whose name, birth date or area changed, or who came back.
    public var updated: Int
    /// Residents no longer in the file (moved away, died): kept, marked inactive, their
    /// sessions and unused codes revoked. What was issued to them stays.
    public var deactivated: Int
    /// Active residents after the import.
    public var active: Int
}

/// The residents register and the area hierarchy in the broker database.
public struct ResidentStore: Sendable {
    let pool: PostgresPool
    let metrics: BrokerMetrics?

    public init(pool: PostgresPool, metrics: BrokerMetrics? = nil) {
        self.pool = pool
        self.metrics = metrics
    }

    /// Imports a complete register: `areasCSV` (optional: the stored hierarchy is used when
    /// nil) and `residentsCSV` (every current resident). Everything is validated first
    /// (`register.bad_row` with every bad line) and written in one transaction, so nothing
    /// is ever half-imported. Residents missing from the file are deactivated, never deleted.
    public func importRegister(areasCSV: String?, residentsCSV: String) async throws -> ImportSummary {
        let areas: [Area]
        if let areasCSV {
            areas = try RegisterCSV.parseAreas(areasCSV)
        } else {
            areas = try await self.areas()
        }
        let residents = try RegisterCSV.parseResidents(residentsCSV, hierarchy: AreaHierarchy(areas))
        let copyData = Self.copyText(residents)
        let replaceAreas = areasCSV != nil
        let summary = try await pool.withBlockingConnection { conn in
            try conn.transaction { conn in
                // One import at a time.
                _ = try conn.execute("LOCK TABLE broker_residents IN SHARE ROW EXCLUSIVE MODE")
                if replaceAreas {
                    for area in areas {
                        try conn.execute(
                            """
                            INSERT INTO broker_areas (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
                            ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
                                parent_code = EXCLUDED.parent_code
                            """,
                            [.text(area.code), .text(area.name), .int16(Int16(area.level.rawValue)),
                             area.parentCode.map { .text($0) } ?? .null])
                    }
                }
                try conn.executeScript("""
                    CREATE TEMP TABLE import_residents (
                        resident_id text PRIMARY KEY, given_name text NOT NULL, family_name text NOT NULL,
                        birth_date date NOT NULL, area_code text NOT NULL
                    ) ON COMMIT DROP
                    """)
                try conn.copyIn("COPY import_residents FROM STDIN", data: copyData)
                let added = try conn.execute("""
                    INSERT INTO broker_residents (resident_id, given_name, family_name, birth_date, area_code)
                    SELECT i.resident_id, i.given_name, i.family_name, i.birth_date, i.area_code
                    FROM import_residents i
                    WHERE NOT EXISTS (SELECT 1 FROM broker_residents r WHERE r.resident_id = i.resident_id)
                    """)
                let updated = try conn.execute("""
                    UPDATE broker_residents r SET given_name = i.given_name, family_name = i.family_name,
                        birth_date = i.birth_date, area_code = i.area_code, active = true, updated_at = now()
                    FROM import_residents i
                    WHERE r.resident_id = i.resident_id
                      AND (r.given_name, r.family_name, r.birth_date, r.area_code, r.active)
                          IS DISTINCT FROM (i.given_name, i.family_name, i.birth_date, i.area_code, true)
                    """)
                let deactivated = try conn.execute("""
                    UPDATE broker_residents r SET active = false, updated_at = now()
                    WHERE r.active AND NOT EXISTS (SELECT 1 FROM import_residents i WHERE i.resident_id = r.resident_id)
                    """)
                try conn.execute("""
                    DELETE FROM broker_sessions s USING broker_residents r
                    WHERE s.resident_id = r.resident_id AND NOT r.active
                    """)
                try conn.execute("""
                    UPDATE broker_enrolment_codes c SET revoked_at = now() FROM broker_residents r
                    WHERE c.resident_id = r.resident_id AND NOT r.active AND c.used_at IS NULL AND c.revoked_at IS NULL
                    """)
                let areaCount = try conn.query("SELECT count(*) FROM broker_areas").scalar(Int.self)
                let active = try conn.query("SELECT count(*) FROM broker_residents WHERE active").scalar(Int.self)
                try conn.execute(
                    "INSERT INTO broker_imports (areas, added, updated, deactivated) VALUES ($1, $2, $3, $4)",
                    [.int32(Int32(areaCount)), .int32(Int32(added)), .int32(Int32(updated)), .int32(Int32(deactivated))])
                return ImportSummary(areas: areaCount, added: added, updated: updated, deactivated: deactivated, active: active)
            }
        }
        metrics?.imports.increment()
        return summary
    }

    /// The stored area hierarchy.
    public func areas() async throws -> [Area] {
        try await pool.query("SELECT code, name, level, parent_code FROM broker_areas ORDER BY level DESC, code").map { row in
            Area(code: try row.decode(String.self, at: 0), name: try row.decode(String.self, at: 1),
                 level: AreaLevel(rawValue: UInt8(try row.decode(Int.self, at: 2))) ?? .none,
                 parentCode: try row.decode(String?.self, at: 3))
        }
    }

    /// One resident (active or not), or nil.
    public func resident(id: String) async throws -> (resident: Resident, active: Bool)? {
        let rows = try await pool.query(
            """
            SELECT resident_id, given_name, family_name, birth_date::text, area_code, active
            FROM broker_residents WHERE resident_id = $1
            """, [.text(id)])
        guard let row = rows.first else { return nil }
        return (try Self.resident(row), try row.decode(Bool.self, at: 5))
    }

    /// Every active resident.
    public func activeResidents() async throws -> [Resident] {
        try await pool.query("""
            SELECT resident_id, given_name, family_name, birth_date::text, area_code
            FROM broker_residents WHERE active ORDER BY resident_id
            """).map(Self.resident)
    }

    static func resident(_ row: PostgresRow) throws -> Resident {
        let birthText = try row.decode(String.self, at: 3)
        guard let birth = CivilDate(birthText) else { throw PostgresError(.decodeFailed, "bad birth date \(birthText)") }
        return Resident(residentID: try row.decode(String.self, at: 0), givenName: try row.decode(String.self, at: 1),
                        familyName: try row.decode(String.self, at: 2), birthDate: birth,
                        areaCode: try row.decode(String.self, at: 4))
    }

    /// PostgreSQL COPY text format: tab-separated, `\\`, `\t`, `\n`, `\r` escaped.
    static func copyText(_ residents: [Resident]) -> [UInt8] {
        func escape(_ s: String, into out: inout [UInt8]) {
            for byte in s.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): out += [0x5C, 0x5C]
                case UInt8(ascii: "\t"): out += [0x5C, UInt8(ascii: "t")]
                case UInt8(ascii: "\n"): out += [0x5C, UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): out += [0x5C, UInt8(ascii: "r")]
                default: out.append(byte)
                }
            }
        }
        var out: [UInt8] = []
        out.reserveCapacity(residents.count * 64)
        for r in residents {
            escape(r.residentID, into: &out); out.append(0x09)
            escape(r.givenName, into: &out); out.append(0x09)
            escape(r.familyName, into: &out); out.append(0x09)
            escape(r.birthDate.description, into: &out); out.append(0x09)
            escape(r.areaCode, into: &out); out.append(0x0A)
        }
        return out
    }
}
