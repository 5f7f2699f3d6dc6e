/// The stored-hash layout of a tiled transparency log (c2sp.org/tlog-tiles, and the Go
/// `golang.org/x/mod/sumdb/tlog` package it comes from) and the pure arithmetic a hash store
/// needs: where each node hash lives, which hashes to write when a leaf is appended, and
/// which stored hashes to read to compute a tree hash or a proof for any tree size.
///
/// **Layout.** Every node of the tree that is the root of a complete subtree, `(level, n)`
/// being the n-th subtree of 2^level leaves, has a *stored hash index*: a dense position in
/// one append-only sequence. Appending leaf n writes its leaf hash followed by the hashes of
/// the subtrees it completes, so the sequence only ever grows at its end (about 2 hashes
/// per leaf). A store keeps the sequence (e.g. a PostgreSQL table keyed by stored index);
/// tiles (``Tile``) are slices of it.
///
/// **Two ways to use the functions.** The reader-based forms (``treeHash(treeSize:reader:)``,
/// ``inclusionProof(index:treeSize:reader:)``, ``consistencyProof(oldSize:newSize:reader:)``,
/// ``storedHashesForAppend(leafHashes:startingAt:reader:)``) make exactly one batched
/// ``HashReader/readHashes(_:)`` call of O(log n) indexes. The two-phase forms
/// (`…Indexes` then the function taking `hashes:`) let a caller fetch the hashes itself,
/// e.g. asynchronously or inside a database transaction.
public enum TileMath {
    /// The largest tree size the stored-hash functions accept (2^61 leaves), so that every
    /// stored hash index (about 2 per leaf) fits in an `Int64`; larger sizes, e.g. from a
    /// hostile checkpoint, throw `tree.invalid_size` instead of overflowing.
    public static let maxTreeSize: Int64 = 1 << 61

    // MARK: Stored hash index

    /// The stored hash index of node `(level, index)`: the root of the complete subtree of
    /// 2^level leaves starting at leaf index·2^level. Leaf hashes are level 0.
    ///
    /// Level L's n-th hash is stored right after level L−1's (2n+1)-th hash; level 0's n-th
    /// hash is stored at n + n/2 + n/4 + … (Crosby & Wallach §3.3).
    /// Traps for a negative index, a level above 62, or a node beyond ``maxTreeSize`` leaves:
    /// validate untrusted coordinates first.
    public static func storedHashIndex(level: Int, index: Int64) -> Int64 {
        precondition(level >= 0 && level < 63 && index >= 0, "invalid tree node (\(level), \(index))")
        // Descend to the last leaf of the subtree: m = (index + 1)·2^level − 1. The leaf's
        // position is Σ m/2^i = 2m − popcount(m); the node follows `level` hashes later.
        let m = ((index + 1) << Int64(level)) - 1
        return 2 * m - Int64(m.nonzeroBitCount) + Int64(level)
    }

    /// The inverse of ``storedHashIndex(level:index:)``: the node `(level, index)` stored at
    /// stored hash index `storedIndex` (≥ 0).
    public static func splitStoredHashIndex(_ storedIndex: Int64) -> (level: Int, index: Int64) {
        precondition(storedIndex >= 0, "negative stored hash index")
        // The leaf appended just before `storedIndex` is in [storedIndex/2, storedIndex/2 + log₂].
        var n = storedIndex / 2
        var indexN = storedHashIndex(level: 0, index: n)
        precondition(indexN <= storedIndex, "bad stored hash index math")
        while true {
            // Appending leaf n writes 1 + trailingZeros(n + 1) hashes.
            let next = indexN + 1 + Int64((n + 1).trailingZeroBitCount)
            if next > storedIndex { break }
            n += 1
            indexN = next
        }
        // The hash was written with leaf n: it is one of (0, n), (1, n/2), (2, n/4), …
        let level = Int(storedIndex - indexN)
        return (level, n >> Int64(level))
    }

