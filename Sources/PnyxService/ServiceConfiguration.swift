public import Foundation
public import PnyxCrypto
public import PnyxTransparency

/// Everything the petition service needs to run, read from the environment (or built in
/// memory by tests).
///
/// Keys (environment variable — type — default):
/// - `PNYX_SERVICE_DATABASE_URL` — PostgreSQL URL of the **service's own** database (never
///   the broker's) — unset: libpq's `PG*` variables (the `pnyx` executable starts a private
///   cluster instead).
/// - `PNYX_SERVICE_POOL_SIZE` — integer ≥ 2 — `8`.
/// - `PNYX_BROKER_URL` — base URL of the identity broker — `http://127.0.0.1:8081`.
/// - `PNYX_SERVICE_KEY_FILE` — path of the service's Ed25519 signer key, in the C2SP note
///   signer format `PRIVATE+KEY+<name>+<id>+<base64>`; it signs poll definitions,
///   checkpoints and certificates. Secret — `.pnyx/service.key`, created (mode 0600) if missing.
/// - `PNYX_SERVICE_KEY_NAME` — the key name used when the file is created — `pnyx-service`.
/// - `PNYX_SERVICE_ADMIN_TOKENS` — comma-separated `name:token` pairs for administrators.
///   Secret — none (admin endpoints then refuse everyone).
/// - `PNYX_SERVICE_OFFICIAL_TOKENS` — comma-separated `name:token` pairs for the officials
///   who record kiosk and paper entries. Secret — none.
/// - `PNYX_SERVICE_COUNTERSIGN_KEYS` — comma-separated `name:base64 Ed25519 public key` pairs
///   of the administration officials who countersign certificates (with an admin token) —
///   none.
/// - `PNYX_SERVICE_AUDITOR_KEYS` — the same for auditors, who countersign with their key
///   alone — none.
/// - `PNYX_SERVICE_SCHEDULE_INTERVAL_MS` — how often polls whose opening or closing time has
///   come are opened or closed automatically; `0` turns it off — `1000`.
/// - `PNYX_SERVICE_LOG_ORIGIN_PREFIX` — checkpoint origins are `<prefix><poll id hex>` —
///   `pnyx.example/poll/`.
/// - `PNYX_SERVICE_CHECKPOINT_INTERVAL_MS` — background checkpoint interval — `1000`.
/// - `PNYX_SERVICE_READ_REFRESH_MS` — how often the cached public reads (page data, counts,
///   latest checkpoint) are refreshed from the database; they may be that old plus one
///   refresh; `0` turns the cache off — `500`.
/// - `PNYX_SERVICE_BODY_LIMIT` — the largest request body in bytes — `65536`.
/// - `PNYX_SERVICE_HOST`, `PNYX_SERVICE_PORT` — where to listen — `127.0.0.1`, `8080`.
/// - `PNYX_WITNESS_KEYS` — comma-separated witness cosignature verifier keys
///   (`<name>+<id>+<base64>`, from `pnyx-audit keygen`) whose cosignatures the service accepts
///   and serves with its checkpoints — none.
///
/// Secrets (key, tokens) are never logged: ``description`` redacts them.
public struct ServiceConfiguration: Sendable, CustomStringConvertible {
    /// The service database URL (nil: libpq defaults).
    public var databaseURL: String?
    /// Connections in the pool.
    public var poolSize: Int
    /// The identity broker's base URL.
    public var brokerURL: String
    /// The service's Ed25519 key (signs definitions, checkpoints, certificates).
    public var serviceKey: Ed25519.PrivateKey
    /// The key name on checkpoint signature lines.
    public var keyName: String
    /// Administrator tokens: token → administrator name.
    public var adminTokens: [String: String]
    /// Official tokens: token → official name (recorded with their kiosk and paper entries).
    public var officialTokens: [String: String]
    /// Officials' countersigning keys: base64 Ed25519 public key → name.
    public var officialKeys: [String: String]
    /// Auditors' countersigning keys: base64 Ed25519 public key → name.
    public var auditorKeys: [String: String]
    /// Time between rounds of automatic opening and closing (``PetitionService/runSchedule()``);
    /// nil: no automatic opening and closing (the in-memory default; tests call `runSchedule`).
    public var scheduleInterval: Duration?
    /// Checkpoint origins are `<logOriginPrefix><poll id hex>`.
    public var logOriginPrefix: String
    /// Time between background checkpoint rounds.
    public var checkpointInterval: Duration
    /// The largest request body, in bytes.
    public var bodyLimit: Int
    /// Listening host.
    public var host: String
    /// Listening port (0: any free port).
    public var port: Int
    /// The witnesses whose checkpoint cosignatures are accepted and served.
    public var witnessKeys: [CosignatureVerifier] = []
    /// How often the public reads served from memory (page data, counts, latest checkpoint)
    /// are refreshed from the database (``ReadCache``); nil: no cache, every read queries
    /// the database (the in-memory default; `PNYX_SERVICE_READ_REFRESH_MS` defaults to 500).
    public var readRefreshInterval: Duration? = nil
    /// How long a finished `tally/check` of a poll is answered again before a new refold of
    /// the log may start, in seconds (`PNYX_SERVICE_TALLY_CHECK_INTERVAL_S`, default 60; 0:
    /// every request refolds, for tests).
    public var tallyCheckInterval: TimeInterval = 0

