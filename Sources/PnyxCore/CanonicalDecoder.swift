/// Reads Pnyx's canonical binary encoding strictly: every refusal has a stable code.
///
/// - `encoding.truncated`: the input ends inside a value;
/// - `encoding.limit_exceeded`: a length or count past ``CanonicalLimits``;
/// - `encoding.invalid_value`: a bool other than 0/1, invalid UTF-8, an unsorted or repeated set;
/// - `encoding.unknown_tag`: an enum tag no case has;
/// - `encoding.wrong_domain`: a record's domain tag is another record's;
/// - `encoding.trailing_bytes`: bytes left after the top-level record (``finish()``).
public struct CanonicalDecoder: Sendable {
    /// The whole input.
    public let input: [UInt8]
    /// The offset of the next byte to read.
    public private(set) var offset: Int

    /// A decoder at the start of `input`.
    public init(_ input: [UInt8]) {
        self.input = input
        self.offset = 0
    }

    /// Bytes not read yet.
    public var remainingCount: Int { input.count - offset }

    /// Throws `encoding.trailing_bytes` unless every byte was read.
    public func finish() throws(CoreError) {
        guard offset == input.count else {
            throw CoreError(.encodingTrailingBytes, "\(remainingCount) bytes after the record at offset \(offset)")
        }
    }

    private mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws(CoreError) -> ArraySlice<UInt8> {
        guard count <= remainingCount else {
            throw CoreError(.encodingTruncated, "\(what()) needs \(count) bytes at offset \(offset), \(remainingCount) left")
        }
        defer { offset += count }
        return input[offset..<offset + count]
    }

    private mutating func readInteger<T: FixedWidthInteger & UnsignedInteger>(_: T.Type, _ name: String) throws(CoreError) -> T {
        var value: T = 0
        for byte in try take(T.bitWidth / 8, name) { value = value << 8 | T(byte) }
        return value
    }

    /// Reads one byte.
    public mutating func readU8() throws(CoreError) -> UInt8 { try readInteger(UInt8.self, "u8") }
    /// Reads a big-endian `u16`.
    public mutating func readU16() throws(CoreError) -> UInt16 { try readInteger(UInt16.self, "u16") }
    /// Reads a big-endian `u32`.
    public mutating func readU32() throws(CoreError) -> UInt32 { try readInteger(UInt32.self, "u32") }
    /// Reads a big-endian `u64`.
    public mutating func readU64() throws(CoreError) -> UInt64 { try readInteger(UInt64.self, "u64") }
    /// Reads a big-endian two's-complement `i64`.
    public mutating func readI64() throws(CoreError) -> Int64 { Int64(bitPattern: try readU64()) }

    /// Reads a bool; any byte but 0x00 and 0x01 is `encoding.invalid_value`.
    public mutating func readBool() throws(CoreError) -> Bool {
        let at = offset
        switch try readU8() {
        case 0: return false
        case 1: return true
        case let other: throw CoreError(.encodingInvalidValue, "bool byte \(other) at offset \(at)")
        }
    }

    /// Reads `count` raw bytes (a fixed-size field).
    public mutating func readFixed(count: Int) throws(CoreError) -> [UInt8] {
        Array(try take(count, "a \(count)-byte field"))
    }

    /// Reads `u32` length ‖ bytes; a length past `limit` is `encoding.limit_exceeded`.
    public mutating func readBytes(limit: Int = CanonicalLimits.maximumBytesCount) throws(CoreError) -> [UInt8] {
        let at = offset
        let count = Int(try readU32())
        guard count <= limit else {
            throw CoreError(.encodingLimitExceeded, "byte field of \(count) bytes at offset \(at) exceeds \(limit)")
        }
        return Array(try take(count, "byte field"))
    }

    /// Reads `u32` length ‖ UTF-8; invalid UTF-8 is `encoding.invalid_value`.
    public mutating func readString(limit: Int = CanonicalLimits.maximumStringByteCount) throws(CoreError) -> String {
        let at = offset
        let count = Int(try readU32())
        guard count <= limit else {
            throw CoreError(.encodingLimitExceeded, "string of \(count) bytes at offset \(at) exceeds \(limit)")
        }
        let utf8 = try take(count, "string")
        guard let text = String(validating: utf8, as: UTF8.self) else {
            throw CoreError(.encodingInvalidValue, "invalid UTF-8 in the string at offset \(at)")
        }
        return text
    }

