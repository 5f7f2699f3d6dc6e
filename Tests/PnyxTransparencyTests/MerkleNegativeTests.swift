import PnyxTransparency
import Testing

/// Every vector proof mutated must fail verification, with its code.
@Suite struct MerkleNegativeTests {
    typealias T = MerkleTestSupport
    typealias V = MerkleProofVerification

    static func root(_ size: Int64) -> MerkleHash { T.hash(MerkleVectors.roots[Int(size)]) }

    /// The code a proof of `count` hashes must fail with when the sizes/index are otherwise valid.
    static func inclusionCode(_ count: Int, index: Int64, size: Int64) -> TransparencyError.Code {
        count == V.inclusionProofLength(index: index, treeSize: size) ? .proofRootMismatch : .proofInvalidLength
    }

    static func consistencyCode(_ count: Int, old: Int64, new: Int64) -> TransparencyError.Code {
        count == V.consistencyProofLength(oldSize: old, newSize: new) ? .proofRootMismatch : .proofInvalidLength
    }

    @Test func mutatedInclusionProofs() {
        for vector in MerkleVectors.inclusion {
            let proof = vector.proof.map(T.hash)
            let leaf = T.hash(vector.leafHash)
            let (index, size) = (vector.index, vector.size)
            let root = Self.root(size)
            func verify(
                leaf: MerkleHash = leaf, index: Int64 = index, size: Int64 = size, proof: [MerkleHash] = proof,
                root: MerkleHash = root
            ) throws {
                try V.verifyInclusion(leafHash: leaf, index: index, treeSize: size, proof: proof, rootHash: root)
            }
            let label: Comment = "leaf \(index) of \(size)"

            // A flipped bit in any hash: each proof hash (at several bit positions), the leaf, the root.
            for position in proof.indices {
                for bit in [0, 7, 100, 255] {
                    var mutated = proof
                    mutated[position] = T.flip(mutated[position], bit: bit)
                    expectMerkleError(.proofRootMismatch, label) { try verify(proof: mutated) }
                }
            }
            expectMerkleError(.proofRootMismatch, label) { try verify(leaf: T.flip(leaf, bit: 3)) }
            expectMerkleError(.proofRootMismatch, label) { try verify(root: T.flip(root, bit: 200)) }
            // Another leaf's hash with this proof.
            expectMerkleError(.proofRootMismatch, label) { try verify(leaf: T.stranger) }

            // Truncated, extended by one hash, reordered.
            if !proof.isEmpty {
                expectMerkleError(.proofInvalidLength, label) { try verify(proof: Array(proof.dropLast())) }
                expectMerkleError(.proofInvalidLength, label) { try verify(proof: Array(proof.dropFirst())) }
            }
            expectMerkleError(.proofInvalidLength, label) { try verify(proof: proof + [T.stranger]) }
            expectMerkleError(.proofInvalidLength, label) { try verify(proof: proof + [root]) }
            if proof.count >= 2, proof[0] != proof[1] {
                expectMerkleError(.proofRootMismatch, label) { try verify(proof: [proof[1], proof[0]] + proof.dropFirst(2)) }
            }

            // Wrong index (every other valid index) and wrong size (every other valid size).
            for other in 0..<size where other != index {
                expectMerkleError(Self.inclusionCode(proof.count, index: other, size: size), label) {
                    try verify(index: other)
                }
            }
            for otherSize in (index + 1)...9 where otherSize != size {
                // The root of the size given, where the vectors have it; else this size's root.
                let otherRoot = otherSize <= 8 ? Self.root(otherSize) : root
                expectMerkleError(Self.inclusionCode(proof.count, index: index, size: otherSize), label) {
                    try verify(size: otherSize, root: otherRoot)
                }
            }

            // Index ≥ size, negative index, negative size.
            expectMerkleError(.treeInvalidIndex, label) { try verify(index: size) }
            expectMerkleError(.treeInvalidIndex, label) { try verify(index: size + 5) }
            expectMerkleError(.treeInvalidIndex, label) { try verify(index: -1) }
            expectMerkleError(.treeInvalidSize, label) { try verify(size: -1) }
        }
        // A tree of size 0 contains nothing.
        expectMerkleError(.treeInvalidIndex) {
            try V.verifyInclusion(leafHash: T.stranger, index: 0, treeSize: 0, proof: [], rootHash: .emptyTree)
        }
    }

