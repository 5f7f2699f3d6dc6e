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

/// Reads and verifies an exported log (``LogExport``) in O(log n) memory, bundle by bundle.
///
/// Checks: every checkpoint's signature and origin; checkpoint sizes strictly increasing and
/// the last one being `checkpoint`; every entry's framing, position and previous hash (entry 0
/// binds the log id through the genesis hash); every hash tile against the hashes recomputed
/// from the entries; the root of each checkpoint's size against the entries' prefix (so every
/// checkpoint is consistent with the next); and the final root against the latest checkpoint.
/// Each problem is a ``TransparencyError`` with a stable code (`export.*`, `log.*`, `note.*`).
public struct LogExportReader {
    private let fetcher: any LogFetcher
    private let trustedVerifierKey: String?

    /// A reader over `fetcher`. With `trustedVerifierKey` (the log's published key, as an
    /// auditor pins it) the export's own `verifier.txt` is ignored; without it, it is trusted.
    public init(fetcher: any LogFetcher, trustedVerifierKey: String? = nil) {
        self.fetcher = fetcher
        self.trustedVerifierKey = trustedVerifierKey
    }

    /// Verifies the whole export, calling `onEntry` with each entry (in order) and its entry
    /// hash after its chain link was checked. Throws the first problem found.
    @discardableResult
    public func verify(onEntry: (LogLeaf, MerkleHash) throws -> Void = { _, _ in }) throws -> LogExportReport {
        let keyText = try trustedVerifierKey ?? String(decoding: fetch(LogExport.verifierPath), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let verifiers = try NoteVerifierSet([NoteVerifier(verifierKey: keyText)])
        let manifest = try readManifest()
        let logID: [UInt8]
        do { logID = try Hex.decode(manifest.logID) } catch {
            throw TransparencyError(.exportManifestMalformed, "log_id is not hexadecimal")
        }
        let latest = try readCheckpoint(LogExport.checkpointPath, verifiers, manifest.origin)
        guard Int64(latest.size) == manifest.treeSize else {
            throw TransparencyError(.exportManifestMalformed, "log.json says size \(manifest.treeSize), checkpoint \(latest.size)")
        }
        let latestRoot = try MerkleHash(bytes: latest.rootHash)

        // Every checkpoint, in strictly increasing order, the last being the latest.
        var expected: [(size: Int64, root: MerkleHash)] = []
        for size in manifest.checkpoints {
            guard size > (expected.last?.size ?? -1) else {
                throw TransparencyError(.exportCheckpointOrder, "checkpoint \(size) does not follow \(expected.last?.size ?? -1)")
            }
            let checkpoint = try readCheckpoint(LogExport.checkpointPath(treeSize: size), verifiers, manifest.origin)
            guard Int64(checkpoint.size) == size else {
                throw TransparencyError(.exportCheckpointOrder, "checkpoints/\(size) holds a checkpoint of size \(checkpoint.size)")
            }
            expected.append((size, try MerkleHash(bytes: checkpoint.rootHash)))
        }
        if let last = expected.last, last.size != manifest.treeSize || last.root != latestRoot {
            throw TransparencyError(.exportCheckpointOrder, "the last checkpoint is not the latest one")
        }

        // Stream the entries, rebuilding the tree and the tiles.
        var tree = StreamingTree()
        var tiles = TileChecker(fetcher: fetcher)
        var next = 0  // next checkpoint in `expected` to check
        func checkCheckpoints() throws(TransparencyError) {
            while next < expected.count, expected[next].size == tree.size {
                guard tree.root == expected[next].root else {
                    throw TransparencyError(
                        .exportCheckpointInconsistent,
                        "checkpoint \(expected[next].size) does not match the root of the first \(tree.size) entries")
                }
                next += 1
            }
        }
        try checkCheckpoints()
        var previous = LogLeaf.genesisHash(logID: logID)
        let size = manifest.treeSize
        var bundleIndex: Int64 = 0
        while bundleIndex * Int64(Tile.fullWidth) < size {
            let first = bundleIndex * Int64(Tile.fullWidth)
            let tile = try Tile(level: 0, index: bundleIndex, width: Int(min(Int64(Tile.fullWidth), size - first)))
            let leaves = try LogExport.parseEntryBundle(fetch(tile.entriesPath), count: tile.width, path: tile.entriesPath)
            for (offset, bytes) in leaves.enumerated() {
                let position = first + Int64(offset)
                let leaf = try LogLeaf(bytes: bytes)
                guard leaf.position == UInt64(position) else {
                    throw TransparencyError(.logPositionMismatch, "entry at \(position) says position \(leaf.position)")
                }
                guard leaf.previousHash == previous else {
                    throw TransparencyError(.logChainBroken, "entry \(position) does not link to the entry before it")
                }
                let hash = MerkleHash.leafHash(bytes)
                try onEntry(leaf, hash)
                tree.append(hash)
                try tiles.add(hash)
                try checkCheckpoints()
                previous = hash
            }
            bundleIndex += 1
        }
        try tiles.finish()
        guard tree.root == latestRoot else {
            throw TransparencyError(.exportRootMismatch, "the entries' root is not the checkpoint's root at size \(size)")
        }
        return LogExportReport(
            logID: logID, origin: manifest.origin, treeSize: size, rootHash: latestRoot,
            checkpointCount: expected.count, verifierKey: keyText)
    }

    private func fetch(_ path: String) throws -> [UInt8] {
        do { return try fetcher.fetch(path) } catch let error as TransparencyError { throw error } catch {
            throw TransparencyError(.exportMissingFile, "\(path): \(error)")
        }
    }

    private func readManifest() throws -> LogExport.Manifest {
        let data = try fetch(LogExport.manifestPath)
        do { return try JSONDecoder().decode(LogExport.Manifest.self, from: Data(data)) } catch {
            throw TransparencyError(.exportManifestMalformed, "log.json: \(error)")
        }
    }

    private func readCheckpoint(_ path: String, _ verifiers: NoteVerifierSet, _ origin: String) throws -> Checkpoint {
        let note = try verifiers.open(fetch(path))
        let checkpoint = try Checkpoint(note: note)
        guard checkpoint.origin == origin else {
            throw TransparencyError(.exportOriginMismatch, "\(path) has origin \(checkpoint.origin), not \(origin)")
        }
        return checkpoint
    }
}
