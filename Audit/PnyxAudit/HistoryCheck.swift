public import PnyxTransparency

/// "The log only grew": proves a later checkpoint extends an earlier one with an RFC 9162
/// consistency proof computed from the published tiles (authenticated against the later root).
public enum HistoryCheck {
    /// A checkpoint's size and root, as compared here.
    public struct Point: Sendable, Hashable, CustomStringConvertible {
        public let size: Int64
        public let root: MerkleHash

        public init(size: Int64, root: MerkleHash) {
            self.size = size
            self.root = root
        }

        /// The size and root of a checkpoint.
        public init(_ checkpoint: Checkpoint) {
            size = Int64(clamping: checkpoint.size)
            root = try! MerkleHash(bytes: checkpoint.rootHash)  // Checkpoint checks 32 bytes.
        }

        public var description: String { "\(size) \(root.hex)" }
    }

    /// Checks that `new` extends `old`. `newTree` computes the proof from the tiles of `new`'s
    /// tree (its size and root must be `new`'s). Returns `nil` when proved, or the finding:
    /// `history.rolled_back` (the new tree is smaller), `history.forked` (same size with
    /// another root, a proof that fails, or tiles that are not `new`'s tree).
    public static func check(old: Point, new: Point, newTree: PublishedTree) -> Finding? {
        if old.size > new.size {
            return Finding(.historyRolledBack, log: "history",
                           "the log has \(new.size) entries, fewer than the \(old.size) of a checkpoint verified earlier",
                           expected: "at least \(old.size) entries", computed: "\(new.size)")
        }
        if old.size == new.size {
            guard old.root == new.root else {
                return Finding(.historyForked, log: "history",
                               "two checkpoints of size \(old.size) have different roots: the history was rewritten or forked",
                               expected: old.root.hex, computed: new.root.hex)
            }
            return nil
        }
        let proof: [MerkleHash]
        do { proof = try newTree.consistencyProof(from: old.size) } catch {
            return Finding(.historyForked, log: "history",
                           "no consistency proof from \(old.size) to \(new.size) could be built from the published tiles (\(error)): they are not the tree of the new checkpoint",
                           expected: new.root.hex)
        }
        do {
            try MerkleProofVerification.verifyConsistency(
                oldSize: old.size, newSize: new.size, oldRoot: old.root, newRoot: new.root, proof: proof)
        } catch {
            let computed = (try? newTree.root(ofPrefix: old.size))?.hex
            return Finding(.historyForked, log: "history",
                           "the log of \(new.size) entries does not extend the checkpoint of \(old.size) verified earlier: the history was rewritten or forked",
                           expected: old.root.hex, computed: computed)
        }
        return nil
    }
}
