import PnyxPostgres
import Testing

@Suite("Queries: prepared statements, errors, COPY")
struct QueryTests {
    @Test func preparedStatementsAreCachedAndConvertParameterTypes() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            try await pool.execute("CREATE TABLE items (id int4 PRIMARY KEY, label text, data bytea)")
            try await pool.withConnection { session in
                for i in 0..<20 {
                    // .int64 into an int4 slot: converted to the type the server resolved at PREPARE.
                    _ = try await session.queryPrepared(
                        "INSERT INTO items (id, label, data) VALUES ($1, $2, $3)",
                        [.int64(Int64(i)), .text("item \(i)"), .bytea([UInt8(i)])])
                }
                let prepared = try await session.query(
                    "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO items%'")
                #expect(try prepared.scalar(Int64.self) == 1)

                try await session.prepare(name: "by_id", sql: "SELECT label, data FROM items WHERE id = $1")
                let row = try #require(try await session.queryPrepared(name: "by_id", [7]).first)
                #expect(try row.decode(String.self, at: 0) == "item 7")
                #expect(try row.decode([UInt8].self, at: 1) == [7])
                // Re-preparing the same name with different SQL replaces it.
                try await session.prepare(name: "by_id", sql: "SELECT id FROM items WHERE label = $1")
                #expect(try await session.queryPrepared(name: "by_id", ["item 3"]).scalar(Int32.self) == 3)
            }
            let overflow = await expectPostgresError {
                _ = try await pool.withBlockingConnection { conn in
                    try conn.queryPrepared("SELECT $1::int2", [.int64(1 << 40)])
                }
            }
            #expect(overflow?.code == .encodeFailed)
        }
    }

    @Test func uniqueViolationHasCodeAndSQLState() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            try await pool.execute("CREATE TABLE u (k text CONSTRAINT u_pkey PRIMARY KEY)")
            try await pool.execute("INSERT INTO u VALUES ($1)", ["a"])
            let error = await expectPostgresError { try await pool.execute("INSERT INTO u VALUES ($1)", ["a"]) }
            let e = try #require(error)
            #expect(e.code == .uniqueViolation)
            #expect(e.code.rawValue == "db.unique_violation")
            #expect(e.sqlState == "23505")
            #expect(e.constraint == "u_pkey")
            #expect(e.detail?.contains("already exists") == true)
            // The connection is still usable afterwards.
            #expect(try await pool.query("SELECT count(*) FROM u").scalar(Int64.self) == 1)
        }
    }

    @Test func syntaxErrorIsQueryFailedWithMessage() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            let error = await expectPostgresError { try await pool.execute("SELEC 1") }
            let e = try #require(error)
            #expect(e.code == .queryFailed)
            #expect(e.sqlState == "42601")
            #expect(e.message?.contains("syntax error") == true)
            #expect(e.description.contains("SELEC 1"))
            let missing = await expectPostgresError { try await pool.execute("SELECT * FROM no_such_table") }
            #expect(missing?.code == .queryFailed)
            #expect(missing?.sqlState == "42P01")
        }
    }

    @Test func copyInBinaryAndText() async throws {
        try await TestDatabase.withPool(size: 1) { pool in
            try await pool.execute("CREATE TABLE bulk (id int8, payload bytea, note text)")
            var encoder = PostgresBinaryCopyEncoder()
            for i in 0..<1000 {
                try encoder.append(row: [.int64(Int64(i)), .bytea([UInt8(i % 256), 0, 255]), i % 2 == 0 ? .text("n\(i)") : nil])
            }
            let copied = try await pool.withConnection { session in
                try await session.copyIn("COPY bulk (id, payload, note) FROM STDIN (FORMAT binary)", data: encoder.finish())
            }
            #expect(copied == 1000)
            let text = Array("1000\t\\\\x00ff\thello\n1001\t\\\\x\t\\N\n".utf8)
            #expect(try await pool.withBlockingConnection { try $0.copyIn("COPY bulk FROM STDIN", data: text) } == 2)
            let rows = try await pool.query("SELECT count(*), count(note), sum(length(payload)) FROM bulk")
            #expect(rows[0][0] == .int64(1002))
            #expect(rows[0][1] == .int64(501))
            #expect(try rows[0].decode(Int64.self, at: 2) == 3002)
            let hello = try await pool.query("SELECT payload FROM bulk WHERE id = 1000").scalar([UInt8].self)
            #expect(hello == [0, 255])
            // Bad COPY data: error, and the connection recovers.
            let error = await expectPostgresError {
                _ = try await pool.withBlockingConnection { try $0.copyIn("COPY bulk FROM STDIN", data: Array("x\ty\n".utf8)) }
            }
            #expect(error?.code == .queryFailed)
            #expect(try await pool.query("SELECT count(*) FROM bulk").scalar(Int64.self) == 1002)
        }
    }
}
