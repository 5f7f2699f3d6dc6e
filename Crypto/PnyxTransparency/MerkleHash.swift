import PnyxCrypto

/// A 32-byte SHA-256 Merkle tree hash (RFC 9162 §2.1 with SHA-256, as c2sp.org/tlog-tiles fixes).
///
/// The value is stored inline (no heap allocation), so arrays of millions of hashes stay
/// compact. Equality compares all 32 bytes; hashes in a transparency log are public, so the
/// comparison does not need to be constant-time.
public struct MerkleHash: Hashable, Sendable, CustomStringConvertible {
    /// Length of every Merkle hash in bytes.
    public static let byteCount = 32

    // Raw bytes in order (the tuple is only a fixed-size buffer; never read as integers
    // except for equality and hashing, which are byte-order independent).
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// Wraps exactly 32 bytes. Throws `hash.malformed` for any other length.
    public init<Bytes: Collection>(bytes: Bytes) throws(TransparencyError) where Bytes.Element == UInt8 {
        guard bytes.count == Self.byteCount else {
            throw TransparencyError(.hashMalformed, "a Merkle hash has 32 bytes, not \(bytes.count)")
        }
        self.init(unchecked: bytes)
    }

    /// Parses 64 hexadecimal digits. Throws `hash.malformed` otherwise.
    public init(hex: String) throws(TransparencyError) {
        let decoded: [UInt8]
        do { decoded = try Hex.decode(hex) } catch {
            throw TransparencyError(.hashMalformed, "not hexadecimal: \(error.reason)")
        }
        try self.init(bytes: decoded)
    }

    /// Parses the standard base64 form (as used in checkpoints). Throws `hash.malformed` otherwise.
    public init(base64: String) throws(TransparencyError) {
        let decoded: [UInt8]
        do { decoded = try Base64.decode(base64) } catch {
            throw TransparencyError(.hashMalformed, "not base64: \(error.reason)")
        }
        try self.init(bytes: decoded)
    }

    /// Copies the first 32 bytes of `bytes`; the caller guarantees the count.
    init<Bytes: Collection>(unchecked bytes: Bytes) where Bytes.Element == UInt8 {
        withUnsafeMutableBytes(of: &storage) { raw in
            var offset = 0
            for byte in bytes.prefix(Self.byteCount) {
                raw[offset] = byte
                offset += 1
            }
        }
    }

    /// Copies the first 32 bytes of an array with one memcpy; the caller guarantees the count.
    init(unchecked bytes: [UInt8]) {
        withUnsafeMutableBytes(of: &storage) { raw in
            bytes.withUnsafeBytes { raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(Self.byteCount))) }
        }
    }

    /// Copies 32 bytes from `buffer` starting at `offset`; the caller guarantees the bounds.
    init(unchecked buffer: UnsafeRawBufferPointer, offset: Int) {
        withUnsafeMutableBytes(of: &storage) { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: buffer[offset..<offset + Self.byteCount]))
        }
    }

    /// The 32 bytes.
    public var bytes: [UInt8] {
        Swift.withUnsafeBytes(of: storage) { Array($0) }
    }

    /// Calls `body` with the 32 bytes, without copying them into an array.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: storage, body)
    }

    /// Lower-case hexadecimal (64 digits).
    public var hex: String { Hex.encode(bytes) }

    /// Standard base64 with padding (44 characters), the form checkpoints use.
    public var base64: String { Base64.encode(bytes) }

    public var description: String { hex }

    public static func == (lhs: MerkleHash, rhs: MerkleHash) -> Bool {
        lhs.storage.0 == rhs.storage.0 && lhs.storage.1 == rhs.storage.1
            && lhs.storage.2 == rhs.storage.2 && lhs.storage.3 == rhs.storage.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(storage.0)
        hasher.combine(storage.1)
        hasher.combine(storage.2)
        hasher.combine(storage.3)
    }

    // MARK: RFC 9162 §2.1 hashing

    /// The root of the empty tree, MTH({}) = SHA-256() (RFC 9162 §2.1.1):
    /// e3b0c442…b855.
    public static let emptyTree = MerkleHash(unchecked: SHA256.hash([]))

    /// The leaf hash MTH({d}) = SHA-256(0x00 || d) of one log entry (RFC 9162 §2.1.1).
    public static func leafHash(_ leaf: [UInt8]) -> MerkleHash {
        MerkleHash(unchecked: SHA256.hash(parts: [leafPrefix, leaf]))
    }

    /// The interior node hash SHA-256(0x01 || left || right) (RFC 9162 §2.1.1).
    public static func nodeHash(_ left: MerkleHash, _ right: MerkleHash) -> MerkleHash {
        // One 65-byte buffer hashed in one call: cheaper than three separate parts.
        var input = [UInt8](repeating: 0x01, count: 1 + 2 * byteCount)
        input.withUnsafeMutableBytes { raw in
            left.withUnsafeBytes { raw.baseAddress!.advanced(by: 1).copyMemory(from: $0.baseAddress!, byteCount: byteCount) }
            right.withUnsafeBytes {
                raw.baseAddress!.advanced(by: 1 + byteCount).copyMemory(from: $0.baseAddress!, byteCount: byteCount)
            }
        }
        return MerkleHash(unchecked: SHA256.hash(input))
    }

    private static let leafPrefix: [UInt8] = [0x00]
}
