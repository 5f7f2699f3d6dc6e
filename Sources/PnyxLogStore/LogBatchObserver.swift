public import PnyxPostgres
public import PnyxTransparency

/// One group-commit batch as a ``LogBatchObserver`` sees it: written to the log tables in
/// the open transaction, not yet committed.
public struct LogBatch: Sendable {
    /// The log the batch appends to.
    public let logID: [UInt8]
    /// The position of the first payload.
    public let firstPosition: Int64
    /// The hash of the entry just before the batch (the genesis hash when it starts the log).
    public let previousHash: MerkleHash
    /// The payloads, in log order.
    public let payloads: [[UInt8]]
    /// What each payload's appender handed along with it (``LogStore/append(logID:payload:signer:context:)``;
    /// nil when nothing), in the same order: in memory only, never stored.
    public let contexts: [(any Sendable)?]
    /// Their entry hashes, in the same order.
    public let entryHashes: [MerkleHash]

    /// The hash of the batch's last entry: the log's head hash once it commits.
    public var lastHash: MerkleHash { entryHashes.last ?? previousHash }
    /// The log size once the batch commits.
    public var endSize: Int64 { firstPosition + Int64(payloads.count) }
}

/// Runs inside every append transaction, so that an application can refuse appends against
/// the committed state and keep derived rows (counts, indexes) in the very transaction that
/// appends the entries they derive from: both commit, or neither.
///
/// Both calls run on a pool thread while the log's append lock is held (batches of one log
/// never overlap, in this process or any other), in this order:
/// 1. ``screen(logID:payloads:contexts:connection:)``, before anything of the batch is written: it
///    reads (never writes) and names the payloads to refuse. The refused appends fail with
///    their errors and are dropped from the batch; the others are written in this same
///    transaction (no rollback, no second transaction).
/// 2. ``batchWillCommit(_:connection:)``, after the batch's entries are written and before
///    `COMMIT`: it writes the derived rows. Throwing rolls the whole batch back and fails its
///    appends with the error, except ``LogBatchRejection``: the appends it names fail with
///    their own errors and the others are retried in a new batch.
public protocol LogBatchObserver: Sendable {
    /// Which of `payloads` (the batch about to be appended to `logID`, in order, with their
    /// ``LogBatch/contexts``) to refuse: index → the error its caller receives. Reads only;
    /// the default refuses nothing.
    func screen(logID: [UInt8], payloads: [[UInt8]], contexts: [(any Sendable)?], connection: PostgresConnection) throws -> [Int: any Error]

    /// Inspects `batch` and writes derived rows with `connection` (inside the transaction).
    func batchWillCommit(_ batch: LogBatch, connection: PostgresConnection) throws
}

extension LogBatchObserver {
    public func screen(logID: [UInt8], payloads: [[UInt8]], contexts: [(any Sendable)?], connection: PostgresConnection) throws -> [Int: any Error] {
        [:]
    }
}

/// Thrown by a ``LogBatchObserver`` to refuse some appends of a batch: each refused append
/// (by its index in ``LogBatch/payloads``) fails with its error; the rest are appended again
/// in a later batch (where the observer sees them once more).
public struct LogBatchRejection: Error, Sendable {
    /// Refused appends: index in the batch → the error their callers receive.
    public let errors: [Int: any Error]

    public init(errors: [Int: any Error]) { self.errors = errors }
}
