import PnyxCrypto
import PnyxTransparency
import Testing

/// The RFC 6962 / RFC 9162 §2.1 vectors: roots for sizes 0–8, every inclusion proof and
/// every consistency proof for sizes 1–8. Each is generated both by the in-memory tree and
/// by the stored-hash (tiles) path, compared with the vector, and verified.
@Suite struct MerkleVectorTests {
    typealias T = MerkleTestSupport

    let leaves = MerkleVectors.leaves.map { try! Hex.decode($0) }
    var leafHashes: [MerkleHash] { leaves.map(MerkleHash.leafHash) }
    var tree: MerkleTree { MerkleTree(leaves: leaves) }
    var store: MemoryHashStore { MemoryHashStore(leafHashes: leafHashes) }

    @Test func hashingPrimitives() throws {
        #expect(MerkleHash.emptyTree.hex == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        // Leaf hash of the empty leaf: SHA-256(0x00).
        #expect(MerkleHash.leafHash([]).hex == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d")
        // Node hash: SHA-256(0x01 || left || right); the size-2 root is node(leaf0, leaf1).
        #expect(MerkleHash.nodeHash(leafHashes[0], leafHashes[1]) == T.hash(MerkleVectors.roots[2]))
        #expect(leafHashes[1].hex == "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7")
    }

    @Test func hashEncodings() throws {
        let h = T.hash(MerkleVectors.roots[8])
        #expect(try MerkleHash(bytes: h.bytes) == h)
        #expect(try MerkleHash(base64: h.base64) == h)
        #expect(h.description == h.hex)
        #expect(Set([h, h, MerkleHash.emptyTree]).count == 2)
        expectMerkleError(.hashMalformed) { _ = try MerkleHash(bytes: [UInt8](repeating: 0, count: 31)) }
        expectMerkleError(.hashMalformed) { _ = try MerkleHash(bytes: [UInt8](repeating: 0, count: 33)) }
        expectMerkleError(.hashMalformed) { _ = try MerkleHash(hex: "zz") }
        expectMerkleError(.hashMalformed) { _ = try MerkleHash(hex: String(h.hex.dropLast(2))) }
        expectMerkleError(.hashMalformed) { _ = try MerkleHash(base64: "AAAA") }
    }

    @Test func roots() throws {
        let tree = tree
        let reader = CountingHashReader(store)
        for (size, hex) in MerkleVectors.roots.enumerated() {
            let expected = T.hash(hex)
            let n = Int64(size)
            #expect(try tree.rootHash(size: n) == expected, "in-memory root of size \(size)")
            #expect(MerkleTree.rootHash(leafHashes: leafHashes[..<size]) == expected, "literal MTH of size \(size)")
            #expect(MerkleTree(leafHashes: Array(leafHashes[..<size])).rootHash == expected)
            #expect(try TileMath.treeHash(treeSize: n, reader: reader) == expected, "stored-hash root of size \(size)")
        }
        #expect(tree.rootHash == T.hash(MerkleVectors.roots[8]))
    }

    @Test func inclusionProofs() throws {
        let tree = tree
        let store = store
        for vector in MerkleVectors.inclusion {
            let expected = vector.proof.map(T.hash)
            let leafHash = T.hash(vector.leafHash)
            let root = T.hash(MerkleVectors.roots[Int(vector.size)])
            #expect(leafHash == leafHashes[Int(vector.index)])
            let label = "leaf \(vector.index) of \(vector.size)"
            #expect(try tree.inclusionProof(index: vector.index, size: vector.size) == expected, "in-memory \(label)")
            #expect(
                try TileMath.inclusionProof(index: vector.index, treeSize: vector.size, reader: store) == expected,
                "stored-hash \(label)")
            let computed = try MerkleProofVerification.verifyInclusion(
                leafHash: leafHash, index: vector.index, treeSize: vector.size, proof: expected, rootHash: root)
            #expect(computed == root)
            #expect(MerkleProofVerification.inclusionProofLength(index: vector.index, treeSize: vector.size) == expected.count)
        }
        #expect(MerkleVectors.inclusion.count == 36)  // every (index, size) with 0 ≤ index < size ≤ 8
    }

    @Test func consistencyProofs() throws {
        let tree = tree
        let store = store
        for vector in MerkleVectors.consistency {
            let expected = vector.proof.map(T.hash)
            let oldRoot = T.hash(MerkleVectors.roots[Int(vector.oldSize)])
            let newRoot = T.hash(MerkleVectors.roots[Int(vector.newSize)])
            let label = "\(vector.oldSize) → \(vector.newSize)"
            #expect(try tree.consistencyProof(oldSize: vector.oldSize, newSize: vector.newSize) == expected, "in-memory \(label)")
            #expect(
                try TileMath.consistencyProof(oldSize: vector.oldSize, newSize: vector.newSize, reader: store) == expected,
                "stored-hash \(label)")
            let computed = try MerkleProofVerification.verifyConsistency(
                oldSize: vector.oldSize, newSize: vector.newSize, oldRoot: oldRoot, newRoot: newRoot, proof: expected)
            #expect(computed == newRoot)
            #expect(
                MerkleProofVerification.consistencyProofLength(oldSize: vector.oldSize, newSize: vector.newSize)
                    == expected.count)
        }
        #expect(MerkleVectors.consistency.count == 36)  // every 1 ≤ old ≤ new ≤ 8
    }

    @Test func vectorsThroughTiles() throws {
        // The same proofs through TileHashReader (tiles cut from the store, authenticated
        // against the size-n root).
        let tiles = StoreTileReader(store)
        for vector in MerkleVectors.inclusion {
            let reader = TileHashReader(
                treeSize: vector.size, rootHash: T.hash(MerkleVectors.roots[Int(vector.size)]), tiles: tiles)
            #expect(
                try TileMath.inclusionProof(index: vector.index, treeSize: vector.size, reader: reader)
                    == vector.proof.map(T.hash))
        }
        for vector in MerkleVectors.consistency {
            let reader = TileHashReader(
                treeSize: vector.newSize, rootHash: T.hash(MerkleVectors.roots[Int(vector.newSize)]), tiles: tiles)
            #expect(
                try TileMath.consistencyProof(oldSize: vector.oldSize, newSize: vector.newSize, reader: reader)
                    == vector.proof.map(T.hash))
        }
    }

    @Test func emptyAndTrivialProofs() throws {
        let tree = tree
        // Consistency from the empty tree: empty proof; the old root must be SHA-256("").
        #expect(try tree.consistencyProof(oldSize: 0, newSize: 8) == [])
        #expect(try TileMath.consistencyProof(oldSize: 0, newSize: 8, reader: store) == [])
        let root8 = T.hash(MerkleVectors.roots[8])
        #expect(
            try MerkleProofVerification.verifyConsistency(
                oldSize: 0, newSize: 8, oldRoot: .emptyTree, newRoot: root8, proof: []) == root8)
        #expect(
            try MerkleProofVerification.verifyConsistency(
                oldSize: 0, newSize: 0, oldRoot: .emptyTree, newRoot: .emptyTree, proof: []) == .emptyTree)
        #expect(try MerkleTree().consistencyProof(oldSize: 0) == [])
        #expect(MerkleTree().rootHash == .emptyTree)
        #expect(try TileMath.treeHash(treeSize: 0, reader: MemoryHashStore()) == .emptyTree)
    }
}
