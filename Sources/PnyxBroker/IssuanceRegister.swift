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

    /// The log id of a poll's register: `0x52 ("R") ‖ pollID`.
    public static func logID(pollID: PollID) -> [UInt8] { [0x52] + pollID.bytes }

    /// The origin line of a poll's register checkpoints.
    public func origin(pollID: PollID) -> String { originPrefix + pollID.hex }

    /// The verifier key of every register.
    public var verifierKey: String { signer.noteSigner.verifier.verifierKey }

    func createLog(pollID: PollID) async throws {
        try await store.createLog(logID: Self.logID(pollID: pollID), verifierKey: verifierKey, origin: origin(pollID: pollID))
    }

    /// Appends a record; returns its position once durably committed.
    func append(_ record: IssuanceRecord) async throws -> Int64 {
        try await store.append(logID: Self.logID(pollID: record.pollID), payload: record.canonicalBytes).position
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
