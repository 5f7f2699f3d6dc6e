import Foundation
import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres

/// A new issuance whose row is written in the transaction that appends its register record.
struct PendingIssuance: Sendable {
    let residentID: String
    let attributeClass: AttributeClass
    let blindedHash: [UInt8]
    let blindSignature: [UInt8]
    let issuedAt: Date
    let day: CivilDate
}

/// An append refused by ``IssuanceRegisterWriter``: another request of the same resident and
/// poll committed its issuance first (code `issuance.conflict`, internal: the caller answers
/// as to a retry, or `issuance.already_issued`).
struct IssuanceConflict: Error, CustomStringConvertible {
    var description: String { "issuance.conflict: an issuance row exists for this resident and poll" }
}

/// An append refused by ``IssuanceRegisterWriter``: the issuance already has its register
/// record (code `issuance.already_registered`, internal: recovery skips it).
struct IssuanceAlreadyRegistered: Error, CustomStringConvertible {
    var description: String { "issuance.already_registered: the issuance has its register record" }
}

/// An append the writer was not told about (code `issuance.unexpected_record`; a bug).
struct UnexpectedRegisterRecord: Error, CustomStringConvertible {
    var description: String { "issuance.unexpected_record: a register record without its issuance" }
}

/// The issuance register's ``PnyxLogStore/LogBatchObserver``: the `broker_issuances` row of a
/// new credential is written in the very transaction that appends its register record, with
/// its register position, so an issuance and its record commit together or not at all, and
/// concurrent credentials share one group commit.
///
/// Per batch, one multi-row `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING RETURNING`
/// writes the new rows; a row that conflicts (a concurrent request of the same resident for
/// the same poll, from this or another process: batches of one poll never overlap, the log
/// store's advisory lock orders them) is refused with ``PnyxLogStore/LogBatchRejection``, so
/// it leaves no register record behind, and its caller takes the retry path. Rows written by
/// older versions without a register position get theirs by an `UPDATE … WHERE
/// register_position IS NULL` in the same way (exactly once, even across processes).
///
/// In this process, at most one append per (poll, resident) is in flight
/// (``acquire(pollID:residentID:)``), so payloads in flight are distinct.
final class IssuanceRegisterWriter: LogBatchObserver, @unchecked Sendable {
    /// What an append writes besides its record.
    enum Work: Sendable {
        /// A new issuance row.
        case insert(PollID, PendingIssuance)
        /// The register position of an existing row that has none.
        case position(PollID, residentID: String)
    }

    struct Owner: Hashable {
        let pollID: PollID
        let residentID: String
    }

    private let lock = NSLock()
    // Guarded by `lock`.
    private var work: [[UInt8]: Work] = [:]
    private var owners: [Owner: [CheckedContinuation<Void, Never>]] = [:]

