import PnyxTransparency
import Testing

/// c2sp.org/tlog-tiles: paths, which tiles exist, tile data, and ``TileHashReader``
/// (authenticated proofs from tile blobs) against the in-memory tree.
@Suite struct MerkleTileTests {
    typealias T = MerkleTestSupport
    typealias V = MerkleProofVerification

    static let maxSize = 1_100
    static let leaves = T.leafHashes(maxSize)
    static let tree = MerkleTree(leafHashes: leaves)
    static let store = MemoryHashStore(leafHashes: leaves)

    static func tile(_ level: Int, _ index: Int64, _ width: Int = 256) -> Tile {
        try! Tile(level: level, index: index, width: width)
    }

    // MARK: Paths

    @Test func pathsMatchTheSpec() throws {
        // "index 1234067 will be encoded as x001/x234/067"
        #expect(Tile.encodeIndex(1_234_067) == "x001/x234/067")
        #expect(Self.tile(0, 1_234_067).path == "tile/0/x001/x234/067")
        #expect(Self.tile(0, 1_234_067, 8).path == "tile/0/x001/x234/067.p/8")
        #expect(Self.tile(0, 1_234_067).entriesPath == "tile/entries/x001/x234/067")
        #expect(Self.tile(0, 1_234_067, 255).entriesPath == "tile/entries/x001/x234/067.p/255")
        // Levels are plain decimals; indexes below 1000 are one 3-digit element.
        #expect(Self.tile(0, 0).path == "tile/0/000")
        #expect(Self.tile(1, 0, 17).path == "tile/1/000.p/17")
        #expect(Self.tile(2, 5, 1).path == "tile/2/005.p/1")
        #expect(Self.tile(7, 0, 127).path == "tile/7/000.p/127")
        #expect(Self.tile(0, 1_000).path == "tile/0/x001/000")
        #expect(Self.tile(0, 273, 112).path == "tile/0/273.p/112")
        #expect(Tile.encodeIndex(1_000_000) == "x001/x000/000")
        #expect(Tile.encodeIndex(Int64.max) == "x009/x223/x372/x036/x854/x775/807")
        #expect(Self.tile(4, 12).description == "tile/4/012")
    }

