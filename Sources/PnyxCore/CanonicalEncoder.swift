/// Writes Pnyx's canonical binary encoding: deterministic, big-endian, length-prefixed.
///
/// | type | bytes |
/// |---|---|
/// | `u8` `u16` `u32` `u64` | big-endian, fixed width |
/// | `i64` | two's complement, big-endian (times: Unix seconds UTC) |
/// | `bool` | `0x00` or `0x01` |
/// | `bytes` | `u32` length ‖ bytes |
/// | fixed bytes | raw, where the type fixes the size (ids, keys, hashes, Ed25519 signatures) |
/// | `string` | `u32` length ‖ UTF-8 |
/// | `optional<T>` | `0x00`, or `0x01` ‖ T |
/// | `list<T>` | `u32` count ‖ items in order |
/// | `set<T>` | a list sorted by each item's encoding (bytewise), no duplicates |
/// | enum | `u8` tag ‖ the case's fields |
///
/// - SeeAlso: docs/PROTOCOL.md §4
public struct CanonicalEncoder: Sendable {
    /// The bytes written so far.
    public private(set) var bytes: [UInt8]

    /// An empty encoder.
    public init(reservingCapacity capacity: Int = 256) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Writes one byte.
    public mutating func writeU8(_ value: UInt8) { bytes.append(value) }

    /// Writes a big-endian `u16`.
    public mutating func writeU16(_ value: UInt16) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    /// Writes a big-endian `u32`.
    public mutating func writeU32(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    /// Writes a big-endian `u64`.
    public mutating func writeU64(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    /// Writes a big-endian two's-complement `i64`.
    public mutating func writeI64(_ value: Int64) { writeU64(UInt64(bitPattern: value)) }

    /// Writes `0x01` for true, `0x00` for false.
    public mutating func writeBool(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Writes bytes raw, without a length (for fields whose type fixes the size).
    public mutating func writeFixed(_ value: [UInt8]) { bytes.append(contentsOf: value) }

    /// Writes `u32` length ‖ bytes.
    public mutating func writeBytes(_ value: [UInt8]) {
        writeU32(UInt32(truncatingIfNeeded: value.count))
        bytes.append(contentsOf: value)
    }

    /// Writes `u32` length ‖ UTF-8.
    public mutating func writeString(_ value: String) { writeBytes(Array(value.utf8)) }

    /// Writes a record's domain tag (a `string`).
    public mutating func writeDomain(_ tag: String) { writeString(tag) }

    /// Writes `0x00`, or `0x01` followed by the value written by `body`.
    public mutating func writeOptional<T>(_ value: T?, _ body: (inout CanonicalEncoder, T) -> Void) {
        guard let value else { return writeU8(0) }
        writeU8(1)
        body(&self, value)
    }

    /// Writes `u32` count ‖ each item written by `body`, in order.
    public mutating func writeList<C: Collection>(_ items: C, _ body: (inout CanonicalEncoder, C.Element) -> Void) {
        writeU32(UInt32(truncatingIfNeeded: items.count))
        for item in items { body(&self, item) }
    }

    /// Writes a set: the items sorted by their encodings (bytewise), duplicates dropped.
    public mutating func writeSet<S: Sequence>(_ items: S, _ body: (inout CanonicalEncoder, S.Element) -> Void) {
        let encoded = Set(items.map { item -> [UInt8] in
            var inner = CanonicalEncoder(reservingCapacity: 16)
            body(&inner, item)
            return inner.bytes
        }).sorted(by: { $0.lexicographicallyPrecedes($1) })
        writeU32(UInt32(truncatingIfNeeded: encoded.count))
        for item in encoded { bytes.append(contentsOf: item) }
    }

    /// Writes a nested value with its own ``CanonicalEncodable/encode(to:)``.
    public mutating func write<T: CanonicalEncodable>(_ value: T) { value.encode(to: &self) }

    /// Writes a list of nested values.
    public mutating func writeList<T: CanonicalEncodable>(_ items: [T]) {
        writeList(items) { encoder, item in item.encode(to: &encoder) }
    }
}
