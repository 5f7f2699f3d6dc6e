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
/// Flow of ``issue(residentID:pollID:blindedMessage:)``: look up the poll's key set
/// (`poll.unknown`), refuse a closed poll (`poll.closed`), look up the resident's class
/// computed at key-set time (`issuance.ineligible`), check the blinded message's size
/// (`issuance.wrong_size`); if an issuance row exists for (resident, poll), answer the same
/// blind signature for the same blinded message (by SHA-256) and `issuance.already_issued`
/// otherwise; else blind-sign and insert with `ON CONFLICT DO NOTHING` on the primary key
/// (poll, resident), so concurrent requests produce exactly one row and the losers take the
/// existing-row path. Before answering, the issuance is recorded in the poll's register
/// under a row lock (`FOR UPDATE`), exactly once, even across retries and crashes.
public struct IssuanceStore: Sendable {
    let pool: PostgresPool
    let keys: PollKeyStore
    let register: IssuanceRegister
    let pseudonyms: Pseudonyms
    let metrics: BrokerMetrics
    let now: @Sendable () -> Date

    public func issue(residentID: String, pollID: PollID, blindedMessage: [UInt8]) async throws -> IssuedBlindSignature {
        let set = try await keys.keySet(pollID: pollID)!
        let at = now()
        guard at < set.closesAt else { throw BrokerError(.pollClosed, "poll \(pollID) is closed; no more credentials") }
        let cls = try await memberClass(residentID: residentID, pollID: pollID)
        guard let key = set.privateKeys[cls], let entry = set.directory.directory.entry(for: cls) else {
            throw BrokerError(.ineligible, "no key for your class \(cls)")
        }
        guard blindedMessage.count == key.publicKey.modulusByteCount else {
            throw BrokerError(.wrongSize, "the blinded message must be \(key.publicKey.modulusByteCount) bytes (the key's modulus), got \(blindedMessage.count)")
        }
        let blindedHash = SHA256.hash(blindedMessage)
        if let existing = try await existing(residentID: residentID, pollID: pollID, blindedHash: blindedHash, cls: cls, keyID: entry.keyID) {
            return existing
        }
        let signature = try Self.blindSign(blindedMessage, key: key)
        let day = Self.day(at)
        let inserted = try await pool.execute(
            """
            INSERT INTO broker_issuances (poll_id, resident_id, class, blinded_hash, blind_signature, issued_at, issued_on)
            VALUES ($1, $2, $3, $4, $5, $6, $7::date) ON CONFLICT (poll_id, resident_id) DO NOTHING
            """,
            [.bytea(pollID.bytes), .text(residentID), .text(cls.text), .bytea(blindedHash), .bytea(signature),
             .timestamp(at), .text(day.description)])
        guard inserted == 1 else {
            // Another request won the race: same answer as a retry, or already issued.
            guard let existing = try await existing(residentID: residentID, pollID: pollID, blindedHash: blindedHash, cls: cls, keyID: entry.keyID) else {
                throw BrokerError(.alreadyIssued, "a credential was already issued to you for this poll")
            }
            return existing
        }
        try await ensureRegistered(residentID: residentID, pollID: pollID)
        metrics.credentialsIssued.increment()
        return IssuedBlindSignature(pollID: pollID, attributeClass: cls, keyID: entry.keyID, blindSignature: signature, isRetry: false)
    }

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
        guard let row = rows.first else {
            throw BrokerError(.ineligible, "you are not eligible for this poll (area or age at its reference date)")
        }
        return try AttributeClass(text: try row.decode(String.self, at: 0))
    }

    private func existing(
        residentID: String, pollID: PollID, blindedHash: [UInt8], cls: AttributeClass, keyID: KeyID
    ) async throws -> IssuedBlindSignature? {
        let rows = try await pool.query(
            "SELECT blinded_hash, blind_signature FROM broker_issuances WHERE poll_id = $1 AND resident_id = $2",
            [.bytea(pollID.bytes), .text(residentID)])
        guard let row = rows.first else { return nil }
        guard ConstantTime.equals(try row.decode([UInt8].self, at: 0), blindedHash) else {
            metrics.alreadyIssued.increment()
            throw BrokerError(.alreadyIssued, "a credential was already issued to you for this poll (for another blinded message)")
        }
        try await ensureRegistered(residentID: residentID, pollID: pollID)
        metrics.credentialRetries.increment()
        return IssuedBlindSignature(pollID: pollID, attributeClass: cls, keyID: keyID,
                                    blindSignature: try row.decode([UInt8].self, at: 1), isRetry: true)
    }

    /// Appends the issuance's register record if it has none yet, holding the row lock while
    /// appending so that concurrent retries and recovery record it exactly once.
    func ensureRegistered(residentID: String, pollID: PollID) async throws {
        try await pool.withTransaction { session in
            let rows = try await session.query(
                """
                SELECT class, issued_on::text, register_position FROM broker_issuances
                WHERE poll_id = $1 AND resident_id = $2 FOR UPDATE
                """, [.bytea(pollID.bytes), .text(residentID)])
            guard let row = rows.first, try row.decode(Int64?.self, at: 2) == nil else { return }
            guard let day = CivilDate(try row.decode(String.self, at: 1)) else { throw PostgresError(.decodeFailed, "bad issuance day") }
            let record = IssuanceRecord(
                pollID: pollID, pseudonym: pseudonyms.pseudonym(pollID: pollID, residentID: residentID),
                attributeClass: try AttributeClass(text: try row.decode(String.self, at: 0)), day: day)
            let position = try await register.append(record)
            try await session.execute(
                "UPDATE broker_issuances SET register_position = $3 WHERE poll_id = $1 AND resident_id = $2",
                [.bytea(pollID.bytes), .text(residentID), .int64(position)])
        }
    }

    /// Records every issuance still missing from its register (after a crash between the
    /// issuance commit and the register append). Returns how many were recorded.
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

    /// The UTC calendar day of `date`.
    static func day(_ date: Date) -> CivilDate {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day], from: date)
        return CivilDate(year: c.year!, month: c.month!, day: c.day!)!
    }
}
