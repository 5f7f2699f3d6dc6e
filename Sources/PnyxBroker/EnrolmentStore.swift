public import Foundation
import PnyxCrypto
import PnyxPostgres

/// A printed enrolment code for one resident (mail merge).
public struct EnrolmentCode: Sendable, Hashable, Codable {
    public var residentID: String
    public var givenName: String
    public var familyName: String
    public var areaCode: String
    /// `XXXXX-XXXXX-XXXXX-XXXXX`, Crockford base32 (100 bits). Shown once; only its hash is stored.
    public var code: String
    public var expiresAt: Date
}

/// A logged-in session.
public struct Session: Sendable, Hashable {
    public let residentID: String
    public let expiresAt: Date
}

/// Enrolment codes, accounts (Argon2id passphrases), lockouts and sessions.
public struct EnrolmentStore: Sendable {
    let pool: PostgresPool
    let configuration: BrokerConfiguration
    let metrics: BrokerMetrics
    let now: @Sendable () -> Date

    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    /// Issues a fresh code for each of `residentIDs` (nil: every active resident without an
    /// account); earlier unused codes of those residents are revoked. Unknown or inactive ids
    /// are skipped. Using a new code replaces the passphrase.
    public func issueCodes(residentIDs: [String]?) async throws -> [EnrolmentCode] {
        let codes = try await Self.issueCodes(
            pool: pool, residentIDs: residentIDs, issuedAt: now(), lifetime: configuration.enrolmentCodeLifetime)
        metrics.codesIssued.increment(by: codes.count)
        return codes
    }

