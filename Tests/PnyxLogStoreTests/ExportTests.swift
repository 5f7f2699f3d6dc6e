import Foundation
import PnyxLogStore
import PnyxTransparency
import Testing

@Suite("Export and offline verification")
struct ExportTests {
    /// Exports a log of 700 entries with a few checkpoints; returns the folder.
    static func exported() async throws -> (folder: String, logID: [UInt8], size: Int64) {
        let (store, _) = try await LogTestSupport.freshStore()
        let logID = try await LogTestSupport.newLog(store)
        for count in [100, 300, 300] {
            _ = try await LogTestSupport.appendMany(store, logID, count: count)
            try await store.checkpoint(logID: logID, signer: LogTestSupport.signer)
        }
        _ = try await LogTestSupport.appendMany(store, logID, count: 20)  // past the latest checkpoint: not exported
        let folder = NSTemporaryDirectory() + "pnyx-export-\(UUID().uuidString)"
        try await LogExporter(store: store).export(logID: logID, to: folder)
        await store.pool.close()
        return (folder, logID, 700)
    }

    static func verify(_ folder: String, key: String? = nil) throws -> LogExportReport {
        try LogExportReader(fetcher: DirectoryLogFetcher(directory: folder), trustedVerifierKey: key).verify()
    }

    /// A copy of `folder` with `change` applied to one file.
    static func tampered(_ folder: String, _ path: String, _ change: (inout [UInt8]) -> Void) throws -> String {
        let copy = folder + "-t\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.copyItem(atPath: folder, toPath: copy)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: copy + "/" + path)))
        change(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: copy + "/" + path))
        return copy
    }

    static func expectRefused(_ folder: String, _ codes: Set<String>, key: String? = nil, _ comment: Comment) {
        do {
            _ = try verify(folder, key: key)
            Issue.record("tampered export accepted: \(comment)")
        } catch let error as TransparencyError {
            #expect(codes.contains(error.code.rawValue), "\(comment): \(error)")
        } catch {
            Issue.record("\(comment): unexpected \(error)")
        }
    }

    static func bundle(_ folder: String, _ tile: Tile) throws -> [[UInt8]] {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + tile.entriesPath)))
        return try LogExport.parseEntryBundle(data, count: tile.width, path: tile.entriesPath)
    }

    @Test("an export verifies offline: entries, chain, tiles, every checkpoint")
    func exportVerifies() async throws {
        let (folder, logID, size) = try await Self.exported()
        var seen = 0
        let report = try LogExportReader(fetcher: DirectoryLogFetcher(directory: folder),
                                         trustedVerifierKey: LogTestSupport.signer.verifier.verifierKey)
            .verify { leaf, _ in
                #expect(leaf.position == UInt64(seen))
                seen += 1
            }
        #expect(report.logID == logID && report.treeSize == size && report.checkpointCount == 3 && seen == 700)
        #expect(FileManager.default.fileExists(atPath: folder + "/tile/0/002.p/188"))
        #expect(FileManager.default.fileExists(atPath: folder + "/tile/entries/002.p/188"))
        #expect(FileManager.default.fileExists(atPath: folder + "/tile/1/000.p/2"))
    }

    @Test("tampered exports are refused with their codes")
    func tamperedExportsAreRefused() async throws {
        let (folder, _, _) = try await Self.exported()
        let full = try Tile(level: 0, index: 0)
        let partial = try Tile(level: 0, index: 2, width: 188)

        // A flipped payload byte in an entry: the next entry no longer links to it.
        Self.expectRefused(try Self.tampered(folder, full.entriesPath) { $0[60] ^= 1 },
                           ["log.chain_broken"], "flipped entry byte")
        // The very last entry flipped: nothing links to it, but the tiles and root catch it.
        Self.expectRefused(try Self.tampered(folder, partial.entriesPath) { $0[$0.count - 1] ^= 1 },
                           ["export.tile_mismatch", "export.root_mismatch", "export.checkpoint_inconsistent"], "flipped last entry")
        // A flipped byte in a hash tile.
        Self.expectRefused(try Self.tampered(folder, full.path) { $0[100] ^= 1 }, ["export.tile_mismatch"], "tile byte")
        Self.expectRefused(try Self.tampered(folder, "tile/1/000.p/2") { $0[0] ^= 1 }, ["export.tile_mismatch"], "level-1 tile")
        // A flipped byte in the checkpoint signature (inside the base64 of the signature line).
        Self.expectRefused(try Self.tampered(folder, LogExport.checkpointPath) { bytes in
            let i = bytes.count - 10
            bytes[i] = bytes[i] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        }, ["note.bad_signature", "note.malformed"], "checkpoint signature")
        // An entry dropped from a bundle.
        Self.expectRefused(try Self.tampered(folder, partial.entriesPath) { bytes in
            let leaves = try! LogExport.parseEntryBundle(bytes, count: 188, path: "")
            bytes = LogExport.entryBundle(leaves: Array(leaves.dropLast()))
        }, ["export.bundle_malformed"], "dropped entry")
        // Two entries swapped.
        Self.expectRefused(try Self.tampered(folder, full.entriesPath) { bytes in
            var leaves = try! LogExport.parseEntryBundle(bytes, count: 256, path: "")
            leaves.swapAt(10, 11)
            bytes = LogExport.entryBundle(leaves: leaves)
        }, ["log.position_mismatch"], "reordered entries")
        // A checkpoint file missing, and the manifest listing checkpoints out of order.
        let missing = folder + "-missing"
        try FileManager.default.copyItem(atPath: folder, toPath: missing)
        try FileManager.default.removeItem(atPath: missing + "/checkpoints/100")
        Self.expectRefused(missing, ["export.missing_file"], "missing checkpoint")
        Self.expectRefused(try Self.tampered(folder, LogExport.manifestPath) { bytes in
            bytes = Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "100,", with: "400,")
                .replacingOccurrences(of: "400\n", with: "100\n").utf8)
        }, ["export.checkpoint_order", "export.manifest_malformed"], "checkpoints reordered")
        // A key the auditor does not trust.
        Self.expectRefused(folder, ["note.unknown_key"], key: try NoteSigner.generate(name: "pnyx.test").verifier.verifierKey,
                           "untrusted key")
    }

    @Test("a rewritten history is refused against the earlier checkpoints")
    func rewrittenHistoryIsRefused() async throws {
        let (folder, _, _) = try await Self.exported()
        // Replace the export's entries by another, self-consistent log of the same id and
        // size, re-signed: only the earlier checkpoints (signed before) can tell.
        let (store, _) = try await LogTestSupport.freshStore()
        let manifest = try JSONDecoder().decode(
            LogExport.Manifest.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/log.json")))
        let logID = try Array(hex: manifest.logID)
        try await store.createLog(logID: logID, verifierKey: LogTestSupport.signer.verifier.verifierKey, origin: manifest.origin)
        _ = try await LogTestSupport.appendMany(store, logID, count: 700, tag: "forged")
        try await store.checkpoint(logID: logID, signer: LogTestSupport.signer)
        let forged = folder + "-forged"
        try await LogExporter(store: store).export(logID: logID, to: forged)
        // Keep the forged entries, tiles and latest checkpoint, but the original earlier checkpoints.
        for size in [100, 400] {
            try FileManager.default.copyItem(atPath: folder + "/checkpoints/\(size)", toPath: forged + "/checkpoints/\(size)")
        }
        try FileManager.default.removeItem(atPath: forged + "/log.json")
        var patched = manifest
        patched.checkpoints = [100, 400, 700]
        try JSONEncoder().encode(patched).write(to: URL(fileURLWithPath: forged + "/log.json"))
        Self.expectRefused(forged, ["export.checkpoint_inconsistent"], "forked history")
        await store.pool.close()
    }
}

extension Array where Element == UInt8 {
    init(hex: String) throws {
        var out: [UInt8] = []
        var chars = Array(hex.utf8)[...]
        while chars.count >= 2 {
            guard let byte = UInt8(String(decoding: chars.prefix(2), as: UTF8.self), radix: 16) else {
                throw TestFailure("bad hex")
            }
            out.append(byte)
            chars = chars.dropFirst(2)
        }
        self = out
    }
}
