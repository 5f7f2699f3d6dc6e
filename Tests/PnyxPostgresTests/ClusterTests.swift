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

    @Test func durableClusterRestartsReusesAndResets() async throws {
        // A second, durable cluster in its own folder: initdb, data, stop, start again (reuse), reset.
        let folder = "/tmp/pnyx-pg-test-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var options = PrivateCluster.Options(directory: folder, port: 5433, database: "demo")
        options.settings = ["shared_buffers": "16MB"]
        let first = try await PrivateCluster.start(options)
        try await first.withDemo { pool in
            try await pool.execute("CREATE TABLE kept (v text)")
            try await pool.execute("INSERT INTO kept VALUES ('survives restart')")
            let fsync = try await pool.query("SELECT current_setting('fsync'), current_setting('synchronous_commit')")
            #expect(fsync[0][0] == .text("on"))
            #expect(fsync[0][1] == .text("on"))
        }
        try first.stop()
        #expect(!FileManager.default.fileExists(atPath: folder + "/data/postmaster.pid"))

        let second = try await PrivateCluster.start(options)
        try await second.withDemo { pool in
            let kept = try await pool.query("SELECT v FROM kept").scalar(String.self)
            #expect(kept == "survives restart")
        }
        // Starting again while running adopts the running server.
        let adopted = try await PrivateCluster.start(options)
        try await adopted.withDemo { pool in
            let count = try await pool.query("SELECT count(*) FROM kept").scalar(Int64.self)
            #expect(count == 1)
        }
        try second.stop()

        options.reset = true
        options.durable = false  // also keeps the second initdb fast (--no-sync)
        let fresh = try await PrivateCluster.start(options)
        try await fresh.withDemo { pool in
            let exists = try await pool.query("SELECT to_regclass('kept') IS NOT NULL").scalar(Bool.self)
            #expect(!exists)
            let fsync = try await pool.query("SELECT current_setting('fsync')").scalar(String.self)
            #expect(fsync == "off")
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
