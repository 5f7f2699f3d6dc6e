import Foundation
import PnyxCore
import PnyxCrypto
import PnyxTransparency

/// Builds a poll's log in memory, as the service would (records framed as chained leaves of an
/// RFC 9162 tree, checkpoints signed with the service's key), and writes it as an export
/// folder in the ``LogExport`` layout (manifest, key, checkpoints, tiles, entry bundles), with
/// the published tally as `tally.json`.
struct PollLogBuilder {
    let logID: [UInt8]
    let origin: String
    let signer: NoteSigner
    private(set) var records: [LogRecord] = []
    private(set) var leaves: [[UInt8]] = []
    private(set) var tree = MerkleTree()
    private(set) var hashes = MemoryHashStore()
    /// Signed checkpoint notes by tree size.
    private(set) var checkpoints: [(size: Int64, note: [UInt8])] = []

    init(logID: [UInt8], origin: String, signer: NoteSigner) {
        self.logID = logID
        self.origin = origin
        self.signer = signer
    }

    var size: Int64 { tree.size }
    var previousHash: MerkleHash { tree.size == 0 ? LogLeaf.genesisHash(logID: logID) : tree.leafHashes.last! }

    /// Appends a record as the next leaf.
    mutating func append(_ record: LogRecord) {
        let leaf = try! LogLeaf(position: UInt64(tree.size), previousHash: previousHash, payload: record.leafPayload())
        appendLeaf(leaf.bytes)
        records.append(record)
    }

    /// Appends a raw payload as the next leaf (for other logs, such as the broker's register).
    mutating func append(payload: [UInt8]) {
        appendLeaf(try! LogLeaf(position: UInt64(tree.size), previousHash: previousHash, payload: payload).bytes)
    }

    /// Appends raw leaf bytes (for tampering at build time).
    mutating func appendLeaf(_ bytes: [UInt8]) {
        let hash = MerkleHash.leafHash(bytes)
        leaves.append(bytes)
        tree.append(leafHash: hash)
        hashes.append(leafHash: hash)
    }

    /// Signs a checkpoint of the current tree.
    @discardableResult
    mutating func checkpoint() -> [UInt8] {
        let body = try! Checkpoint(origin: origin, size: UInt64(tree.size), rootHash: tree.rootHash.bytes)
        let note = try! signer.sign(body.note()).serialized()
        checkpoints.append((tree.size, note))
        return note
    }

    /// The tally the service would publish now.
    /// Records the tally refuses are skipped, as the auditor skips them.
    func publishedTally() throws -> TallySummary {
        var tally = Tally()
        for record in records { try? tally.apply(record: record, position: tally.logSize) }
        return tally.summary
    }

    /// Writes the export folder (and tally.json unless `tally` is nil); returns its path.
    func export(to directory: String, tally: TallySummary?) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func write(_ path: String, _ bytes: [UInt8]) throws {
            let url = URL(fileURLWithPath: directory + "/" + path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url)
        }
        guard let latest = checkpoints.last else { throw TestError("no checkpoint") }
        try write(LogExport.verifierPath, Array((signer.verifier.verifierKey + "\n").utf8))
        try write(LogExport.checkpointPath, latest.note)
        for checkpoint in checkpoints { try write(LogExport.checkpointPath(treeSize: checkpoint.size), checkpoint.note) }
        let store = MemoryHashStore(leafHashes: Array(tree.leafHashes.prefix(Int(latest.size))))
        for tile in Tile.newTiles(oldSize: 0, newSize: latest.size) {
            try write(tile.path, try tile.readData(from: store))
            if tile.level == 0 {
                let range = tile.leafRange
                try write(tile.entriesPath, LogExport.entryBundle(leaves: Array(leaves[Int(range.lowerBound)..<Int(range.upperBound)])))
            }
        }
        let manifest = LogExport.Manifest(logID: Hex.encode(logID), origin: origin, treeSize: latest.size,
                                          checkpoints: checkpoints.map(\.size))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try write(LogExport.manifestPath, Array(try encoder.encode(manifest)))
        if let tally { try write("tally.json", try tally.jsonBytes()) }
        return directory
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
