/// An in-memory Merkle tree over leaf hashes (RFC 9162 §2.1): the Merkle Tree Hash of any
/// prefix, inclusion proofs (PATH, §2.1.3.1) and consistency proofs (PROOF/SUBPROOF,
/// §2.1.4.1).
///
/// Meant for tests, auditors rebuilding a small log and other small trees: it keeps every
/// leaf hash plus the hash of every complete power-of-two subtree (about 2·n hashes), so a
/// root or proof costs O(log² n) node hashes instead of O(n). Large logs store the same
/// hashes in the tiles layout instead; see ``TileMath`` and ``HashReader``.
///
/// Sizes and indexes are `Int64`, as everywhere in this module.
public struct MerkleTree: Sendable {
    /// `levels[l][i]` is the hash of the complete subtree of 2^l leaves starting at leaf
    /// i·2^l; `levels[0]` holds the leaf hashes.
    private var levels: [[MerkleHash]] = [[]]

    /// An empty tree.
    public init() {}

    /// A tree over these leaf hashes, in order.
    public init(leafHashes: [MerkleHash]) {
        levels[0].reserveCapacity(leafHashes.count)
        for hash in leafHashes { append(leafHash: hash) }
    }

    /// A tree over these leaves (entries), each hashed with ``MerkleHash/leafHash(_:)``.
    public init(leaves: [[UInt8]]) {
        self.init(leafHashes: leaves.map(MerkleHash.leafHash))
    }

    /// Appends one leaf hash (amortised O(1) node hashes).
    public mutating func append(leafHash: MerkleHash) {
        levels[0].append(leafHash)
        var level = 0
        while levels[level].count % 2 == 0 {
            let count = levels[level].count
            let parent = MerkleHash.nodeHash(levels[level][count - 2], levels[level][count - 1])
            if levels.count == level + 1 { levels.append([]) }
            levels[level + 1].append(parent)
            level += 1
        }
    }

    /// The number of leaves.
    public var size: Int64 { Int64(levels[0].count) }

    /// The leaf hashes, in order.
    public var leafHashes: [MerkleHash] { levels[0] }

    /// MTH(D[0:size]) of the whole tree.
    public var rootHash: MerkleHash { hash(0, levels[0].count) }

    /// MTH(D[0:size]), the root of the tree formed by the first `size` leaves.
    /// Throws `tree.invalid_size` unless 0 ≤ size ≤ ``size``.
    public func rootHash(size: Int64) throws(TransparencyError) -> MerkleHash {
        try checkSize(size)
        return hash(0, Int(size))
    }

    /// PATH(m, D[0:size]) (RFC 9162 §2.1.3.1): the inclusion proof of leaf `index` in the
    /// tree of the first `size` leaves (default: the whole tree).
    ///
    /// Throws `tree.invalid_size` unless 0 ≤ size ≤ ``size``, and `tree.invalid_index`
    /// unless 0 ≤ index < size.
    public func inclusionProof(index: Int64, size: Int64? = nil) throws(TransparencyError) -> [MerkleHash] {
        let size = size ?? self.size
        try checkSize(size)
        guard index >= 0, index < size else {
            throw TransparencyError(.treeInvalidIndex, "leaf index \(index) is not in a tree of size \(size)")
        }
        var proof: [MerkleHash] = []
        path(Int(index), 0, Int(size), into: &proof)
        return proof
    }

