import PnyxCrypto
import PnyxPostgres
import PnyxTransparency

/// What an appender remembers between batches: the log's size, last entry hash, and the
/// stored hashes of the maximal complete subtrees (the only earlier hashes a later append
/// can need). Valid only while the database head still matches.
struct LogFrontier: Sendable {
    let size: Int64
    let lastHash: MerkleHash
    let roots: [Int64: MerkleHash]
}

/// How a batch signs its own checkpoint: the log's identity (origin, verifier key; log rows
/// never change, so it is read once) and a signer already checked against its key.
struct BatchSigning: Sendable {
    let signer: NoteSigner
    let info: LogInfo
}

/// What a committed batch wrote: the batch as prepared (receipts, stored hashes, new
/// frontier and root; without the appends the observer's screen refused) and, when it was
/// signed, its checkpoint.
struct CommittedBatch: Sendable {
    let prepared: LogBatchWriter.Prepared
    let checkpoint: StoredCheckpoint?
    /// Appends refused by ``LogBatchObserver/screen(logID:payloads:contexts:connection:)``: index in the
    /// payloads given to the writer → the error. `prepared` holds the others, in order.
    var refused: [Int: any Error] = [:]

    /// For each payload given to the writer, in order: its receipt, or the error it was refused with.
    func outcomes() -> [Result<LogReceipt, any Error>] {
        var receipts = prepared.receipts.makeIterator()
        return (0..<(prepared.payloads.count + refused.count)).map { index in
            if let error = refused[index] { return .failure(error) }
            return .success(receipts.next()!)
        }
    }
}

/// One group-commit batch, run on a pool thread in one transaction:
/// `BEGIN`, `pg_advisory_xact_lock($1)`, (read head), COPY entries, COPY hashes, `COMMIT`
/// (and, when it signs, the checkpoint lock and the checkpoint's INSERT before `COMMIT`).
enum LogBatchWriter {
    static let lockSQL = "SELECT pg_advisory_xact_lock($1)"
    static let beginSQL = "BEGIN"
    static let commitSQL = "COMMIT"
    static let headSQL =
        "SELECT position, entry_hash FROM log_entries WHERE log_id = $1 ORDER BY position DESC LIMIT 1"
    static let existsSQL = "SELECT 1 FROM log_logs WHERE log_id = $1"
    static let copyEntriesSQL =
        "COPY log_entries (log_id, position, payload, previous_hash, entry_hash) FROM STDIN (FORMAT binary)"
    static let copyHashesSQL = "COPY log_hashes (log_id, first_index, hashes) FROM STDIN (FORMAT binary)"

    /// The 64-bit advisory lock key serialising appends to `logID` across processes.
    static func appendLockKey(_ logID: [UInt8]) -> Int64 { lockKey("pnyx-log-append", logID) }

    /// The advisory lock key serialising checkpoints of `logID`.
    static func checkpointLockKey(_ logID: [UInt8]) -> Int64 { lockKey("pnyx-log-checkpoint", logID) }

    private static func lockKey(_ domain: String, _ logID: [UInt8]) -> Int64 {
        let digest = SHA256.hash(parts: [Array(domain.utf8), [0x0A], logID])
        var key: UInt64 = 0
        for byte in digest.prefix(8) { key = key << 8 | UInt64(byte) }
        return Int64(bitPattern: key)
    }

    /// Reads the committed head of `logID` (call under the append lock for a stable answer).
    static func head(_ connection: PostgresConnection, _ logID: [UInt8]) throws -> LogHead {
        let rows = try connection.queryPrepared(headSQL, [.bytea(logID)])
        guard let row = rows.first else { return LogHead(size: 0, lastHash: LogLeaf.genesisHash(logID: logID)) }
        let position = try row.decode(Int64.self, at: 0)
        return LogHead(size: position + 1, lastHash: try MerkleHash(bytes: try row.decode([UInt8].self, at: 1)))
    }