    /// The number of stored hashes of a tree of `treeSize` leaves; also the stored index the
    /// next append writes at.
    public static func storedHashCount(treeSize: Int64) -> Int64 {
        precondition(treeSize >= 0, "negative tree size")
        if treeSize == 0 { return 0 }
        // The last leaf's hash plus the hashes of the subtrees it completes.
        return storedHashIndex(level: 0, index: treeSize - 1) + 1 + Int64(treeSize.trailingZeroBitCount)
    }

    // MARK: Appending

    /// The stored indexes (ascending) whose hashes are needed to append leaf `leafIndex`:
    /// the left siblings of the subtrees the new leaf completes (one per trailing 1 bit of
    /// `leafIndex`, so at most log₂ n).
    public static func appendIndexes(leafIndex: Int64) -> [Int64] {
        precondition(leafIndex >= 0, "negative leaf index")
        let m = (leafIndex + 1).trailingZeroBitCount
        var indexes = [Int64](repeating: 0, count: m)
        for i in 0..<m {
            // Note (leafIndex >> i) is odd: its left sibling is (i, (leafIndex >> i) - 1).
            indexes[m - 1 - i] = storedHashIndex(level: i, index: (leafIndex >> Int64(i)) - 1)
        }
        return indexes
    }

    /// The hashes to store, in order starting at stored index
    /// `storedHashIndex(level: 0, index: leafIndex)`, when appending leaf `leafIndex` with
    /// hash `leafHash`: the leaf hash, then the hash of every subtree it completes.
    /// `previous` holds the hashes at ``appendIndexes(leafIndex:)``.
    /// Throws `reader.count_mismatch` if `previous` has the wrong count.
    public static func storedHashesForAppend(
        leafIndex: Int64, leafHash: MerkleHash, previous: [MerkleHash]
    ) throws(TransparencyError) -> [MerkleHash] {
        let m = (leafIndex + 1).trailingZeroBitCount
        guard previous.count == m else {
            throw TransparencyError(.readerCountMismatch, "appending leaf \(leafIndex) needs \(m) stored hashes, got \(previous.count)")
        }
        var hashes = [leafHash]
        hashes.reserveCapacity(m + 1)
        var h = leafHash
        for i in 0..<m {
            h = .nodeHash(previous[m - 1 - i], h)
            hashes.append(h)
        }
        return hashes
    }

    // MARK: Tree hash (two-phase)

    /// The stored indexes to read for the root of the tree of `treeSize` leaves: the roots
    /// of its maximal complete subtrees, left to right (popcount(treeSize) ≤ 1 + log₂ n).
    /// Throws `tree.invalid_size` for a negative size.
    public static func treeHashIndexes(treeSize: Int64) throws(TransparencyError) -> [Int64] {
        try checkSize(treeSize)
        var need: [Int64] = []
        subtreeIndexes(0, treeSize, into: &need)
        return need
    }

    /// The root MTH(D[0:treeSize]) from the hashes at ``treeHashIndexes(treeSize:)``
    /// (the empty-tree hash for size 0). Throws `reader.count_mismatch` on a wrong count.
    public static func treeHash(treeSize: Int64, hashes: [MerkleHash]) throws(TransparencyError) -> MerkleHash {
        try checkSize(treeSize)
        if treeSize == 0 {
            try checkCount(hashes, 0)
            return .emptyTree
        }
        try checkCount(hashes, treeSize.nonzeroBitCount)
        var cursor = 0
        return subtreeHash(0, treeSize, hashes, &cursor)
    }

    // MARK: Inclusion proof (two-phase)

    /// The stored indexes to read for the inclusion proof of leaf `index` in the tree of
    /// `treeSize` leaves (at most about 2·log₂ n). Throws `tree.invalid_size` or
    /// `tree.invalid_index` unless 0 ≤ index < treeSize.
    public static func inclusionProofIndexes(index: Int64, treeSize: Int64) throws(TransparencyError) -> [Int64] {
        try checkLeaf(index, treeSize)
        var need: [Int64] = []
        leafProofIndexes(0, treeSize, index, into: &need)
        return need
    }

