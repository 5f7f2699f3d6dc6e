import Foundation
import PnyxPostgres
import Testing

@Suite("Values: binary round trips")
struct ValueRoundTripTests {
    @Test func integersBoolsAndText() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let rows = try await pool.query(
                "SELECT $1::int2, $2::int4, $3::int8, $4::bool, $5::bool, $6::text, $7::float8",
                [.int16(-32768), .int32(Int32.max), .int64(Int64.min), true, false, "héllo ✓", .float64(1.5)])
            let row = try #require(rows.first)
            #expect(row[0] == .int16(-32768))
            #expect(try row.decode(Int32.self, at: 1) == Int32.max)
            #expect(try row.decode(Int64.self, at: 2) == Int64.min)
            #expect(try row.decode(Bool.self, at: 3) == true)
            #expect(try row.decode(Bool.self, at: 4) == false)
            #expect(try row.decode(String.self, at: 5) == "héllo ✓")
            #expect(try row.decode(Double.self, at: 6) == 1.5)
            #expect(rows.columns.map(\.type) == [.int2, .int4, .int8, .bool, .bool, .text, .float8])
        }
    }

    @Test func byteaAllByteValuesAndEmpty() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let all = (0...255).map { UInt8($0) }
            try await pool.execute("CREATE TABLE blobs (id int PRIMARY KEY, data bytea)")
            try await pool.execute("INSERT INTO blobs VALUES (1, $1), (2, $2), (3, $3)", [.bytea(all), .bytea([]), nil])
            let rows = try await pool.query("SELECT data, length(data) FROM blobs ORDER BY id")
            #expect(try rows[0].decode([UInt8].self, at: 0) == all)
            #expect(try rows[0].decode(Int.self, at: 1) == 256)
            #expect(try rows[1].decode([UInt8].self, at: 0) == [])
            #expect(try rows[1].decode(Int.self, at: 1) == 0)
            #expect(rows[2][0] == .null)
            #expect(try rows[2].decode([UInt8]?.self, at: 0) == nil)
            // The server sees the exact bytes: its own hex encoding matches.
            let hex = try await pool.query("SELECT encode(data, 'hex') FROM blobs WHERE id = 1").scalar(String.self)
            #expect(hex == all.map { String(format: "%02x", $0) }.joined())
        }
    }

    @Test func nullsOfEveryType() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let row = try #require(
                try await pool.query(
                    "SELECT $1::int8, $2::text, $3::bytea, $4::bool, NULL::timestamptz", [nil, nil, nil, nil]
                ).first)
            let allNull = row.values.allSatisfy { $0.isNull }
            #expect(allNull)
            #expect(try row.decode(Int64?.self, at: 0) == nil)
            #expect(try row.decode(String?.self, at: 1) == nil)
            do {
                _ = try row.decode(Int64.self, at: 0)
                Issue.record("decoding NULL as a non-optional must throw")
            } catch let error as PostgresError {
                #expect(error.code == .decodeFailed)
            }
        }
    }

    @Test func timestampsDatesNumericUUIDAndJSON() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let instant = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let uuid = UUID()
            let row = try #require(
                try await pool.query(
                    """
                    SELECT $1::timestamptz, '2024-02-29 12:00:00+00'::timestamptz, '2000-01-02'::date,
                           '-12345678.0012'::numeric, '0.000001'::numeric, $2::uuid, '{"a": 1}'::jsonb,
                           'NaN'::numeric, 10000::numeric, now() - now() AS interval
                    """,
                    [.timestamp(instant), .uuid(uuid)]
                ).first)
            let back = try row.decode(Date.self, at: 0)
            #expect(abs(back.timeIntervalSince(instant)) < 0.000_001)
            #expect(try row.decode(Date.self, at: 1) == Date(timeIntervalSince1970: 1_709_208_000))
            #expect(row[2] == .date(daysSince2000: 1))
            #expect(row[3] == .numeric("-12345678.0012"))
            #expect(row[4] == .numeric("0.000001"))
            #expect(try row.decode(UUID.self, at: 5) == uuid)
            #expect(try row.decode(String.self, at: 6) == #"{"a": 1}"#)
            #expect(row[7] == .numeric("NaN"))
            #expect(try row.decode(Int64.self, at: 8) == 10000)
            if case .raw = row[9] {} else { Issue.record("interval should decode as raw, got \(row[9])") }
        }
    }

    @Test func encodableSwiftTypes() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let optional: Int64? = nil
            let row = try #require(
                try await pool.query(
                    "SELECT $1::int8, $2::int8, $3::text, $4::bytea",
                    [PostgresValue(42 as Int), PostgresValue(optional), PostgresValue("x"), PostgresValue([UInt8]([1, 2]))]
                ).first)
            #expect(try row.decode(Int.self, at: 0) == 42)
            #expect(try row.decode(Int?.self, at: 1) == nil)
            #expect(try row.decode(String.self, column: "text") == "x")
            #expect(try row.decode([UInt8].self, column: "bytea") == [1, 2])
        }
    }
}