    /// PROOF(m, D[0:n]) (RFC 9162 §2.1.4.1): the consistency proof from the tree of the first
    /// `oldSize` leaves to the tree of the first `newSize` leaves (default: the whole tree).
    ///
    /// For 0 < m < n this is SUBPROOF(m, D[0:n], true). The RFC defines proofs only for
    /// 0 < m < n; here m = n and m = 0 give the empty proof (every tree is consistent with
    /// itself and with the empty tree), which ``MerkleProofVerification`` accepts.
    /// Throws `tree.invalid_size` unless 0 ≤ oldSize ≤ newSize ≤ ``size``.
    public func consistencyProof(oldSize: Int64, newSize: Int64? = nil) throws(TransparencyError) -> [MerkleHash] {
        let newSize = newSize ?? self.size
        try checkSize(newSize)
        guard oldSize >= 0, oldSize <= newSize else {
            throw TransparencyError(.treeInvalidSize, "old tree size \(oldSize) is not in 0...\(newSize)")
        }
        var proof: [MerkleHash] = []
        if oldSize > 0, oldSize < newSize {
            subproof(Int(oldSize), 0, Int(newSize), true, into: &proof)
        }
        return proof
    }

    /// MTH(D[n]) computed literally by the recursive definition of RFC 9162 §2.1.1, in O(n)
    /// node hashes, without any cache. The reference the faster paths are tested against.
    public static func rootHash(leafHashes: ArraySlice<MerkleHash>) -> MerkleHash {
        let n = leafHashes.count
        if n == 0 { return .emptyTree }
        if n == 1 { return leafHashes[leafHashes.startIndex] }
        let k = largestPowerOfTwo(below: n)
        let split = leafHashes.startIndex + k
        return .nodeHash(rootHash(leafHashes: leafHashes[..<split]), rootHash(leafHashes: leafHashes[split...]))
    }

    // MARK: Private

    private func checkSize(_ size: Int64) throws(TransparencyError) {
        guard size >= 0, size <= self.size else {
            throw TransparencyError(.treeInvalidSize, "tree size \(size) is not in 0...\(self.size)")
        }
    }

    /// MTH(D[lo:hi]), using the stored hash of every complete aligned subtree.
    private func hash(_ lo: Int, _ hi: Int) -> MerkleHash {
        let n = hi - lo
        if n == 0 { return .emptyTree }
        if n & (n - 1) == 0, lo & (n - 1) == 0 {
            let level = n.trailingZeroBitCount
            return levels[level][lo >> level]
        }
        let k = Self.largestPowerOfTwo(below: n)
        return .nodeHash(hash(lo, lo + k), hash(lo + k, hi))
    }

    /// PATH(m, D[lo:hi]) with m an absolute leaf index, lo ≤ m < hi.
    private func path(_ m: Int, _ lo: Int, _ hi: Int, into proof: inout [MerkleHash]) {
        if hi - lo == 1 { return }  // PATH(0, {d(0)}) = {}
        let k = Self.largestPowerOfTwo(below: hi - lo)
        if m < lo + k {
            path(m, lo, lo + k, into: &proof)  // PATH(m, D[0:k]) : MTH(D[k:n])
            proof.append(hash(lo + k, hi))
        } else {
            path(m, lo + k, hi, into: &proof)  // PATH(m - k, D[k:n]) : MTH(D[0:k])
            proof.append(hash(lo, lo + k))
        }
    }

    /// SUBPROOF(m, D[lo:hi], b) with m an absolute tree size, lo < m ≤ hi.
    private func subproof(_ m: Int, _ lo: Int, _ hi: Int, _ b: Bool, into proof: inout [MerkleHash]) {
        if m == hi {
            if !b { proof.append(hash(lo, hi)) }  // SUBPROOF(m, D[m], false) = {MTH(D[m])}
            return
        }
        let k = Self.largestPowerOfTwo(below: hi - lo)
        if m <= lo + k {
            subproof(m, lo, lo + k, b, into: &proof)  // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            proof.append(hash(lo + k, hi))
        } else {
            subproof(m, lo + k, hi, false, into: &proof)  // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            proof.append(hash(lo, lo + k))
        }
    }

    /// The largest power of two strictly smaller than n (n ≥ 2).
    static func largestPowerOfTwo(below n: Int) -> Int {
        1 << (Int.bitWidth - 1 - (n - 1).leadingZeroBitCount)
    }
}
