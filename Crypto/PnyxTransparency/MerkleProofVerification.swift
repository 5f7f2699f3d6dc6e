/// Verification of RFC 9162 inclusion (§2.1.3.2) and consistency (§2.1.4.2) proofs,
/// following the RFC's numbered algorithms step by step (fn, sn, r, fr, sr as named there).
///
/// Every failure throws a ``TransparencyError`` with a stable code:
/// - `tree.invalid_index`: the leaf index is negative or not below the tree size (step 1);
/// - `tree.invalid_size`: a tree size is negative, or the old size exceeds the new one;
/// - `proof.invalid_length`: the proof has more or fewer hashes than the sizes require;
/// - `proof.root_mismatch`: the proof has the right length but does not lead to the roots.
public enum MerkleProofVerification {
    // MARK: Inclusion (RFC 9162 §2.1.3.2)

    /// Runs the inclusion verification algorithm of RFC 9162 §2.1.3.2 without the final
    /// root comparison, and returns the root r that `proof` implies for `leafHash` at
    /// `index` in a tree of `treeSize` leaves. Still checks that sn reached 0 (step 5).
    public static func rootFromInclusionProof(
        leafHash: MerkleHash, index: Int64, treeSize: Int64, proof: [MerkleHash]
    ) throws(TransparencyError) -> MerkleHash {
        guard treeSize >= 0 else {
            throw TransparencyError(.treeInvalidSize, "tree size \(treeSize) is negative")
        }
        // Step 1: compare leaf_index against tree_size.
        guard index >= 0, index < treeSize else {
            throw TransparencyError(.treeInvalidIndex, "leaf index \(index) is not in a tree of size \(treeSize)")
        }
        // Step 2: set fn to leaf_index and sn to tree_size - 1.
        var fn = UInt64(index)
        var sn = UInt64(treeSize - 1)
        // Step 3: set r to hash.
        var r = leafHash
        // Step 4: for each value p in the inclusion_path array:
        for p in proof {
            // 4a. If sn is 0, stop the iteration and fail the proof verification.
            guard sn != 0 else {
                throw TransparencyError(
                    .proofInvalidLength,
                    "inclusion proof has more than the \(inclusionProofLength(index: index, treeSize: treeSize)) hashes a leaf at \(index) of \(treeSize) needs")
            }
            // 4b. If LSB(fn) is set, or if fn is equal to sn, then:
            if fn & 1 == 1 || fn == sn {
                // i. Set r to HASH(0x01 || p || r).
                r = .nodeHash(p, r)
                // ii. If LSB(fn) is not set, right-shift both fn and sn equally until either
                //     LSB(fn) is set or fn is 0.
                while fn & 1 == 0, fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                // Otherwise: set r to HASH(0x01 || r || p).
                r = .nodeHash(r, p)
            }
            // 4c. Finally, right-shift both fn and sn one time.
            fn >>= 1
            sn >>= 1
        }
        // Step 5 (first half): compare sn to 0.
        guard sn == 0 else {
            throw TransparencyError(
                .proofInvalidLength,
                "inclusion proof has \(proof.count) hashes; a leaf at \(index) of \(treeSize) needs \(inclusionProofLength(index: index, treeSize: treeSize))")
        }
        return r
    }

    /// Verifies that `proof` proves `leafHash` is the leaf at `index` in the tree of size
    /// `treeSize` with root `rootHash` (RFC 9162 §2.1.3.2, steps 1–5). Returns the computed
    /// root (equal to `rootHash`) or throws.
    @discardableResult
    public static func verifyInclusion(
        leafHash: MerkleHash, index: Int64, treeSize: Int64, proof: [MerkleHash], rootHash: MerkleHash
    ) throws(TransparencyError) -> MerkleHash {
        let r = try rootFromInclusionProof(leafHash: leafHash, index: index, treeSize: treeSize, proof: proof)
        // Step 5 (second half): compare r against the root_hash.
        guard r == rootHash else {
            throw TransparencyError(
                .proofRootMismatch, "inclusion proof for leaf \(index) leads to \(r.hex), not the root \(rootHash.hex) of size \(treeSize)")
        }
        return r
    }

    // MARK: Consistency (RFC 9162 §2.1.4.2)

