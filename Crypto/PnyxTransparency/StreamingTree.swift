import PnyxCrypto

/// The Merkle tree hash of a growing sequence of leaf hashes in O(log n) memory: the
/// stack of maximal complete subtrees (the tree's right frontier).
struct StreamingTree {
    private var stack: [(height: Int, hash: MerkleHash)] = []
    private(set) var size: Int64 = 0

    mutating func append(_ leafHash: MerkleHash) {
        var node = (height: 0, hash: leafHash)
        while let top = stack.last, top.height == node.height {
            stack.removeLast()
            node = (node.height + 1, .nodeHash(top.hash, node.hash))
        }
        stack.append(node)
        size += 1
    }

    /// MTH of the leaves so far (RFC 9162 §2.1.1).
    var root: MerkleHash {
        guard var hash = stack.last?.hash else { return .emptyTree }
        for node in stack.dropLast().reversed() { hash = .nodeHash(node.hash, hash) }
        return hash
    }
}

/// Checks the hash tiles of an export against hashes recomputed from its entries, holding
/// at most 256 hashes per tile level. A tile that differs is reported (`export.tile_mismatch`)
/// and checking goes on with the recomputed hashes; a tile that cannot be fetched throws.
struct TileChecker {
    let fetcher: any LogFetcher
    private var pending: [[MerkleHash]] = [[]]
    private var indexes: [Int64] = [0]

    init(fetcher: any LogFetcher) { self.fetcher = fetcher }

    /// Adds the next leaf hash.
    mutating func add(_ leafHash: MerkleHash, _ report: (LogProblem) throws -> Void) throws {
        try add(leafHash, level: 0, report)
    }

    private mutating func add(_ hash: MerkleHash, level: Int, _ report: (LogProblem) throws -> Void) throws {
        if pending.count == level {
            pending.append([])
            indexes.append(0)
        }
        pending[level].append(hash)
        guard pending[level].count == Tile.fullWidth else { return }
        let tile = try Tile(level: level, index: indexes[level], width: Tile.fullWidth)
        try check(tile, pending[level], report)
        let root = MerkleTree.rootHash(leafHashes: pending[level][...])
        pending[level].removeAll(keepingCapacity: true)
        indexes[level] += 1
        try add(root, level: level + 1, report)
    }

    /// Checks the tiles left at every level against the published tiles of the tree of
    /// `treeSize` leaves (the size the export claims): when fewer entries were read, the
    /// published tile is still the one of the claimed tree, and it differs.
    mutating func finish(treeSize: Int64, _ report: (LogProblem) throws -> Void) throws {
        var level = 0
        while true {
            let shift = level * Tile.height
            let published = shift >= 63 ? 0 : treeSize >> Int64(shift)  // hashes at this tile level
            let done = level < indexes.count ? indexes[level] * Int64(Tile.fullWidth) : 0
            let hashes = level < pending.count ? pending[level] : []
            let width = min(Int64(Tile.fullWidth), published - done)
            if width <= 0, hashes.isEmpty, level >= pending.count { break }
            if width > 0 {
                let index = level < indexes.count ? indexes[level] : 0
                try check(Tile(level: level, index: index, width: Int(width)), hashes, report)
            } else if !hashes.isEmpty {
                try report(LogProblem(.exportTileMismatch, path: "tile/\(level)",
                                      "\(hashes.count) hashes at tile level \(level) are beyond the tree of \(treeSize) leaves",
                                      expected: "0", computed: "\(hashes.count)"))
            }
            level += 1
        }
    }

    private func check(_ tile: Tile, _ hashes: [MerkleHash], _ report: (LogProblem) throws -> Void) throws {
        let data: [UInt8]
        do { data = try fetcher.fetch(tile.path) } catch let error as TransparencyError { throw error } catch {
            throw TransparencyError(.exportMissingFile, "\(tile.path): \(error)")
        }
        var expected: [UInt8] = []
        expected.reserveCapacity(tile.byteCount)
        for hash in hashes { expected.append(contentsOf: hash.bytes) }
        guard data == expected else {
            // The first differing hash, as evidence (or the lengths, when only they differ).
            let count = MerkleHash.byteCount
            let first = stride(from: 0, to: expected.count, by: count).first {
                $0 + count > data.count || data[$0..<$0 + count] != expected[$0..<$0 + count]
            }
            let evidence: (expected: String, found: String, position: Int64?)
            if let at = first {
                let found = at + count <= data.count ? Hex.encode(Array(data[at..<at + count])) : "\(data.count) bytes"
                let position = tile.level == 0 ? tile.index * Int64(Tile.fullWidth) + Int64(at / count) : nil
                evidence = (Hex.encode(Array(expected[at..<at + count])), found, position)
            } else {
                evidence = ("\(expected.count) bytes", "\(data.count) bytes", nil)
            }
            try report(LogProblem(.exportTileMismatch, position: evidence.position, path: tile.path,
                                  "\(tile.path) does not hold the hashes of the entries",
                                  expected: evidence.expected, computed: evidence.found))
            return
        }
    }
}