    @Test func mutatedConsistencyProofs() {
        for vector in MerkleVectors.consistency {
            let proof = vector.proof.map(T.hash)
            let (old, new) = (vector.oldSize, vector.newSize)
            let (oldRoot, newRoot) = (Self.root(old), Self.root(new))
            func verify(
                old: Int64 = old, new: Int64 = new, oldRoot: MerkleHash = oldRoot, newRoot: MerkleHash = newRoot,
                proof: [MerkleHash] = proof
            ) throws {
                try V.verifyConsistency(oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
            }
            let label: Comment = "\(old) → \(new)"

            // A flipped bit in any hash (each proof hash, either root).
            for position in proof.indices {
                for bit in [0, 9, 128, 255] {
                    var mutated = proof
                    mutated[position] = T.flip(mutated[position], bit: bit)
                    expectMerkleError(.proofRootMismatch, label) { try verify(proof: mutated) }
                }
            }
            expectMerkleError(.proofRootMismatch, label) { try verify(oldRoot: T.flip(oldRoot, bit: 1)) }
            expectMerkleError(.proofRootMismatch, label) { try verify(newRoot: T.flip(newRoot, bit: 254)) }

            // Truncated and extended.
            if !proof.isEmpty {
                expectMerkleError(.proofInvalidLength, label) { try verify(proof: Array(proof.dropLast())) }
                expectMerkleError(.proofInvalidLength, label) { try verify(proof: []) }
            }
            expectMerkleError(.proofInvalidLength, label) { try verify(proof: proof + [T.stranger]) }
            expectMerkleError(.proofInvalidLength, label) { try verify(proof: [oldRoot] + proof) }

            // Swapped roots.
            if old != new {
                expectMerkleError(.proofRootMismatch, label) { try verify(oldRoot: newRoot, newRoot: oldRoot) }
            }

            // Wrong sizes with the right roots for those sizes, or with these roots.
            for otherOld in 1...new where otherOld != old {
                expectMerkleError(Self.consistencyCode(proof.count, old: otherOld, new: new), label) {
                    try verify(old: otherOld, oldRoot: Self.root(otherOld))
                }
                expectMerkleError(Self.consistencyCode(proof.count, old: otherOld, new: new), label) {
                    try verify(old: otherOld)
                }
            }
            for otherNew in old...8 where otherNew != new {
                // (otherNew == old only when old < new, so the proof is not empty: wrong length.)
                let code: TransparencyError.Code =
                    otherNew == old ? .proofInvalidLength : Self.consistencyCode(proof.count, old: old, new: otherNew)
                expectMerkleError(code, label) { try verify(new: otherNew, newRoot: Self.root(otherNew)) }
            }

            // Old size > new size; negative sizes.
            if old != new {
                expectMerkleError(.treeInvalidSize, label) {
                    try verify(old: new, new: old, oldRoot: newRoot, newRoot: oldRoot)
                }
            }
            expectMerkleError(.treeInvalidSize, label) { try verify(old: -1) }
            expectMerkleError(.treeInvalidSize, label) { try verify(old: -2, new: -1) }
        }

        // Equal sizes: the proof must be empty and the roots equal.
        let root5 = Self.root(5)
        expectMerkleError(.proofInvalidLength) {
            try V.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: root5, newRoot: root5, proof: [root5])
        }
        expectMerkleError(.proofRootMismatch) {
            try V.verifyConsistency(oldSize: 5, newSize: 5, oldRoot: root5, newRoot: Self.root(4), proof: [])
        }
        // From the empty tree: the proof must be empty and the old root SHA-256("").
        expectMerkleError(.proofInvalidLength) {
            try V.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: .emptyTree, newRoot: root5, proof: [root5])
        }
        expectMerkleError(.proofRootMismatch) {
            try V.verifyConsistency(oldSize: 0, newSize: 5, oldRoot: root5, newRoot: root5, proof: [])
        }
    }

    @Test func generationRejectsBadArguments() throws {
        let tree = MerkleTree(leafHashes: T.leafHashes(8))
        let store = MemoryHashStore(leafHashes: T.leafHashes(8))
        expectMerkleError(.treeInvalidIndex) { _ = try tree.inclusionProof(index: 8) }
        expectMerkleError(.treeInvalidIndex) { _ = try tree.inclusionProof(index: -1) }
        expectMerkleError(.treeInvalidIndex) { _ = try tree.inclusionProof(index: 3, size: 3) }
        expectMerkleError(.treeInvalidSize) { _ = try tree.inclusionProof(index: 0, size: 9) }
        expectMerkleError(.treeInvalidSize) { _ = try tree.rootHash(size: 9) }
        expectMerkleError(.treeInvalidSize) { _ = try tree.rootHash(size: -1) }
        expectMerkleError(.treeInvalidSize) { _ = try tree.consistencyProof(oldSize: 5, newSize: 4) }
        expectMerkleError(.treeInvalidSize) { _ = try tree.consistencyProof(oldSize: -1, newSize: 4) }
        expectMerkleError(.treeInvalidSize) { _ = try tree.consistencyProof(oldSize: 1, newSize: 9) }

        expectMerkleError(.treeInvalidIndex) { _ = try TileMath.inclusionProof(index: 8, treeSize: 8, reader: store) }
        expectMerkleError(.treeInvalidIndex) { _ = try TileMath.inclusionProof(index: -1, treeSize: 8, reader: store) }
        expectMerkleError(.treeInvalidSize) { _ = try TileMath.inclusionProof(index: 0, treeSize: -1, reader: store) }
        expectMerkleError(.treeInvalidSize) { _ = try TileMath.consistencyProof(oldSize: 6, newSize: 5, reader: store) }
        expectMerkleError(.treeInvalidSize) { _ = try TileMath.treeHash(treeSize: -1, reader: store) }
        // Sizes beyond what stored hash indexes can address (e.g. from a hostile checkpoint).
        expectMerkleError(.treeInvalidSize) { _ = try TileMath.treeHashIndexes(treeSize: Int64.max) }
        expectMerkleError(.treeInvalidSize) { _ = try TileMath.inclusionProofIndexes(index: 0, treeSize: Int64.max) }
        expectMerkleError(.treeInvalidSize) {
            _ = try TileMath.consistencyProofIndexes(oldSize: 1, newSize: TileMath.maxTreeSize + 1)
        }
        expectMerkleError(.treeInvalidSize) {
            _ = try TileHashReader(treeSize: Int64.max, rootHash: .emptyTree, tiles: TileReaderFunction { _ in [] })
                .readHashes([0])
        }
        // The largest accepted size works (index math only; no hashes needed).
        #expect(try TileMath.treeHashIndexes(treeSize: TileMath.maxTreeSize).count == 1)
        #expect(try TileMath.inclusionProofIndexes(index: TileMath.maxTreeSize - 1, treeSize: TileMath.maxTreeSize).count == 61)
        #expect(try TileMath.consistencyProofIndexes(oldSize: 3, newSize: TileMath.maxTreeSize).count > 0)
        #expect(try TileMath.inclusionProofIndexes(index: 12_345, treeSize: TileMath.maxTreeSize - 1).count <= 3 * 61 + 8)
        // A store that does not hold the tree asked about.
        expectMerkleError(.treeInvalidIndex) { _ = try TileMath.treeHash(treeSize: 9, reader: store) }
        // A reader returning the wrong number of hashes.
        let short = HashReaderFunction { indexes in try store.readHashes(Array(indexes.dropLast())) }
        expectMerkleError(.readerCountMismatch) { _ = try TileMath.treeHash(treeSize: 7, reader: short) }
        expectMerkleError(.readerCountMismatch) { _ = try TileMath.inclusionProof(index: 2, treeSize: 7, reader: short) }
        expectMerkleError(.readerCountMismatch) { _ = try TileMath.consistencyProof(oldSize: 3, newSize: 7, reader: short) }
        expectMerkleError(.readerCountMismatch) {
            _ = try TileMath.storedHashesForAppend(leafIndex: 3, leafHash: T.stranger, previous: [])
        }
        // The two-phase forms check the count too.
        expectMerkleError(.readerCountMismatch) { _ = try TileMath.treeHash(treeSize: 7, hashes: []) }
        expectMerkleError(.readerCountMismatch) { _ = try TileMath.treeHash(treeSize: 0, hashes: [T.stranger]) }
        expectMerkleError(.readerCountMismatch) { _ = try TileMath.inclusionProof(index: 0, treeSize: 7, hashes: []) }
        expectMerkleError(.readerCountMismatch) {
            _ = try TileMath.consistencyProof(oldSize: 3, newSize: 7, hashes: [T.stranger])
        }
    }
}
