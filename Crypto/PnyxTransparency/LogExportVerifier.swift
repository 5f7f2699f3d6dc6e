import PnyxCrypto
import Foundation

/// Verifies an exported log (``LogExport``) in O(log n) memory, bundle by bundle, and reports
/// every problem instead of stopping at the first (an auditor lists them all).
///
/// Checks: every checkpoint's signature and origin; checkpoint sizes strictly increasing and
/// the last one being `checkpoint`; every entry's framing, position and previous hash (entry 0
/// binds the log id through the genesis hash); every hash tile against the hashes recomputed
/// from the entries; the root of each checkpoint's size against the entries' prefix (so every
/// checkpoint is consistent with the next); and the final root against the latest checkpoint.
///
/// Problems (``LogProblem``, codes `export.*`, `log.*`, `note.*`, `checkpoint.*`) go to
/// `onProblem`; if it throws, verification stops there (``LogExportReader`` does that).
/// Only what makes going on impossible is thrown: a file that cannot be fetched
/// (`export.missing_file`, or the fetcher's own error), a malformed manifest, an unusable
/// verifier key.
public struct LogExportVerifier {
    private let fetcher: any LogFetcher
    private let trustedVerifierKey: String?

    /// A verifier over `fetcher`. With `trustedVerifierKey` (the log's published key, as an
    /// auditor pins it) the export's own `verifier.txt` is ignored; without it, it is trusted.
    public init(fetcher: any LogFetcher, trustedVerifierKey: String? = nil) {
        self.fetcher = fetcher
        self.trustedVerifierKey = trustedVerifierKey
    }

