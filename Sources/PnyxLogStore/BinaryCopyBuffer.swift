/// Builds PostgreSQL binary `COPY … FROM STDIN (FORMAT binary)` data: the header, tuples of
/// `int8` and `bytea` fields, and the trailer. The fastest way to insert many rows.
struct BinaryCopyBuffer {
    private(set) var bytes: [UInt8] = []

    /// A buffer holding the 19-byte header, room reserved for `capacity` bytes.
    init(capacity: Int = 0) {
        bytes.reserveCapacity(capacity + 21)
        bytes.append(contentsOf: Array("PGCOPY\n".utf8))
        bytes.append(contentsOf: [0xFF, 0x0D, 0x0A, 0x00])
        bytes.append(contentsOf: [0, 0, 0, 0, 0, 0, 0, 0])  // flags, header extension length
    }

    /// Starts a tuple of `fields` fields.
    mutating func beginTuple(fields: Int) {
        appendInteger(Int16(fields))
    }

    /// An `int8` field.
    mutating func appendInt64(_ value: Int64) {
        appendInteger(Int32(8))
        appendInteger(value)
    }

    /// A `bytea` field.
    mutating func appendBytes(_ value: [UInt8]) {
        appendInteger(Int32(value.count))
        bytes.append(contentsOf: value)
    }

    /// A `bytea` field of one Merkle hash.
    mutating func appendHash(_ value: some HashBytes) {
        appendInteger(Int32(32))
        value.appendBytes(to: &bytes)
    }

    /// A `bytea` field of consecutive Merkle hashes.
    mutating func appendHashes(_ values: ArraySlice<some HashBytes>) {
        appendInteger(Int32(32 * values.count))
        for value in values { value.appendBytes(to: &bytes) }
    }

    /// The trailer; call once, after the last tuple.
    mutating func finish() {
        appendInteger(Int16(-1))
    }

    private mutating func appendInteger<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Something that can append its 32 hash bytes to a buffer without an intermediate array.
protocol HashBytes {
    func appendBytes(to buffer: inout [UInt8])
}
