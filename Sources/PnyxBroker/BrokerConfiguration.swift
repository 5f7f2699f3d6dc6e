public import Foundation
public import PnyxCrypto
public import PnyxTransparency

/// Everything the broker is configured with. Tests build it in memory; ``init(environment:)``
/// reads it from environment variables.
///
/// | key (environment) | type | meaning | default |
/// |---|---|---|---|
/// | `PNYX_BROKER_DATABASE_URL` | URL | the broker's OWN PostgreSQL database (never the service's) | unset: a private cluster |
/// | `PNYX_BROKER_HOST`, `PNYX_BROKER_PORT` | string, int | listen address | `127.0.0.1`, `8081` |
/// | `PNYX_BROKER_K` | int ≥ 1 | k-anonymity threshold per disclosed class | `10` |
/// | `PNYX_BROKER_SESSION_SECONDS` | int | session token lifetime | `1800` |
/// | `PNYX_BROKER_LOCKOUT_ATTEMPTS` | int | failed logins in a row before a lockout | `5` |
/// | `PNYX_BROKER_LOCKOUT_SECONDS` | int | lockout duration | `900` |
/// | `PNYX_BROKER_CODE_DAYS` | int | enrolment code validity | `90` |
/// | `PNYX_BROKER_ADMIN_TOKEN` | string | bearer token of the administration endpoints (secret) | required |
/// | `PNYX_BROKER_KEY_FILE` | path | file holding the broker's Ed25519 signer key `PRIVATE+KEY+<name>+<id>+<base64>` (C2SP note format): signs key directories, name attestations and register checkpoints | required |
/// | `PNYX_BROKER_PSEUDONYM_SECRET` | hex, 32 bytes | HMAC key of per-poll pseudonyms | unset: generated once, kept in the database |
/// | `PNYX_BROKER_TRUSTED_SERVICE_KEYS` | comma-separated base64 Ed25519 keys | services whose poll definitions are accepted | required |
/// | `PNYX_BROKER_LOG_ORIGIN_PREFIX` | string | origin prefix of the issuance registers | `pnyx.example/broker/register/` |
/// | `PNYX_BROKER_RSA_BITS` | 2048, 3072, 4096 | modulus of the per-class keys | `2048` |
/// | `PNYX_BROKER_RATE_PER_SECOND`, `PNYX_BROKER_RATE_BURST` | int | per-IP token bucket of login and enrolment requests | `5`, `20` |
public struct BrokerConfiguration: Sendable {
    /// The broker's own database URL; nil: the PG* environment.
    public var databaseURL: String?
    /// Connections in the pool.
    public var databasePoolSize: Int = 8
    /// Listen host and port (port 0: any free port).
    public var host: String = "127.0.0.1"
    public var port: Int = 8081
    /// The k-anonymity threshold.
    public var k: Int = 10
    /// Session token lifetime.
    public var sessionLifetime: Duration = .seconds(1800)
    /// Failed logins before a lockout.
    public var lockoutAttempts: Int = 5
    /// Lockout duration.
    public var lockoutDuration: Duration = .seconds(900)
    /// Enrolment code validity.
    public var enrolmentCodeLifetime: Duration = .seconds(90 * 86_400)
    /// Passphrase bounds, in UTF-8 bytes.
    public var passphraseMinimumBytes: Int = 10
    public var passphraseMaximumBytes: Int = 1024
    /// Argon2id cost; tests use `.unsafeTestOnly`.
    public var argon2: Argon2id.Parameters = .interactive
    /// Bearer token of the admin endpoints (secret; never logged).
    public var adminToken: String
    /// The broker's Ed25519 key (directories, attestations, register checkpoints).
    public var signer: BrokerSigner
    /// The HMAC key of per-poll pseudonyms; nil: generated once and kept in `broker_secrets`.
    public var pseudonymSecret: [UInt8]?
    /// Services whose signed poll definitions the broker accepts.
    public var trustedServiceKeys: [Ed25519.PublicKey]
    /// Origin prefix of the per-poll issuance registers.
    public var logOriginPrefix: String = "pnyx.example/broker/register/"
    /// Modulus size of the per-class RSA keys.
    public var rsaModulusBits: Int = 2048
    /// Per-IP token bucket for login and enrolment.
    public var ratePerSecond: Double = 5
    public var rateBurst: Double = 20
    /// Largest JSON body accepted (register imports may be big).
    public var maximumBodyBytes: Int = 64 * 1024
    public var maximumImportBytes: Int = 64 * 1024 * 1024

    /// A configuration with the required values and defaults for everything else.
    public init(adminToken: String, signer: BrokerSigner, trustedServiceKeys: [Ed25519.PublicKey], databaseURL: String? = nil) {
        self.adminToken = adminToken
        self.signer = signer
        self.trustedServiceKeys = trustedServiceKeys
        self.databaseURL = databaseURL
    }