    @Test func pathsParseCanonicalFormsOnly() throws {
        let largest = Int64.max / 256 - 1  // the last level-0 tile of a tree of Int64.max leaves
        for tile in [Self.tile(0, 0), Self.tile(0, 1_234_067, 8), Self.tile(5, 999, 1), Self.tile(0, largest, 255),
                     Self.tile(1, 1_000), Self.tile(2, 1_000_001, 128), Self.tile(7, 0, 127)] {
            #expect(try Tile(path: tile.path) == tile)
            if tile.level == 0 { #expect(try Tile(entriesPath: tile.entriesPath) == tile) }
        }
        #expect(try Tile(entriesPath: "tile/entries/x001/x234/067.p/8") == Self.tile(0, 1_234_067, 8))
        let bad = [
            "", "tile", "tile/0", "tile/0/", "/tile/0/000", "tile/0/000/", "tiles/0/000", "tile/-1/000", "tile/64/000",
            "tile/00/000", "tile/+1/000", "tile/0/00", "tile/0/0000", "tile/0/1234067", "tile/0/x1/234", "tile/0/x001",
            "tile/0/001/234", "tile/0/x000/001", "tile/0/x001/x234/67", "tile/0/000.p/256", "tile/0/000.p/0",
            "tile/0/000.p/08", "tile/0/000.p/", "tile/0/000.p", "tile/0/000.x/8", "tile/0/000.p/8/", "tile/0/abc",
            "tile/entries/000", "tile/0/x009/x223/x372/x036/x854/x775/808", "tile/0/x999/x999/x999/x999/x999/x999/x999/999",
            "tile/0/٣٤٥",
            // Syntactically fine, but beyond any tree of Int64.max leaves.
            "tile/63/000", "tile/8/000.p/1", "tile/7/000", "tile/0/x036/x028/x797/x018/x963/967",
            "tile/0/x036/x028/x797/x018/x963/968.p/1",
        ]
        for path in bad {
            expectMerkleError(.tileInvalidPath, "\(path)") { _ = try Tile(path: path) }
        }
        for path in ["tile/0/000", "tile/entries/000.p/256", "tile/entries/x000/001", "tile/entries/", "tile/entries/00"] {
            expectMerkleError(.tileInvalidPath, "\(path)") { _ = try Tile(entriesPath: path) }
        }
        expectMerkleError(.tileMalformed) { _ = try Tile(level: 64, index: 0) }
        expectMerkleError(.tileMalformed) { _ = try Tile(level: 0, index: -1) }
        expectMerkleError(.tileMalformed) { _ = try Tile(level: 0, index: 0, width: 0) }
        expectMerkleError(.tileMalformed) { _ = try Tile(level: 0, index: 0, width: 257) }
        expectMerkleError(.tileMalformed) { _ = try Tile(level: 63, index: 0, width: 1) }
        expectMerkleError(.tileMalformed) { _ = try Tile(level: 0, index: Int64.max, width: 1) }
    }

    @Test func leafRangesAndExistence() throws {
        #expect(Self.tile(0, 0).leafRange == 0..<256)
        #expect(Self.tile(0, 4, 76).leafRange == 1_024..<1_100)
        #expect(Self.tile(1, 0, 4).leafRange == 0..<1_024)
        #expect(Self.tile(1, 1).leafRange == 65_536..<131_072)
        #expect(Self.tile(2, 0, 1).leafRange == 0..<65_536)
        #expect(Self.tile(0, 4, 76).exists(inTreeOfSize: 1_100))
        #expect(!Self.tile(0, 4, 77).exists(inTreeOfSize: 1_100))
        #expect(!Self.tile(0, 4).exists(inTreeOfSize: 1_100))
        #expect(Self.tile(1, 0, 4).exists(inTreeOfSize: 1_100))
        #expect(!Self.tile(1, 0, 5).exists(inTreeOfSize: 1_100))
        #expect(!Self.tile(2, 0, 1).exists(inTreeOfSize: 1_100))
        // Every tile of a tree exists in it, and the largest tiles are safe to ask about.
        for tile in Tile.newTiles(oldSize: 0, newSize: 70_000) { #expect(tile.exists(inTreeOfSize: 70_000)) }
        let last = try Tile(path: "tile/0/x036/x028/x797/x018/x963/967.p/255")
        #expect(last.leafRange.upperBound == Int64.max)
        #expect(last.exists(inTreeOfSize: Int64.max))
        #expect(!last.exists(inTreeOfSize: Int64.max - 1))
    }

    // MARK: Which tiles exist

    @Test func tilesOfTheSpecExamples() {
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial
        // level 0 tile of width 112, one full level 1 tile, one partial level 1 tile of width
        // 17, and one partial level 2 tile of width 1."
        let tiles = Tile.newTiles(oldSize: 0, newSize: 70_000)
        #expect(tiles.filter { $0.level == 0 && !$0.isPartial }.count == 273)
        #expect(tiles.filter { $0.level == 0 && $0.isPartial } == [Self.tile(0, 273, 112)])
        #expect(tiles.filter { $0.level == 1 } == [Self.tile(1, 0), Self.tile(1, 1, 17)])
        #expect(tiles.filter { $0.level == 2 } == [Self.tile(2, 0, 1)])
        #expect(tiles.count == 273 + 1 + 2 + 1)
        #expect(Tile.partialTiles(treeSize: 70_000) == [Self.tile(0, 273, 112), Self.tile(1, 1, 17), Self.tile(2, 0, 1)])
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1."
        #expect(Tile.newTiles(oldSize: 0, newSize: 256) == [Self.tile(0, 0), Self.tile(1, 0, 1)])
        #expect(Tile.partialTiles(treeSize: 256) == [Self.tile(1, 0, 1)])
        #expect(Tile.newTiles(oldSize: 0, newSize: 0) == [])
        #expect(Tile.partialTiles(treeSize: 0) == [])
        // Growing: only what changed.
        #expect(Tile.newTiles(oldSize: 70_000, newSize: 70_000) == [])
        #expect(Tile.newTiles(oldSize: 70_000, newSize: 70_001) == [Self.tile(0, 273, 113)])
        #expect(
            Tile.newTiles(oldSize: 255, newSize: 513)
                == [Self.tile(0, 0), Self.tile(0, 1), Self.tile(0, 2, 1), Self.tile(1, 0, 2)])
        // A partial tile's width: floor(s / 256^l) mod 256.
        for size in [Int64(1), 255, 256, 257, 65_535, 65_536, 16_777_217, (Int64(1) << 40) + 12_345] {
            for tile in Tile.partialTiles(treeSize: size) {
                var power: Int64 = 1
                for _ in 0..<tile.level { power *= 256 }
                #expect(Int64(tile.width) == (size / power) % 256)
            }
        }
    }

    @Test func leafTiles() throws {
        #expect(try Tile.leafTile(leafIndex: 0, treeSize: 1) == Self.tile(0, 0, 1))
        #expect(try Tile.leafTile(leafIndex: 255, treeSize: 1_100) == Self.tile(0, 0))
        #expect(try Tile.leafTile(leafIndex: 1_099, treeSize: 1_100) == Self.tile(0, 4, 76))
        #expect(try Tile.leafTile(leafIndex: 1_099, treeSize: 1_100).entriesPath == "tile/entries/004.p/76")
        expectMerkleError(.treeInvalidIndex) { _ = try Tile.leafTile(leafIndex: 1_100, treeSize: 1_100) }
    }

    // MARK: Tile data

    @Test func tileForStoredHashIndex() {
        // Leaves: level-0 tile i/256, minimal width i%256+1.
        for leaf in [Int64(0), 1, 255, 256, 1_099] {
            let stored = TileMath.storedHashIndex(level: 0, index: leaf)
            #expect(Tile.tile(forStoredHashIndex: stored) == Self.tile(0, leaf / 256, Int(leaf % 256) + 1))
        }
        // Tree level 8 is level 1 of the tiling.
        #expect(Tile.tile(forStoredHashIndex: TileMath.storedHashIndex(level: 8, index: 0)) == Self.tile(1, 0, 1))
        #expect(Tile.tile(forStoredHashIndex: TileMath.storedHashIndex(level: 8, index: 300)) == Self.tile(1, 1, 45))
        // Tree level 3 node 5 covers leaves 40..<48 of level-0 tile 0: width 48.
        #expect(Tile.tile(forStoredHashIndex: TileMath.storedHashIndex(level: 3, index: 5)) == Self.tile(0, 0, 48))
        // Tree level 7 node 3 is the right half of level-0 tile 1.
        #expect(Tile.tile(forStoredHashIndex: TileMath.storedHashIndex(level: 7, index: 3)) == Self.tile(0, 1, 256))
    }

    @Test func everyStoredHashFromItsTile() throws {
        // Cut every tile of the 1,100-leaf tree from the store; every stored hash must be
        // recomputable from the tile holding it.
        let store = Self.store
        var data: [Tile: [UInt8]] = [:]
        for tile in Tile.newTiles(oldSize: 0, newSize: Int64(Self.maxSize)) {
            data[tile.full] = try tile.readData(from: store)
            #expect(try tile.hashes(data: data[tile.full]!) == (try store.readHashes(tile.storedHashIndexes)))
            #expect(try tile.data(hashes: tile.hashes(data: data[tile.full]!)) == data[tile.full]!)
        }
        for stored in 0..<Int64(store.hashes.count) {
            let holder = Tile.tile(forStoredHashIndex: stored)
            let blob = try #require(data[holder.full], "tile for stored \(stored)")
            let tile = try Tile(level: holder.level, index: holder.index, width: blob.count / 32)
            #expect(try tile.hash(atStoredHashIndex: stored, data: blob) == store.hashes[Int(stored)], "stored \(stored)")
            // The minimal-width tile holds it too.
            #expect(
                try holder.hash(atStoredHashIndex: stored, data: Array(blob[..<holder.byteCount])) == store.hashes[Int(stored)])
        }
        // A full tile's root hash is its entry in the level above.
        let tile0 = Self.tile(0, 3)
        #expect(try tile0.rootHash(data: data[tile0]!) == store.hashes[Int(TileMath.storedHashIndex(level: 8, index: 3))])
        // Wrong tile, wrong length.
        let tile1 = Self.tile(0, 1)
        expectMerkleError(.treeInvalidIndex) { _ = try tile1.hash(atStoredHashIndex: 0, data: data[tile1]!) }
        expectMerkleError(.treeInvalidIndex) { _ = try tile1.hash(atStoredHashIndex: -1, data: data[tile1]!) }
        expectMerkleError(.treeInvalidIndex) {
            // Leaf 300 is in tile 1, but beyond a width-10 partial tile.
            let partial = Self.tile(0, 1, 10)
            _ = try partial.hash(
                atStoredHashIndex: TileMath.storedHashIndex(level: 0, index: 300), data: Array(data[tile1]![..<320]))
        }
        expectMerkleError(.tileMalformed) { _ = try tile1.hash(atStoredHashIndex: 600, data: Array(data[tile1]!.dropLast())) }
        expectMerkleError(.tileMalformed) { _ = try tile1.hashes(data: data[tile1]! + [0]) }
        expectMerkleError(.tileMalformed) { _ = try tile1.rootHash(data: []) }
        expectMerkleError(.tileMalformed) { _ = try tile1.data(hashes: [T.stranger]) }
    }

