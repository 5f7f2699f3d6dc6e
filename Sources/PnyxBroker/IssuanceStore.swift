public import Foundation
public import PnyxCore
import PnyxCrypto
import PnyxPostgres

/// A blind signature handed to a resident.
public struct IssuedBlindSignature: Sendable, Hashable {
    public let pollID: PollID
    public let attributeClass: AttributeClass
    public let keyID: KeyID
    public let blindSignature: [UInt8]
    /// True when this answers a retry of the same blinded message.
    public let isRetry: Bool
}

/// What a resident can see about credentials issued in their name.
public struct IssuanceStatus: Sendable, Hashable, Codable {
    public let pollID: PollID
    public let attributeClass: AttributeClass
    public let issuedAt: Date
    public let day: CivilDate
    /// Position of the record in the poll's issuance register.
    public let registerPosition: Int64?
    /// The resident's per-poll pseudonym (hex), to find the record in the public register.
    public let pseudonym: String
}

/// Blind signing, at most one credential per (resident, poll).
///
/// Flow of ``issue(residentID:pollID:blindedMessage:)`` (and of the HTTP route, which also
/// checks the session in the same statement, one statement per batch of concurrent requests:
/// ``IssuanceLookupBatcher``): one query reads the resident's class computed
/// at key-set time and any issuance row for (resident, poll). Then, in this order: the poll's
/// key set (`poll.unknown`), a closed poll (`poll.closed`), no class (`issuance.ineligible`),
/// the blinded message's size (`issuance.wrong_size`); if an issuance row exists, the same
/// blind signature for the same blinded message (by SHA-256, `retry: true`) and
/// `issuance.already_issued` otherwise. Else the broker blind-signs and appends the register
/// record; the ``IssuanceRegisterWriter`` inserts the issuance row, with its register position,
/// in the same transaction (one group commit for all concurrent credentials of the poll). A
/// concurrent request of the same resident that committed first makes that insert conflict:
/// the append is refused (no record), and the request takes the existing-row path. An
/// issuance and its register record therefore commit together; rows of older versions
/// without a register position get one on their next retry or at start
/// (``recoverRegister()``), exactly once.
public struct IssuanceStore: Sendable {
    let pool: PostgresPool
    /// Groups the session lookups of concurrent HTTP requests into one statement.
    let lookups: IssuanceLookupBatcher
    let keys: PollKeyStore
    let register: IssuanceRegister
    let pseudonyms: Pseudonyms
    let metrics: BrokerMetrics
    let now: @Sendable () -> Date

    /// What one lookup returns: the resident's class for the poll (nil when ineligible) and
    /// the existing issuance row, if any.
    struct Lookup: Sendable {
        let residentID: String
        let attributeClass: AttributeClass?
        let existing: ExistingIssuance?
    }

    /// An issuance row as a retry needs it.
    struct ExistingIssuance: Sendable {
        let blindedHash: [UInt8]
        let blindSignature: [UInt8]
        let registered: Bool
    }

    // Each related row is a correlated probe of its primary key (LATERAL … LIMIT 1), so the
    // prepared statement's generic plan stays a handful of index lookups; a plain LEFT JOIN
    // on `poll_id = $1` may be planned as a scan of every member or issuance of the poll.
    static let residentLookupSQL = """
        SELECT m.class, i.blinded_hash, i.blind_signature, i.register_position IS NOT NULL
        FROM broker_residents r
        LEFT JOIN LATERAL (
            SELECT class FROM broker_poll_members WHERE poll_id = $1 AND resident_id = r.resident_id LIMIT 1) m ON true
        LEFT JOIN LATERAL (
            SELECT blinded_hash, blind_signature, register_position FROM broker_issuances
            WHERE poll_id = $1 AND resident_id = r.resident_id LIMIT 1) i ON true
        WHERE r.resident_id = $2 AND r.active
        """

    static let existingSQL =
        "SELECT blinded_hash, blind_signature, register_position IS NOT NULL FROM broker_issuances WHERE poll_id = $1 AND resident_id = $2"