    /// Verifies the whole export. Calls `onEntry` with each well-formed entry, in order, with
    /// its position in the export and its entry hash, after its position and chain link were
    /// checked (and their problems reported).
    public func verify(
        onProblem: (LogProblem) throws -> Void = { _ in },
        onEntry: (Int64, LogLeaf, MerkleHash) throws -> Void = { _, _, _ in }
    ) throws -> LogExportVerification {
        var problems: [LogProblem] = []
        func report(_ problem: LogProblem) throws {
            problems.append(problem)
            try onProblem(problem)
        }

        let keyText = try trustedVerifierKey ?? String(decoding: fetch(LogExport.verifierPath), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let verifiers = try NoteVerifierSet([NoteVerifier(verifierKey: keyText)])
        let manifest = try readManifest()
        let logID: [UInt8]
        do { logID = try Hex.decode(manifest.logID) } catch {
            throw TransparencyError(.exportManifestMalformed, "log_id is not hexadecimal")
        }
        guard manifest.treeSize >= 0, manifest.treeSize <= TileMath.maxTreeSize else {
            throw TransparencyError(.exportManifestMalformed, "log.json has tree size \(manifest.treeSize)")
        }
        let latest = try readCheckpoint(LogExport.checkpointPath, verifiers, manifest.origin, report)
        if let latest, latest.size != manifest.treeSize {
            throw TransparencyError(.exportManifestMalformed, "log.json says size \(manifest.treeSize), checkpoint \(latest.checkpoint.size)")
        }

        // Every checkpoint, in strictly increasing order, the last being the latest.
        var checkpoints: [ExportedCheckpoint] = []
        var expected: [(size: Int64, root: MerkleHash, path: String)] = []
        for size in manifest.checkpoints {
            let path = LogExport.checkpointPath(treeSize: size)
            guard size > (expected.last?.size ?? -1), size <= manifest.treeSize else {
                try report(LogProblem(.exportCheckpointOrder, path: path,
                                      "checkpoint \(size) does not follow \(expected.last?.size ?? -1) or is past the tree size \(manifest.treeSize)"))
                continue
            }
            guard let checkpoint = try readCheckpoint(path, verifiers, manifest.origin, report) else { continue }
            guard checkpoint.size == size else {
                try report(LogProblem(.exportCheckpointOrder, path: path, "checkpoints/\(size) holds a checkpoint of size \(checkpoint.checkpoint.size)",
                                      expected: "\(size)", computed: "\(checkpoint.checkpoint.size)"))
                continue
            }
            checkpoints.append(checkpoint)
            expected.append((size, checkpoint.rootHash, path))
        }
        if let latest, let last = expected.last, last.size != latest.size || last.root != latest.rootHash {
            try report(LogProblem(.exportCheckpointOrder, path: last.path, "the last checkpoint is not the latest one",
                                  expected: "\(latest.size) \(latest.rootHash.hex)", computed: "\(last.size) \(last.root.hex)"))
        }

        // Stream the entries, rebuilding the tree and the tiles.
        var tree = StreamingTree()
        var tiles = TileChecker(fetcher: fetcher)
        var next = 0  // next checkpoint in `expected` to check
        func checkCheckpoints() throws {
            while next < expected.count, expected[next].size <= tree.size {
                if expected[next].size == tree.size, tree.root != expected[next].root {
                    try report(LogProblem(
                        .exportCheckpointInconsistent, path: expected[next].path,
                        "checkpoint \(expected[next].size) does not match the root of the first \(tree.size) entries",
                        expected: expected[next].root.hex, computed: tree.root.hex))
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
            let leaves = try readBundle(tile, report)
            for (offset, bytes) in leaves.enumerated() {
                let position = first + Int64(offset)
                let hash = MerkleHash.leafHash(bytes)
                do {
                    let leaf = try LogLeaf(bytes: bytes)
                    if leaf.position != UInt64(position) {
                        try report(LogProblem(.logPositionMismatch, position: position, path: tile.entriesPath,
                                              "entry at \(position) says position \(leaf.position)",
                                              expected: "\(position)", computed: "\(leaf.position)"))
                    }
                    if leaf.previousHash != previous {
                        try report(LogProblem(.logChainBroken, position: position, path: tile.entriesPath,
                                              "entry \(position) does not link to the entry before it",
                                              expected: previous.hex, computed: leaf.previousHash.hex))
                    }
                    try onEntry(position, leaf, hash)
                } catch let error as TransparencyError where error.code == .logLeafMalformed {
                    try report(LogProblem(.logLeafMalformed, position: position, path: tile.entriesPath, error.reason))
                }
                tree.append(hash)
                try tiles.add(hash, report)
                try checkCheckpoints()
                previous = hash
            }
            bundleIndex += 1
        }
        try tiles.finish(treeSize: size, report)
        for pending in expected[next...] {
            try report(LogProblem(.exportCheckpointInconsistent, path: pending.path,
                                  "checkpoint \(pending.size) is past the \(tree.size) entries read",
                                  expected: "\(pending.size)", computed: "\(tree.size)"))
        }
        if let latest, tree.size != size || tree.root != latest.rootHash {
            try report(LogProblem(.exportRootMismatch, path: LogExport.checkpointPath,
                                  "the root of the \(tree.size) entries read is not the checkpoint's root at size \(size)",
                                  expected: latest.rootHash.hex, computed: tree.root.hex))
        }
        return LogExportVerification(
            logID: logID, origin: manifest.origin, treeSize: size, latest: latest, checkpoints: checkpoints,
            entriesRead: tree.size, computedRoot: tree.root, verifierKey: keyText, problems: problems)
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

    /// Reads an entry bundle; a malformed one is reported and read as far as it goes.
    private func readBundle(_ tile: Tile, _ report: (LogProblem) throws -> Void) throws -> [[UInt8]] {
        let data = try fetch(tile.entriesPath)
        do { return try LogExport.parseEntryBundle(data, count: tile.width, path: tile.entriesPath) } catch {
            try report(LogProblem(.exportBundleMalformed, position: tile.leafRange.lowerBound, path: tile.entriesPath, error.reason))
            var leaves: [[UInt8]] = []
            var offset = 0
            while offset + 2 <= data.count {
                let length = Int(data[offset]) << 8 | Int(data[offset + 1])
                guard offset + 2 + length <= data.count else { break }
                leaves.append(Array(data[offset + 2..<offset + 2 + length]))
                offset += 2 + length
            }
            return Array(leaves.prefix(tile.width))
        }
    }

    /// Reads a checkpoint. A bad signature or origin is reported and the checkpoint still
    /// returned (unverified); an unparseable one is reported and `nil` returned.
    private func readCheckpoint(
        _ path: String, _ verifiers: NoteVerifierSet, _ origin: String, _ report: (LogProblem) throws -> Void
    ) throws -> ExportedCheckpoint? {
        let bytes = try fetch(path)
        var verified = true
        let note: Note
        do { note = try verifiers.open(bytes) } catch {
            try report(LogProblem(error.code, path: path, "\(path): \(error.reason)"))
            verified = false
            guard let unverified = try? Note(parsing: bytes) else { return nil }
            note = unverified
        }
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint(note: note) } catch {
            try report(LogProblem(error.code, path: path, "\(path): \(error.reason)"))
            return nil
        }
        guard checkpoint.size <= UInt64(TileMath.maxTreeSize) else {
            try report(LogProblem(.checkpointMalformed, path: path, "\(path): tree size \(checkpoint.size) is too large"))
            return nil
        }
        if checkpoint.origin != origin {
            try report(LogProblem(.exportOriginMismatch, path: path, "\(path) has origin \(checkpoint.origin), not \(origin)",
                                  expected: origin, computed: checkpoint.origin))
        }
        return ExportedCheckpoint(path: path, checkpoint: checkpoint, note: bytes, signatureVerified: verified)
    }
}
