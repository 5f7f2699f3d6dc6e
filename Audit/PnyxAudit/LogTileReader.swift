public import PnyxTransparency

/// A ``TileReader`` over the public log layout (``LogExport``), whose tiles describe the tree
/// of the latest checkpoint (`publishedSize` leaves): any smaller tree's tile is read from the
/// published tile of the same level and index (full, or a wider partial) and cut to its width,
/// as c2sp.org/tlog-tiles allows.
///
/// Tiles are authenticated by ``PnyxTransparency/TileHashReader`` against a trusted root, so
/// this reader trusts nothing it returns.
public struct LogTileReader: TileReader {
    private let fetcher: any LogFetcher
    /// The tree size the published tiles describe.
    public let publishedSize: Int64

    public init(fetcher: any LogFetcher, publishedSize: Int64) {
        self.fetcher = fetcher
        self.publishedSize = publishedSize
    }

    public func readTiles(_ tiles: [Tile]) throws -> [[UInt8]] {
        try tiles.map { tile in
            let shift = tile.level * Tile.height
            let hashesAtLevel = shift >= 63 ? 0 : publishedSize >> Int64(shift)
            let published = min(Int64(Tile.fullWidth), hashesAtLevel - tile.index * Int64(Tile.fullWidth))
            guard published >= Int64(tile.width) else {
                throw TransparencyError(.treeInvalidIndex, "\(tile.path) is not published for a tree of \(publishedSize)")
            }
            let source = try Tile(level: tile.level, index: tile.index, width: Int(published))
            let data = try fetcher.fetch(source.path)
            guard data.count == source.byteCount else {
                throw TransparencyError(.tileMalformed, "\(source.path) has \(data.count) bytes, not \(source.byteCount)")
            }
            return Array(data.prefix(tile.byteCount))
        }
    }
}

/// Merkle roots and proofs of a published log, computed from its tiles and authenticated
/// against a trusted checkpoint (the latest one, verified).
public struct PublishedTree {
    /// The trusted tree size.
    public let size: Int64
    /// The trusted root.
    public let root: MerkleHash
    private let reader: TileHashReader

    /// The tree of `size` leaves with `root`, whose tiles `fetcher` reads from a layout
    /// describing `publishedSize` ≥ `size` leaves.
    public init(size: Int64, root: MerkleHash, fetcher: any LogFetcher, publishedSize: Int64) {
        self.size = size
        self.root = root
        reader = TileHashReader(treeSize: size, rootHash: root,
                                tiles: LogTileReader(fetcher: fetcher, publishedSize: publishedSize))
    }

    /// MTH of the first `prefix` leaves (`prefix` ≤ ``size``).
    public func root(ofPrefix prefix: Int64) throws -> MerkleHash {
        if prefix == size { return root }
        if prefix == 0 { return .emptyTree }
        return try TileMath.treeHash(treeSize: prefix, reader: reader)
    }

    /// The RFC 9162 consistency proof from the first `oldSize` leaves to this tree.
    public func consistencyProof(from oldSize: Int64) throws -> [MerkleHash] {
        try TileMath.consistencyProof(oldSize: oldSize, newSize: size, reader: reader)
    }

    /// The RFC 9162 inclusion proof of leaf `index` in this tree.
    public func inclusionProof(index: Int64) throws -> [MerkleHash] {
        try TileMath.inclusionProof(index: index, treeSize: size, reader: reader)
    }
}
