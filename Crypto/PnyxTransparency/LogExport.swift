/// The layout of an exported log: a folder (or a static HTTP tree) an auditor reads offline.
///
/// ```
/// log.json                      manifest: log id (hex), origin, tree size, checkpoint sizes
/// verifier.txt                  the note verifier key of the log's checkpoints
/// checkpoint                    the latest signed checkpoint (c2sp.org/tlog-checkpoint)
/// checkpoints/<tree size>       every signed checkpoint, one file each
/// tile/<L>/<N>[.p/<W>]          hash tiles of the latest checkpoint's tree (c2sp.org/tlog-tiles)
/// tile/entries/<N>[.p/<W>]      entry bundles: u16be length || leaf bytes, per entry
/// ```
///
/// Tile and bundle paths are the ones a c2sp.org/tlog-tiles server uses, so the same reader
/// works over HTTP with another ``LogFetcher``.
public enum LogExport {
    /// The manifest file.
    public static let manifestPath = "log.json"
    /// The verifier key file.
    public static let verifierPath = "verifier.txt"
    /// The latest checkpoint.
    public static let checkpointPath = "checkpoint"
    /// The folder of every checkpoint.
    public static let checkpointsFolder = "checkpoints"

    /// `checkpoints/<treeSize>`.
    public static func checkpointPath(treeSize: Int64) -> String { "\(checkpointsFolder)/\(treeSize)" }

    /// The manifest: `{"log_id": "<hex>", "origin": "…", "tree_size": n, "checkpoints": [n…]}`.
    public struct Manifest: Sendable, Hashable, Codable {
        /// The log identifier, lower-case hex.
        public var logID: String
        /// The checkpoint origin line.
        public var origin: String
        /// The latest checkpoint's tree size (the size the tiles describe).
        public var treeSize: Int64
        /// Every exported checkpoint's tree size, increasing.
        public var checkpoints: [Int64]

        public init(logID: String, origin: String, treeSize: Int64, checkpoints: [Int64]) {
            self.logID = logID
            self.origin = origin
            self.treeSize = treeSize
            self.checkpoints = checkpoints
        }

        enum CodingKeys: String, CodingKey {
            case logID = "log_id", origin, treeSize = "tree_size", checkpoints
        }
    }

    /// An entry bundle's bytes for these leaves (each u16be length || leaf).
    public static func entryBundle(leaves: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        for leaf in leaves {
            out.append(UInt8(truncatingIfNeeded: leaf.count >> 8))
            out.append(UInt8(truncatingIfNeeded: leaf.count))
            out.append(contentsOf: leaf)
        }
        return out
    }

    /// Splits an entry bundle into leaves. Throws `export.bundle_malformed` for a truncated
    /// bundle or one with a different number of entries than `count`.
    public static func parseEntryBundle(_ data: [UInt8], count: Int, path: String) throws(TransparencyError) -> [[UInt8]] {
        var leaves: [[UInt8]] = []
        leaves.reserveCapacity(count)
        var offset = 0
        while offset < data.count {
            guard offset + 2 <= data.count else {
                throw TransparencyError(.exportBundleMalformed, "\(path): truncated length at byte \(offset)")
            }
            let length = Int(data[offset]) << 8 | Int(data[offset + 1])
            offset += 2
            guard offset + length <= data.count else {
                throw TransparencyError(.exportBundleMalformed, "\(path): entry \(leaves.count) runs past the end")
            }
            leaves.append(Array(data[offset..<offset + length]))
            offset += length
        }
        guard leaves.count == count else {
            throw TransparencyError(.exportBundleMalformed, "\(path): holds \(leaves.count) entries, expected \(count)")
        }
        return leaves
    }
}

/// Fetches the files of an exported log by relative path (``LogExport``): from a folder
/// (``DirectoryLogFetcher``) or, later, over HTTP.
public protocol LogFetcher {
    /// The file's bytes. Throw `export.missing_file` if it does not exist.
    func fetch(_ path: String) throws -> [UInt8]
}

extension TransparencyError.Code {
    /// A file of the export is missing or unreadable.
    public static let exportMissingFile = Self(rawValue: "export.missing_file")
    /// The manifest (log.json) is malformed or contradicts the checkpoints.
    public static let exportManifestMalformed = Self(rawValue: "export.manifest_malformed")
    /// An entry bundle is truncated or holds the wrong number of entries.
    public static let exportBundleMalformed = Self(rawValue: "export.bundle_malformed")
    /// A checkpoint's origin is not the log's.
    public static let exportOriginMismatch = Self(rawValue: "export.origin_mismatch")
    /// Checkpoints are not in strictly increasing tree size, or the latest is not the last.
    public static let exportCheckpointOrder = Self(rawValue: "export.checkpoint_order")
    /// A checkpoint's root is not the root of the exported entries' prefix of its size
    /// (the log was rewritten or forked after that checkpoint).
    public static let exportCheckpointInconsistent = Self(rawValue: "export.checkpoint_inconsistent")
    /// A hash tile does not hold the hashes recomputed from the entries.
    public static let exportTileMismatch = Self(rawValue: "export.tile_mismatch")
    /// The entries' tree root is not the latest checkpoint's root.
    public static let exportRootMismatch = Self(rawValue: "export.root_mismatch")
}
