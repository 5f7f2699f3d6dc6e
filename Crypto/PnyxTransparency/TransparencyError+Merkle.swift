// Extra stable codes used by the Merkle tree, stored-hash and tile code.
// (The base codes live in TransparencyError.swift.)

extension TransparencyError.Code {
    /// A hash is not exactly 32 bytes, or its hexadecimal form is malformed.
    public static let hashMalformed = Self(rawValue: "hash.malformed")
    /// A ``HashReader`` or ``TileReader`` returned a different number of results than requested.
    public static let readerCountMismatch = Self(rawValue: "reader.count_mismatch")
    /// A tile path is not in the canonical c2sp.org/tlog-tiles form.
    public static let tileInvalidPath = Self(rawValue: "tile.invalid_path")
    /// Tile data does not hash to the trusted tree root, or a full tile does not hash to
    /// the entry for it in its parent tile.
    public static let tileInconsistent = Self(rawValue: "tile.inconsistent")
}