    /// Issues a credential to `residentID` (already authenticated).
    public func issue(residentID: String, pollID: PollID, blindedMessage: [UInt8]) async throws -> IssuedBlindSignature {
        let rows = try await pool.withBlockingConnection { conn in
            try conn.queryPrepared(Self.residentLookupSQL, [.bytea(pollID.bytes), .text(residentID)])
        }
        let lookup: Lookup
        if let row = rows.first {
            lookup = Lookup(residentID: residentID, attributeClass: try Self.decodeClass(row, at: 0),
                            existing: try Self.decodeExisting(row, at: 1))
        } else {
            lookup = Lookup(residentID: residentID, attributeClass: nil, existing: nil)
        }
        return try await issue(lookup, pollID: pollID, blindedMessage: blindedMessage)
    }

    /// Issues a credential to the holder of the session `token`: the session (as
    /// ``EnrolmentStore/session(token:)``: `auth.session_required`, `auth.session_expired`),
    /// the class and any earlier issuance are read together, in one statement shared with the
    /// concurrent requests' lookups (``IssuanceLookupBatcher``).
    public func issue(sessionToken token: String?, pollID: PollID, blindedMessage: [UInt8]) async throws -> IssuedBlindSignature {
        guard let token, !token.isEmpty else { throw EnrolmentStore.sessionMissing }
        let hash = SHA256.hash(Array(token.utf8))
        guard let found = try await lookups.lookup(pollID: pollID, tokenHash: hash), found.active else {
            throw EnrolmentStore.sessionUnknown
        }
        guard found.expiresAt > now() else {
            try await pool.execute("DELETE FROM broker_sessions WHERE token_hash = $1", [.bytea(hash)])
            throw EnrolmentStore.sessionExpiredError
        }
        let lookup = Lookup(residentID: found.residentID, attributeClass: found.attributeClass, existing: found.existing)
        return try await issue(lookup, pollID: pollID, blindedMessage: blindedMessage)
    }

    static func decodeClass(_ row: PostgresRow, at index: Int) throws -> AttributeClass? {
        try row.decode(String?.self, at: index).map { try AttributeClass(text: $0) }
    }

    /// The issuance columns `index`, `index + 1`, `index + 2` (NULLs when there is no row).
    static func decodeExisting(_ row: PostgresRow, at index: Int) throws -> ExistingIssuance? {
        guard let hash = try row.decode([UInt8]?.self, at: index) else { return nil }
        return ExistingIssuance(blindedHash: hash, blindSignature: try row.decode([UInt8].self, at: index + 1),
                                registered: try row.decode(Bool.self, at: index + 2))
    }

