import Foundation
import PnyxPostgres
import Testing

@Suite("Private cluster")
struct ClusterTests {
    @Test func sharedClusterListensOnlyOnItsSocket() async throws {
        let cluster = try await TestDatabase.cluster()
        #expect(cluster.url.hasPrefix("postgresql://postgres@/pnyx?host=/"))
        #expect(FileManager.default.fileExists(atPath: cluster.socketDirectory + "/.s.PGSQL.5432"))
        if geteuid() == 0 { #expect(cluster.systemUser == "postgres") }
        try await TestDatabase.withPool(size: 1) { pool in
            let settings = try await pool.query(
                "SELECT current_setting('listen_addresses'), current_setting('unix_socket_directories'), current_user")
            #expect(try settings[0].decode(String.self, at: 0) == "")
            #expect(try settings[0].decode(String.self, at: 1) == cluster.socketDirectory)
            #expect(try settings[0].decode(String.self, at: 2) == "postgres")
        }
    }

    @Test func unreachableFolderIsRefusedClearlyWhenRoot() async throws {
        guard geteuid() == 0 else { return }
        let parent = "/tmp/pnyx-private-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: parent) }
        let error = await expectPostgresError {
            _ = try await PrivateCluster.start(.init(directory: parent + "/pg", stopAtExit: false))
        }
        #expect(error?.code == .clusterFailed)
        #expect(error?.reason.contains("cannot enter \(parent)") == true)
    }

    @Test func connectsFromPGEnvironmentWhenNoURL() async throws {
        let cluster = try await TestDatabase.cluster()
        let database = "from_env_\(UInt32.random(in: 0...UInt32.max))"
        _ = try await cluster.createDatabase(named: database)
        // Only this test sets PG* variables; every other connection names its host/db in a URL.
        setenv("PGHOST", cluster.socketDirectory, 1)
        setenv("PGPORT", "5432", 1)
        setenv("PGUSER", "postgres", 1)
        setenv("PGDATABASE", database, 1)
        defer { for v in ["PGHOST", "PGPORT", "PGUSER", "PGDATABASE"] { unsetenv(v) } }
        let pool = PostgresPool(url: nil, size: 1)
        let name = try await pool.query("SELECT current_database()").scalar(String.self)
        await pool.close()
        #expect(name == database)
    }

    @Test func clusterRestartsReusesDataAppliesSettingsAndResets() async throws {
        // A second cluster in its own folder: initdb, data, stop, start again (reuse, now with
        // the durable defaults: settings are rewritten at every start), adopt while running, reset.
        let folder = "/tmp/pnyx-pg-test-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = PrivateCluster.Options(directory: folder, port: 5433, database: "demo")
        options.durable = false  // the first initdb skips its fsync: keeps the test fast
        options.settings = ["shared_buffers": "16MB"]
        let first = try await PrivateCluster.start(options)
        try await first.withDemo { pool in
            try await pool.execute("CREATE TABLE kept (v text)")
            try await pool.execute("INSERT INTO kept VALUES ('survives restart')")
            let fsync = try await pool.query("SELECT current_setting('fsync')").scalar(String.self)
            #expect(fsync == "off")
        }
        try first.stop()
        #expect(!FileManager.default.fileExists(atPath: folder + "/data/postmaster.pid"))
        #expect(FileManager.default.fileExists(atPath: folder + "/data/PG_VERSION"))

        options.durable = true  // the default
        let second = try await PrivateCluster.start(options)
        try await second.withDemo { pool in
            let kept = try await pool.query("SELECT v FROM kept").scalar(String.self)
            #expect(kept == "survives restart")
            let settings = try await pool.query(
                "SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')")
            #expect(settings[0].values == [.text("on"), .text("on"), .text("on")])
        }
        // Starting again while running adopts the running server.
        let adopted = try await PrivateCluster.start(options)
        try await adopted.withDemo { pool in
            let count = try await pool.query("SELECT count(*) FROM kept").scalar(Int64.self)
            #expect(count == 1)
        }
        try second.stop()

        options.reset = true
        options.durable = false
        let fresh = try await PrivateCluster.start(options)
        try await fresh.withDemo { pool in
            let exists = try await pool.query("SELECT to_regclass('kept') IS NOT NULL").scalar(Bool.self)
            #expect(!exists)
        }
        try fresh.stop()
    }
}

extension PrivateCluster {
    func withDemo(_ body: (PostgresPool) async throws -> Void) async throws {
        let pool = PostgresPool(url: url, size: 1)
        do { try await body(pool) } catch { await pool.close(); throw error }
        await pool.close()
    }
}
