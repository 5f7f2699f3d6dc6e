import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A private PostgreSQL cluster in a folder of its own, for development, `make run` and tests.
///
/// ``start(_:)`` finds the server binaries (the highest `/usr/lib/postgresql/*/bin`, else `PATH`),
/// `initdb`s `<directory>/data` unless it is already initialised (then it is reused), writes
/// `<directory>/data/pnyx.conf` (included from `postgresql.conf`) so the server listens **only**
/// on a unix socket in `<directory>/socket` (`listen_addresses = ''`), starts it with
/// `pg_ctl start -w` (log in `<directory>/postgres.log`), and creates the database.
/// Authentication is `trust` on the local socket only (TCP is off and `host` lines reject).
///
/// **As root**: PostgreSQL refuses to run as root, so initdb and pg_ctl run as an unprivileged
/// system user (`postgres`, created by the Debian package) through `runuser -u postgres --`
/// (or `su`). The folder is chowned to that user; the socket directory is mode 0755 and the
/// socket 0777, so root's client connects, as the superuser named at initdb (``Options/superuser``).
///
/// **Stopping**: ``stop()`` runs `pg_ctl stop -m fast`; with ``Options/stopAtExit`` it also runs
/// from an `atexit` handler (normal exit, `exit()`, return from main). Signals that kill the
/// process without running `atexit` (SIGKILL, an unhandled SIGTERM) leave the server running:
/// the next ``start(_:)`` on the same folder finds it via `postmaster.pid` and adopts it (a
/// stale pid file of a dead server is cleared by PostgreSQL itself, which recovers from its WAL).
/// Ctrl-C in a terminal also reaches the postmaster (same process group): it shuts down fast.
public final class PrivateCluster: @unchecked Sendable {
    /// How to create and run the cluster.
    public struct Options: Sendable {
        /// The cluster folder (holds `data/`, `socket/`, `postgres.log`); created if missing.
        public var directory: String
        /// Wipe an existing cluster in the folder first (stopping it if running).
        public var reset: Bool
        /// The port number (only names the socket file `.s.PGSQL.<port>`; no TCP).
        public var port: Int
        /// The database superuser created by initdb; clients connect as this role.
        public var superuser: String
        /// The database created at start (if missing); ``url`` points at it.
        public var database: String
        /// fsync, synchronous_commit and full_page_writes on (default). Off only for throwaway clusters.
        public var durable: Bool
        /// Extra `postgresql.conf` settings (name → value, written as `name = 'value'`).
        public var settings: [String: String]
        /// Stop the server when this process exits normally.
        public var stopAtExit: Bool
        /// Delete the whole folder after stopping (throwaway clusters).
        public var removeDirectoryOnStop: Bool
        /// Where initdb/pg_ctl live; nil finds them.
        public var binDirectory: String?
        /// The system user that runs the server when this process is root (default `postgres`).
        public var systemUserWhenRoot: String

        /// Options for a durable cluster in `directory`.
        public init(
            directory: String, reset: Bool = false, port: Int = 5432, superuser: String = "postgres",
            database: String = "pnyx", durable: Bool = true, settings: [String: String] = [:],
            stopAtExit: Bool = true, removeDirectoryOnStop: Bool = false, binDirectory: String? = nil,
            systemUserWhenRoot: String = "postgres"
        ) {
            self.directory = directory
            self.reset = reset
            self.port = port
            self.superuser = superuser
            self.database = database
            self.durable = durable
            self.settings = settings
            self.stopAtExit = stopAtExit
            self.removeDirectoryOnStop = removeDirectoryOnStop
            self.binDirectory = binDirectory
            self.systemUserWhenRoot = systemUserWhenRoot
        }

