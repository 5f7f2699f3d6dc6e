import PnyxPostgres
import Testing

@Suite("Roles")
struct RoleTests {
    @Test func applicationRoleCanOnlySelectAndInsert() async throws {
        let url = try await TestDatabase.makeDatabase()
        let admin = PostgresPool(url: url, size: 1)
        let role = "app_" + String(UInt32.random(in: 0...UInt32.max), radix: 36)
        try await admin.withBlockingConnection { conn in
            try conn.execute("CREATE TABLE entries (id bigserial PRIMARY KEY, body bytea NOT NULL)")
            try conn.createApplicationRole(role, password: "not-checked-with-trust")
            try conn.createApplicationRole(role)  // idempotent
            try conn.grant([.select, .insert], onTables: ["entries"], to: role)
        }
        let app = PostgresPool(configuration: PostgresConfiguration(url: url).connecting(asUser: role), size: 1)
        try await app.execute("INSERT INTO entries (body) VALUES ($1)", [.bytea([1, 2, 3])])
        #expect(try await app.query("SELECT count(*) FROM entries").scalar(Int64.self) == 1)
        #expect(try await app.query("SELECT current_user").scalar(String.self) == role)
        for sql in ["UPDATE entries SET body = '\\x00'", "DELETE FROM entries", "TRUNCATE entries",
                    "CREATE TABLE sneaky (x int)", "DROP TABLE entries"] {
            let error = await expectPostgresError { try await app.execute(sql) }
            #expect(error?.sqlState == "42501" || error?.sqlState == "42P01" || error?.code == .permissionDenied, "\(sql)")
            #expect(error != nil, "\(sql) must be refused")
        }
        let update = await expectPostgresError { try await app.execute("UPDATE entries SET body = '\\x00'") }
        #expect(update?.code == .permissionDenied)
        await app.close()
        await admin.close()
    }
}
