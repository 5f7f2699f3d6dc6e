import PnyxCrypto

// JSON helpers: ids and hashes are hex, keys and signatures base64 (RFC 4648 standard, padded).

extension KeyedEncodingContainer {
    /// Encodes bytes as standard padded base64.
    public mutating func encodeBase64(_ bytes: [UInt8], forKey key: Key) throws {
        try encode(Base64.encode(bytes), forKey: key)
    }

    /// Encodes bytes as lower-case hex.
    public mutating func encodeHex(_ bytes: [UInt8], forKey key: Key) throws {
        try encode(Hex.encode(bytes), forKey: key)
    }
}

extension KeyedDecodingContainer {
    /// Decodes standard padded base64, optionally of exactly `count` bytes.
    public func decodeBase64(forKey key: Key, count: Int? = nil) throws -> [UInt8] {
        let text = try decode(String.self, forKey: key)
        guard let bytes = try? Base64.decode(text), count.map({ $0 == bytes.count }) ?? true else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected base64\(count.map { " of \($0) bytes" } ?? "")")
        }
        return bytes
    }

    /// Decodes hex, optionally of exactly `count` bytes.
    public func decodeHex(forKey key: Key, count: Int? = nil) throws -> [UInt8] {
        let text = try decode(String.self, forKey: key)
        guard let bytes = try? Hex.decode(text), count.map({ $0 == bytes.count }) ?? true else {
            throw DecodingError.dataCorruptedError(forKey: key, in: self, debugDescription: "expected hex\(count.map { " of \($0) bytes" } ?? "")")
        }
        return bytes
    }
}

/// Maps a domain error to a JSON decoding error (for `init(from: Decoder)` that validates).
func jsonError(_ error: CoreError, _ codingPath: [any CodingKey]) -> DecodingError {
    DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: error.description))
}