        /// A throwaway, non-durable cluster in a fresh temporary folder (`/tmp/pnyx-pg-XXXXXX`),
        /// stopped and deleted at exit. For tests.
        public static func temporary(database: String = "pnyx", settings: [String: String] = [:]) throws -> Options {
            var template = Array("/tmp/pnyx-pg-XXXXXX".utf8CString)
            guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
                throw PostgresError(.clusterFailed, "mkdtemp failed: \(String(cString: strerror(errno)))")
            }
            let directory = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            var all = ["max_connections": "600"]
            all.merge(settings) { _, new in new }
            return Options(
                directory: directory, database: database, durable: false, settings: all,
                stopAtExit: true, removeDirectoryOnStop: true)
        }
    }

    /// The options the cluster was started with.
    public let options: Options
    /// The cluster folder (absolute).
    public let directory: String
    /// `<directory>/data`, the PGDATA.
    public let dataDirectory: String
    /// `<directory>/socket`, the only place the server listens.
    public let socketDirectory: String
    /// The folder of the initdb/pg_ctl/postgres binaries used.
    public let binDirectory: String
    /// The system user running the server (nil: this process's user).
    public let systemUser: String?

    private let lock = NSLock()
    private var stopped = false

    /// The connection URL of ``Options/database`` (unix socket, superuser).
    public var url: String { url(database: options.database) }

    /// The connection configuration of ``Options/database``.
    public var configuration: PostgresConfiguration { PostgresConfiguration(url: url) }

    /// The connection URL of another database in this cluster.
    public func url(database: String) -> String {
        "postgresql://\(Self.percentEncode(options.superuser))@/\(Self.percentEncode(database))"
            + "?host=\(Self.percentEncode(socketDirectory))&port=\(options.port)"
    }

    private init(options: Options, directory: String, binDirectory: String, systemUser: String?) {
        self.options = options
        self.directory = directory
        self.dataDirectory = directory + "/data"
        self.socketDirectory = directory + "/socket"
        self.binDirectory = binDirectory
        self.systemUser = systemUser
    }

    // MARK: Starting

    /// Initialises (if needed) and starts the cluster, creating ``Options/database``.
    /// The blocking work runs on a thread of its own.
    public static func start(_ options: Options) async throws -> PrivateCluster {
        try await onDedicatedThread(name: "pnyx-pg-cluster") { try startBlocking(options) }
    }

    /// The blocking form of ``start(_:)``.
    public static func startBlocking(_ options: Options) throws -> PrivateCluster {
        let directory = URL(fileURLWithPath: options.directory).standardizedFileURL.path
        let bin = try options.binDirectory ?? findBinDirectory()
        let user: String? = geteuid() == 0 ? options.systemUserWhenRoot : nil
        let cluster = PrivateCluster(options: options, directory: directory, binDirectory: bin, systemUser: user)
        try cluster.boot()
        if options.stopAtExit { ExitStopper.register(cluster) }
        return cluster
    }

    /// The highest `/usr/lib/postgresql/<major>/bin` holding `pg_ctl`, else `pg_ctl`'s folder in `PATH`.
    public static func findBinDirectory() throws -> String {
        let root = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? [])
            .compactMap { name -> (Double, String)? in Double(name).map { ($0, "\(root)/\(name)/bin") } }
            .sorted { $0.0 > $1.0 }
        for (_, bin) in versions where FileManager.default.isExecutableFile(atPath: bin + "/pg_ctl") {
            return bin
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":")
        where FileManager.default.isExecutableFile(atPath: "\(dir)/pg_ctl")
            && FileManager.default.isExecutableFile(atPath: "\(dir)/initdb")
        {
            return String(dir)
        }
        throw PostgresError(
            .clusterFailed, "PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or PATH")
    }

    private func boot() throws {
        let fm = FileManager.default
        let socketPath = socketDirectory + "/.s.PGSQL.\(options.port)"
        guard socketPath.utf8.count < 100 else {
            throw PostgresError(
                .invalidConfiguration, "cluster folder path too long for a unix socket (\(socketPath))")
        }
        var owner: (uid_t, gid_t)?
        if let systemUser {
            guard let pw = getpwnam(systemUser) else {
                throw PostgresError(
                    .clusterFailed,
                    "running as root, but system user '\(systemUser)' does not exist to run PostgreSQL")
            }
            owner = (pw.pointee.pw_uid, pw.pointee.pw_gid)
            try checkReachable(by: systemUser, uid: pw.pointee.pw_uid)
        }

        if options.reset, fm.fileExists(atPath: dataDirectory) {
            if fm.fileExists(atPath: dataDirectory + "/postmaster.pid") {
                _ = try? pgCtl(["stop", "-D", dataDirectory, "-m", "immediate", "-w", "-s"])
            }
            try? fm.removeItem(atPath: dataDirectory)
        }

        for (path, mode) in [(directory, 0o755), (dataDirectory, 0o700), (socketDirectory, 0o755)] {
            if !fm.fileExists(atPath: path) {
                try createDirectory(path)
            }
            chmod(path, mode_t(mode))
            if let owner { chown(path, owner.0, owner.1) }
        }

        if !fm.fileExists(atPath: dataDirectory + "/PG_VERSION") {
            // A half-made data folder (interrupted initdb) is useless: start over.
            for item in (try? fm.contentsOfDirectory(atPath: dataDirectory)) ?? [] {
                try? fm.removeItem(atPath: dataDirectory + "/" + item)
            }
            var args = [
                binDirectory + "/initdb", "-D", dataDirectory, "-U", options.superuser,
                "--auth-local=trust", "--auth-host=reject", "-E", "UTF8", "--no-locale",
            ]
            if !options.durable { args.append("--no-sync") }
            try check(ProcessRunner.run(args, as: systemUser, in: directory), "initdb")
            let include = "\n# Added by Pnyx: settings rewritten at every start.\ninclude_if_exists = 'pnyx.conf'\n"
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: dataDirectory + "/postgresql.conf"))
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(include.utf8))
            try handle.close()
        } else if let version = try? String(contentsOfFile: dataDirectory + "/PG_VERSION", encoding: .utf8),
            let postgresVersion = try? ProcessRunner.run([binDirectory + "/postgres", "--version"], in: "/"),
            let major = version.split(separator: "\n").first,
            !postgresVersion.output.contains(" \(major).")
        {
            throw PostgresError(
                .clusterFailed,
                "cluster in \(dataDirectory) is PostgreSQL \(major) but the binaries are \(postgresVersion.output); use reset")
        }

        try writeSettings(owner: owner)

        let status = try pgCtl(["status", "-D", dataDirectory])
        if status.status == 0 {
            // Already running (left by a killed process, or another process): adopt it.
            _ = try? pgCtl(["reload", "-D", dataDirectory, "-s"])
        } else {
            try check(
                pgCtl(["start", "-D", dataDirectory, "-l", directory + "/postgres.log", "-w", "-t", "60", "-s"]),
                "pg_ctl start", log: true)
        }
        try ensureDatabase(options.database)
    }

    /// The server user must be able to traverse every existing ancestor of the folder
    /// (a folder under `/root`, mode 0700, is not reachable by `postgres`).
    private func checkReachable(by user: String, uid: uid_t) throws {
        var path = (directory as NSString).deletingLastPathComponent
        while true {
            var info = stat()
            if stat(path, &info) == 0 {
                let reachable = info.st_uid == uid || (info.st_mode & 0o001) != 0
                if !reachable {
                    throw PostgresError(
                        .clusterFailed,
                        "PostgreSQL runs as '\(user)' (we are root), which cannot enter \(path); "
                            + "put the cluster folder elsewhere (e.g. under /tmp or /var/lib) or make \(path) o+x")
                }
            }
            if path == "/" || path.isEmpty { break }
            path = (path as NSString).deletingLastPathComponent
        }
    }

    private func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw PostgresError(.clusterFailed, "cannot create \(path): \(error)")
        }
    }

    private func writeSettings(owner: (uid_t, gid_t)?) throws {
        func quote(_ v: String) -> String { "'" + v.replacingOccurrences(of: "'", with: "''") + "'" }
        let durable = options.durable ? "on" : "off"
        var settings: [(String, String)] = [
            ("listen_addresses", ""),
            ("unix_socket_directories", socketDirectory),
            ("unix_socket_permissions", "0777"),
            ("port", String(options.port)),
            ("fsync", durable),
            ("synchronous_commit", durable),
            ("full_page_writes", durable),
        ]
        for (key, value) in options.settings.sorted(by: { $0.key < $1.key }) {
            settings.removeAll { $0.0 == key }
            settings.append((key, value))
        }
        let text = "# Written by Pnyx PrivateCluster at every start; edit Options instead.\n"
            + settings.map { "\($0.0) = \(quote($0.1))" }.joined(separator: "\n") + "\n"
        let path = dataDirectory + "/pnyx.conf"
        do {
            try text.write(toFile: path, atomically: false, encoding: .utf8)
        } catch {
            throw PostgresError(.clusterFailed, "cannot write \(path): \(error)")
        }
        chmod(path, 0o644)
        if let owner { chown(path, owner.0, owner.1) }
    }

    private func pgCtl(_ arguments: [String]) throws -> ProcessRunner.Outcome {
        try ProcessRunner.run([binDirectory + "/pg_ctl"] + arguments, as: systemUser, in: directory)
    }

    private func check(_ outcome: ProcessRunner.Outcome, _ what: String, log: Bool = false) throws {
        guard outcome.status != 0 else { return }
        var message = outcome.output
        if log, let tail = try? String(contentsOfFile: directory + "/postgres.log", encoding: .utf8) {
            message += "\n--- postgres.log (end) ---\n" + tail.split(separator: "\n").suffix(15).joined(separator: "\n")
        }
        throw PostgresError(
            .clusterFailed, "\(what) failed with status \(outcome.status) in \(directory)", message: message)
    }

    // MARK: Databases

    private func withMaintenanceConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
        let connection = try PostgresConnection(url: url(database: "postgres"))
        defer { connection.close() }
        return try body(connection)
    }

    private func ensureDatabase(_ name: String) throws {
        try withMaintenanceConnection { conn in
            let exists = try conn.query("SELECT 1 FROM pg_database WHERE datname = $1", [.text(name)])
            guard exists.isEmpty else { return }
            do {
                try conn.execute("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name))")
            } catch let error as PostgresError where error.sqlState == "42P04" {
                // Created concurrently by another process: fine.
            }
        }
    }

    /// Creates a fresh, empty database (default name `pnyx_<random>`) and returns its URL.
    /// Tests use one per test for isolation. Blocking; see ``createDatabase(named:)``.
    public func createDatabaseBlocking(named name: String? = nil) throws -> String {
        let name = name ?? "pnyx_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        try withMaintenanceConnection { conn in
            _ = try conn.execute("CREATE DATABASE \(PostgresConnection.quoteIdentifier(name))")
        }
        return url(database: name)
    }

    /// Creates a fresh, empty database (default name `pnyx_<random>`) and returns its URL.
    public func createDatabase(named name: String? = nil) async throws -> String {
        try await onDedicatedThread(name: "pnyx-pg-createdb") { try self.createDatabaseBlocking(named: name) }
    }

    /// Drops a database (terminating its connections); no error if it does not exist.
    public func dropDatabase(named name: String) async throws {
        try await onDedicatedThread(name: "pnyx-pg-dropdb") {
            try self.withMaintenanceConnection { conn in
                _ = try conn.execute("DROP DATABASE IF EXISTS \(PostgresConnection.quoteIdentifier(name)) WITH (FORCE)")
            }
        }
    }

    // MARK: Stopping

    /// Stops the server (`pg_ctl stop -m fast`), then deletes the folder if
    /// ``Options/removeDirectoryOnStop``. Idempotent. Blocks for up to a few seconds.
    public func stop() throws {
        let first: Bool = lock.withLock {
            defer { stopped = true }
            return !stopped
        }
        guard first else { return }
        ExitStopper.unregister(self)
        if FileManager.default.fileExists(atPath: dataDirectory + "/postmaster.pid") {
            try check(pgCtl(["stop", "-D", dataDirectory, "-m", "fast", "-w", "-t", "60", "-s"]), "pg_ctl stop")
        }
        if options.removeDirectoryOnStop {
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    /// Stops every cluster started with ``Options/stopAtExit`` (what the `atexit` handler does).
    /// Call it from a signal handler's shutdown path (e.g. SIGTERM/SIGINT in a server).
    public static func stopAll() {
        ExitStopper.stopAll()
    }

    /// The database to use at startup: the URL in `environmentVariable` when it is set, otherwise
    /// a durable private cluster in `directory` (started, or reused if already initialised).
    /// Returns the cluster too (nil for an external database) so the caller can stop it.
    public static func configurationFromEnvironmentOrPrivateCluster(
        environmentVariable: String = "PNYX_DATABASE_URL", directory: String = ".pnyx/pg", reset: Bool = false
    ) async throws -> (configuration: PostgresConfiguration, cluster: PrivateCluster?) {
        let configured = PostgresConfiguration.fromEnvironment(variable: environmentVariable)
        if configured.url != nil { return (configured, nil) }
        let cluster = try await start(Options(directory: directory, reset: reset))
        return (cluster.configuration, cluster)
    }

    static func percentEncode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~/")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }
}

/// The clusters to stop when the process exits, and the one `atexit` hook that does it.
private enum ExitStopper {
    nonisolated(unsafe) static var clusters: [ObjectIdentifier: PrivateCluster] = [:]
    static let lock = NSLock()
    nonisolated(unsafe) static var installed = false

    static func register(_ cluster: PrivateCluster) {
        lock.withLock {
            clusters[ObjectIdentifier(cluster)] = cluster
            if !installed {
                installed = true
                atexit { ExitStopper.stopAll() }
            }
        }
    }

    static func unregister(_ cluster: PrivateCluster) {
        lock.withLock { _ = clusters.removeValue(forKey: ObjectIdentifier(cluster)) }
    }

    static func stopAll() {
        let all = lock.withLock { Array(clusters.values) }
        for cluster in all { try? cluster.stop() }
    }
}
