import Foundation
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency
import Testing

@Suite("Log appends")
struct AppendTests {
    @Test("concurrent appends form one gapless chain whose receipts match the stored entries")
    func concurrentAppendsFormOneChain() async throws {
        let (store, _) = try await LogTestSupport.freshStore(maxBatch: 300)
        let logID = try await LogTestSupport.newLog(store)
        var receipts: [LogReceipt] = []
        for round in 0..<3 {
            receipts += try await LogTestSupport.appendMany(store, logID, count: 1000, tag: "r\(round)")
        }
        #expect(receipts.map(\.position) == Array(0..<3000))
        let hashes = try await LogTestSupport.checkChain(store, logID)
        #expect(hashes == receipts.map(\.entryHash))
        #expect(receipts[0].previousHash == LogLeaf.genesisHash(logID: logID))
        for i in 1..<receipts.count { #expect(receipts[i].previousHash == receipts[i - 1].entryHash) }
        let root = try await store.treeHash(logID: logID, size: 3000)
        #expect(root == MerkleTree(leafHashes: hashes).rootHash)
        await store.pool.close()
    }

    @Test("two logs are independent and each starts from its own genesis hash")
    func logsAreIndependent() async throws {
        let (store, _) = try await LogTestSupport.freshStore()
        let a = try await LogTestSupport.newLog(store)
        let b = try await LogTestSupport.newLog(store)
        async let ra = LogTestSupport.appendMany(store, a, count: 300, tag: "a")
        async let rb = LogTestSupport.appendMany(store, b, count: 200, tag: "b")
        let (receiptsA, receiptsB) = try await (ra, rb)
        #expect(receiptsA.count == 300 && receiptsB.count == 200)
        #expect(receiptsB[0].previousHash == LogLeaf.genesisHash(logID: b))
        _ = try await LogTestSupport.checkChain(store, a)
        _ = try await LogTestSupport.checkChain(store, b)
        await store.pool.close()
    }

    @Test("bad appends are refused and change nothing")
    func badAppendsAreRefused() async throws {
        let (store, _) = try await LogTestSupport.freshStore()
        await #expect(throws: LogStoreError(.unknownLog, "")) {
            _ = try await store.append(logID: LogTestSupport.randomLogID(), payload: [1])
        }
        let logID = try await LogTestSupport.newLog(store)
        await #expect(throws: TransparencyError(.logPayloadTooLarge, "")) {
            _ = try await store.append(logID: logID, payload: [UInt8](repeating: 0, count: LogLeaf.maximumPayloadCount + 1))
        }
        let receipt = try await store.append(logID: logID, payload: [UInt8](repeating: 7, count: LogLeaf.maximumPayloadCount))
        #expect(receipt.position == 0)
        await #expect(throws: LogStoreError(.beyondHead, "")) {
            _ = try await store.treeHash(logID: logID, size: 2)
        }
        await #expect(throws: LogStoreError(.logConflict, "")) {
            try await store.createLog(logID: logID, verifierKey: "other+00000000+AAAA")
        }
        await store.pool.close()
    }
}
