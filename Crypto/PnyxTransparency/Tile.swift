/// A tile of a tiled transparency log (c2sp.org/tlog-tiles): up to 256 consecutive Merkle
/// tree hashes at one tile level, served at `tile/<L>/<N>[.p/<W>]`.
///
/// Tiles have height 8: a level-L tile holds hashes of tree level 8·L; the i-th hash of
/// tile N at level L is MTH(D[(N·256 + i)·256^L : (N·256 + i + 1)·256^L]). A *full* tile
/// holds 256 hashes (8,192 bytes); the rightmost tile of a level is usually *partial*
/// (width 1…255, served with the `.p/<W>` suffix). Level-0 tiles pair with *entry bundles*
/// at `tile/entries/<N>[.p/<W>]`, which hold the entries whose leaf hashes the tile holds.
public struct Tile: Hashable, Sendable, CustomStringConvertible {
    /// Tile height: each tile spans 8 tree levels.
    public static let height = 8
    /// Hashes in a full tile (2^height).
    public static let fullWidth = 256
    /// The highest tile level c2sp.org/tlog-tiles allows.
    public static let maxLevel = 63

    /// The tile level `<L>` (0 = leaf hashes).
    public let level: Int
    /// The tile's index `<N>` within its level.
    public let index: Int64
    /// The number of hashes, 1…256 (256 for a full tile).
    public let width: Int

    /// Throws `tile.malformed` unless 0 ≤ level ≤ 63, index ≥ 0, 1 ≤ width ≤ 256, and the
    /// tile lies within a tree of at most `Int64.max` leaves (so every `Tile` value's
    /// ``leafRange`` and stored hash indexes are computable without overflow).
    public init(level: Int, index: Int64, width: Int = Tile.fullWidth) throws(TransparencyError) {
        guard (0...Self.maxLevel).contains(level), index >= 0, (1...Self.fullWidth).contains(width),
              Self.leafEnd(level, index, width) != nil
        else {
            throw TransparencyError(.tileMalformed, "no tile has level \(level), index \(index), width \(width)")
        }
        self.init(unchecked: level, index, width)
    }

    /// (index·256 + width)·256^level, or nil if it does not fit in an Int64.
    private static func leafEnd(_ level: Int, _ index: Int64, _ width: Int) -> Int64? {
        let (scaled, o1) = index.multipliedReportingOverflow(by: Int64(fullWidth))
        var (end, o2) = scaled.addingReportingOverflow(Int64(width))
        if o1 || o2 { return nil }
        for _ in 0..<level {
            let (next, o) = end.multipliedReportingOverflow(by: Int64(fullWidth))
            if o { return nil }
            end = next
        }
        return end
    }

    init(unchecked level: Int, _ index: Int64, _ width: Int) {
        self.level = level
        self.index = index
        self.width = width
    }

    /// True for a tile of fewer than 256 hashes.
    public var isPartial: Bool { width < Self.fullWidth }

    /// The same tile at full width.
    public var full: Tile { Tile(unchecked: level, index, Self.fullWidth) }

    /// The byte length of the tile's data (32 bytes per hash).
    public var byteCount: Int { width * MerkleHash.byteCount }

    /// The leaves its hashes span: [index·256^(level+1), (index·256 + width)·256^level).
    public var leafRange: Range<Int64> {
        let end = Self.leafEnd(level, index, width)!  // checked when the tile was made
        return (index << Int64((level + 1) * Self.height))..<end
    }

    /// True if the tree of `treeSize` leaves has all of this tile's hashes (a tile server
    /// must check this before cutting the tile from its stored hashes).
    public func exists(inTreeOfSize treeSize: Int64) -> Bool {
        leafRange.upperBound <= treeSize
    }

    // MARK: Paths

    /// `tile/<L>/<N>[.p/<W>]`, e.g. `tile/0/x001/x234/067.p/8`.
    public var path: String { "tile/\(level)/\(Self.encodeIndex(index))\(partialSuffix)" }

    /// The matching entry bundle path `tile/entries/<N>[.p/<W>]` (meaningful for level 0).
    public var entriesPath: String { "tile/entries/\(Self.encodeIndex(index))\(partialSuffix)" }

    public var description: String { path }

