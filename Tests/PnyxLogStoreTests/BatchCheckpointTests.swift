import Foundation
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency
import Testing

/// Fails every batch holding a payload that starts with "boom" (the whole batch rolls back).
private struct BoomObserver: LogBatchObserver {
    struct Boom: Error {}

    func batchWillCommit(_ batch: LogBatch, connection: PostgresConnection) throws {
        if batch.payloads.contains(where: { $0.starts(with: Array("boom".utf8)) }) { throw Boom() }
    }
}

@Suite("Checkpoints signed inside the append batch")
struct BatchCheckpointTests {
    /// Appends `count` payloads concurrently with the test signer; the receipts by position.
    static func appendSigned(
        _ store: LogStore, _ logID: [UInt8], count: Int, tag: String
    ) async throws -> [CheckpointedReceipt] {
        try await withThrowingTaskGroup(of: CheckpointedReceipt.self) { group in
            for i in 0..<count {
                group.addTask {
                    try await store.append(logID: logID, payload: Array("\(tag)-\(i)".utf8), signer: LogTestSupport.signer)
                }
            }
            var receipts: [CheckpointedReceipt] = []
            for try await receipt in group { receipts.append(receipt) }
            return receipts.sorted { $0.receipt.position < $1.receipt.position }
        }
    }

    /// Every receipt's checkpoint opens with the log's key, names the log and the stored
    /// root, covers the entry, and the receipt's proof verifies against it and equals the
    /// proof the database gives.
    static func checkReceipts(_ store: LogStore, _ logID: [UInt8], _ receipts: [CheckpointedReceipt]) async throws {
        let verifiers = try NoteVerifierSet([LogTestSupport.signer.verifier])
        let origin = store.origin(for: logID)
        for item in receipts {
            let body = try Checkpoint(note: try verifiers.open(item.checkpoint.note))
            #expect(body.origin == origin)
            #expect(Int64(body.size) == item.checkpoint.treeSize)
            #expect(body.rootHash == item.checkpoint.rootHash.bytes)
            #expect(item.checkpoint.treeSize > item.receipt.position)
            try MerkleProofVerification.verifyInclusion(
                leafHash: item.receipt.entryHash, index: item.receipt.position, treeSize: item.checkpoint.treeSize,
                proof: item.inclusionProof, rootHash: item.checkpoint.rootHash)
            let stored = try await store.inclusionProof(logID: logID, index: item.receipt.position, treeSize: item.checkpoint.treeSize)
            #expect(stored == item.inclusionProof)
        }
    }

    /// The stored checkpoints: strictly growing, each with the stored root at its size and
    /// consistent with the one before. Returns them.
    @discardableResult
    static func checkCheckpointChain(_ store: LogStore, _ logID: [UInt8]) async throws -> [StoredCheckpoint] {
        let checkpoints = try await store.checkpoints(logID: logID, limit: 100_000)
        var previous: StoredCheckpoint? = nil
        for checkpoint in checkpoints {
            #expect(try await store.treeHash(logID: logID, size: checkpoint.treeSize) == checkpoint.rootHash)
            if let previous {
                #expect(previous.treeSize < checkpoint.treeSize)
                let proof = try await store.consistencyProof(logID: logID, oldSize: previous.treeSize, newSize: checkpoint.treeSize)
                try MerkleProofVerification.verifyConsistency(
                    oldSize: previous.treeSize, newSize: checkpoint.treeSize, oldRoot: previous.rootHash,
                    newRoot: checkpoint.rootHash, proof: proof)
            }
            previous = checkpoint
        }
        return checkpoints
    }

