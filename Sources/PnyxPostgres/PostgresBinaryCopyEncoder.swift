/// Builds `COPY … FROM STDIN (FORMAT binary)` data for ``PostgresConnection/copyIn(_:data:)``.
///
/// Binary COPY has no type conversion: each value's type must match its column exactly
/// (`.int64` for `int8`, `.int32` for `int4`, `.text` for `text`/`varchar`, `.bytea` for `bytea`,
/// `.timestamp` for `timestamptz`, …). `.numeric` and `.raw` of unknown layout are refused.
public struct PostgresBinaryCopyEncoder: Sendable {
    /// The data so far (header and rows, no trailer).
    public private(set) var bytes: [UInt8]
    /// Rows appended so far.
    public private(set) var rowCount = 0

    /// Starts a stream with the binary COPY header.
    public init(reservingCapacity capacity: Int = 0) {
        bytes = []
        bytes.reserveCapacity(capacity + 21)
        bytes += Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]
        bytes += [0, 0, 0, 0, 0, 0, 0, 0]  // flags, header extension length
    }

    /// Appends one row.
    public mutating func append(row values: [PostgresValue]) throws {
        guard values.count <= Int(Int16.max) else {
            throw PostgresError(.encodeFailed, "too many columns for one COPY row")
        }
        bytes += PostgresWire.bigEndian(Int16(values.count))
        for value in values {
            let payload: [UInt8]?
            switch value {
            case .null: payload = nil
            case .text(let s): payload = Array(s.utf8)
            case .numeric:
                throw PostgresError(.encodeFailed, "numeric is not supported in binary COPY; use text COPY")
            default: payload = PostgresWire.natural(value).bytes
            }
            if let payload {
                bytes += PostgresWire.bigEndian(Int32(payload.count))
                bytes += payload
            } else {
                bytes += PostgresWire.bigEndian(Int32(-1))
            }
        }
        rowCount += 1
    }

    /// The complete stream: the rows plus the end-of-data trailer.
    public func finish() -> [UInt8] {
        bytes + [0xFF, 0xFF]
    }
}