    private var partialSuffix: String { isPartial ? ".p/\(width)" : "" }

    /// `<N>`: zero-padded 3-digit path elements, all but the last prefixed with `x`
    /// (1234067 → `x001/x234/067`, 5 → `005`).
    public static func encodeIndex(_ index: Int64) -> String {
        precondition(index >= 0, "negative tile index")
        var groups = [Self.threeDigits(index % 1000)]
        var rest = index / 1000
        while rest > 0 {
            groups.append("x" + Self.threeDigits(rest % 1000))
            rest /= 1000
        }
        return groups.reversed().joined(separator: "/")
    }

    private static func threeDigits(_ value: Int64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: 3 - digits.count) + digits
    }

    /// Parses a canonical tile path `tile/<L>/<N>[.p/<W>]` (no leading prefix, no leading
    /// or trailing slash). Throws `tile.invalid_path` for anything else, including
    /// non-canonical spellings (leading zeros, `.p/256`, a surplus `x000/` group) and tiles
    /// beyond any tree of `Int64.max` leaves. Whether the tile exists yet is for the caller
    /// to check, with ``exists(inTreeOfSize:)``.
    public init(path: String) throws(TransparencyError) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "tile", parts[1] != "entries",
              let level = Self.decimal(parts[1]), level <= Int64(Self.maxLevel)
        else { throw TransparencyError(.tileInvalidPath, "not a tile path: \(path)") }
        let (index, width) = try Self.parseIndexAndWidth(parts[2...], path: path)
        guard Self.leafEnd(Int(level), index, width) != nil else {
            throw TransparencyError(.tileInvalidPath, "tile beyond any tree of Int64.max leaves: \(path)")
        }
        self.init(unchecked: Int(level), index, width)
        guard self.path == path else { throw TransparencyError(.tileInvalidPath, "not a canonical tile path: \(path)") }
    }

    /// Parses a canonical entry bundle path `tile/entries/<N>[.p/<W>]` into its level-0
    /// tile. Throws `tile.invalid_path` for anything else.
    public init(entriesPath path: String) throws(TransparencyError) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 3, parts[0] == "tile", parts[1] == "entries" else {
            throw TransparencyError(.tileInvalidPath, "not an entry bundle path: \(path)")
        }
        let (index, width) = try Self.parseIndexAndWidth(parts[2...], path: path)
        guard Self.leafEnd(0, index, width) != nil else {
            throw TransparencyError(.tileInvalidPath, "entry bundle beyond any tree of Int64.max leaves: \(path)")
        }
        self.init(unchecked: 0, index, width)
        guard entriesPath == path else {
            throw TransparencyError(.tileInvalidPath, "not a canonical entry bundle path: \(path)")
        }
    }

    private static func parseIndexAndWidth(
        _ parts: ArraySlice<Substring>, path: String
    ) throws(TransparencyError) -> (Int64, Int) {
        var elements = Array(parts)
        var width = fullWidth
        if elements.count >= 2, elements[elements.count - 2].hasSuffix(".p") {
            guard let w = decimal(elements.removeLast()), (1..<Int64(fullWidth)).contains(w) else {
                throw TransparencyError(.tileInvalidPath, "bad partial width in \(path)")
            }
            width = Int(w)
            elements[elements.count - 1] = elements[elements.count - 1].dropLast(2)
        }
        var index: Int64 = 0
        for (i, element) in elements.enumerated() {
            let isLast = i == elements.count - 1
            var digits = element
            if !isLast {
                guard digits.first == "x" else { throw TransparencyError(.tileInvalidPath, "bad index element in \(path)") }
                digits = digits.dropFirst()
            }
            guard digits.count == 3, let group = decimal(digits) else {
                throw TransparencyError(.tileInvalidPath, "bad index element in \(path)")
            }
            let (scaled, overflow1) = index.multipliedReportingOverflow(by: 1000)
            let (sum, overflow2) = scaled.addingReportingOverflow(group)
            guard !overflow1, !overflow2 else { throw TransparencyError(.tileInvalidPath, "tile index too large in \(path)") }
            index = sum
        }
        return (index, width)
    }

    /// A non-negative decimal of ASCII digits only (at most 18 digits), else nil.
    private static func decimal(_ text: Substring) -> Int64? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int64(text)
    }

    // MARK: Tiles and stored hashes

    /// The smallest tile holding the hash at stored hash index `storedIndex`: its level,
    /// index, and the width just reaching the hashes that hash is computed from
    /// (TileForIndex in Go's tlog). A tile of greater width at the same level and index
    /// holds it too.
    public static func tile(forStoredHashIndex storedIndex: Int64) -> Tile {
        tileAndRange(storedIndex).tile
    }

    /// The tile, and the range of hashes within it that the node at `storedIndex` is the
    /// Merkle Tree Hash of (a power-of-two count).
    static func tileAndRange(_ storedIndex: Int64) -> (tile: Tile, range: Range<Int>) {
        let (treeLevel, n) = TileMath.splitStoredHashIndex(storedIndex)
        let tileLevel = treeLevel / height
        let levelInTile = Int64(treeLevel - tileLevel * height)  // tree levels above the tile's hashes
        let tileIndex = (n << levelInTile) >> Int64(height)
        let nInTile = n - ((tileIndex << Int64(height)) >> levelInTile)  // node index within the tile at its level
        let start = Int(nInTile << levelInTile)
        let end = Int((nInTile + 1) << levelInTile)
        return (Tile(unchecked: tileLevel, tileIndex, end), start..<end)
    }

    /// The stored hash indexes of this tile's hashes, in order (what to read from a store to
    /// serve the tile). Only for tiles within ``TileMath/maxTreeSize`` leaves: check
    /// ``exists(inTreeOfSize:)`` against the real tree first.
    public var storedHashIndexes: [Int64] {
        let first = index << Int64(Self.height)
        return (0..<Int64(width)).map { TileMath.storedHashIndex(level: level * Self.height, index: first + $0) }
    }

    /// The tile's data from its hashes in order (the ones at ``storedHashIndexes``).
    /// Throws `tile.malformed` if the count is not ``width``.
    public func data(hashes: [MerkleHash]) throws(TransparencyError) -> [UInt8] {
        guard hashes.count == width else {
            throw TransparencyError(.tileMalformed, "tile \(path) holds \(width) hashes, got \(hashes.count)")
        }
        var data: [UInt8] = []
        data.reserveCapacity(byteCount)
        for hash in hashes { hash.withUnsafeBytes { data.append(contentsOf: $0) } }
        return data
    }

    /// The tile's data read from a store of stored hashes, in one call (ReadTileData in Go's tlog).
    public func readData(from reader: some HashReader) throws -> [UInt8] {
        try data(hashes: TileMath.read(storedHashIndexes, reader))
    }

    /// The hashes in tile data. Throws `tile.malformed` unless `data` is exactly
    /// ``byteCount`` bytes.
    public func hashes(data: [UInt8]) throws(TransparencyError) -> [MerkleHash] {
        try checkData(data)
        return data.withUnsafeBytes { raw in
            (0..<width).map { MerkleHash(unchecked: raw, offset: $0 * MerkleHash.byteCount) }
        }
    }

    /// The hash at stored hash index `storedIndex`, computed from this tile's data: either
    /// one of its hashes or the root of a complete subtree of them (HashFromTile in Go's tlog).
    /// Throws `tile.malformed` if `data` is not ``byteCount`` bytes and `tree.invalid_index`
    /// if the hash is not in this tile.
    public func hash(atStoredHashIndex storedIndex: Int64, data: [UInt8]) throws(TransparencyError) -> MerkleHash {
        try checkData(data)
        guard storedIndex >= 0 else { throw TransparencyError(.treeInvalidIndex, "negative stored hash index") }
        let (holder, range) = Self.tileAndRange(storedIndex)
        guard holder.level == level, holder.index == index, holder.width <= width else {
            throw TransparencyError(.treeInvalidIndex, "stored hash \(storedIndex) is in \(holder.path), not \(path)")
        }
        return data.withUnsafeBytes { raw in Self.subtreeHash(raw, range) }
    }

    /// The Merkle Tree Hash of all this tile's hashes as leaves-of-the-tile: for a full
    /// tile, the hash the level above holds for it. Throws `tile.malformed` on bad data.
    public func rootHash(data: [UInt8]) throws(TransparencyError) -> MerkleHash {
        try checkData(data)
        return data.withUnsafeBytes { raw in Self.subtreeHash(raw, 0..<width) }
    }

    private func checkData(_ data: [UInt8]) throws(TransparencyError) {
        guard data.count == byteCount else {
            throw TransparencyError(.tileMalformed, "tile \(path) must be \(byteCount) bytes, is \(data.count)")
        }
    }

    /// MTH of the hashes `range` of a tile (RFC 9162 §2.1.1 split).
    private static func subtreeHash(_ raw: UnsafeRawBufferPointer, _ range: Range<Int>) -> MerkleHash {
        if range.count == 1 { return MerkleHash(unchecked: raw, offset: range.lowerBound * MerkleHash.byteCount) }
        let k = MerkleTree.largestPowerOfTwo(below: range.count)
        let mid = range.lowerBound + k
        return .nodeHash(subtreeHash(raw, range.lowerBound..<mid), subtreeHash(raw, mid..<range.upperBound))
    }

    // MARK: Which tiles exist

    /// The tile `k` levels above `self` that holds its hash, at its width for a tree of
    /// `treeSize` leaves; nil if that tree has no such tile (tileParent in Go's tlog).
    func parent(_ k: Int, treeSize: Int64) -> Tile? {
        let level = self.level + k
        guard level <= Self.maxLevel else { return nil }
        let index = self.index >> Int64(k * Self.height)
        let limit = level * Self.height >= 63 ? 0 : treeSize >> Int64(level * Self.height)  // hashes at this tile level
        let start = index << Int64(Self.height)
        if start >= limit { return nil }
        return Tile(unchecked: level, index, Int(min(Int64(Self.fullWidth), limit - start)))
    }

    /// The tiles (full and partial) that exist for a tree of `newSize` leaves but not, in
    /// this form, for a tree of `oldSize` leaves: what a log publishes when it grows
    /// (NewTiles in Go's tlog). With oldSize 0, every tile of the tree.
    /// Requires 0 ≤ oldSize ≤ newSize.
    public static func newTiles(oldSize: Int64, newSize: Int64) -> [Tile] {
        precondition(oldSize >= 0 && oldSize <= newSize, "tree sizes must satisfy 0 ≤ old ≤ new")
        var tiles: [Tile] = []
        var level = 0
        while level <= maxLevel, level * height < 63, newSize >> Int64(level * height) > 0 {
            let shift = Int64(level * height)
            let oldN = oldSize >> shift  // hashes at this tile level
            let newN = newSize >> shift
            if oldN != newN {
                for n in (oldN >> Int64(height))..<(newN >> Int64(height)) {
                    tiles.append(Tile(unchecked: level, n, fullWidth))
                }
                let n = newN >> Int64(height)
                let w = Int(newN - (n << Int64(height)))
                if w > 0 { tiles.append(Tile(unchecked: level, n, w)) }
            }
            level += 1
        }
        return tiles
    }

    /// The partial tiles of a tree of `treeSize` leaves, lowest level first: at level L,
    /// width floor(treeSize / 256^L) mod 256, where that is not 0.
    public static func partialTiles(treeSize: Int64) -> [Tile] {
        precondition(treeSize >= 0, "negative tree size")
        var tiles: [Tile] = []
        var level = 0
        while level * height < 63, treeSize >> Int64(level * height) > 0 {
            let count = treeSize >> Int64(level * height)
            let w = Int(count % Int64(fullWidth))
            if w > 0 { tiles.append(Tile(unchecked: level, count / Int64(fullWidth), w)) }
            level += 1
        }
        return tiles
    }

    /// The level-0 tile (and entry bundle) holding leaf `leafIndex`, at its width for a tree
    /// of `treeSize` leaves. Throws `tree.invalid_index` unless 0 ≤ leafIndex < treeSize.
    public static func leafTile(leafIndex: Int64, treeSize: Int64) throws(TransparencyError) -> Tile {
        try TileMath.checkLeaf(leafIndex, treeSize)
        let n = leafIndex >> Int64(height)
        return Tile(unchecked: 0, n, Int(min(Int64(fullWidth), treeSize - (n << Int64(height)))))
    }
}
