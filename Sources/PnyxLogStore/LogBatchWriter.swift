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

/// One group-commit batch, run on a pool thread in one transaction:
/// `BEGIN; pg_advisory_xact_lock(key); read head; COPY entries; COPY hashes; COMMIT`.
enum LogBatchWriter {
    static let lockSQL = "SELECT pg_advisory_xact_lock($1)"
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

    /// Appends `payloads` in order as one committed transaction and returns their receipts
    /// and the new frontier. Throws (and commits nothing) on any failure; a broken connection
    /// during COMMIT is reported as `db.connection_lost`, never as success.
    ///
    /// Round trips: `BEGIN` and the advisory lock in one simple query, the two COPYs, `COMMIT`.
    /// With a cached frontier the head is not read: if another process appended meanwhile it
    /// wrote position `frontier.size` (logs are gapless), so our COPY hits the primary key and
    /// the batch is redone once from a reloaded frontier, still under the lock.
    static func write(
        _ connection: PostgresConnection, logID: [UInt8], payloads: [[UInt8]], cached: LogFrontier?,
        observer: (any LogBatchObserver)? = nil
    ) throws -> ([LogReceipt], LogFrontier) {
        if let cached {
            do {
                return try inTransaction(connection, logID) { conn in
                    try append(conn, logID: logID, payloads: payloads, frontier: cached, observer: observer)
                }
            } catch let error as PostgresError where error.code == .uniqueViolation {
                // Another process appended since our last batch: reload below.
            }
        }
        return try inTransaction(connection, logID) { conn in
            let frontier = try load(conn, logID: logID, head: head(conn, logID))
            return try append(conn, logID: logID, payloads: payloads, frontier: frontier, observer: observer)
        }
    }

    /// `BEGIN; SELECT pg_advisory_xact_lock(key)` in one round trip, `body`, then `COMMIT`,
    /// whose command tag is checked (`db.transaction_aborted` unless it says COMMIT).
    static func inTransaction<T>(
        _ conn: PostgresConnection, _ logID: [UInt8], _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        try conn.executeScript("BEGIN; SELECT pg_advisory_xact_lock(\(appendLockKey(logID)))")
        let value: T
        do {
            value = try body(conn)
        } catch {
            _ = try? conn.execute("ROLLBACK")
            throw error
        }
        let commit = try conn.query("COMMIT")
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

    /// A batch computed ahead of its transaction: leaves, receipts, COPY data, next frontier.
    struct Prepared: Sendable {
        let payloads: [[UInt8]]
        let base: LogFrontier
        let receipts: [LogReceipt]
        let entries: [UInt8]
        let hashes: [UInt8]
        let next: LogFrontier
    }

    /// Writes a batch prepared on `prepared.base` (no head read: a stale base hits the primary
    /// key, and the batch is redone from a reloaded frontier, as in ``write(_:logID:payloads:cached:)``).
    static func write(
        _ connection: PostgresConnection, logID: [UInt8], prepared: Prepared, observer: (any LogBatchObserver)? = nil
    ) throws -> ([LogReceipt], LogFrontier) {
        do {
            return try inTransaction(connection, logID) { conn in try insert(conn, logID: logID, prepared, observer: observer) }
        } catch let error as PostgresError where error.code == .uniqueViolation {
            return try inTransaction(connection, logID) { conn in
                let frontier = try load(conn, logID: logID, head: head(conn, logID))
                return try append(conn, logID: logID, payloads: prepared.payloads, frontier: frontier, observer: observer)
            }
        }
    }

    private static func append(
        _ conn: PostgresConnection, logID: [UInt8], payloads: [[UInt8]], frontier: LogFrontier,
        observer: (any LogBatchObserver)?
    ) throws -> ([LogReceipt], LogFrontier) {
        try insert(conn, logID: logID, prepare(logID: logID, payloads: payloads, frontier: frontier), observer: observer)
    }

    /// The COPYs, then the observer (if any) inside the same transaction.
    private static func insert(
        _ conn: PostgresConnection, logID: [UInt8], _ prepared: Prepared, observer: (any LogBatchObserver)?
    ) throws -> ([LogReceipt], LogFrontier) {
        try conn.copyIn(copyEntriesSQL, data: prepared.entries)
        try conn.copyIn(copyHashesSQL, data: prepared.hashes)
        if let observer {
            let batch = LogBatch(
                logID: logID, firstPosition: prepared.base.size, previousHash: prepared.base.lastHash,
                payloads: prepared.payloads, entryHashes: prepared.receipts.map(\.entryHash))
            try observer.batchWillCommit(batch, connection: conn)
        }
        return (prepared.receipts, prepared.next)
    }

    /// Computes a batch on top of `frontier` (pure CPU: hashes and COPY encoding).
    static func prepare(logID: [UInt8], payloads: [[UInt8]], frontier: LogFrontier) throws -> Prepared {
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
        return Prepared(
            payloads: payloads, base: frontier, receipts: receipts, entries: entries.bytes, hashes: hashes.bytes,
            next: LogFrontier(size: newSize, lastHash: previous, roots: newRoots))
    }
}
