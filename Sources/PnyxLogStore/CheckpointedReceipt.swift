public import PnyxTransparency

/// The receipt of an append made with a signer
/// (``LogStore/append(logID:payload:signer:)``): the batch that wrote the entry signed a
/// checkpoint of its own end in the same transaction, and the proof shows the entry in it.
public struct CheckpointedReceipt: Sendable, Hashable {
    /// The entry's position and hashes.
    public let receipt: LogReceipt
    /// The checkpoint the entry's batch committed with (its tree ends at the batch's last entry).
    public let checkpoint: StoredCheckpoint
    /// RFC 9162 §2.1.3 inclusion proof of the entry in the checkpoint's tree.
    public let inclusionProof: [MerkleHash]
}

extension LogFrontier {
    /// The root of the tree of `size` entries, from the frontier's subtree roots.
    func root() throws -> MerkleHash {
        let indexes = try TileMath.treeHashIndexes(treeSize: size)
        let hashes = try indexes.map { index in
            guard let hash = roots[index] else {
                throw LogStoreError(.corrupt, "frontier hash \(index) missing at size \(size)")
            }
            return hash
        }
        return try TileMath.treeHash(treeSize: size, hashes: hashes)
    }
}

/// Inclusion proofs of a committed batch's entries in the tree at the batch's end, computed
/// in memory. Every hash such a proof needs is either a root of the frontier the batch was
/// written on (a left sibling that ends before the batch) or a stored hash the batch itself
/// wrote (anything ending at or after the batch's first entry, whose stored index is at
/// least `storedHashCount(base size)`).
struct BatchProofs: Sendable {
    let treeSize: Int64
    let root: MerkleHash
    private let baseRoots: [Int64: MerkleHash]
    private let baseCount: Int64
    private let stored: [MerkleHash]

    init(_ prepared: LogBatchWriter.Prepared) {
        treeSize = prepared.next.size
        root = prepared.root
        baseRoots = prepared.base.roots
        baseCount = TileMath.storedHashCount(treeSize: prepared.base.size)
        stored = prepared.stored
    }

    /// The inclusion proof of the entry at `index` (one of the batch's) in the tree of `treeSize`.
    func proof(index: Int64) throws -> [MerkleHash] {
        let indexes = try TileMath.inclusionProofIndexes(index: index, treeSize: treeSize)
        let hashes = try indexes.map { stored in try hash(stored) }
        return try TileMath.inclusionProof(index: index, treeSize: treeSize, hashes: hashes)
    }

    private func hash(_ index: Int64) throws -> MerkleHash {
        if index >= baseCount {
            let offset = index - baseCount
            guard offset < Int64(stored.count) else {
                throw LogStoreError(.corrupt, "stored hash \(index) is beyond the batch ending at \(treeSize)")
            }
            return stored[Int(offset)]
        }
        guard let hash = baseRoots[index] else {
            throw LogStoreError(.corrupt, "stored hash \(index) is neither in the batch nor a root of its base")
        }
        return hash
    }
}