    private func issue(_ lookup: Lookup, pollID: PollID, blindedMessage: [UInt8]) async throws -> IssuedBlindSignature {
        let set = try await keys.keySet(pollID: pollID)!
        let at = now()
        guard at < set.closesAt else { throw BrokerError(.pollClosed, "poll \(pollID) is closed; no more credentials") }
        guard let cls = lookup.attributeClass else { throw Self.ineligible }
        guard let key = set.privateKeys[cls], let entry = set.directory.directory.entry(for: cls) else {
            throw BrokerError(.ineligible, "no key for your class \(cls)")
        }
        guard blindedMessage.count == key.publicKey.modulusByteCount else {
            throw BrokerError(.wrongSize, "the blinded message must be \(key.publicKey.modulusByteCount) bytes (the key's modulus), got \(blindedMessage.count)")
        }
        let residentID = lookup.residentID
        let blindedHash = SHA256.hash(blindedMessage)
        if let existing = lookup.existing {
            return try await answer(existing, residentID: residentID, pollID: pollID, blindedHash: blindedHash, cls: cls, keyID: entry.keyID)
        }
        let signature = try Self.blindSign(blindedMessage, key: key)
        let day = Self.day(at)
        let record = IssuanceRecord(
            pollID: pollID, pseudonym: pseudonyms.pseudonym(pollID: pollID, residentID: residentID), attributeClass: cls, day: day)
        let row = PendingIssuance(residentID: residentID, attributeClass: cls, blindedHash: blindedHash,
                                  blindSignature: signature, issuedAt: at, day: day)
        let writer = register.writer
        let waited = await writer.acquire(pollID: pollID, residentID: residentID)
        defer { writer.release(pollID: pollID, residentID: residentID) }
        do {
            // Another request of this resident probably committed while this one waited its
            // turn (without the check, the writer's insert would conflict: same outcome, but
            // the whole batch would be redone).
            if waited, let existing = try await existing(residentID: residentID, pollID: pollID) {
                return try await answer(existing, residentID: residentID, pollID: pollID, blindedHash: blindedHash, cls: cls,
                                        keyID: entry.keyID, holdingTurn: true)
            }
            _ = try await register.append(record, inserting: row)
        } catch is IssuanceConflict {
            // Another process committed first: same answer as a retry, or already issued.
            guard let existing = try await existing(residentID: residentID, pollID: pollID) else {
                throw BrokerError(.alreadyIssued, "a credential was already issued to you for this poll")
            }
            return try await answer(existing, residentID: residentID, pollID: pollID, blindedHash: blindedHash, cls: cls,
                                    keyID: entry.keyID, holdingTurn: true)
        }
        metrics.credentialsIssued.increment()
        return IssuedBlindSignature(pollID: pollID, attributeClass: cls, keyID: entry.keyID, blindSignature: signature, isRetry: false)
    }

    static let ineligible = BrokerError(.ineligible, "you are not eligible for this poll (area or age at its reference date)")

    static func blindSign(_ blinded: [UInt8], key: BlindRSA.PrivateKey) throws -> [UInt8] {
        do {
            return try BlindRSA.blindSign(blinded, privateKey: key)
        } catch {
            guard error.code == .invalidInput else { throw error }
            throw BrokerError(.wrongSize, "the blinded message is not a number below the key's modulus")
        }
    }

    /// The class computed for the resident at key-set time; `issuance.ineligible` when the
    /// resident was not eligible then or left the register since.
    /// The attribute class of `residentID` in `pollID` (throws `issuance.ineligible` if none).
    public func memberClass(residentID: String, pollID: PollID) async throws -> AttributeClass {
        let rows = try await pool.query(
            """
            SELECT m.class FROM broker_poll_members m JOIN broker_residents r USING (resident_id)
            WHERE m.poll_id = $1 AND m.resident_id = $2 AND r.active
            """, [.bytea(pollID.bytes), .text(residentID)])
        guard let row = rows.first else { throw Self.ineligible }
        return try AttributeClass(text: try row.decode(String.self, at: 0))
    }

    /// The issuance row of (resident, poll), if any.
    private func existing(residentID: String, pollID: PollID) async throws -> ExistingIssuance? {
        let rows = try await pool.withBlockingConnection { conn in
            try conn.queryPrepared(Self.existingSQL, [.bytea(pollID.bytes), .text(residentID)])
        }
        return try rows.first.flatMap { try Self.decodeExisting($0, at: 0) }
    }

    /// The answer to a request when an issuance row exists: the stored blind signature for
    /// the same blinded message (recording the row in its register first if an older version
    /// left it out), `issuance.already_issued` for another one.
    private func answer(
        _ existing: ExistingIssuance, residentID: String, pollID: PollID, blindedHash: [UInt8], cls: AttributeClass,
        keyID: KeyID, holdingTurn: Bool = false
    ) async throws -> IssuedBlindSignature {
        guard ConstantTime.equals(existing.blindedHash, blindedHash) else {
            metrics.alreadyIssued.increment()
            throw BrokerError(.alreadyIssued, "a credential was already issued to you for this poll (for another blinded message)")
        }
        if !existing.registered {
            if holdingTurn {
                try await recordMissing(residentID: residentID, pollID: pollID)
            } else {
                try await ensureRegistered(residentID: residentID, pollID: pollID)
            }
        }
        metrics.credentialRetries.increment()
        return IssuedBlindSignature(pollID: pollID, attributeClass: cls, keyID: keyID,
                                    blindSignature: existing.blindSignature, isRetry: true)
    }

