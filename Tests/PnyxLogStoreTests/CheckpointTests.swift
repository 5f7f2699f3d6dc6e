import PnyxLogStore
import PnyxTransparency
import Testing

@Suite("Checkpoints")
struct CheckpointTests {
    @Test("the checkpointer signs checkpoints in order while entries arrive, each consistent with the one before")
    func checkpointsWhileAppending() async throws {
        let (store, _) = try await LogTestSupport.freshStore()
        let logID = try await LogTestSupport.newLog(store)
        let checkpointer = Checkpointer(store: store, signer: LogTestSupport.signer, interval: .milliseconds(50))
        checkpointer.start()
        for round in 0..<8 {
            _ = try await LogTestSupport.appendMany(store, logID, count: 150, tag: "r\(round)")
            try await Task.sleep(for: .milliseconds(120))
        }
        await checkpointer.stop()
        try await checkpointer.runOnce()

        let checkpoints = try await store.checkpoints(logID: logID)
        #expect(checkpoints.count >= 4)
        #expect(checkpoints.last?.treeSize == 1200)
        let verifiers = try NoteVerifierSet([LogTestSupport.signer.verifier])
        let origin = store.origin(for: logID)
        var previous: StoredCheckpoint?
        for checkpoint in checkpoints {
            let body = try Checkpoint(note: try verifiers.open(checkpoint.note))
            #expect(body.origin == origin)
            #expect(Int64(body.size) == checkpoint.treeSize)
            #expect(body.rootHash == checkpoint.rootHash.bytes)
            #expect(try await store.treeHash(logID: logID, size: checkpoint.treeSize) == checkpoint.rootHash)
            if let previous {
                #expect(previous.treeSize < checkpoint.treeSize)
                let proof = try await store.consistencyProof(
                    logID: logID, oldSize: previous.treeSize, newSize: checkpoint.treeSize)
                try MerkleProofVerification.verifyConsistency(
                    oldSize: previous.treeSize, newSize: checkpoint.treeSize, oldRoot: previous.rootHash,
                    newRoot: checkpoint.rootHash, proof: proof)
            }
            previous = checkpoint
        }
        let after = try await store.checkpoints(logID: logID, after: checkpoints[1].treeSize)
        #expect(after.count == checkpoints.count - 2)
        await store.pool.close()
    }

    @Test("no checkpoint without growth; a foreign signer is refused; concurrent checkpointers agree")
    func checkpointRules() async throws {
        let (store, _) = try await LogTestSupport.freshStore()
        let logID = try await LogTestSupport.newLog(store)
        #expect(try await store.checkpoint(logID: logID, signer: LogTestSupport.signer) == nil)
        _ = try await LogTestSupport.appendMany(store, logID, count: 5)
        let other = try NoteSigner.generate(name: "intruder")
        await #expect(throws: LogStoreError(.signerMismatch, "")) {
            try await store.checkpoint(logID: logID, signer: other)
        }
        async let a = store.checkpoint(logID: logID, signer: LogTestSupport.signer)
        async let b = store.checkpoint(logID: logID, signer: LogTestSupport.signer)
        let (first, second) = try await (a, b)
        #expect(first?.treeSize == 5 && second?.treeSize == 5)
        #expect(try await store.checkpoints(logID: logID).count == 1)
        let again = try await store.checkpoint(logID: logID, signer: LogTestSupport.signer)
        #expect(again == first)
        await store.pool.close()
    }
}