    /// A configuration built in memory.
    public init(
        databaseURL: String?, brokerURL: String, serviceKey: Ed25519.PrivateKey, keyName: String = "pnyx-service",
        adminTokens: [String: String] = [:], officialTokens: [String: String] = [:],
        officialKeys: [String: String] = [:], auditorKeys: [String: String] = [:], scheduleInterval: Duration? = nil,
        logOriginPrefix: String = "pnyx.example/poll/", checkpointInterval: Duration = .seconds(1),
        bodyLimit: Int = 65_536, poolSize: Int = 8, host: String = "127.0.0.1", port: Int = 8080
    ) {
        self.databaseURL = databaseURL
        self.brokerURL = brokerURL
        self.serviceKey = serviceKey
        self.keyName = keyName
        self.adminTokens = adminTokens
        self.officialTokens = officialTokens
        self.officialKeys = officialKeys
        self.auditorKeys = auditorKeys
        self.scheduleInterval = scheduleInterval
        self.logOriginPrefix = logOriginPrefix
        self.checkpointInterval = checkpointInterval
        self.bodyLimit = bodyLimit
        self.poolSize = poolSize
        self.host = host
        self.port = port
    }

    /// Reads the keys listed on the type from `environment` (the process environment by
    /// default). Creates the key file if it does not exist. Throws `config.invalid`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ key: String) -> String? {
            guard let text = environment[key]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
            return text
        }
        func integer(_ key: String, _ fallback: Int, minimum: Int) throws -> Int {
            guard let text = value(key) else { return fallback }
            guard let number = Int(text), number >= minimum else {
                throw ServiceError(.configurationInvalid, .internalServerError, "\(key) must be an integer ≥ \(minimum), not \(text)")
            }
            return number
        }
        let keyName = value("PNYX_SERVICE_KEY_NAME") ?? "pnyx-service"
        let key = try ServiceKeyFile.loadOrCreate(path: value("PNYX_SERVICE_KEY_FILE") ?? ".pnyx/service.key", name: keyName)
        self.init(
            databaseURL: value("PNYX_SERVICE_DATABASE_URL"),
            brokerURL: value("PNYX_BROKER_URL") ?? "http://127.0.0.1:8081",
            serviceKey: key.privateKey, keyName: key.name,
            adminTokens: try Self.tokens(value("PNYX_SERVICE_ADMIN_TOKENS"), key: "PNYX_SERVICE_ADMIN_TOKENS"),
            officialTokens: try Self.tokens(value("PNYX_SERVICE_OFFICIAL_TOKENS"), key: "PNYX_SERVICE_OFFICIAL_TOKENS"),
            officialKeys: try Self.keys(value("PNYX_SERVICE_COUNTERSIGN_KEYS"), key: "PNYX_SERVICE_COUNTERSIGN_KEYS"),
            auditorKeys: try Self.keys(value("PNYX_SERVICE_AUDITOR_KEYS"), key: "PNYX_SERVICE_AUDITOR_KEYS"),
            scheduleInterval: try Self.schedule(integer("PNYX_SERVICE_SCHEDULE_INTERVAL_MS", 1000, minimum: 0)),
            logOriginPrefix: value("PNYX_SERVICE_LOG_ORIGIN_PREFIX") ?? "pnyx.example/poll/",
            checkpointInterval: .milliseconds(try integer("PNYX_SERVICE_CHECKPOINT_INTERVAL_MS", 1000, minimum: 10)),
            bodyLimit: try integer("PNYX_SERVICE_BODY_LIMIT", 65_536, minimum: 1024),
            poolSize: try integer("PNYX_SERVICE_POOL_SIZE", 8, minimum: 2),
            host: value("PNYX_SERVICE_HOST") ?? "127.0.0.1",
            port: try integer("PNYX_SERVICE_PORT", 8080, minimum: 0))
        let refresh = try integer("PNYX_SERVICE_READ_REFRESH_MS", 500, minimum: 0)
        readRefreshInterval = refresh == 0 ? nil : .milliseconds(refresh)
        tallyCheckInterval = TimeInterval(try integer("PNYX_SERVICE_TALLY_CHECK_INTERVAL_S", 60, minimum: 0))
        for key in (value("PNYX_WITNESS_KEYS") ?? "").split(separator: ",") {
            guard let verifier = try? CosignatureVerifier(verifierKey: key.trimmingCharacters(in: .whitespaces)) else {
                throw ServiceError(.configurationInvalid, .internalServerError,
                                   "PNYX_WITNESS_KEYS must list witness verifier keys <name>+<id>+<base64>, not \(key)")
            }
            witnessKeys.append(verifier)
        }
    }

    /// Parses `name:token,name:token`.
    static func tokens(_ text: String?, key: String) throws -> [String: String] {
        guard let text else { return [:] }
        var result: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 16 else {
                throw ServiceError(.configurationInvalid, .internalServerError,
                                   "\(key) must list name:token pairs with tokens of at least 16 characters")
            }
            result[parts[1]] = parts[0]
        }
        return result
    }

    /// The schedule interval from milliseconds (0: off; otherwise at least 10).
    static func schedule(_ milliseconds: Int) throws -> Duration? {
        if milliseconds == 0 { return nil }
        guard milliseconds >= 10 else {
            throw ServiceError(.configurationInvalid, .internalServerError, "PNYX_SERVICE_SCHEDULE_INTERVAL_MS must be 0 (off) or ≥ 10")
        }
        return .milliseconds(milliseconds)
    }

    /// Parses `name:base64key,name:base64key` into base64 key → name.
    static func keys(_ text: String?, key: String) throws -> [String: String] {
        guard let text else { return [:] }
        var result: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let bytes = try? Base64.decode(parts[1]),
                  let publicKey = try? Ed25519.PublicKey(rawRepresentation: bytes) else {
                throw ServiceError(.configurationInvalid, .internalServerError,
                                   "\(key) must list name:key pairs with base64 Ed25519 public keys (32 bytes)")
            }
            result[Base64.encode(publicKey.rawRepresentation)] = parts[0]
        }
        return result
    }

    /// The note signer for checkpoints (the service key under ``keyName``).
    public func noteSigner() throws -> NoteSigner { try NoteSigner(name: keyName, privateKey: serviceKey) }

    public var description: String {
        "ServiceConfiguration(database: \(databaseURL == nil ? "PG* defaults" : "<set>"), broker: \(brokerURL), "
            + "key: \(keyName) <redacted>, admins: \(adminTokens.count), officials: \(officialTokens.count), "
            + "countersigners: \(officialKeys.count) officials, \(auditorKeys.count) auditors, "
            + "origin prefix: \(logOriginPrefix), listen: \(host):\(port))"
    }
}

