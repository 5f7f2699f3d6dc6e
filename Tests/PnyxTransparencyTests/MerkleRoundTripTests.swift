import PnyxTransparency
import Testing

/// Randomized round trips over the in-memory tree: every size up to 300, every inclusion
/// proof, random consistency pairs; generated proofs verify, have the predicted length,
/// and fail once mutated.
@Suite struct MerkleRoundTripTests {
    typealias T = MerkleTestSupport
    typealias V = MerkleProofVerification

    static let maxSize = 300

    @Test func cachedRootsEqualTheLiteralDefinition() throws {
        let leaves = T.leafHashes(Self.maxSize)
        let tree = MerkleTree(leafHashes: leaves)
        var grown = MerkleTree()
        for n in 0...Self.maxSize {
            let literal = MerkleTree.rootHash(leafHashes: leaves[..<n])
            #expect(try tree.rootHash(size: Int64(n)) == literal, "size \(n)")
            #expect(grown.rootHash == literal, "appended to size \(n)")
            #expect(grown.size == Int64(n))
            if n < Self.maxSize { grown.append(leafHash: leaves[n]) }
        }
        #expect(grown.leafHashes == leaves)
    }

    @Test func everyInclusionProofUpTo300() throws {
        var random = MerkleTestRandom(seed: 0x1C1C)
        let leaves = T.leafHashes(Self.maxSize)
        let tree = MerkleTree(leafHashes: leaves)
        for size in Int64(1)...Int64(Self.maxSize) {
            let root = try tree.rootHash(size: size)
            for index in 0..<size {
                let proof = try tree.inclusionProof(index: index, size: size)
                #expect(proof.count == V.inclusionProofLength(index: index, treeSize: size))
                #expect(proof.count <= 64 - UInt64(size - 1).leadingZeroBitCount)  // ≤ ⌈log₂ size⌉
                let computed = try V.verifyInclusion(
                    leafHash: leaves[Int(index)], index: index, treeSize: size, proof: proof, rootHash: root)
                #expect(computed == root)
                #expect(try V.rootFromInclusionProof(leafHash: leaves[Int(index)], index: index, treeSize: size, proof: proof) == root)

                // Mutations for about one proof in four (the vectors test every mutation exhaustively).
                guard Int.random(in: 0..<4, using: &random) == 0 else { continue }
                if !proof.isEmpty {
                    var mutated = proof
                    let position = Int.random(in: 0..<proof.count, using: &random)
                    mutated[position] = T.flip(mutated[position], bit: Int.random(in: 0..<256, using: &random))
                    expectMerkleError(.proofRootMismatch, "leaf \(index) of \(size)") {
                        try V.verifyInclusion(
                            leafHash: leaves[Int(index)], index: index, treeSize: size, proof: mutated, rootHash: root)
                    }
                    expectMerkleError(.proofInvalidLength, "leaf \(index) of \(size)") {
                        try V.verifyInclusion(
                            leafHash: leaves[Int(index)], index: index, treeSize: size, proof: Array(proof.dropLast()),
                            rootHash: root)
                    }
                }
                expectMerkleError(.proofInvalidLength, "leaf \(index) of \(size)") {
                    try V.verifyInclusion(
                        leafHash: leaves[Int(index)], index: index, treeSize: size, proof: proof + [root], rootHash: root)
                }
            }
        }
    }

    @Test func consistencyProofsUpTo300() throws {
        var random = MerkleTestRandom(seed: 0xC0C0)
        let leaves = T.leafHashes(Self.maxSize)
        let tree = MerkleTree(leafHashes: leaves)
        let roots = try (0...Int64(Self.maxSize)).map { try tree.rootHash(size: $0) }
        for new in Int64(1)...Int64(Self.maxSize) {
            // Edges, powers of two, and random old sizes.
            var olds: Set<Int64> = [0, 1, new - 1, new, new / 2]
            var p: Int64 = 2
            while p < new { olds.insert(p); olds.insert(p - 1); olds.insert(p + 1); p <<= 1 }
            for _ in 0..<6 { olds.insert(Int64.random(in: 0...new, using: &random)) }
            for old in olds where old >= 0 && old <= new {
                let proof = try tree.consistencyProof(oldSize: old, newSize: new)
                #expect(proof.count == V.consistencyProofLength(oldSize: old, newSize: new), "\(old) → \(new)")
                let computed = try V.verifyConsistency(
                    oldSize: old, newSize: new, oldRoot: roots[Int(old)], newRoot: roots[Int(new)], proof: proof)
                #expect(computed == roots[Int(new)])
                if !proof.isEmpty {
                    var mutated = proof
                    let position = Int.random(in: 0..<proof.count, using: &random)
                    mutated[position] = T.flip(mutated[position], bit: Int.random(in: 0..<256, using: &random))
                    expectMerkleError(.proofRootMismatch, "\(old) → \(new)") {
                        try V.verifyConsistency(
                            oldSize: old, newSize: new, oldRoot: roots[Int(old)], newRoot: roots[Int(new)], proof: mutated)
                    }
                    expectMerkleError(.proofInvalidLength, "\(old) → \(new)") {
                        try V.verifyConsistency(
                            oldSize: old, newSize: new, oldRoot: roots[Int(old)], newRoot: roots[Int(new)],
                            proof: Array(proof.dropLast()))
                    }
                    expectMerkleError(.proofRootMismatch, "\(old) → \(new)") {
                        try V.verifyConsistency(
                            oldSize: old, newSize: new, oldRoot: roots[Int(new)], newRoot: roots[Int(old)], proof: proof)
                    }
                }
                expectMerkleError(.proofInvalidLength, "\(old) → \(new)") {
                    try V.verifyConsistency(
                        oldSize: old, newSize: new, oldRoot: roots[Int(old)], newRoot: roots[Int(new)],
                        proof: proof + [T.stranger])
                }
            }
        }
    }

    @Test func consistencyFailsForADifferentHistory() throws {
        // Two trees agreeing on the first 100 leaves and then diverging: no proof from the
        // first can convince a verifier holding an old root of the second.
        let leaves = T.leafHashes(200)
        var forked = leaves
        forked[150] = T.stranger
        let honest = MerkleTree(leafHashes: leaves)
        let fork = MerkleTree(leafHashes: forked)
        for old in Int64(151)...Int64(199) {
            let proof = try honest.consistencyProof(oldSize: old, newSize: 200)
            expectMerkleError(.proofRootMismatch) {
                try V.verifyConsistency(
                    oldSize: old, newSize: 200, oldRoot: try fork.rootHash(size: old), newRoot: honest.rootHash, proof: proof)
            }
        }
        // Before the fork the histories agree.
        let proof = try honest.consistencyProof(oldSize: 150, newSize: 200)
        try V.verifyConsistency(
            oldSize: 150, newSize: 200, oldRoot: try fork.rootHash(size: 150), newRoot: honest.rootHash, proof: proof)
    }
}
