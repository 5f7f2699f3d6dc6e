import Foundation
public import Logging
public import PnyxPostgres
public import PnyxTransparency

/// The append-only per-poll logs in PostgreSQL: a hash chain whose entries are the leaves
/// of an RFC 9162 Merkle tree, stored hashes in the c2sp.org/tlog-tiles layout, and signed
/// c2sp.org/tlog-checkpoint checkpoints.
///
/// Appends are group-committed: concurrent ``append(logID:payload:)`` calls share one
/// transaction, and each returns only after that transaction committed. Several processes
/// may append to one log at once (a transaction-scoped advisory lock per log orders their
/// batches; the primary key forbids forks). Roots and proofs for any tree size cost
/// O(log n) stored-hash reads in one query. All blocking libpq work runs on the pool's
/// dedicated threads.
public final class LogStore: Sendable {
    /// Tunables.
    public struct Configuration: Sendable {
        /// Origins are `<originPrefix><hex log id>`.
        public var originPrefix: String
        /// The most appends one transaction carries.
        public var maxBatch: Int
        /// Called inside every append transaction before `COMMIT` (see ``LogBatchObserver``).
        public var observer: (any LogBatchObserver)?

        public init(originPrefix: String = "pnyx.example/log/", maxBatch: Int = 1000,
                    observer: (any LogBatchObserver)? = nil) {
            self.originPrefix = originPrefix
            self.maxBatch = maxBatch
            self.observer = observer
        }
    }

    /// The connection pool every operation runs on.
    public let pool: PostgresPool
    /// The configuration.
    public let configuration: Configuration
    let logger: Logger
    let appenders = AppenderRegistry()

