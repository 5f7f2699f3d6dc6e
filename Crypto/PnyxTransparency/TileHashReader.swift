/// Reads tile data: from an HTTP tile server, from the files of an export, from a cache.
public protocol TileReader {
    /// The data of each tile, in order: exactly ``Tile/byteCount`` bytes each (a full tile
    /// where a partial one of the same level and index is asked for is not acceptable;
    /// return its first `width` hashes). Throw if a tile is unavailable.
    func readTiles(_ tiles: [Tile]) throws -> [[UInt8]]

    /// Called with tiles that were authenticated against the trusted tree root, so a
    /// caching reader may keep them. The default does nothing.
    func saveTiles(_ tiles: [Tile], data: [[UInt8]])
}

extension TileReader {
    public func saveTiles(_ tiles: [Tile], data: [[UInt8]]) {}
}

/// A ``TileReader`` backed by a closure.
public struct TileReaderFunction: TileReader {
    private let body: ([Tile]) throws -> [[UInt8]]

    /// Wraps `body`, called for every ``readTiles(_:)``.
    public init(_ body: @escaping ([Tile]) throws -> [[UInt8]]) { self.body = body }

    public func readTiles(_ tiles: [Tile]) throws -> [[UInt8]] { try body(tiles) }
}

/// A ``HashReader`` over tile blobs for a tree whose size and root hash the caller trusts
/// (from a verified checkpoint): what an auditor reading an export or a tile server uses
/// to compute proofs with ``TileMath``.
///
/// Each ``readHashes(_:)`` makes one ``TileReader/readTiles(_:)`` call and authenticates
/// every tile before using it (TileHashReader in Go's tlog): the tiles holding the tree's
/// complete-subtree roots must hash to the trusted root, and every other tile must hash to
/// its entry in its (authenticated) parent tile. Tampered or wrong tiles throw
/// `tile.inconsistent`; tiles of the wrong length `tile.malformed`; stored indexes outside
/// the tree `tree.invalid_index`.
public struct TileHashReader: HashReader {
    /// The trusted tree size.
    public let treeSize: Int64
    /// The trusted root hash of that tree.
    public let rootHash: MerkleHash
    private let tiles: any TileReader

    /// A reader for the tree of `treeSize` leaves with root `rootHash`, reading tiles from `tiles`.
    public init(treeSize: Int64, rootHash: MerkleHash, tiles: any TileReader) {
        self.treeSize = treeSize
        self.rootHash = rootHash
        self.tiles = tiles
    }

    public func readHashes(_ indexes: [Int64]) throws -> [MerkleHash] {
        if indexes.isEmpty { return [] }
        guard treeSize > 0 else { throw TransparencyError(.treeInvalidIndex, "the empty tree stores no hashes") }
        let rootIndexes = try TileMath.treeHashIndexes(treeSize: treeSize)  // checks the size
        let limit = TileMath.storedHashIndex(level: 0, index: treeSize)

        var order: [Tile: Int] = [:]  // position of each planned tile in `plan`
        var plan: [Tile] = []

        // Plan the tiles needed to recompute the tree hash: if it matches, they are authentic.
        var rootTileOrder: [Int] = []
        for index in rootIndexes {
            let tile = Tile.tile(forStoredHashIndex: index).parent(0, treeSize: treeSize)!
            if let position = order[tile] {
                rootTileOrder.append(position)
            } else {
                rootTileOrder.append(plan.count)
                order[tile] = plan.count
                plan.append(tile)
            }
        }

        let rootTileCount = plan.count

        // Plan the tiles holding the requested hashes, each after the parents that authenticate it.
        var indexTileOrder: [Int] = []
        for index in indexes {
            guard index >= 0, index < limit else {
                throw TransparencyError(.treeInvalidIndex, "stored hash \(index) is not in the tree of size \(treeSize)")
            }
            let tile = Tile.tile(forStoredHashIndex: index)
            // Walk up until a planned tile: that one will be authenticated.
            var k = 0
            while true {
                guard let parent = tile.parent(k, treeSize: treeSize) else {
                    throw TransparencyError(.treeInvalidIndex, "stored hash \(index) has no tile in the tree of size \(treeSize)")
                }
                if let position = order[parent] {
                    if k == 0 { indexTileOrder.append(position) }
                    break
                }
                k += 1
            }
            // Walk back down, planning each child after its parent.
            k -= 1
            while k >= 0 {
                let child = tile.parent(k, treeSize: treeSize)!
                // A tile with a parent tile is full (only full tiles are hashed into the level above).
                precondition(!child.isPartial, "bad tile math for tree \(treeSize), index \(index)")
                order[child] = plan.count
                if k == 0 { indexTileOrder.append(plan.count) }
                plan.append(child)
                k -= 1
            }
        }

        // Fetch all the tile data in one call.
        let data = try tiles.readTiles(plan)
        guard data.count == plan.count else {
            throw TransparencyError(.readerCountMismatch, "asked for \(plan.count) tiles, got \(data.count)")
        }

        // Authenticate the root tiles against the trusted tree hash.
        let last = rootIndexes.count - 1
        var th = try plan[rootTileOrder[last]].hash(atStoredHashIndex: rootIndexes[last], data: data[rootTileOrder[last]])
        for i in stride(from: last - 1, through: 0, by: -1) {
            let h = try plan[rootTileOrder[i]].hash(atStoredHashIndex: rootIndexes[i], data: data[rootTileOrder[i]])
            th = .nodeHash(h, th)
        }
        guard th == rootHash else {
            throw TransparencyError(.tileInconsistent, "tiles do not hash to the root of the tree of size \(treeSize)")
        }

        // Authenticate every other tile against its parent (planned, and checked, earlier).
        for i in rootTileCount..<plan.count {
            let tile = plan[i]
            let parent = tile.parent(1, treeSize: treeSize)!
            guard let position = order[parent], position < i else {
                preconditionFailure("bad tile math: parent of \(tile.path) not planned before it")
            }
            let expected = try parent.hash(
                atStoredHashIndex: TileMath.storedHashIndex(level: parent.level * Tile.height, index: tile.index),
                data: data[position])
            guard try tile.rootHash(data: data[i]) == expected else {
                throw TransparencyError(.tileInconsistent, "tile \(tile.path) does not hash to its entry in \(parent.path)")
            }
        }

        tiles.saveTiles(plan, data: data)

        // Pull out the requested hashes.
        var hashes: [MerkleHash] = []
        hashes.reserveCapacity(indexes.count)
        for (i, index) in indexes.enumerated() {
            let position = indexTileOrder[i]
            hashes.append(try plan[position].hash(atStoredHashIndex: index, data: data[position]))
        }
        return hashes
    }
}