    /// The inclusion proof PATH(index, D[0:treeSize]) from the hashes at
    /// ``inclusionProofIndexes(index:treeSize:)``.
    public static func inclusionProof(
        index: Int64, treeSize: Int64, hashes: [MerkleHash]
    ) throws(TransparencyError) -> [MerkleHash] {
        let need = try inclusionProofIndexes(index: index, treeSize: treeSize)
        try checkCount(hashes, need.count)
        var proof: [MerkleHash] = []
        var cursor = 0
        leafProof(0, treeSize, index, hashes, &cursor, into: &proof)
        return proof
    }

    // MARK: Consistency proof (two-phase)

    /// The stored indexes to read for the consistency proof from `oldSize` to `newSize`
    /// (empty when oldSize is 0 or equals newSize). Throws `tree.invalid_size` unless
    /// 0 ≤ oldSize ≤ newSize.
    public static func consistencyProofIndexes(oldSize: Int64, newSize: Int64) throws(TransparencyError) -> [Int64] {
        try checkSizes(oldSize, newSize)
        var need: [Int64] = []
        if oldSize > 0, oldSize < newSize { treeProofIndexes(0, newSize, oldSize, into: &need) }
        return need
    }

    /// The consistency proof PROOF(oldSize, D[0:newSize]) from the hashes at
    /// ``consistencyProofIndexes(oldSize:newSize:)``.
    public static func consistencyProof(
        oldSize: Int64, newSize: Int64, hashes: [MerkleHash]
    ) throws(TransparencyError) -> [MerkleHash] {
        let need = try consistencyProofIndexes(oldSize: oldSize, newSize: newSize)
        try checkCount(hashes, need.count)
        var proof: [MerkleHash] = []
        if need.isEmpty { return proof }
        var cursor = 0
        treeProof(0, newSize, oldSize, hashes, &cursor, into: &proof)
        return proof
    }

    // MARK: Private recursion (RFC 9162 §2.1 over stored hashes)

    static func checkSize(_ size: Int64) throws(TransparencyError) {
        guard size >= 0, size <= maxTreeSize else {
            throw TransparencyError(.treeInvalidSize, "tree size \(size) is not in 0...\(maxTreeSize)")
        }
    }

    static func checkSizes(_ oldSize: Int64, _ newSize: Int64) throws(TransparencyError) {
        guard oldSize >= 0, newSize <= maxTreeSize, oldSize <= newSize else {
            throw TransparencyError(.treeInvalidSize, "tree sizes must satisfy 0 ≤ old ≤ new, got \(oldSize) and \(newSize)")
        }
    }

    static func checkLeaf(_ index: Int64, _ treeSize: Int64) throws(TransparencyError) {
        try checkSize(treeSize)
        guard index >= 0, index < treeSize else {
            throw TransparencyError(.treeInvalidIndex, "leaf index \(index) is not in a tree of size \(treeSize)")
        }
    }

    static func checkCount(_ hashes: [MerkleHash], _ expected: Int) throws(TransparencyError) {
        guard hashes.count == expected else {
            throw TransparencyError(.readerCountMismatch, "expected \(expected) stored hashes, got \(hashes.count)")
        }
    }

    /// The largest power of two ≤ n (n ≥ 1).
    static func largestPowerOfTwo(atMost n: Int64) -> Int64 {
        Int64(1) << Int64(63 - n.leadingZeroBitCount)
    }

    /// The largest power of two < n (n ≥ 2): the split point k of RFC 9162 §2.1.1.
    static func largestPowerOfTwo(below n: Int64) -> Int64 {
        largestPowerOfTwo(atMost: n - 1)
    }

    /// Stored indexes of the maximal complete subtrees covering leaves [lo, hi), left to right.
    static func subtreeIndexes(_ lo: Int64, _ hi: Int64, into need: inout [Int64]) {
        var lo = lo
        while lo < hi {
            let k = largestPowerOfTwo(atMost: hi - lo)
            let level = k.trailingZeroBitCount
            precondition(lo & (k - 1) == 0, "unaligned subtree [\(lo), \(hi))")
            need.append(storedHashIndex(level: level, index: lo >> Int64(level)))
            lo += k
        }
    }