    @Test("concurrent appenders: each batch's checkpoint verifies, chains, and proves every receipt (batches crossing tiles)",
          arguments: [1, 7, 64, 300, 1000])
    func receiptsProveAgainstBatchCheckpoints(maxBatch: Int) async throws {
        let (store, _) = try await LogTestSupport.freshStore(maxBatch: maxBatch)
        let logID = try await LogTestSupport.newLog(store)
        var all: [CheckpointedReceipt] = []
        // Rounds of various sizes: single entries, runs ending exactly at and just past 256-entry
        // tile boundaries, and a run spanning two tiles.
        for (round, count) in [1, 2, 253, 1, 257, 3, 511, 40].enumerated() {
            let receipts = try await Self.appendSigned(store, logID, count: count, tag: "r\(round)")
            #expect(receipts.count == count)
            all += receipts
        }
        #expect(all.map(\.receipt.position) == Array(0..<Int64(all.count)))
        _ = try await LogTestSupport.checkChain(store, logID)
        try await Self.checkReceipts(store, logID, all)
        let checkpoints = try await Self.checkCheckpointChain(store, logID)
        #expect(checkpoints.last?.treeSize == Int64(all.count))
        // Every receipt's checkpoint is a stored one, and each batch stored exactly one.
        let sizes = Set(checkpoints.map(\.treeSize))
        #expect(Set(all.map(\.checkpoint.treeSize)) == sizes)
        if maxBatch == 1 { #expect(checkpoints.count == all.count) }
        // The standalone checkpoint finds nothing new to sign.
        #expect(try await store.checkpoint(logID: logID, signer: LogTestSupport.signer) == checkpoints.last)
        await store.pool.close()
    }

    @Test("two stores on one database (two processes' worth) interleave batches: one chain, one checkpoint chain, valid proofs")
    func twoStoresOneLog() async throws {
        let (first, url) = try await LogTestSupport.freshStore(maxBatch: 50)
        let second = LogStore(
            pool: PostgresPool(configuration: PostgresConfiguration(url: url), size: 4),
            configuration: LogStore.Configuration(maxBatch: 80))
        let logID = try await LogTestSupport.newLog(first)
        var all: [CheckpointedReceipt] = []
        for round in 0..<4 {
            async let a = Self.appendSigned(first, logID, count: 180, tag: "a\(round)")
            async let b = Self.appendSigned(second, logID, count: 170, tag: "b\(round)")
            // A standalone checkpointer racing the batches must not break the chain either.
            async let c = first.checkpoint(logID: logID, signer: LogTestSupport.signer)
            let (ra, rb, _) = try await (a, b, c)
            all += ra + rb
        }
        all.sort { $0.receipt.position < $1.receipt.position }
        #expect(all.map(\.receipt.position) == Array(0..<1400))
        _ = try await LogTestSupport.checkChain(first, logID)
        try await Self.checkReceipts(first, logID, all)
        let checkpoints = try await Self.checkCheckpointChain(first, logID)
        #expect(checkpoints.last?.treeSize == 1400)
        await first.pool.close()
        await second.pool.close()
    }

    @Test("a batch the observer rolls back leaves no checkpoint; a foreign signer is refused before anything is written")
    func rollbackAndForeignSigner() async throws {
        let cluster = try await PrivateCluster.sharedTemporary()
        let url = try await cluster.createDatabase()
        let store = LogStore(
            pool: PostgresPool(configuration: PostgresConfiguration(url: url), size: 4),
            configuration: LogStore.Configuration(maxBatch: 1, observer: BoomObserver()))
        try await store.migrate()
        let logID = try await LogTestSupport.newLog(store)
        let first = try await Self.appendSigned(store, logID, count: 3, tag: "ok")
        #expect(first.last?.checkpoint.treeSize == 3)
        await #expect(throws: BoomObserver.Boom.self) {
            try await store.append(logID: logID, payload: Array("boom".utf8), signer: LogTestSupport.signer)
        }
        let other = try NoteSigner.generate(name: "intruder")
        await #expect(throws: LogStoreError(.signerMismatch, "")) {
            try await store.append(logID: logID, payload: Array("x".utf8), signer: other)
        }
        await #expect(throws: LogStoreError(.unknownLog, "")) {
            try await store.append(logID: LogTestSupport.randomLogID(), payload: Array("x".utf8), signer: LogTestSupport.signer)
        }
        #expect(try await store.head(logID: logID).size == 3)
        let checkpoints = try await store.checkpoints(logID: logID)
        #expect(checkpoints.map(\.treeSize) == [1, 2, 3])
        // After the rolled-back batch the appender reloads, checks against the latest
        // checkpoint and goes on with the chain.
        let after = try await Self.appendSigned(store, logID, count: 2, tag: "after")
        #expect(after.map(\.receipt.position) == [3, 4])
        try await Self.checkReceipts(store, logID, first + after)
        try await Self.checkCheckpointChain(store, logID)
        await store.pool.close()
    }

    @Test("appends without a signer and with one share batches; only signed batches store checkpoints")
    func mixedAppends() async throws {
        let (store, _) = try await LogTestSupport.freshStore(maxBatch: 1000)
        let logID = try await LogTestSupport.newLog(store)
        _ = try await LogTestSupport.appendMany(store, logID, count: 10, tag: "plain")
        #expect(try await store.checkpoints(logID: logID).isEmpty)
        let signed = try await Self.appendSigned(store, logID, count: 5, tag: "signed")
        #expect(signed.map(\.receipt.position) == [10, 11, 12, 13, 14])
        try await Self.checkReceipts(store, logID, signed)
        try await Self.checkCheckpointChain(store, logID)
        await store.pool.close()
    }
}
