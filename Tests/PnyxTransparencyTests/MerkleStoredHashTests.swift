import PnyxTransparency
import Testing

/// The stored-hash (tlog-tiles) layout and the O(log n) read paths: for every tree size up
/// to 1,100 (several full level-0 tiles and the first level-1 tile boundary), roots and
/// proofs computed through a counting ``HashReader`` equal the in-memory ones, read only
/// hashes that exist at that size, and read O(log n) of them in a single call.
@Suite struct MerkleStoredHashTests {
    typealias T = MerkleTestSupport
    typealias V = MerkleProofVerification

    static let maxSize = 1_100
    static let leaves = T.leafHashes(maxSize)
    static let tree = MerkleTree(leafHashes: leaves)
    static let store = MemoryHashStore(leafHashes: leaves)

    /// ⌈log₂ n⌉ (0 for n ≤ 1).
    static func log2(_ n: Int64) -> Int { n <= 1 ? 0 : 64 - UInt64(n - 1).leadingZeroBitCount }

    /// The bound the brief sets for one proof: 3·log₂(n) + 8 hashes.
    static func readBound(_ n: Int64) -> Int { 3 * log2(n) + 8 }

    @Test func storedHashIndexLayout() {
        // The first stored hashes, in append order: leaf 0, leaf 1, node(0-1), leaf 2, leaf 3,
        // node(2-3), node(0-3), leaf 4, ...
        let expected: [(level: Int, index: Int64)] = [
            (0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4), (0, 5), (1, 2), (0, 6), (0, 7), (1, 3),
            (2, 1), (3, 0), (0, 8),
        ]
        for (stored, node) in expected.enumerated() {
            #expect(TileMath.storedHashIndex(level: node.level, index: node.index) == Int64(stored))
            #expect(TileMath.splitStoredHashIndex(Int64(stored)) == node)
        }
        // Inverse for every stored index of the test tree, and far out.
        for stored in Int64(0)..<5_000 {
            let (level, index) = TileMath.splitStoredHashIndex(stored)
            #expect(TileMath.storedHashIndex(level: level, index: index) == stored)
        }
        for stored in [Int64(1) << 40, (Int64(1) << 50) + 12_345, Int64(1) << 61] {
            let (level, index) = TileMath.splitStoredHashIndex(stored)
            #expect(TileMath.storedHashIndex(level: level, index: index) == stored)
        }
        // A leaf of a 2^40-leaf tree and the root above it.
        #expect(TileMath.storedHashIndex(level: 0, index: 1 << 40) == 2 * (Int64(1) << 40) - 1)
    }

    @Test func storedHashesAreTheCompleteSubtreeRoots() {
        let store = Self.store
        #expect(store.treeSize == Int64(Self.maxSize))
        #expect(Int64(store.hashes.count) == TileMath.storedHashCount(treeSize: Int64(Self.maxSize)))
        for n in Int64(0)...Int64(Self.maxSize) where n < 40 || n % 97 == 0 {
            let partial = MemoryHashStore(leafHashes: Array(Self.leaves[..<Int(n)]))
            #expect(Int64(partial.hashes.count) == TileMath.storedHashCount(treeSize: n), "size \(n)")
            #expect(partial.hashes == Array(store.hashes[..<partial.hashes.count]), "size \(n)")
        }
        // Every stored hash is the MTH of the complete subtree it names.
        for stored in 0..<store.hashes.count {
            let (level, index) = TileMath.splitStoredHashIndex(Int64(stored))
            let lo = Int(index) << level
            let hi = lo + (1 << level)
            #expect(hi <= Self.maxSize)
            #expect(store.hashes[stored] == MerkleTree.rootHash(leafHashes: Self.leaves[lo..<hi]), "stored \(stored)")
        }
    }

    @Test func appendReadsOnlyEarlierHashes() throws {
        // Appending leaf n reads only hashes already stored, at most ⌈log₂ n⌉ + 1 of them.
        var store = MemoryHashStore()
        for n in Int64(0)..<Int64(Self.maxSize) {
            let indexes = TileMath.appendIndexes(leafIndex: n)
            #expect(indexes.allSatisfy { $0 < TileMath.storedHashCount(treeSize: n) })
            #expect(indexes == indexes.sorted())
            #expect(indexes.count <= Self.log2(n + 1))
            let written = store.append(leafHash: Self.leaves[Int(n)])
            #expect(written.count == indexes.count + 1)
            #expect(Int64(store.hashes.count) == TileMath.storedHashCount(treeSize: n + 1))
        }
        #expect(store.hashes == Self.store.hashes)
    }

    @Test func batchAppendEqualsOneByOne() throws {
        var random = MerkleTestRandom(seed: 0xBA7C)
        let full = Self.store.hashes
        var start: Int64 = 0
        var built: [MerkleHash] = []
        while start < Int64(Self.maxSize) {
            let count = Int64.random(in: 0...min(300, Int64(Self.maxSize) - start), using: &random)
            let reader = CountingHashReader(MemoryHashStore(leafHashes: Array(Self.leaves[..<Int(start)])))
            let batch = try TileMath.storedHashesForAppend(
                leafHashes: Array(Self.leaves[Int(start)..<Int(start + count)]), startingAt: start, reader: reader)
            #expect(reader.calls <= 1)
            #expect(reader.hashesRead <= Self.log2(start) + 1)
            built += batch
            start += count
            #expect(built == Array(full[..<built.count]))
        }
        #expect(built == full)
        // Starting at leaf 0, and an empty batch, read nothing.
        let none = HashReaderFunction { _ in
            Issue.record("no read expected")
            return []
        }
        #expect(try TileMath.storedHashesForAppend(leafHashes: Array(Self.leaves[..<10]), startingAt: 0, reader: none).count == 18)
        #expect(try TileMath.storedHashesForAppend(leafHashes: [], startingAt: 77, reader: none) == [])
    }

