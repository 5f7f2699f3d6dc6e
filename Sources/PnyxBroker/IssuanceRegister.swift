public import PnyxCore
import PnyxCrypto
public import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

/// The per-poll issuance registers: one append-only, hash-chained, Merkle-committed log per
/// poll in the log store (log id `0x52 ‖ pollID`), checkpoints signed with the broker's
/// Ed25519 note key.
public struct IssuanceRegister: Sendable {
    /// The log store (on its own connection pool, so appends never wait for a connection
    /// held by the issuance transaction that is waiting for them).
    public let store: LogStore
    let signer: BrokerSigner
    let originPrefix: String
    /// Writes each new issuance row in its record's append transaction (the store's observer).
    let writer: IssuanceRegisterWriter

    /// The log id of a poll's register: `0x52 ("R") ‖ pollID`.
    public static func logID(pollID: PollID) -> [UInt8] { [0x52] + pollID.bytes }

    /// The origin line of a poll's register checkpoints.
    public func origin(pollID: PollID) -> String { originPrefix + pollID.hex }

    /// The verifier key of every register.
    public var verifierKey: String { signer.noteSigner.verifier.verifierKey }

    func createLog(pollID: PollID) async throws {
        try await store.createLog(logID: Self.logID(pollID: pollID), verifierKey: verifierKey, origin: origin(pollID: pollID))
    }

    /// Appends `record` with the new issuance row `row`, both in one transaction (shared with
    /// concurrent appends); returns its position once durably committed. Throws
    /// ``IssuanceConflict`` (nothing appended) when a row for the resident and poll exists.
    func append(_ record: IssuanceRecord, inserting row: PendingIssuance) async throws -> Int64 {
        try await writer.append(record, work: .insert(record.pollID, row), store: store)
    }

    /// Appends `record` for the existing row of `residentID` that has no register position
    /// yet, and sets it in the same transaction. Throws ``IssuanceAlreadyRegistered``
    /// (nothing appended) when the row has one already.
    func append(_ record: IssuanceRecord, positioning residentID: String) async throws -> Int64 {
        try await writer.append(record, work: .position(record.pollID, residentID: residentID), store: store)
    }

    /// A checkpoint covering every record so far (signed now if the register grew), or nil
    /// for an empty register.
    public func checkpoint(pollID: PollID) async throws -> StoredCheckpoint? {
        try await store.checkpoint(logID: Self.logID(pollID: pollID), signer: signer.noteSigner)
    }

    /// Records `range` of the register.
    public func entries(pollID: PollID, _ range: Range<Int64>) async throws -> [LogEntry] {
        try await store.entries(logID: Self.logID(pollID: pollID), range)
    }
}
