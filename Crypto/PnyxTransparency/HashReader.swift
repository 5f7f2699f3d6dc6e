/// Reads stored hashes by stored hash index (see ``TileMath/storedHashIndex(level:index:)``).
///
/// Implementations: a database table of stored hashes, ``MemoryHashStore``, or
/// ``TileHashReader`` over tile blobs. The functions in ``TileMath`` call
/// ``readHashes(_:)`` once per root or proof with O(log n) indexes.
public protocol HashReader {
    /// The hashes at `indexes`, in the same order and exactly as many. The indexes are
    /// usually ascending but may repeat. Throw (any error) if an index is not stored.
    func readHashes(_ indexes: [Int64]) throws -> [MerkleHash]
}

/// A ``HashReader`` backed by a closure.
public struct HashReaderFunction: HashReader {
    private let body: ([Int64]) throws -> [MerkleHash]

    /// Wraps `body`, called for every ``readHashes(_:)``.
    public init(_ body: @escaping ([Int64]) throws -> [MerkleHash]) { self.body = body }

    public func readHashes(_ indexes: [Int64]) throws -> [MerkleHash] { try body(indexes) }
}

/// Every stored hash of a tree, in memory, in stored-hash order: the reference store for
/// tests, benchmarks and auditors that rebuild a log from its entries.
public struct MemoryHashStore: HashReader, Sendable {
    /// The stored hashes; `hashes[i]` is at stored hash index i.
    public private(set) var hashes: [MerkleHash] = []
    /// The number of leaves appended.
    public private(set) var treeSize: Int64 = 0

    /// An empty store.
    public init() {}

    /// A store holding the tree of these leaf hashes.
    public init(leafHashes: [MerkleHash]) {
        hashes.reserveCapacity(2 * leafHashes.count)
        append(leafHashes: leafHashes)
    }

    /// Appends one leaf hash; returns the stored hashes written (leaf hash first).
    @discardableResult
    public mutating func append(leafHash: MerkleHash) -> [MerkleHash] {
        let previous = TileMath.appendIndexes(leafIndex: treeSize).map { hashes[Int($0)] }
        // Cannot fail: `previous` has exactly the count appendIndexes asked for.
        let new = try! TileMath.storedHashesForAppend(leafIndex: treeSize, leafHash: leafHash, previous: previous)
        hashes.append(contentsOf: new)
        treeSize += 1
        return new
    }

    /// Appends leaf hashes in order.
    public mutating func append(leafHashes: [MerkleHash]) {
        for hash in leafHashes { append(leafHash: hash) }
    }

    /// Throws `tree.invalid_index` for an index that is not stored.
    public func readHashes(_ indexes: [Int64]) throws -> [MerkleHash] {
        try indexes.map { (index) throws(TransparencyError) -> MerkleHash in
            guard index >= 0, index < Int64(hashes.count) else {
                throw TransparencyError(.treeInvalidIndex, "stored hash index \(index) is not in a store of \(hashes.count) hashes")
            }
            return hashes[Int(index)]
        }
    }
}

// MARK: Reader-based tree hashes and proofs

extension TileMath {
    /// The root MTH(D[0:treeSize]) of the stored tree, reading the at most 1 + log₂ n
    /// complete-subtree roots in one call (none for size 0, which is the empty-tree hash).
    public static func treeHash(treeSize: Int64, reader: some HashReader) throws -> MerkleHash {
        let indexes = try treeHashIndexes(treeSize: treeSize)
        return try treeHash(treeSize: treeSize, hashes: read(indexes, reader))
    }

    /// The inclusion proof of leaf `index` in the tree of `treeSize` leaves, reading
    /// O(log n) stored hashes in one call (none for a tree of one leaf).
    /// Throws `tree.invalid_index` unless 0 ≤ index < treeSize.
    public static func inclusionProof(index: Int64, treeSize: Int64, reader: some HashReader) throws -> [MerkleHash] {
        let indexes = try inclusionProofIndexes(index: index, treeSize: treeSize)
        return try inclusionProof(index: index, treeSize: treeSize, hashes: read(indexes, reader))
    }

    /// The consistency proof from `oldSize` to `newSize`, reading O(log n) stored hashes
    /// in one call (none when the proof is empty). Throws `tree.invalid_size` unless
    /// 0 ≤ oldSize ≤ newSize.
    public static func consistencyProof(oldSize: Int64, newSize: Int64, reader: some HashReader) throws -> [MerkleHash] {
        let indexes = try consistencyProofIndexes(oldSize: oldSize, newSize: newSize)
        return try consistencyProof(oldSize: oldSize, newSize: newSize, hashes: read(indexes, reader))
    }

    /// The stored hashes to write, in order starting at
    /// `storedHashCount(treeSize: startIndex)`, when appending `leafHashes` as leaves
    /// `startIndex`, `startIndex + 1`, …: a whole batch with a single read of at most
    /// log₂ n earlier hashes (the ones the batch itself does not produce).
    ///
    /// Nothing is read for an empty batch or a batch starting at leaf 0.
    public static func storedHashesForAppend(
        leafHashes: [MerkleHash], startingAt startIndex: Int64, reader: some HashReader
    ) throws -> [MerkleHash] {
        try checkSize(startIndex)
        try checkSize(startIndex + Int64(leafHashes.count))
        let base = storedHashCount(treeSize: startIndex)
        // The earlier hashes the batch needs: every needed index below `base`.
        var earlier = Set<Int64>()
        for offset in 0..<Int64(leafHashes.count) {
            let indexes = appendIndexes(leafIndex: startIndex + offset)
            guard let first = indexes.first, first < base else { continue }
            for index in indexes where index < base { earlier.insert(index) }
        }
        let earlierIndexes = earlier.sorted()
        let earlierHashes = try read(earlierIndexes, reader)
        var known = [Int64: MerkleHash](uniqueKeysWithValues: zip(earlierIndexes, earlierHashes))

        var out: [MerkleHash] = []
        out.reserveCapacity(2 * leafHashes.count + 64)
        for (offset, leafHash) in leafHashes.enumerated() {
            let leafIndex = startIndex + Int64(offset)
            let previous = appendIndexes(leafIndex: leafIndex).map { index in
                index >= base ? out[Int(index - base)] : known[index]!
            }
            out.append(contentsOf: try storedHashesForAppend(leafIndex: leafIndex, leafHash: leafHash, previous: previous))
        }
        known.removeAll()
        return out
    }

    /// One batched read (none for no indexes), checking the count.
    static func read(_ indexes: [Int64], _ reader: some HashReader) throws -> [MerkleHash] {
        if indexes.isEmpty { return [] }
        let hashes = try reader.readHashes(indexes)
        try checkCount(hashes, indexes.count)
        return hashes
    }
}
