import CSodium
import Foundation
import PnyxTransparency

/// Merkle benchmarks: a 2^20-leaf tree built as stored hashes in memory (the tlog-tiles
/// layout a log store keeps), then single-thread rates for inclusion and consistency proof
/// generation (through a ``HashReader``, O(log n) reads each) and verification (RFC 9162
/// §2.1.3.2 / §2.1.4.2), over random leaves and random size pairs. All context figures: the
/// brief sets no bar.
enum MerkleBenchmarks {
    /// A position in a list of precomputed cases, advanced by the (single) measuring thread.
    private final class Cursor: @unchecked Sendable {
        var value = 0
        func next(_ count: Int) -> Int {
            value = value &+ 1
            return value % count
        }
    }

    static func run(_ report: inout BenchReport) throws {
        let size: Int64 = 1 << 20
        let seconds = 1.5
        var random = SystemRandomNumberGenerator()

        // Context: one node hash (SHA-256 of 65 bytes) through MerkleHash, and raw
        // crypto_hash_sha256 on a fixed buffer, interleaved so both see the same load.
        precondition(sodium_init() >= 0, "sodium_init failed")
        let a = MerkleHash.leafHash([1]), b = MerkleHash.leafHash([2])
        let rawInput = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 65)
        let rawOutput = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 32)
        defer { rawInput.deallocate(); rawOutput.deallocate() }
        rawInput.initialize(repeating: 1)
        nonisolated(unsafe) let input = rawInput, output = rawOutput
        var nodeRates: [Double] = [], rawRates: [Double] = []
        for _ in 0..<3 {
            nodeRates.append(Measure.opsPerSecond(seconds: 0.2) { _ in _ = MerkleHash.nodeHash(a, b) })
            rawRates.append(Measure.opsPerSecond(seconds: 0.2) { _ in
                _ = crypto_hash_sha256(output.baseAddress!, input.baseAddress!, 65)
            })
        }
        let nodeRate = nodeRates.sorted()[1], rawRate = rawRates.sorted()[1]
        report.record("merkle.node_hash_per_s", nodeRate, unit: "ops/s")
        report.record("merkle.raw_sha256_65b_per_s", rawRate, unit: "ops/s")

        // Build: leaf hashes of 32-byte entries, appended as stored hashes.
        var store = MemoryHashStore()
        let buildSeconds = Measure.seconds {
            var entry = [UInt8](repeating: 0, count: 32)
            for i in 0..<Int(size) {
                withUnsafeBytes(of: UInt64(i).bigEndian) { entry.replaceSubrange(0..<8, with: $0) }
                store.append(leafHash: .leafHash(entry))
            }
        }
        precondition(store.treeSize == size && Int64(store.hashes.count) == TileMath.storedHashCount(treeSize: size))
        report.record("merkle.build_1m_leaves_s", buildSeconds, unit: "s")
        report.record("merkle.append_per_s", Double(size) / buildSeconds, unit: "leaves/s")
        report.record("merkle.stored_hashes_1m", Double(store.hashes.count), unit: "hashes")
        let frozen = store
        let root = try TileMath.treeHash(treeSize: size, reader: frozen)

        // Tree hash of a random size.
        let sizes = (0..<4096).map { _ in Int64.random(in: 1...size, using: &random) }
        let sizeCursor = Cursor()
        let treeHashRate = Measure.opsPerSecond(seconds: 0.5) { _ in
            _ = try! TileMath.treeHash(treeSize: sizes[sizeCursor.next(sizes.count)], reader: frozen)
        }
        report.record("merkle.tree_hash_per_s", treeHashRate, unit: "ops/s")

        // Inclusion: random leaf of the full tree.
        let leaves = (0..<4096).map { _ in Int64.random(in: 0..<size, using: &random) }
        let proveCursor = Cursor()
        let inclusionProve = Measure.opsPerSecond(seconds: seconds) { _ in
            _ = try! TileMath.inclusionProof(index: leaves[proveCursor.next(leaves.count)], treeSize: size, reader: frozen)
        }
        report.record("merkle.inclusion_prove_per_s", inclusionProve, unit: "ops/s")

        let inclusionCases = try leaves.map { index in
            (index, frozen.hashes[Int(TileMath.storedHashIndex(level: 0, index: index))],
             try TileMath.inclusionProof(index: index, treeSize: size, reader: frozen))
        }
        let verifyCursor = Cursor()
        let inclusionVerify = Measure.opsPerSecond(seconds: seconds) { _ in
            let (index, leafHash, proof) = inclusionCases[verifyCursor.next(inclusionCases.count)]
            _ = try! MerkleProofVerification.verifyInclusion(
                leafHash: leafHash, index: index, treeSize: size, proof: proof, rootHash: root)
        }
        report.record("merkle.inclusion_verify_per_s", inclusionVerify, unit: "ops/s")
        report.record(
            "merkle.inclusion_proof_hashes_avg",
            Double(inclusionCases.map(\.2.count).reduce(0, +)) / Double(inclusionCases.count), unit: "hashes")

        // Consistency: random pairs 1 ≤ old < new ≤ 2^20.
        let pairs: [(old: Int64, new: Int64)] = (0..<4096).map { _ in
            let new = Int64.random(in: 2...size, using: &random)
            return (Int64.random(in: 1..<new, using: &random), new)
        }
        let consistencyCursor = Cursor()
        let consistencyProve = Measure.opsPerSecond(seconds: seconds) { _ in
            let pair = pairs[consistencyCursor.next(pairs.count)]
            _ = try! TileMath.consistencyProof(oldSize: pair.old, newSize: pair.new, reader: frozen)
        }
        report.record("merkle.consistency_prove_per_s", consistencyProve, unit: "ops/s")

        let consistencyCases = try pairs.map { pair in
            (pair.old, pair.new, try TileMath.treeHash(treeSize: pair.old, reader: frozen),
             try TileMath.treeHash(treeSize: pair.new, reader: frozen),
             try TileMath.consistencyProof(oldSize: pair.old, newSize: pair.new, reader: frozen))
        }
        let consistencyVerifyCursor = Cursor()
        let consistencyVerify = Measure.opsPerSecond(seconds: seconds) { _ in
            let (old, new, oldRoot, newRoot, proof) = consistencyCases[consistencyVerifyCursor.next(consistencyCases.count)]
            _ = try! MerkleProofVerification.verifyConsistency(
                oldSize: old, newSize: new, oldRoot: oldRoot, newRoot: newRoot, proof: proof)
        }
        report.record("merkle.consistency_verify_per_s", consistencyVerify, unit: "ops/s")

        // Auditor path: inclusion proofs from tile blobs through TileHashReader, which
        // authenticates every tile it reads against the root (tiles cut from the store).
        // (Not Sendable: it wraps an arbitrary TileReader; used from the one measuring thread.)
        nonisolated(unsafe) let tileReader = TileHashReader(
            treeSize: size, rootHash: root,
            tiles: TileReaderFunction { tiles in try tiles.map { try $0.readData(from: frozen) } })
        let tileCursor = Cursor()
        let tileProve = Measure.opsPerSecond(seconds: 1.0) { _ in
            _ = try! TileMath.inclusionProof(index: leaves[tileCursor.next(leaves.count)], treeSize: size, reader: tileReader)
        }
        report.record("merkle.tile_inclusion_prove_per_s", tileProve, unit: "ops/s")
        report.record("merkle.resident_mib", Measure.residentMegabytes(), unit: "MiB")
    }
}