    /// MTH(D[lo:hi]) from the hashes `subtreeIndexes(lo, hi)` asked for, read at `cursor`.
    static func subtreeHash(_ lo: Int64, _ hi: Int64, _ hashes: [MerkleHash], _ cursor: inout Int) -> MerkleHash {
        let parts = (hi - lo).nonzeroBitCount  // one complete subtree per set bit
        var h = hashes[cursor + parts - 1]
        var i = parts - 2
        while i >= 0 {
            h = .nodeHash(hashes[cursor + i], h)
            i -= 1
        }
        cursor += parts
        return h
    }

    /// Indexes for PATH(n, D[lo:hi]) (n absolute, lo ≤ n < hi).
    static func leafProofIndexes(_ lo: Int64, _ hi: Int64, _ n: Int64, into need: inout [Int64]) {
        if lo + 1 == hi { return }
        let k = largestPowerOfTwo(below: hi - lo)
        if n < lo + k {
            leafProofIndexes(lo, lo + k, n, into: &need)
            subtreeIndexes(lo + k, hi, into: &need)
        } else {
            subtreeIndexes(lo, lo + k, into: &need)
            leafProofIndexes(lo + k, hi, n, into: &need)
        }
    }

    /// PATH(n, D[lo:hi]), consuming hashes in the order `leafProofIndexes` asked for them.
    static func leafProof(
        _ lo: Int64, _ hi: Int64, _ n: Int64, _ hashes: [MerkleHash], _ cursor: inout Int,
        into proof: inout [MerkleHash]
    ) {
        if lo + 1 == hi { return }  // PATH(0, {d(0)}) = {}
        let k = largestPowerOfTwo(below: hi - lo)
        if n < lo + k {
            leafProof(lo, lo + k, n, hashes, &cursor, into: &proof)  // PATH(m, D[0:k]) : MTH(D[k:n])
            proof.append(subtreeHash(lo + k, hi, hashes, &cursor))
        } else {
            let left = subtreeHash(lo, lo + k, hashes, &cursor)
            leafProof(lo + k, hi, n, hashes, &cursor, into: &proof)  // PATH(m - k, D[k:n]) : MTH(D[0:k])
            proof.append(left)
        }
    }

    /// Indexes for SUBPROOF(m, D[lo:hi], lo == 0) (m absolute, lo < m ≤ hi).
    static func treeProofIndexes(_ lo: Int64, _ hi: Int64, _ m: Int64, into need: inout [Int64]) {
        if m == hi {
            if lo != 0 { subtreeIndexes(lo, hi, into: &need) }
            return
        }
        let k = largestPowerOfTwo(below: hi - lo)
        if m <= lo + k {
            treeProofIndexes(lo, lo + k, m, into: &need)
            subtreeIndexes(lo + k, hi, into: &need)
        } else {
            subtreeIndexes(lo, lo + k, into: &need)
            treeProofIndexes(lo + k, hi, m, into: &need)
        }
    }

    /// SUBPROOF(m, D[lo:hi], b) with b = (lo == 0): b stays true exactly along the left
    /// edge of the tree, where the subtree is a prefix of the old tree.
    static func treeProof(
        _ lo: Int64, _ hi: Int64, _ m: Int64, _ hashes: [MerkleHash], _ cursor: inout Int,
        into proof: inout [MerkleHash]
    ) {
        if m == hi {
            // SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}.
            if lo != 0 { proof.append(subtreeHash(lo, hi, hashes, &cursor)) }
            return
        }
        let k = largestPowerOfTwo(below: hi - lo)
        if m <= lo + k {
            treeProof(lo, lo + k, m, hashes, &cursor, into: &proof)  // SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            proof.append(subtreeHash(lo + k, hi, hashes, &cursor))
        } else {
            let left = subtreeHash(lo, lo + k, hashes, &cursor)
            treeProof(lo + k, hi, m, hashes, &cursor, into: &proof)  // SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            proof.append(left)
        }
    }
}
