import PnyxCrypto
import PnyxTransparency
import Testing

/// Helpers shared by the Merkle, stored-hash and tile tests (prefixed to stay clear of
/// other test files in this target).
enum MerkleTestSupport {
    /// A hash from 64 hex digits (test data only).
    static func hash(_ hex: String) -> MerkleHash { try! MerkleHash(hex: hex) }

    /// Deterministic distinct leaf hashes 0..<count.
    static func leafHashes(_ count: Int) -> [MerkleHash] {
        (0..<count).map { i in MerkleHash.leafHash(Array("leaf \(i)".utf8)) }
    }

    /// `hash` with bit `bit` (0…255) flipped.
    static func flip(_ hash: MerkleHash, bit: Int = 0) -> MerkleHash {
        var bytes = hash.bytes
        bytes[(bit / 8) % 32] ^= UInt8(1 << (bit % 8))
        return try! MerkleHash(bytes: bytes)
    }

    /// An arbitrary hash that is not in any test tree.
    static let stranger = MerkleHash.leafHash(Array("stranger".utf8))
}

/// Asserts that `body` throws a ``TransparencyError`` with `code`.
func expectMerkleError(
    _ code: TransparencyError.Code, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void
) {
    do {
        try body()
        Issue.record("expected \(code), nothing thrown \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
    } catch let error as TransparencyError {
        #expect(error.code == code, comment, sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}

/// A deterministic generator (SplitMix64), so failures reproduce.
struct MerkleTestRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// A ``HashReader`` over a ``MemoryHashStore`` that counts calls and hashes read, and
/// records a failure if anything at or beyond `limit` is read (hashes that do not exist
/// yet in the tree being proven).
final class CountingHashReader: HashReader {
    let store: MemoryHashStore
    var limit: Int64
    private(set) var calls = 0
    private(set) var hashesRead = 0

    init(_ store: MemoryHashStore, limit: Int64? = nil) {
        self.store = store
        self.limit = limit ?? Int64(store.hashes.count)
    }

    func reset(limit: Int64) {
        self.limit = limit
        calls = 0
        hashesRead = 0
    }

    func readHashes(_ indexes: [Int64]) throws -> [MerkleHash] {
        calls += 1
        hashesRead += indexes.count
        for index in indexes where index >= limit {
            Issue.record("read stored hash \(index), beyond the \(limit) hashes of the tree")
        }
        return try store.readHashes(indexes)
    }
}

/// A ``TileReader`` serving tiles cut from a ``MemoryHashStore`` (as a tile server or an
/// export would), counting calls, optionally corrupting one tile's data.
final class StoreTileReader: TileReader {
    let store: MemoryHashStore
    private(set) var calls = 0
    private(set) var tilesRead = 0
    private(set) var saved = 0
    /// Flip a bit in this tile's data when served.
    var corrupt: Tile?
    /// Serve this tile's data one hash short.
    var truncate: Tile?

    init(_ store: MemoryHashStore) { self.store = store }

    func reset() {
        calls = 0
        tilesRead = 0
        saved = 0
    }

    func readTiles(_ tiles: [Tile]) throws -> [[UInt8]] {
        calls += 1
        tilesRead += tiles.count
        return try tiles.map { tile in
            var data = try tile.readData(from: store)
            if tile == corrupt { data[data.count - 1] ^= 0x80 }
            if tile == truncate { data.removeLast(32) }
            return data
        }
    }

    func saveTiles(_ tiles: [Tile], data: [[UInt8]]) { saved += tiles.count }
}