    /// Reads a domain tag and throws `encoding.wrong_domain` unless it is `tag`.
    public mutating func expectDomain(_ tag: String) throws(CoreError) {
        let expected = Array(tag.utf8)
        let at = offset
        let count = Int(try readU32())
        guard count == expected.count else {
            throw CoreError(.encodingWrongDomain, "expected domain \"\(tag)\" at offset \(at)")
        }
        guard try take(count, "domain tag").elementsEqual(expected) else {
            throw CoreError(.encodingWrongDomain, "expected domain \"\(tag)\" at offset \(at)")
        }
    }

    /// Reads an enum tag (a `u8`); pair with ``unknownTag(_:of:)`` for tags no case has.
    public mutating func readTag() throws(CoreError) -> UInt8 { try readU8() }

    /// Throws `encoding.unknown_tag` for `tag` of `type`.
    public func unknownTag(_ tag: UInt8, of type: String) -> CoreError {
        CoreError(.encodingUnknownTag, "unknown \(type) tag \(tag) at offset \(offset - 1)")
    }

    /// Reads `0x00` (nil) or `0x01` followed by a value read by `body`.
    public mutating func readOptional<T>(_ body: (inout CanonicalDecoder) throws(CoreError) -> T) throws(CoreError) -> T? {
        let at = offset
        switch try readU8() {
        case 0: return nil
        case 1: return try body(&self)
        case let other: throw CoreError(.encodingInvalidValue, "optional marker \(other) at offset \(at)")
        }
    }

    /// Reads a `u32` count and that many items; a count past `limit` is `encoding.limit_exceeded`.
    public mutating func readList<T>(
        limit: Int = CanonicalLimits.maximumListCount, _ body: (inout CanonicalDecoder) throws(CoreError) -> T
    ) throws(CoreError) -> [T] {
        let at = offset
        let count = Int(try readU32())
        guard count <= limit else {
            throw CoreError(.encodingLimitExceeded, "list of \(count) items at offset \(at) exceeds \(limit)")
        }
        // Every item takes at least one byte: a count past the input is truncation, found before allocating.
        guard count <= remainingCount else {
            throw CoreError(.encodingTruncated, "list of \(count) items at offset \(at) but \(remainingCount) bytes left")
        }
        var items = [T]()
        items.reserveCapacity(count)
        for _ in 0..<count { items.append(try body(&self)) }
        return items
    }

    /// Reads a set: a list whose item encodings must be strictly increasing (bytewise), which
    /// refuses both unsorted and repeated items with `encoding.invalid_value`.
    public mutating func readSet<T>(
        limit: Int = CanonicalLimits.maximumListCount, _ body: (inout CanonicalDecoder) throws(CoreError) -> T
    ) throws(CoreError) -> [T] {
        var previous: ArraySlice<UInt8>? = nil
        return try readList(limit: limit) { (decoder: inout CanonicalDecoder) throws(CoreError) -> T in
            let start = decoder.offset
            let item = try body(&decoder)
            let encoded = decoder.input[start..<decoder.offset]
            if let previous, !previous.lexicographicallyPrecedes(encoded) {
                throw CoreError(.encodingInvalidValue, "set item at offset \(start) is not after the one before (unsorted or repeated)")
            }
            previous = encoded
            return item
        }
    }

    /// Reads a nested value with its own ``CanonicalEncodable/init(from:)``.
    public mutating func read<T: CanonicalEncodable>(_: T.Type = T.self) throws(CoreError) -> T {
        try T(from: &self)
    }

    /// Reads a list of nested values.
    public mutating func readList<T: CanonicalEncodable>(of _: T.Type, limit: Int = CanonicalLimits.maximumListCount) throws(CoreError) -> [T] {
        try readList(limit: limit) { (decoder: inout CanonicalDecoder) throws(CoreError) -> T in try T(from: &decoder) }
    }
}