    /// Appends the issuance's register record if it has none yet (a row written by an older
    /// version, or before a crash of one): the record and the row's position commit together,
    /// exactly once even across retries, recovery and processes.
    func ensureRegistered(residentID: String, pollID: PollID) async throws {
        let writer = register.writer
        await writer.acquire(pollID: pollID, residentID: residentID)
        defer { writer.release(pollID: pollID, residentID: residentID) }
        try await recordMissing(residentID: residentID, pollID: pollID)
    }

    /// ``ensureRegistered(residentID:pollID:)`` for a caller holding the writer's turn.
    private func recordMissing(residentID: String, pollID: PollID) async throws {
        let rows = try await pool.query(
            "SELECT class, issued_on::text FROM broker_issuances WHERE poll_id = $1 AND resident_id = $2 AND register_position IS NULL",
            [.bytea(pollID.bytes), .text(residentID)])
        guard let row = rows.first else { return }
        guard let day = CivilDate(try row.decode(String.self, at: 1)) else { throw PostgresError(.decodeFailed, "bad issuance day") }
        let record = IssuanceRecord(
            pollID: pollID, pseudonym: pseudonyms.pseudonym(pollID: pollID, residentID: residentID),
            attributeClass: try AttributeClass(text: try row.decode(String.self, at: 0)), day: day)
        do {
            _ = try await register.append(record, positioning: residentID)
        } catch is IssuanceAlreadyRegistered {
            // Another process recorded it meanwhile.
        }
    }

    /// Records every issuance still missing from its register (rows written by versions that
    /// committed the row and its record separately). Returns how many were found.
    @discardableResult
    public func recoverRegister() async throws -> Int {
        let rows = try await pool.query("SELECT poll_id, resident_id FROM broker_issuances WHERE register_position IS NULL")
        for row in rows {
            try await ensureRegistered(residentID: try row.decode(String.self, at: 1),
                                       pollID: try PollID(bytes: try row.decode([UInt8].self, at: 0)))
        }
        return rows.count
    }

    /// Every credential issued in the resident's name, newest first.
    public func statuses(residentID: String) async throws -> [IssuanceStatus] {
        try await pool.query(
            """
            SELECT poll_id, class, issued_at, issued_on::text, register_position FROM broker_issuances
            WHERE resident_id = $1 ORDER BY issued_at DESC
            """, [.text(residentID)]
        ).map { row in
            let pollID = try PollID(bytes: try row.decode([UInt8].self, at: 0))
            return IssuanceStatus(
                pollID: pollID, attributeClass: try AttributeClass(text: try row.decode(String.self, at: 1)),
                issuedAt: try row.decode(Date.self, at: 2), day: CivilDate(try row.decode(String.self, at: 3))!,
                registerPosition: try row.decode(Int64?.self, at: 4),
                pseudonym: Hex.encode(pseudonyms.pseudonym(pollID: pollID, residentID: residentID)))
        }
    }

    /// Issuances per class among the first `size` register records.
    public func counts(pollID: PollID, registerSize: Int64) async throws -> [AttributeClass: UInt64] {
        var counts: [AttributeClass: UInt64] = [:]
        for row in try await pool.query(
            """
            SELECT class, count(*) FROM broker_issuances
            WHERE poll_id = $1 AND register_position < $2 GROUP BY class
            """, [.bytea(pollID.bytes), .int64(registerSize)]) {
            counts[try AttributeClass(text: try row.decode(String.self, at: 0))] = UInt64(try row.decode(Int64.self, at: 1))
        }
        return counts
    }

    /// The UTC calendar day of `date` (``PnyxCore/CivilDate/init(unixTime:)``).
    static func day(_ date: Date) -> CivilDate {
        CivilDate(unixTime: Int64((date.timeIntervalSince1970).rounded(.down)))!
    }
}