    /// Waits until no other append of this (poll, resident) is in flight in this process, and
    /// takes the turn; call ``release(pollID:residentID:)`` when done. Returns true if it had
    /// to wait (another request of the same resident went first).
    @discardableResult
    func acquire(pollID: PollID, residentID: String) async -> Bool {
        let owner = Owner(pollID: pollID, residentID: residentID)
        let waited = lock.withLock { owners[owner] != nil }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let acquired = lock.withLock { () -> Bool in
                if owners[owner] == nil {
                    owners[owner] = []
                    return true
                }
                owners[owner]!.append(continuation)
                return false
            }
            if acquired { continuation.resume() }
        }
        return waited
    }

    /// Hands the turn to the next waiter, if any.
    func release(pollID: PollID, residentID: String) {
        let owner = Owner(pollID: pollID, residentID: residentID)
        let next = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            guard var waiting = owners[owner] else { return nil }
            if waiting.isEmpty {
                owners[owner] = nil
                return nil
            }
            let first = waiting.removeFirst()
            owners[owner] = waiting
            return first
        }
        next?.resume()
    }

    /// Appends `record` to its register, writing `work` in the same transaction; returns the
    /// record's position once committed. Throws ``IssuanceConflict`` or
    /// ``IssuanceAlreadyRegistered`` when the row refused it (nothing was appended).
    func append(_ record: IssuanceRecord, work item: Work, store: LogStore) async throws -> Int64 {
        let payload = record.canonicalBytes
        let digest = SHA256.hash(payload)
        lock.withLock { work[digest] = item }
        defer { _ = lock.withLock { work.removeValue(forKey: digest) } }
        return try await store.append(logID: IssuanceRegister.logID(pollID: record.pollID), payload: payload).position
    }

    static let insertSQL = """
        INSERT INTO broker_issuances
            (poll_id, resident_id, class, blinded_hash, blind_signature, issued_at, issued_on, register_position)
        SELECT $1, u.resident_id, u.class, u.blinded_hash, u.blind_signature, u.issued_at, u.issued_on::date, u.position
        FROM unnest($2::text[], $3::text[], $4::bytea[], $5::bytea[], $6::timestamptz[], $7::text[], $8::int8[])
            AS u(resident_id, class, blinded_hash, blind_signature, issued_at, issued_on, position)
        ON CONFLICT (poll_id, resident_id) DO NOTHING
        RETURNING resident_id
        """

    static let positionSQL = """
        UPDATE broker_issuances SET register_position = $3
        WHERE poll_id = $1 AND resident_id = $2 AND register_position IS NULL
        """

    func batchWillCommit(_ batch: LogBatch, connection conn: PostgresConnection) throws {
        var rejected: [Int: any Error] = [:]
        var inserts: [(index: Int, pollID: PollID, row: PendingIssuance, position: Int64)] = []
        var positions: [(index: Int, pollID: PollID, residentID: String, position: Int64)] = []
        let items = lock.withLock { batch.payloads.map { work[SHA256.hash($0)] } }
        for (index, item) in items.enumerated() {
            let position = batch.firstPosition + Int64(index)
            switch item {
            case .insert(let pollID, let row)?: inserts.append((index, pollID, row, position))
            case .position(let pollID, let residentID)?: positions.append((index, pollID, residentID, position))
            case nil: rejected[index] = UnexpectedRegisterRecord()
            }
        }
        // One statement per poll (a batch holds one log, hence one poll).
        for pollID in Set(inserts.map(\.pollID)) {
            var seen = Set<String>()
            var rows: [(index: Int, row: PendingIssuance, position: Int64)] = []
            for insert in inserts where insert.pollID == pollID {
                if seen.insert(insert.row.residentID).inserted {
                    rows.append((insert.index, insert.row, insert.position))
                } else {
                    rejected[insert.index] = IssuanceConflict()
                }
            }
            let written = Set(try conn.queryPrepared(Self.insertSQL, [
                .bytea(pollID.bytes),
                BinaryArray.text(rows.map(\.row.residentID)),
                BinaryArray.text(rows.map(\.row.attributeClass.text)),
                BinaryArray.bytea(rows.map(\.row.blindedHash)),
                BinaryArray.bytea(rows.map(\.row.blindSignature)),
                BinaryArray.timestamptz(rows.map(\.row.issuedAt)),
                BinaryArray.text(rows.map(\.row.day.description)),
                BinaryArray.int8(rows.map(\.position)),
            ]).map { try $0.decode(String.self, at: 0) })
            for row in rows where !written.contains(row.row.residentID) {
                rejected[row.index] = IssuanceConflict()
            }
        }
        for item in positions {
            let updated = try conn.execute(
                Self.positionSQL, [.bytea(item.pollID.bytes), .text(item.residentID), .int64(item.position)])
            if updated != 1 { rejected[item.index] = IssuanceAlreadyRegistered() }
        }
        if !rejected.isEmpty { throw LogBatchRejection(errors: rejected) }
    }
}

/// One-dimensional PostgreSQL arrays in the binary wire format (`int4 ndim = 1`, `int4 has
/// nulls = 0`, `oid element type`, `int4 length`, `int4 lower bound = 1`, then each element
/// as `int4 byte count ‖ bytes`), so a batch's columns travel as parameters of one statement
/// without any text escaping.
enum BinaryArray {
    static func text(_ values: [String]) -> PostgresValue { array(element: 25, array: 1009, values.map { Array($0.utf8) }) }
    static func bytea(_ values: [[UInt8]]) -> PostgresValue { array(element: 17, array: 1001, values) }
    static func int8(_ values: [Int64]) -> PostgresValue { array(element: 20, array: 1016, values.map(bigEndian)) }

    /// Microseconds since 2000-01-01 UTC, as PostgreSQL stores `timestamptz`.
    static func timestamptz(_ values: [Date]) -> PostgresValue {
        array(element: 1184, array: 1185, values.map { date in
            bigEndian(Int64(((date.timeIntervalSince1970 - 946_684_800) * 1_000_000).rounded()))
        })
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.bigEndian) { Array($0) }
    }

    static func array(element: UInt32, array: UInt32, _ elements: [[UInt8]]) -> PostgresValue {
        var out: [UInt8] = []
        out.reserveCapacity(20 + elements.reduce(0) { $0 + 4 + $1.count })
        out += bigEndian(Int32(1)) + bigEndian(Int32(0)) + bigEndian(element)
        out += bigEndian(Int32(elements.count)) + bigEndian(Int32(1))
        for bytes in elements {
            out += bigEndian(Int32(bytes.count))
            out += bytes
        }
        return .raw(type: PostgresType(rawValue: array), bytes: out)
    }
}