    /// Reads the keys in the table above from `environment`; throws `config.invalid` with the key at fault.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        func value(_ key: String) -> String? { environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        func int(_ key: String, _ fallback: Int) throws -> Int {
            guard let text = value(key) else { return fallback }
            guard let v = Int(text), v >= 0 else { throw ConfigurationError("\(key) must be a non-negative integer") }
            return v
        }
        guard let admin = value("PNYX_BROKER_ADMIN_TOKEN"), admin.utf8.count >= 16 else {
            throw ConfigurationError("PNYX_BROKER_ADMIN_TOKEN must be set (at least 16 characters)")
        }
        guard let keyFile = value("PNYX_BROKER_KEY_FILE") else {
            throw ConfigurationError("PNYX_BROKER_KEY_FILE must name the broker's signer key file (`pnyx log keygen` writes one)")
        }
        let signerText = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let services = try (value("PNYX_BROKER_TRUSTED_SERVICE_KEYS") ?? "").split(separator: ",").map { text in
            guard let bytes = try? Base64.decode(text.trimmingCharacters(in: .whitespaces)),
                  let key = try? Ed25519.PublicKey(rawRepresentation: bytes) else {
                throw ConfigurationError("PNYX_BROKER_TRUSTED_SERVICE_KEYS: \(text) is not a base64 Ed25519 public key")
            }
            return key
        }
        self.init(adminToken: admin, signer: try BrokerSigner(signerKey: signerText), trustedServiceKeys: services,
                  databaseURL: value("PNYX_BROKER_DATABASE_URL"))
        host = value("PNYX_BROKER_HOST") ?? host
        port = try int("PNYX_BROKER_PORT", port)
        k = max(1, try int("PNYX_BROKER_K", k))
        sessionLifetime = .seconds(try int("PNYX_BROKER_SESSION_SECONDS", 1800))
        lockoutAttempts = max(1, try int("PNYX_BROKER_LOCKOUT_ATTEMPTS", lockoutAttempts))
        lockoutDuration = .seconds(try int("PNYX_BROKER_LOCKOUT_SECONDS", 900))
        enrolmentCodeLifetime = .seconds(try int("PNYX_BROKER_CODE_DAYS", 90) * 86_400)
        rsaModulusBits = try int("PNYX_BROKER_RSA_BITS", rsaModulusBits)
        ratePerSecond = Double(try int("PNYX_BROKER_RATE_PER_SECOND", 5))
        rateBurst = Double(try int("PNYX_BROKER_RATE_BURST", 20))
        if let prefix = value("PNYX_BROKER_LOG_ORIGIN_PREFIX") { logOriginPrefix = prefix }
        if let secret = value("PNYX_BROKER_PSEUDONYM_SECRET") {
            guard let bytes = try? Hex.decode(secret), bytes.count == 32 else {
                throw ConfigurationError("PNYX_BROKER_PSEUDONYM_SECRET must be 64 hex digits")
            }
            pseudonymSecret = bytes
        }
    }
}

/// A configuration problem (`config.invalid`), naming the key at fault.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { "config.invalid: \(reason)" }
}

/// The broker's Ed25519 key, usable both as a C2SP note signer (register checkpoints) and
/// for raw signatures (key directories, name attestations).
public struct BrokerSigner: Sendable {
    /// The raw key.
    public let privateKey: Ed25519.PrivateKey
    /// The note signer over the same key.
    public let noteSigner: NoteSigner

    /// A signer named `name` (a C2SP key name, e.g. `broker.pnyx.example`).
    public init(name: String, privateKey: Ed25519.PrivateKey) throws {
        self.privateKey = privateKey
        self.noteSigner = try NoteSigner(name: name, privateKey: privateKey)
    }

    /// Parses a C2SP signer key `PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>`.
    public init(signerKey: String) throws {
        let note = try NoteSigner(signerKey: signerKey)
        // The base64 key material may itself contain '+': split off the first four fields only.
        let fields = signerKey.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard fields.count == 5, let material = try? Base64.decode(fields[4]),
              material.count == 33 else { throw ConfigurationError("malformed broker signer key") }
        self.privateKey = try Ed25519.PrivateKey(seed: Array(material.dropFirst()))
        self.noteSigner = note
    }

    /// A fresh random signer (tests, demos).
    public static func generate(name: String = "broker.pnyx.example") throws -> BrokerSigner {
        try BrokerSigner(name: name, privateKey: Ed25519.PrivateKey())
    }

    /// The public key.
    public var publicKey: Ed25519.PublicKey { privateKey.publicKey }
}