/// The service key file: one line, the C2SP note signer key string.
enum ServiceKeyFile {
    /// Loads the key at `path`, or creates one named `name` (mode 0600) if there is no file.
    static func loadOrCreate(path: String, name: String) throws -> (name: String, privateKey: Ed25519.PrivateKey) {
        if let data = FileManager.default.contents(atPath: path) {
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return try parse(text)
        }
        let key = Ed25519.PrivateKey()
        let signer = try NoteSigner(name: name, privateKey: key)
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data((signer.signerKey + "\n").utf8),
                                       attributes: [.posixPermissions: 0o600])
        return (name, key)
    }

    /// Parses `PRIVATE+KEY+<name>+<8 hex>+<base64(0x01 ‖ seed)>` and checks it round-trips.
    static func parse(_ text: String) throws -> (name: String, privateKey: Ed25519.PrivateKey) {
        func invalid() -> ServiceError {
            ServiceError(.configurationInvalid, .internalServerError,
                         "the service key file is not a PRIVATE+KEY+<name>+<id>+<key> signer key; delete it to create a new key")
        }
        let prefix = "PRIVATE+KEY+"
        guard text.hasPrefix(prefix) else { throw invalid() }
        let rest = text.dropFirst(prefix.count)
        guard let plus = rest.firstIndex(of: "+") else { throw invalid() }
        let name = String(rest[..<plus])
        let afterName = rest[rest.index(after: plus)...]
        guard afterName.count > 9 else { throw invalid() }
        let material = afterName.dropFirst(9)
        guard let bytes = try? Base64.decode(material), bytes.count == 33, bytes[0] == 0x01,
              let key = try? Ed25519.PrivateKey(seed: Array(bytes[1...])),
              let signer = try? NoteSigner(name: name, privateKey: key), signer.signerKey == text else { throw invalid() }
        return (name, key)
    }
}