    /// A store over `pool`. Call ``migrate()`` once before use.
    public init(pool: PostgresPool, configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "pnyx.logstore")) {
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
    }

    /// Applies the log store's migrations (idempotent, safe from several processes).
    public func migrate() async throws {
        try await pool.migrate(LogStoreSchema.migrations)
    }

    /// The origin line for `logID` under this configuration.
    public func origin(for logID: [UInt8]) -> String {
        configuration.originPrefix + logID.hexString
    }

    /// Creates the log `logID` whose checkpoints `verifierKey` checks (a note verifier key
    /// string). Idempotent: an existing log with the same origin and key is returned as is;
    /// different attributes throw `logstore.log_conflict`.
    @discardableResult
    public func createLog(logID: [UInt8], verifierKey: String, origin: String? = nil) async throws -> LogInfo {
        let info = LogInfo(logID: logID, origin: origin ?? self.origin(for: logID), verifierKey: verifierKey)
        return try await pool.withBlockingConnection { conn in
            try conn.execute(
                "INSERT INTO log_logs (log_id, origin, verifier_key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                [.bytea(info.logID), .text(info.origin), .text(info.verifierKey)])
            guard let existing = try Self.info(conn, logID), existing == info else {
                throw LogStoreError(.logConflict, "log \(logID.hexString) or origin \(info.origin) exists with other attributes")
            }
            return existing
        }
    }

    /// The log's identity, or nil if there is no such log.
    public func info(logID: [UInt8]) async throws -> LogInfo? {
        try await pool.withBlockingConnection { try Self.info($0, logID) }
    }

    /// Every log's identifier.
    public func logIDs() async throws -> [[UInt8]] {
        try await pool.withBlockingConnection { conn in
            try conn.query("SELECT log_id FROM log_logs ORDER BY log_id").map { try $0.decode([UInt8].self, at: 0) }
        }
    }

    static func info(_ conn: PostgresConnection, _ logID: [UInt8]) throws -> LogInfo? {
        let rows = try conn.queryPrepared(
            "SELECT origin, verifier_key FROM log_logs WHERE log_id = $1", [.bytea(logID)])
        guard let row = rows.first else { return nil }
        return LogInfo(logID: logID, origin: try row.decode(String.self, at: 0),
                       verifierKey: try row.decode(String.self, at: 1))
    }

    /// Appends `payload` to the log and returns its receipt after the transaction holding it
    /// committed. Throws `log.payload_too_large`, `logstore.unknown_log`, or the database
    /// error that failed the batch (`db.connection_lost` when the outcome is unknown).
    public func append(logID: [UInt8], payload: [UInt8]) async throws -> LogReceipt {
        guard payload.count <= LogLeaf.maximumPayloadCount else {
            throw TransparencyError(.logPayloadTooLarge, "payload of \(payload.count) bytes exceeds \(LogLeaf.maximumPayloadCount)")
        }
        return try await appenders.appender(
            logID, pool: pool, maxBatch: configuration.maxBatch, observer: configuration.observer
        ).append(payload).receipt
    }

    /// Appends `payload` like ``append(logID:payload:)``, and has its batch sign a checkpoint
    /// of the log's new size with `signer` in the same transaction (after the observer; the
    /// growth trigger applies): the receipt comes with that checkpoint and the entry's
    /// inclusion proof in it, computed in memory from the batch. No extra transaction or
    /// query per append; one checkpoint per batch. Throws like ``append(logID:payload:)``,
    /// and `logstore.signer_mismatch` if `signer` is not the log's key.
    ///
    /// The checkpoint is checked against the latest stored one whenever the appender reloads
    /// the log from the database (first batch, another process appended, a failed batch):
    /// `logstore.checkpoint_inconsistent` if they disagree.
    ///
    /// `context` goes to the observer with the payload (``LogBatch/contexts``): in memory
    /// only, for example the payload already decoded, never stored.
    public func append(
        logID: [UInt8], payload: [UInt8], signer: NoteSigner, context: (any Sendable)? = nil
    ) async throws -> CheckpointedReceipt {
        guard payload.count <= LogLeaf.maximumPayloadCount else {
            throw TransparencyError(.logPayloadTooLarge, "payload of \(payload.count) bytes exceeds \(LogLeaf.maximumPayloadCount)")
        }
        let appender = appenders.appender(logID, pool: pool, maxBatch: configuration.maxBatch, observer: configuration.observer)
        guard let info = try await appender.logInfo({ try await self.info(logID: logID) }) else {
            throw LogStoreError(.unknownLog, "no log \(logID.hexString); create it first")
        }
        guard signer.verifier.verifierKey == info.verifierKey else {
            throw LogStoreError(.signerMismatch, "the signer \(signer.name) is not the key of log \(logID.hexString)")
        }
        let outcome = try await appender.append(payload, context: context, signing: BatchSigning(signer: signer, info: info))
        guard let checkpoint = outcome.checkpoint, let proofs = outcome.proofs else {
            throw LogStoreError(.corrupt, "the batch of entry \(outcome.receipt.position) committed without its checkpoint")
        }
        let proof = try proofs.proof(index: outcome.receipt.position)
        #if DEBUG
        try MerkleProofVerification.verifyInclusion(
            leafHash: outcome.receipt.entryHash, index: outcome.receipt.position, treeSize: checkpoint.treeSize,
            proof: proof, rootHash: checkpoint.rootHash)
        #endif
        return CheckpointedReceipt(receipt: outcome.receipt, checkpoint: checkpoint, inclusionProof: proof)
    }
}

extension LogStore {
    /// The size of `logID` after the last batch this process committed to it, or nil if this
    /// process has not appended to it. Updated before the batch's appends return, so a caller
    /// whose append returned sees at least its entry. Appends by other processes are not seen:
    /// use it to invalidate local caches, never as the log's head.
    public func locallyCommittedSize(logID: [UInt8]) -> Int64? {
        appenders.existing(logID)?.committedSize
    }
}

/// One ``LogAppender`` per log in this process.
final class AppenderRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var appenders: [[UInt8]: LogAppender] = [:]

    func existing(_ logID: [UInt8]) -> LogAppender? { lock.withLock { appenders[logID] } }

    func appender(_ logID: [UInt8], pool: PostgresPool, maxBatch: Int, observer: (any LogBatchObserver)?) -> LogAppender {
        lock.withLock {
            if let existing = appenders[logID] { return existing }
            let created = LogAppender(logID: logID, pool: pool, maxBatch: maxBatch, observer: observer)
            appenders[logID] = created
            return created
        }
    }
}