    /// Appends `payloads` in order as one committed transaction and returns what it wrote
    /// (receipts, new frontier, and with `signing` its checkpoint). Throws (and commits
    /// nothing) on any failure; a broken connection during COMMIT is reported as
    /// `db.connection_lost`, never as success.
    ///
    /// Round trips: `BEGIN`, the advisory lock(s) (prepared statements), the two COPYs, the
    /// checkpoint INSERT when signing, `COMMIT`. With a cached frontier the head is not read:
    /// if another process appended meanwhile it wrote position `frontier.size` (logs are
    /// gapless), so our COPY hits the primary key and the batch is redone once from a
    /// reloaded frontier, still under the lock.
    static func write(
        _ connection: PostgresConnection, logID: [UInt8], payloads: [[UInt8]], contexts: [(any Sendable)?]? = nil,
        cached: LogFrontier?, observer: (any LogBatchObserver)? = nil, signing: BatchSigning? = nil
    ) throws -> CommittedBatch {
        if let cached {
            do {
                return try inTransaction(connection, logID, signing: signing != nil) { conn in
                    try insert(conn, logID: logID, prepare(logID: logID, payloads: payloads, contexts: contexts, frontier: cached),
                               observer: observer, signing: signing)
                }
            } catch let error as PostgresError where error.code == .uniqueViolation {
                // Another process appended since our last batch: reload below.
            }
        }
        return try inTransaction(connection, logID, signing: signing != nil) { conn in
            try reloadAndInsert(conn, logID: logID, payloads: payloads, contexts: contexts, observer: observer, signing: signing)
        }
    }

    /// `BEGIN`, `SELECT pg_advisory_xact_lock($1)`, `body`, then `COMMIT`, whose command tag is
    /// checked (`db.transaction_aborted` unless it says COMMIT).
    /// With `signing`, the checkpoint lock is taken too (after the append lock; the standalone
    /// ``LogStore/checkpoint(logID:signer:)`` takes only the checkpoint lock, so there is no
    /// cycle), so a standalone checkpoint never interleaves with the batch's.
    ///
    /// Every statement here is prepared once per connection (protocol-level Parse accepts
    /// `BEGIN`/`COMMIT`), so a batch makes PostgreSQL neither parse nor plan them again; the
    /// lock keys are parameters, not literals. This costs one round trip more than the former
    /// `BEGIN; SELECT pg_advisory_xact_lock(<literal>)` simple query, which was parsed and
    /// planned on every batch.
    static func inTransaction<T>(
        _ conn: PostgresConnection, _ logID: [UInt8], signing: Bool = false, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        _ = try conn.queryPrepared(beginSQL)
        let value: T
        do {
            _ = try conn.queryPrepared(lockSQL, [.int64(appendLockKey(logID))])
            if signing { _ = try conn.queryPrepared(lockSQL, [.int64(checkpointLockKey(logID))]) }
            value = try body(conn)
        } catch {
            _ = try? conn.execute("ROLLBACK")
            throw error
        }
        let commit = try conn.queryPrepared(commitSQL)
        guard commit.commandTag == "COMMIT" else {
            throw PostgresError(.transactionAborted, "COMMIT answered \(commit.commandTag)")
        }
        return value
    }

    /// Rebuilds the frontier from the database (another process appended, or first use).
    static func load(_ conn: PostgresConnection, logID: [UInt8], head: LogHead) throws -> LogFrontier {
        if head.size == 0 {
            guard try !conn.queryPrepared(existsSQL, [.bytea(logID)]).isEmpty else {
                throw LogStoreError(.unknownLog, "no log \(logID.hexString); create it first")
            }
        }
        let indexes = try TileMath.treeHashIndexes(treeSize: head.size)
        let hashes = try DatabaseHashReader(connection: conn, logID: logID).readHashes(indexes)
        return LogFrontier(
            size: head.size, lastHash: head.lastHash, roots: Dictionary(uniqueKeysWithValues: zip(indexes, hashes)))
    }

    /// A batch computed ahead of its transaction: leaves, receipts, COPY data, next frontier,
    /// the new root and the stored hashes the batch adds (from stored index
    /// `storedHashCount(base.size)` on), which with `base.roots` prove every entry of the batch.
    struct Prepared: Sendable {
        let payloads: [[UInt8]]
        /// The payloads' contexts (``LogBatch/contexts``), in the same order.
        let contexts: [(any Sendable)?]
        let base: LogFrontier
        let receipts: [LogReceipt]
        let entries: [UInt8]
        let hashes: [UInt8]
        let next: LogFrontier
        let root: MerkleHash
        let stored: [MerkleHash]
    }

