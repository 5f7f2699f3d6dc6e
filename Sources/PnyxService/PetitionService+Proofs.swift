public import PnyxCore
public import PnyxLogStore
import PnyxTransparency

/// A fresh inclusion proof of one entry.
public struct InclusionProofAnswer: Codable, Sendable, Hashable {
    public let pollID: PollID
    public let position: Int64
    /// The entry hash (RFC 9162 leaf hash), hex.
    public let entryHash: String
    public let treeSize: Int64
    /// The signed checkpoint of `treeSize`, when one exists at exactly that size.
    public let checkpoint: String?
    /// RFC 9162 §2.1.3 proof hashes, hex.
    public let proof: [String]
}

/// A consistency proof between two tree sizes.
public struct ConsistencyProofAnswer: Codable, Sendable, Hashable {
    public let pollID: PollID
    public let oldSize: Int64
    public let newSize: Int64
    /// Signed checkpoints at exactly those sizes, when they exist.
    public let oldCheckpoint: String?
    public let newCheckpoint: String?
    /// RFC 9162 §2.1.4 proof hashes, hex.
    public let proof: [String]
}

extension PetitionService {
    /// The inclusion proof of the entry at `position` in the tree of `treeSize` entries, or
    /// of a signed checkpoint covering it when `treeSize` is nil (made if needed).
    public func inclusionProof(_ id: PollID, position: Int64, treeSize: Int64?) async throws -> InclusionProofAnswer {
        let head = try await store.head(logID: id.bytes)
        guard position >= 0, position < head.size else {
            throw ServiceError(.proofInvalidRange, .notFound, "poll \(id) has no entry at position \(position) (its log has \(head.size))")
        }
        let size: Int64
        var note: String? = nil
        if let treeSize {
            guard treeSize > position, treeSize <= head.size else {
                throw ServiceError(.proofInvalidRange, .badRequest, "the tree size must be in \(position + 1)…\(head.size)")
            }
            size = treeSize
            note = try await checkpoint(id, size: treeSize)?.note
        } else {
            let checkpoint = try await checkpoints.covering(id.bytes, size: position + 1)
            size = checkpoint.treeSize
            note = checkpoint.note
        }
        let entry = try await store.entries(logID: id.bytes, position..<(position + 1))
        let proof = try await store.inclusionProof(logID: id.bytes, index: position, treeSize: size)
        return InclusionProofAnswer(pollID: id, position: position, entryHash: entry.first?.entryHash.hex ?? "", treeSize: size,
                                    checkpoint: note, proof: proof.map(\.hex))
    }

    /// The consistency proof from `oldSize` to `newSize` (nil: the latest checkpoint's size).
    public func consistencyProof(_ id: PollID, oldSize: Int64, newSize: Int64?) async throws -> ConsistencyProofAnswer {
        _ = try await poll(id)
        let head = try await store.head(logID: id.bytes)
        let target: Int64
        if let newSize { target = newSize } else {
            guard let latest = try await store.latestCheckpoint(logID: id.bytes) else {
                throw ServiceError(.proofInvalidRange, .notFound, "poll \(id) has no checkpoint yet")
            }
            target = latest.treeSize
        }
        guard oldSize >= 0, oldSize <= target, target <= head.size else {
            throw ServiceError(.proofInvalidRange, .badRequest, "need 0 ≤ from ≤ to ≤ \(head.size), got \(oldSize) and \(target)")
        }
        let proof = try await store.consistencyProof(logID: id.bytes, oldSize: oldSize, newSize: target)
        return ConsistencyProofAnswer(
            pollID: id, oldSize: oldSize, newSize: target, oldCheckpoint: try await checkpoint(id, size: oldSize)?.note,
            newCheckpoint: try await checkpoint(id, size: target)?.note, proof: proof.map(\.hex))
    }

    /// The stored checkpoint of exactly `size` entries, if any.
    public func checkpoint(_ id: PollID, size: Int64) async throws -> StoredCheckpoint? {
        guard size > 0 else { return nil }
        let found = try await store.checkpoints(logID: id.bytes, after: size - 1, limit: 1)
        return found.first.flatMap { $0.treeSize == size ? $0 : nil }
    }

    /// The latest checkpoint, signing one now if the log grew past it (nil for an empty log).
    public func latestCheckpoint(_ id: PollID) async throws -> StoredCheckpoint? {
        let head = try await store.head(logID: id.bytes)
        guard head.size > 0 else { return nil }
        return try await checkpoints.covering(id.bytes, size: head.size)
    }
}