    /// Verifies that `proof` proves the tree of size `oldSize` with root `oldRoot` is a
    /// prefix of the tree of size `newSize` with root `newRoot` (RFC 9162 §2.1.4.2).
    /// Returns the computed new root sr (equal to `newRoot`) or throws.
    ///
    /// The RFC algorithm covers 0 < first < second. Beyond it: first = second requires an
    /// empty proof and equal roots; first = 0 requires an empty proof and `oldRoot` to be
    /// the empty-tree hash (every tree extends the empty tree).
    @discardableResult
    public static func verifyConsistency(
        oldSize first: Int64, newSize second: Int64, oldRoot firstHash: MerkleHash, newRoot secondHash: MerkleHash,
        proof consistencyPath: [MerkleHash]
    ) throws(TransparencyError) -> MerkleHash {
        guard first >= 0, second >= 0 else {
            throw TransparencyError(.treeInvalidSize, "tree sizes \(first) and \(second) must not be negative")
        }
        guard first <= second else {
            throw TransparencyError(.treeInvalidSize, "old tree size \(first) is larger than new tree size \(second)")
        }
        if first == second || first == 0 {
            guard consistencyPath.isEmpty else {
                throw TransparencyError(
                    .proofInvalidLength, "consistency proof from \(first) to \(second) must be empty, has \(consistencyPath.count) hashes")
            }
            if first == 0 {
                guard firstHash == .emptyTree else {
                    throw TransparencyError(.proofRootMismatch, "the root of the empty tree is not \(firstHash.hex)")
                }
                return secondHash
            }
            guard firstHash == secondHash else {
                throw TransparencyError(.proofRootMismatch, "two trees of size \(first) have different roots")
            }
            return secondHash
        }

        // 1. If consistency_path is an empty array, stop and fail the proof verification.
        guard !consistencyPath.isEmpty else {
            throw TransparencyError(.proofInvalidLength, "consistency proof from \(first) to \(second) is empty")
        }
        // 2. If first is an exact power of 2, then prepend first_hash to the consistency_path array.
        var path = consistencyPath
        if first & (first - 1) == 0 {
            path.insert(firstHash, at: 0)
        }
        // 3. Set fn to first - 1 and sn to second - 1.
        var fn = UInt64(first - 1)
        var sn = UInt64(second - 1)
        // 4. If LSB(fn) is set, then right-shift both fn and sn equally until LSB(fn) is not set.
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // 5. Set both fr and sr to the first value in the consistency_path array.
        var fr = path[0]
        var sr = path[0]
        // 6. For each subsequent value c in the consistency_path array:
        for c in path.dropFirst() {
            // a. If sn is 0, then stop the iteration and fail the proof verification.
            guard sn != 0 else {
                throw TransparencyError(
                    .proofInvalidLength,
                    "consistency proof from \(first) to \(second) has more than the \(consistencyProofLength(oldSize: first, newSize: second)) hashes it needs")
            }
            // b. If LSB(fn) is set, or if fn is equal to sn, then:
            if fn & 1 == 1 || fn == sn {
                // i. Set fr to HASH(0x01 || c || fr). Set sr to HASH(0x01 || c || sr).
                fr = .nodeHash(c, fr)
                sr = .nodeHash(c, sr)
                // ii. If LSB(fn) is not set, then right-shift both fn and sn equally until
                //     either LSB(fn) is set or fn is 0.
                while fn & 1 == 0, fn != 0 {
                    fn >>= 1
                    sn >>= 1
                }
            } else {
                // Otherwise: set sr to HASH(0x01 || sr || c).
                sr = .nodeHash(sr, c)
            }
            // c. Finally, right-shift both fn and sn one time.
            fn >>= 1
            sn >>= 1
        }
        // 7. Verify that fr equals first_hash, that sr equals second_hash, and that sn is 0.
        //    (sn first: a wrong length is reported as such, not as a root mismatch.)
        guard sn == 0 else {
            throw TransparencyError(
                .proofInvalidLength,
                "consistency proof from \(first) to \(second) has \(consistencyPath.count) hashes, needs \(consistencyProofLength(oldSize: first, newSize: second))")
        }
        guard fr == firstHash else {
            throw TransparencyError(.proofRootMismatch, "consistency proof does not lead to the old root of size \(first)")
        }
        guard sr == secondHash else {
            throw TransparencyError(.proofRootMismatch, "consistency proof does not lead to the new root of size \(second)")
        }
        return sr
    }

    // MARK: Proof lengths

    /// The number of hashes in the inclusion proof of leaf `index` in a tree of `treeSize`
    /// leaves (0 ≤ index < treeSize), or 0 for out-of-range arguments.
    public static func inclusionProofLength(index: Int64, treeSize: Int64) -> Int {
        guard index >= 0, index < treeSize else { return 0 }
        // Below the level where the paths to leaf `index` and to the last leaf split, one
        // hash per level; above it, one per set bit of the remaining index (the left
        // siblings on the right border).
        let inner = 64 - (UInt64(index) ^ UInt64(treeSize - 1)).leadingZeroBitCount
        let border = (UInt64(index) >> UInt64(inner)).nonzeroBitCount
        return inner + border
    }

    /// The number of hashes in the consistency proof from `oldSize` to `newSize`
    /// (0 for old = new or old = 0, and for out-of-range arguments).
    public static func consistencyProofLength(oldSize: Int64, newSize: Int64) -> Int {
        guard oldSize > 0, oldSize < newSize else { return 0 }
        let inner = 64 - (UInt64(oldSize - 1) ^ UInt64(newSize - 1)).leadingZeroBitCount
        let border = (UInt64(oldSize - 1) >> UInt64(inner)).nonzeroBitCount
        let shift = oldSize.trailingZeroBitCount
        let seed = oldSize & (oldSize - 1) == 0 ? 0 : 1  // the old root is left out when it is a complete subtree
        return seed + (inner - shift) + border
    }
}