    // MARK: TileHashReader

    @Test func tileReaderProofsForEverySize() throws {
        var random = MerkleTestRandom(seed: 0x711E)
        let tiles = StoreTileReader(Self.store)
        for n in Int64(1)...Int64(Self.maxSize) {
            let root = try Self.tree.rootHash(size: n)
            let reader = TileHashReader(treeSize: n, rootHash: root, tiles: tiles)

            tiles.reset()
            #expect(try TileMath.treeHash(treeSize: n, reader: reader) == root, "size \(n)")
            #expect(tiles.calls == 1)
            #expect(tiles.saved == tiles.tilesRead)

            let index = n <= 3 ? n - 1 : Int64.random(in: 0..<n, using: &random)
            tiles.reset()
            let inclusion = try TileMath.inclusionProof(index: index, treeSize: n, reader: reader)
            #expect(inclusion == (try Self.tree.inclusionProof(index: index, size: n)), "leaf \(index) of \(n)")
            try V.verifyInclusion(leafHash: Self.leaves[Int(index)], index: index, treeSize: n, proof: inclusion, rootHash: root)
            #expect(tiles.calls <= 1)
            #expect(tiles.tilesRead <= 6, "leaf \(index) of \(n)")

            let old = Int64.random(in: 1...n, using: &random)
            tiles.reset()
            let consistency = try TileMath.consistencyProof(oldSize: old, newSize: n, reader: reader)
            #expect(consistency == (try Self.tree.consistencyProof(oldSize: old, newSize: n)), "\(old) → \(n)")
            #expect(tiles.calls <= 1)
            #expect(tiles.tilesRead <= 6, "\(old) → \(n)")
        }
    }