    /// Writes a batch prepared on `prepared.base` (no head read: a stale base hits the primary
    /// key, and the batch is redone from a reloaded frontier, as in ``write(_:logID:payloads:cached:observer:signing:)``).
    static func write(
        _ connection: PostgresConnection, logID: [UInt8], prepared: Prepared, observer: (any LogBatchObserver)? = nil,
        signing: BatchSigning? = nil
    ) throws -> CommittedBatch {
        do {
            return try inTransaction(connection, logID, signing: signing != nil) { conn in
                try insert(conn, logID: logID, prepared, observer: observer, signing: signing)
            }
        } catch let error as PostgresError where error.code == .uniqueViolation {
            return try inTransaction(connection, logID, signing: signing != nil) { conn in
                try reloadAndInsert(
                    conn, logID: logID, payloads: prepared.payloads, contexts: prepared.contexts, observer: observer, signing: signing)
            }
        }
    }

    /// Under the lock(s): reloads the frontier from the database, checks it against the latest
    /// checkpoint when signing, and writes the batch on it.
    private static func reloadAndInsert(
        _ conn: PostgresConnection, logID: [UInt8], payloads: [[UInt8]], contexts: [(any Sendable)?]?, observer: (any LogBatchObserver)?,
        signing: BatchSigning?
    ) throws -> CommittedBatch {
        let frontier = try load(conn, logID: logID, head: head(conn, logID))
        if signing != nil { try checkAgainstLatestCheckpoint(conn, logID: logID, frontier: frontier) }
        return try insert(conn, logID: logID, prepare(logID: logID, payloads: payloads, contexts: contexts, frontier: frontier),
                          observer: observer, signing: signing)
    }

    /// Checks a frontier read from the database against the latest stored checkpoint (under
    /// the checkpoint lock): same root at the same size, or a consistency proof from the
    /// checkpoint's size to the frontier's that verifies (`logstore.checkpoint_inconsistent`).
    /// A frontier carried over from this appender's own batches needs no check: its roots are
    /// the ones the previous batch wrote and signed.
    static func checkAgainstLatestCheckpoint(_ conn: PostgresConnection, logID: [UInt8], frontier: LogFrontier) throws {
        guard let previous = try LogStore.latestCheckpoint(conn, logID) else { return }
        let root = try frontier.root()
        guard previous.treeSize <= frontier.size else {
            throw LogStoreError(.checkpointInconsistent,
                                "log \(logID.hexString) has a checkpoint of size \(previous.treeSize) beyond its head \(frontier.size)")
        }
        try LogStore.verifyConsistent(
            previous, size: frontier.size, root: root, logID: logID, reader: DatabaseHashReader(connection: conn, logID: logID))
    }

    static let insertCheckpointSQL = "INSERT INTO log_checkpoints (log_id, tree_size, root_hash, note) VALUES ($1, $2, $3, $4)"

    /// The observer's screen (if any: the payloads it refuses are dropped and the batch is
    /// computed again on the same base without them), the COPYs, then the observer's
    /// `batchWillCommit` inside the same transaction, then (with `signing`) the batch's
    /// checkpoint: the c2sp.org/tlog-checkpoint note of the new size and root, signed and
    /// inserted (the growth trigger still applies). An observer that throws rolls everything
    /// back, checkpoint included. A batch whose every payload is refused writes nothing.
    private static func insert(
        _ conn: PostgresConnection, logID: [UInt8], _ screened: Prepared, observer: (any LogBatchObserver)?,
        signing: BatchSigning?
    ) throws -> CommittedBatch {
        var prepared = screened
        var refused: [Int: any Error] = [:]
        if let observer {
            refused = try observer.screen(logID: logID, payloads: prepared.payloads, contexts: prepared.contexts, connection: conn)
                .filter { prepared.payloads.indices.contains($0.key) }
            if !refused.isEmpty {
                let kept = prepared.payloads.indices.filter { refused[$0] == nil }
                prepared = try prepare(
                    logID: logID, payloads: kept.map { prepared.payloads[$0] }, contexts: kept.map { prepared.contexts[$0] },
                    frontier: prepared.base)
                if kept.isEmpty { return CommittedBatch(prepared: prepared, checkpoint: nil, refused: refused) }
            }
        }
        var committed = try write(conn, logID: logID, prepared, observer: observer, signing: signing)
        committed.refused = refused
        return committed
    }

