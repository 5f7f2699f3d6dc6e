import PnyxCrypto
import Foundation

/// What ``LogExportReader/verify(onEntry:)`` established about an export.
public struct LogExportReport: Sendable, Hashable {
    /// The log identifier.
    public let logID: [UInt8]
    /// The checkpoint origin.
    public let origin: String
    /// The verified tree size (the latest checkpoint's).
    public let treeSize: Int64
    /// The verified root hash.
    public let rootHash: MerkleHash
    /// How many checkpoints were verified.
    public let checkpointCount: Int
    /// The verifier key the checkpoints were checked with.
    public let verifierKey: String
}

/// Reads and verifies an exported log (``LogExport``) in O(log n) memory, bundle by bundle,
/// and stops at the first problem: ``LogExportVerifier`` with every problem thrown.
///
/// Checks: every checkpoint's signature and origin; checkpoint sizes strictly increasing and
/// the last one being `checkpoint`; every entry's framing, position and previous hash (entry 0
/// binds the log id through the genesis hash); every hash tile against the hashes recomputed
/// from the entries; the root of each checkpoint's size against the entries' prefix (so every
/// checkpoint is consistent with the next); and the final root against the latest checkpoint.
/// Each problem is a ``TransparencyError`` with a stable code (`export.*`, `log.*`, `note.*`).
public struct LogExportReader {
    private let verifier: LogExportVerifier

    /// A reader over `fetcher`. With `trustedVerifierKey` (the log's published key, as an
    /// auditor pins it) the export's own `verifier.txt` is ignored; without it, it is trusted.
    public init(fetcher: any LogFetcher, trustedVerifierKey: String? = nil) {
        verifier = LogExportVerifier(fetcher: fetcher, trustedVerifierKey: trustedVerifierKey)
    }

    /// Verifies the whole export, calling `onEntry` with each entry (in order) and its entry
    /// hash after its chain link was checked. Throws the first problem found.
    @discardableResult
    public func verify(onEntry: (LogLeaf, MerkleHash) throws -> Void = { _, _ in }) throws -> LogExportReport {
        let result = try verifier.verify(onProblem: { throw $0.error }, onEntry: { _, leaf, hash in try onEntry(leaf, hash) })
        guard let latest = result.latest else {
            // Unreachable: a missing latest checkpoint was reported, and so thrown.
            throw TransparencyError(.checkpointMalformed, "the latest checkpoint could not be read")
        }
        return LogExportReport(
            logID: result.logID, origin: result.origin, treeSize: result.treeSize, rootHash: latest.rootHash,
            checkpointCount: result.checkpoints.count, verifierKey: result.verifierKey)
    }
}
