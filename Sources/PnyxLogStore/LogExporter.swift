public import PnyxTransparency
import Foundation
import PnyxPostgres

/// Writes a log as a folder an auditor reads offline (layout: ``PnyxTransparency/LogExport``):
/// the checkpoints, the verifier key, the manifest, the hash tiles of the latest checkpoint's
/// tree and the entry bundles. Streams: entries are read one bundle (256) at a time, tiles
/// one at a time, checkpoints 1000 at a time, so memory does not grow with the log.
public struct LogExporter: Sendable {
    /// The store to read.
    public let store: LogStore

    public init(store: LogStore) { self.store = store }

    /// Exports the log up to its latest checkpoint into `directory` (created if missing) and
    /// returns the manifest written. Throws `logstore.no_checkpoint` if it has none yet.
    @discardableResult
    public func export(logID: [UInt8], to directory: String) async throws -> LogExport.Manifest {
        guard let info = try await store.info(logID: logID) else {
            throw LogStoreError(.unknownLog, "no log \(logID.hexString)")
        }
        guard let latest = try await store.latestCheckpoint(logID: logID) else {
            throw LogStoreError(.noCheckpoint, "log \(logID.hexString) has no checkpoint to export")
        }
        let writer = try ExportWriter(directory: directory)
        try writer.write(LogExport.verifierPath, Array((info.verifierKey + "\n").utf8))

        var sizes: [Int64] = []
        var after: Int64? = nil
        while true {
            let page = try await store.checkpoints(logID: logID, after: after, limit: 1000)
            guard let last = page.last else { break }
            for checkpoint in page where checkpoint.treeSize <= latest.treeSize {
                try writer.write(LogExport.checkpointPath(treeSize: checkpoint.treeSize), Array(checkpoint.note.utf8))
                sizes.append(checkpoint.treeSize)
            }
            if last.treeSize >= latest.treeSize { break }
            after = last.treeSize
        }
        try writer.write(LogExport.checkpointPath, Array(latest.note.utf8))

        for tile in Tile.newTiles(oldSize: 0, newSize: latest.treeSize) {
            try writer.write(tile.path, try await store.tile(logID: logID, tile))
            if tile.level == 0 {
                try writer.write(tile.entriesPath, try await store.entryBundle(logID: logID, tile))
            }
        }

        let manifest = LogExport.Manifest(
            logID: logID.hexString, origin: info.origin, treeSize: latest.treeSize, checkpoints: sizes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try writer.write(LogExport.manifestPath, [UInt8](try encoder.encode(manifest)))
        return manifest
    }
}

/// Writes files under a folder, creating parent folders as needed.
struct ExportWriter {
    let root: URL

    init(directory: String) throws {
        root = URL(fileURLWithPath: directory, isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    func write(_ path: String, _ bytes: [UInt8]) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
}