    /// The COPYs, `batchWillCommit`, and the checkpoint of ``insert(_:logID:_:observer:signing:)``.
    private static func write(
        _ conn: PostgresConnection, logID: [UInt8], _ prepared: Prepared, observer: (any LogBatchObserver)?,
        signing: BatchSigning?
    ) throws -> CommittedBatch {
        try conn.copyIn(copyEntriesSQL, data: prepared.entries)
        try conn.copyIn(copyHashesSQL, data: prepared.hashes)
        if let observer {
            let batch = LogBatch(
                logID: logID, firstPosition: prepared.base.size, previousHash: prepared.base.lastHash,
                payloads: prepared.payloads, contexts: prepared.contexts, entryHashes: prepared.receipts.map(\.entryHash))
            try observer.batchWillCommit(batch, connection: conn)
        }
        guard let signing, prepared.next.size > 0 else { return CommittedBatch(prepared: prepared, checkpoint: nil) }
        let body = try Checkpoint(origin: signing.info.origin, size: UInt64(prepared.next.size), rootHash: prepared.root.bytes)
        let note = try signing.signer.sign(body.note()).serializedString()
        _ = try conn.queryPrepared(
            insertCheckpointSQL, [.bytea(logID), .int64(prepared.next.size), .bytea(prepared.root.bytes), .text(note)])
        return CommittedBatch(
            prepared: prepared, checkpoint: StoredCheckpoint(treeSize: prepared.next.size, rootHash: prepared.root, note: note))
    }

    /// Computes a batch on top of `frontier` (pure CPU: hashes and COPY encoding).
    /// `contexts` (nil: none) travel with the payloads to the observer.
    static func prepare(
        logID: [UInt8], payloads: [[UInt8]], contexts: [(any Sendable)?]? = nil, frontier: LogFrontier
    ) throws -> Prepared {
        let start = frontier.size
        var receipts: [LogReceipt] = []
        receipts.reserveCapacity(payloads.count)
        var leafHashes: [MerkleHash] = []
        leafHashes.reserveCapacity(payloads.count)
        var entries = BinaryCopyBuffer(capacity: payloads.reduce(0) { $0 + $1.count + 160 })
        var previous = frontier.lastHash
        for (offset, payload) in payloads.enumerated() {
            let position = start + Int64(offset)
            let leaf = try LogLeaf(position: UInt64(position), previousHash: previous, payload: payload)
            let hash = leaf.entryHash
            entries.beginTuple(fields: 5)
            entries.appendBytes(logID)
            entries.appendInt64(position)
            entries.appendBytes(payload)
            entries.appendHash(previous)
            entries.appendHash(hash)
            receipts.append(LogReceipt(position: position, entryHash: hash, previousHash: previous))
            leafHashes.append(hash)
            previous = hash
        }
        entries.finish()

        let roots = frontier.roots
        let stored = try TileMath.storedHashesForAppend(
            leafHashes: leafHashes, startingAt: start,
            reader: HashReaderFunction { indexes in
                try indexes.map { index in
                    guard let hash = roots[index] else {
                        throw LogStoreError(.corrupt, "frontier hash \(index) missing for log \(logID.hexString)")
                    }
                    return hash
                }
            })
        let base = TileMath.storedHashCount(treeSize: start)
        var hashes = BinaryCopyBuffer(capacity: stored.count * 32 + 256)
        var runStart = 0
        while runStart < stored.count {
            let runEnd = min(stored.count, runStart + DatabaseHashReader.runLength)
            hashes.beginTuple(fields: 3)
            hashes.appendBytes(logID)
            hashes.appendInt64(base + Int64(runStart))
            hashes.appendHashes(stored[runStart..<runEnd])
            runStart = runEnd
        }
        hashes.finish()
        let newSize = start + Int64(payloads.count)
        var newRoots: [Int64: MerkleHash] = [:]
        for index in try TileMath.treeHashIndexes(treeSize: newSize) {
            newRoots[index] = index >= base ? stored[Int(index - base)] : roots[index]
        }
        let next = LogFrontier(size: newSize, lastHash: previous, roots: newRoots)
        return Prepared(
            payloads: payloads, contexts: contexts ?? Array(repeating: nil, count: payloads.count), base: frontier, receipts: receipts, entries: entries.bytes, hashes: hashes.bytes,
            next: next, root: try next.root(), stored: stored)
    }
}