    @Test func tileReaderRejectsBadTiles() throws {
        let n: Int64 = 1_100
        let root = Self.tree.rootHash
        let tiles = StoreTileReader(Self.store)
        let reader = TileHashReader(treeSize: n, rootHash: root, tiles: tiles)
        let leaf: Int64 = 10  // in full level-0 tile 0, authenticated through partial level-1 tile 0
        let indexes = try TileMath.inclusionProofIndexes(index: leaf, treeSize: n)
        _ = try reader.readHashes(indexes)

        // A flipped bit in a full tile, in a partial (root) tile.
        for bad in [Self.tile(0, 0), Self.tile(1, 0, 4), Self.tile(0, 4, 76)] {
            tiles.corrupt = bad
            expectMerkleError(.tileInconsistent, "\(bad.path)") {
                _ = try TileMath.inclusionProof(index: leaf, treeSize: n, reader: reader)
            }
            tiles.corrupt = nil
        }
        // A tile one hash short.
        tiles.truncate = Self.tile(0, 0)
        expectMerkleError(.tileMalformed) { _ = try TileMath.inclusionProof(index: leaf, treeSize: n, reader: reader) }
        tiles.truncate = nil
        // The wrong root.
        let liar = TileHashReader(treeSize: n, rootHash: try Self.tree.rootHash(size: n - 1), tiles: tiles)
        expectMerkleError(.tileInconsistent) { _ = try TileMath.treeHash(treeSize: n, reader: liar) }
        // Hashes outside the tree, the empty tree, a reader returning too few tiles.
        expectMerkleError(.treeInvalidIndex) {
            _ = try reader.readHashes([TileMath.storedHashIndex(level: 0, index: n)])
        }
        expectMerkleError(.treeInvalidIndex) { _ = try reader.readHashes([-1]) }
        expectMerkleError(.treeInvalidIndex) {
            _ = try TileHashReader(treeSize: 0, rootHash: .emptyTree, tiles: tiles).readHashes([0])
        }
        #expect(try TileHashReader(treeSize: 0, rootHash: .emptyTree, tiles: tiles).readHashes([]) == [])
        let short = TileReaderFunction { requested in try tiles.readTiles(Array(requested.dropLast())) }
        expectMerkleError(.readerCountMismatch) {
            _ = try TileHashReader(treeSize: n, rootHash: root, tiles: short).readHashes(indexes)
        }
        // A partial tile from a different history (last leaf replaced) does not verify.
        let stale = TileReaderFunction { requested in
            try requested.map { tile in
                tile.isPartial && tile.level == 0
                    ? try Tile(level: 0, index: tile.index, width: tile.width).readData(from: MemoryHashStore(
                        leafHashes: Array(Self.leaves[..<(Int(n) - 1)]) + [T.stranger]))
                    : try tile.readData(from: Self.store)
            }
        }
        expectMerkleError(.tileInconsistent) {
            _ = try TileHashReader(treeSize: n, rootHash: root, tiles: stale).readHashes(indexes)
        }
    }
}
