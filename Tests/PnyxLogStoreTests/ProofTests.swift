import PnyxLogStore
import PnyxTransparency
import Testing

@Suite("Roots, proofs and tiles from stored hashes")
struct ProofTests {
    static let total = 2000

    @Test("every tree size up to 2000: root, random inclusion and consistency proofs verify against MerkleTree")
    func proofsForEverySize() async throws {
        let (store, _) = try await LogTestSupport.freshStore(maxBatch: 97)  // odd batches cross tile edges
        let logID = try await LogTestSupport.newLog(store)
        let receipts = try await LogTestSupport.appendMany(store, logID, count: Self.total)
        let tree = MerkleTree(leafHashes: receipts.map(\.entryHash))
        var generator = SystemRandomNumberGenerator()
        for size in Int64(1)...Int64(Self.total) {
            let root = try await store.treeHash(logID: logID, size: size)
            #expect(root == (try tree.rootHash(size: size)), "root at \(size)")
            let index = Int64.random(in: 0..<size, using: &generator)
            let proof = try await store.inclusionProof(logID: logID, index: index, treeSize: size)
            #expect(throws: Never.self) {
                try MerkleProofVerification.verifyInclusion(
                    leafHash: receipts[Int(index)].entryHash, index: index, treeSize: size, proof: proof, rootHash: root)
            }
            let old = Int64.random(in: 0...size, using: &generator)
            let consistency = try await store.consistencyProof(logID: logID, oldSize: old, newSize: size)
            #expect(throws: Never.self) {
                try MerkleProofVerification.verifyConsistency(
                    oldSize: old, newSize: size, oldRoot: try tree.rootHash(size: old), newRoot: root, proof: consistency)
            }
        }
        await store.pool.close()
    }

    @Test("every inclusion proof for selected sizes, and tiles that a TileHashReader accepts")
    func everyInclusionProofAndTiles() async throws {
        let (store, _) = try await LogTestSupport.freshStore()
        let logID = try await LogTestSupport.newLog(store)
        let receipts = try await LogTestSupport.appendMany(store, logID, count: 1300)
        let tree = MerkleTree(leafHashes: receipts.map(\.entryHash))
        for size: Int64 in [1, 2, 3, 255, 256, 257, 511, 1024, 1300] {
            let root = try tree.rootHash(size: size)
            for index in 0..<size {
                let proof = try await store.inclusionProof(logID: logID, index: index, treeSize: size)
                #expect(proof == (try tree.inclusionProof(index: index, size: size)))
            }
            // The tiles of this size, served by the store, authenticate against its root.
            var tiles: [Tile: [UInt8]] = [:]
            for tile in Tile.newTiles(oldSize: 0, newSize: size) { tiles[tile] = try await store.tile(logID: logID, tile) }
            let reader = TileHashReader(treeSize: size, rootHash: root, tiles: TileReaderFunction { wanted in
                try wanted.map { tile in
                    guard let data = tiles[tile] else { throw TestFailure("tile \(tile.path) not served") }
                    return data
                }
            })
            let index = size / 2
            let proof = try TileMath.inclusionProof(index: index, treeSize: size, reader: reader)
            #expect(proof == (try tree.inclusionProof(index: index, size: size)))
        }
        let bundle = try await store.entryBundle(logID: logID, try Tile(level: 0, index: 1, width: 256))
        let leaves = try LogExport.parseEntryBundle(bundle, count: 256, path: "bundle")
        #expect(leaves.map(MerkleHash.leafHash) == receipts[256..<512].map(\.entryHash))
        await store.pool.close()
    }
}