    @Test func treeHashForEverySize() throws {
        let reader = CountingHashReader(Self.store)
        for n in Int64(0)...Int64(Self.maxSize) {
            reader.reset(limit: TileMath.storedHashCount(treeSize: n))
            #expect(try TileMath.treeHash(treeSize: n, reader: reader) == (try Self.tree.rootHash(size: n)), "size \(n)")
            #expect(reader.calls == (n == 0 ? 0 : 1))
            #expect(reader.hashesRead == n.nonzeroBitCount)
            // Two-phase form.
            let indexes = try TileMath.treeHashIndexes(treeSize: n)
            #expect(try TileMath.treeHash(treeSize: n, hashes: Self.store.readHashes(indexes)) == (try Self.tree.rootHash(size: n)))
        }
    }

    /// Leaf indexes to test for size n: all of them for small trees, else edges, tile
    /// boundaries and random picks.
    static func sampleIndexes(_ n: Int64, _ random: inout MerkleTestRandom) -> [Int64] {
        if n <= 40 { return Array(0..<n) }
        var picks: Set<Int64> = [0, 1, n / 2, n - 2, n - 1]
        for boundary in [Int64(255), 256, 511, 512, 767, 768, 1023, 1024] where boundary < n { picks.insert(boundary) }
        for _ in 0..<4 { picks.insert(Int64.random(in: 0..<n, using: &random)) }
        return picks.sorted()
    }

    @Test func inclusionProofsForEverySize() throws {
        var random = MerkleTestRandom(seed: 0x5707)
        let reader = CountingHashReader(Self.store)
        var maxRead = 0
        for n in Int64(1)...Int64(Self.maxSize) {
            let root = try Self.tree.rootHash(size: n)
            for index in Self.sampleIndexes(n, &random) {
                reader.reset(limit: TileMath.storedHashCount(treeSize: n))
                let proof = try TileMath.inclusionProof(index: index, treeSize: n, reader: reader)
                #expect(proof == (try Self.tree.inclusionProof(index: index, size: n)), "leaf \(index) of \(n)")
                try V.verifyInclusion(leafHash: Self.leaves[Int(index)], index: index, treeSize: n, proof: proof, rootHash: root)
                #expect(reader.calls == (n == 1 ? 0 : 1), "leaf \(index) of \(n)")
                #expect(reader.hashesRead <= Self.readBound(n), "leaf \(index) of \(n)")
                #expect(reader.hashesRead <= 2 * Self.log2(n) + 1, "leaf \(index) of \(n)")
                maxRead = max(maxRead, reader.hashesRead)
            }
        }
        #expect(maxRead <= 2 * Self.log2(Int64(Self.maxSize)) + 1)
    }

    @Test func consistencyProofsForEverySize() throws {
        var random = MerkleTestRandom(seed: 0xC057)
        let reader = CountingHashReader(Self.store)
        for n in Int64(1)...Int64(Self.maxSize) {
            let newRoot = try Self.tree.rootHash(size: n)
            var olds: Set<Int64> = [0, 1, n - 1, n, n / 2]
            for boundary in [Int64(256), 257, 512, 1024] where boundary <= n { olds.insert(boundary) }
            for _ in 0..<3 { olds.insert(Int64.random(in: 1...n, using: &random)) }
            for old in olds.sorted() {
                reader.reset(limit: TileMath.storedHashCount(treeSize: n))
                let proof = try TileMath.consistencyProof(oldSize: old, newSize: n, reader: reader)
                #expect(proof == (try Self.tree.consistencyProof(oldSize: old, newSize: n)), "\(old) → \(n)")
                try V.verifyConsistency(
                    oldSize: old, newSize: n, oldRoot: try Self.tree.rootHash(size: old), newRoot: newRoot, proof: proof)
                #expect(reader.calls == (proof.isEmpty ? 0 : 1), "\(old) → \(n)")
                #expect(reader.hashesRead <= Self.readBound(n), "\(old) → \(n)")
            }
        }
    }

    @Test func twoPhaseFormsEqualReaderForms() throws {
        let store = Self.store
        for (index, size) in [(Int64(0), Int64(1)), (5, 6), (700, 1_029), (1_023, 1_024), (1_099, 1_100)] {
            let indexes = try TileMath.inclusionProofIndexes(index: index, treeSize: size)
            #expect(
                try TileMath.inclusionProof(index: index, treeSize: size, hashes: store.readHashes(indexes))
                    == (try TileMath.inclusionProof(index: index, treeSize: size, reader: store)))
        }
        for (old, new) in [(Int64(0), Int64(5)), (3, 3), (3, 1_100), (256, 1_000), (1_000, 1_024)] {
            let indexes = try TileMath.consistencyProofIndexes(oldSize: old, newSize: new)
            #expect(
                try TileMath.consistencyProof(oldSize: old, newSize: new, hashes: store.readHashes(indexes))
                    == (try TileMath.consistencyProof(oldSize: old, newSize: new, reader: store)))
        }
    }
}