    /// ``issueCodes(residentIDs:)`` on any broker database (the `pnyx broker codes` command
    /// runs it without a full broker configuration).
    static func issueCodes(
        pool: PostgresPool, residentIDs: [String]?, issuedAt: Date, lifetime: Duration
    ) async throws -> [EnrolmentCode] {
        let expires = issuedAt.addingTimeInterval(lifetime.seconds)
        return try await pool.withBlockingConnection { conn in
            try conn.transaction { conn in
                let rows: [PostgresRow]
                if let residentIDs {
                    var found: [PostgresRow] = []
                    for id in residentIDs {
                        found += try conn.queryPrepared(
                            "SELECT resident_id, given_name, family_name, area_code FROM broker_residents WHERE resident_id = $1 AND active",
                            [.text(id)]).rows
                    }
                    rows = found
                } else {
                    rows = try conn.query("""
                        SELECT r.resident_id, r.given_name, r.family_name, r.area_code FROM broker_residents r
                        WHERE r.active AND NOT EXISTS (SELECT 1 FROM broker_accounts a WHERE a.resident_id = r.resident_id)
                        ORDER BY r.resident_id
                        """).rows
                }
                var codes: [EnrolmentCode] = []
                for row in rows {
                    let id = try row.decode(String.self, at: 0)
                    let code = Self.newCode()
                    try conn.execute(
                        "UPDATE broker_enrolment_codes SET revoked_at = $2 WHERE resident_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
                        [.text(id), .timestamp(issuedAt)])
                    try conn.execute(
                        "INSERT INTO broker_enrolment_codes (code_hash, resident_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                        [.bytea(Self.codeHash(code)), .text(id), .timestamp(issuedAt), .timestamp(expires)])
                    codes.append(EnrolmentCode(
                        residentID: id, givenName: try row.decode(String.self, at: 1), familyName: try row.decode(String.self, at: 2),
                        areaCode: try row.decode(String.self, at: 3), code: code, expiresAt: expires))
                }
                return codes
            }
        }
    }

    /// The codes as CSV for a mail merge: `resident_id,given_name,family_name,area_code,code,expires_at`.
    public static func csv(_ codes: [EnrolmentCode]) -> String {
        let formatter = ISO8601DateFormatter()
        return codes.reduce(CSVWriter.line(["resident_id", "given_name", "family_name", "area_code", "code", "expires_at"])) {
            $0 + CSVWriter.line([$1.residentID, $1.givenName, $1.familyName, $1.areaCode, $1.code, formatter.string(from: $1.expiresAt)])
        }
    }

    /// Enrols with a one-time code: sets (or resets) the passphrase, clears any lockout and
    /// ends every session. Throws `enrolment.invalid_code`, `enrolment.code_used`,
    /// `enrolment.unknown_resident` or `auth.weak_passphrase`. Returns the resident id.
    ///
    /// The code is checked before the passphrase is hashed, so a made-up or spent code costs
    /// one indexed lookup, not an Argon2id hash; it is checked again under a row lock in the
    /// transaction that uses it.
    public func enrol(code: String, passphrase: String) async throws -> String {
        try checkPassphrase(passphrase)
        let hash = Self.codeHash(code)
        _ = try await pool.withBlockingConnection { [now] conn in
            try Self.usableCode(conn, hash: hash, at: now(), lock: false)
        }
        let parameters = configuration.argon2
        metrics.passphraseHashes.increment()
        let passphraseHash = try await offloaded { try Argon2id.hash(password: passphrase, parameters: parameters) }
        let at = now()
        return try await pool.withBlockingConnection { conn in
            try conn.transaction { conn in
                let residentID = try Self.usableCode(conn, hash: hash, at: at, lock: true)
                try conn.execute("UPDATE broker_enrolment_codes SET used_at = $2 WHERE code_hash = $1", [.bytea(hash), .timestamp(at)])
                try conn.execute(
                    """
                    INSERT INTO broker_accounts (resident_id, passphrase_hash, enrolled_at) VALUES ($1, $2, $3)
                    ON CONFLICT (resident_id) DO UPDATE SET passphrase_hash = EXCLUDED.passphrase_hash,
                        enrolled_at = EXCLUDED.enrolled_at, failed_attempts = 0, locked_until = NULL
                    """, [.text(residentID), .text(passphraseHash), .timestamp(at)])
                try conn.execute("DELETE FROM broker_sessions WHERE resident_id = $1", [.text(residentID)])
                metrics.enrolments.increment()
                return residentID
            }
        }
    }

    /// The resident of the enrolment code with SHA-256 `hash` if it can be used at `at`
    /// (with `lock`, the code row stays locked until the transaction ends); else
    /// `enrolment.invalid_code`, `enrolment.code_used` or `enrolment.unknown_resident`.
    static func usableCode(_ conn: PostgresConnection, hash: [UInt8], at: Date, lock: Bool) throws -> String {
        let rows = try conn.query(
            """
            SELECT c.resident_id, c.used_at IS NOT NULL, c.revoked_at IS NOT NULL OR c.expires_at <= $2, r.active
            FROM broker_enrolment_codes c JOIN broker_residents r USING (resident_id)
            WHERE c.code_hash = $1\(lock ? " FOR UPDATE OF c" : "")
            """, [.bytea(hash), .timestamp(at)])
        guard let row = rows.first else {
            throw BrokerError(.invalidCode, "unknown enrolment code; check it, or ask the administration for a new one")
        }
        if try row.decode(Bool.self, at: 1) {
            throw BrokerError(.codeUsed, "this enrolment code was already used; ask the administration for a new one to reset your passphrase")
        }
        if try row.decode(Bool.self, at: 2) {
            throw BrokerError(.invalidCode, "this enrolment code expired or was replaced; ask the administration for a new one")
        }
        guard try row.decode(Bool.self, at: 3) else {
            throw BrokerError(.unknownResident, "the resident of this code is no longer in the register")
        }
        return try row.decode(String.self, at: 0)
    }

    /// Logs in: returns an opaque session token (only its SHA-256 is stored) and its expiry.
    /// Throws `auth.invalid_credentials` (unknown id, not enrolled, wrong passphrase — the
    /// same answer for each) or `auth.locked_out` after too many failures in a row.
    public func login(residentID: String, passphrase: String) async throws -> (token: String, session: Session) {
        let at = now()
        let rows = try await pool.query(
            """
            SELECT a.passphrase_hash, a.locked_until FROM broker_accounts a JOIN broker_residents r USING (resident_id)
            WHERE a.resident_id = $1 AND r.active
            """, [.text(residentID)])
        guard let row = rows.first else {
            // Spend about the same time as a real check.
            _ = try? await offloaded { try Argon2id.verify(password: passphrase, hash: Self.dummyHash) }
            metrics.loginsFailed.increment()
            throw Self.invalidCredentials
        }
        if let lockedUntil = try row.decode(Date?.self, at: 1), lockedUntil > at {
            metrics.loginsLockedOut.increment()
            throw Self.lockedOut(until: lockedUntil, now: at)
        }
        let stored = try row.decode(String.self, at: 0)
        let valid: Bool
        do {
            try await offloaded { try Argon2id.verify(password: passphrase, hash: stored) }
            valid = true
        } catch let error as CryptoError where error.code == .passwordMismatch {
            valid = false
        }
        guard valid else {
            let lockUntil = at.addingTimeInterval(configuration.lockoutDuration.seconds)
            let locked = try await pool.query(
                """
                UPDATE broker_accounts SET
                    failed_attempts = CASE WHEN failed_attempts + 1 >= $2 THEN 0 ELSE failed_attempts + 1 END,
                    locked_until = CASE WHEN failed_attempts + 1 >= $2 THEN $3 ELSE locked_until END
                WHERE resident_id = $1
                RETURNING locked_until = $3
                """, [.text(residentID), .int32(Int32(configuration.lockoutAttempts)), .timestamp(lockUntil)])
            metrics.loginsFailed.increment()
            if try locked.first?.decode(Bool?.self, at: 0) == true { metrics.lockouts.increment() }
            throw Self.invalidCredentials
        }
        let token = Base64URL.encode(SystemRandom().bytes(32))
        let expires = at.addingTimeInterval(configuration.sessionLifetime.seconds)
        try await pool.withBlockingConnection { conn in
            try conn.transaction { conn in
                try conn.execute(
                    "UPDATE broker_accounts SET failed_attempts = 0, locked_until = NULL WHERE resident_id = $1",
                    [.text(residentID)])
                try conn.execute(
                    "INSERT INTO broker_sessions (token_hash, resident_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
                    [.bytea(SHA256.hash(Array(token.utf8))), .text(residentID), .timestamp(at), .timestamp(expires)])
            }
        }
        metrics.loginsOK.increment()
        return (token, Session(residentID: residentID, expiresAt: expires))
    }

    /// The session of a bearer token. Throws `auth.session_required` (missing or unknown)
    /// or `auth.session_expired`.
    public func session(token: String?) async throws -> Session {
        guard let token, !token.isEmpty else { throw Self.sessionMissing }
        let hash = SHA256.hash(Array(token.utf8))
        let rows = try await pool.query(
            """
            SELECT s.resident_id, s.expires_at, r.active FROM broker_sessions s JOIN broker_residents r USING (resident_id)
            WHERE s.token_hash = $1
            """, [.bytea(hash)])
        guard let row = rows.first, try row.decode(Bool.self, at: 2) else { throw Self.sessionUnknown }
        let expires = try row.decode(Date.self, at: 1)
        guard expires > now() else {
            try await pool.execute("DELETE FROM broker_sessions WHERE token_hash = $1", [.bytea(hash)])
            throw Self.sessionExpiredError
        }
        return Session(residentID: try row.decode(String.self, at: 0), expiresAt: expires)
    }

    /// Ends the session of `token` (no error if it is unknown).
    public func logout(token: String) async throws {
        try await pool.execute("DELETE FROM broker_sessions WHERE token_hash = $1", [.bytea(SHA256.hash(Array(token.utf8)))])
    }

    func checkPassphrase(_ passphrase: String) throws(BrokerError) {
        let count = passphrase.utf8.count
        guard count >= configuration.passphraseMinimumBytes, count <= configuration.passphraseMaximumBytes else {
            throw BrokerError(.weakPassphrase,
                "choose a passphrase of \(configuration.passphraseMinimumBytes) to \(configuration.passphraseMaximumBytes) bytes (several words are easiest)")
        }
    }

    static let sessionMissing = BrokerError(.sessionRequired, "log in first and send `Authorization: Bearer <token>`")
    static let sessionUnknown = BrokerError(.sessionRequired, "unknown session token; log in again")
    static let sessionExpiredError = BrokerError(.sessionExpired, "the session expired; log in again")

    static let invalidCredentials = BrokerError(.invalidCredentials, "unknown resident id or wrong passphrase")

    static func lockedOut(until: Date, now: Date) -> BrokerError {
        let seconds = max(1, Int(until.timeIntervalSince(now).rounded(.up)))
        return BrokerError(.lockedOut, "too many failed logins; try again in \(seconds) s, or ask for a new enrolment code",
                           retryAfter: seconds)
    }

    /// A fixed hash of a random password, checked against for unknown ids (timing).
    static let dummyHash: String = (try? Argon2id.hash(password: "pnyx-dummy-\(UInt64.random(in: 0...UInt64.max))",
                                                        parameters: .interactive)) ?? ""

    /// A new 20-character Crockford base32 code, grouped by five.
    static func newCode() -> String {
        let bytes = SystemRandom().bytes(20)
        let chars = bytes.map { alphabet[Int($0 & 31)] }
        return stride(from: 0, to: 20, by: 5).map { String(chars[$0..<$0 + 5]) }.joined(separator: "-")
    }

    /// SHA-256 of the normalized code (upper case, no separators, O→0, I/L→1).
    static func codeHash(_ code: String) -> [UInt8] {
        let normalized = code.uppercased().compactMap { c -> Character? in
            switch c {
            case "-", " ": return nil
            case "O": return "0"
            case "I", "L": return "1"
            default: return c
            }
        }
        return SHA256.hash(Array(String(normalized).utf8))
    }
}

/// Unpadded base64url (RFC 4648 §5) for tokens.
enum Base64URL {
    static func encode(_ bytes: [UInt8]) -> String {
        Base64.encode(bytes).replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
