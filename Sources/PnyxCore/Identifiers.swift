public import PnyxCrypto

/// A poll's identifier: 16 random bytes, lower-case hex in text and JSON.
public struct PollID: Hashable, Sendable, Comparable, CustomStringConvertible, CanonicalEncodable, Codable {
    /// Length in bytes.
    public static let byteCount = 16
    /// The 16 bytes.
    public let bytes: [UInt8]

    /// Wraps 16 bytes; another length is `encoding.invalid_value`.
    public init(bytes: [UInt8]) throws(CoreError) {
        guard bytes.count == Self.byteCount else {
            throw CoreError(.encodingInvalidValue, "a poll id has \(Self.byteCount) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// Parses 32 hex digits.
    public init(hex: String) throws(CoreError) {
        guard let bytes = try? Hex.decode(hex) else { throw CoreError(.encodingInvalidValue, "poll id is not hex") }
        try self.init(bytes: bytes)
    }

    /// A new random poll id.
    public static func random(using random: some RandomSource = SystemRandom()) -> PollID {
        try! PollID(bytes: random.bytes(byteCount))  // RandomSource returns the count asked for.
    }

    /// Lower-case hex.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    public static func < (lhs: PollID, rhs: PollID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public func encode(to encoder: inout CanonicalEncoder) { encoder.writeFixed(bytes) }
    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        bytes = try decoder.readFixed(count: Self.byteCount)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(hex: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// A key id: SHA-256 of an RSA key's SubjectPublicKeyInfo DER, lower-case hex in JSON.
public struct KeyID: Hashable, Sendable, Comparable, CustomStringConvertible, CanonicalEncodable, Codable {
    /// Length in bytes.
    public static let byteCount = 32
    /// The 32 bytes.
    public let bytes: [UInt8]

    /// Wraps 32 bytes; another length is `encoding.invalid_value`.
    public init(bytes: [UInt8]) throws(CoreError) {
        guard bytes.count == Self.byteCount else {
            throw CoreError(.encodingInvalidValue, "a key id has \(Self.byteCount) bytes, not \(bytes.count)")
        }
        self.bytes = bytes
    }

    /// The key id of an RSA public key: SHA-256 of its SPKI DER.
    public init(spki: [UInt8]) { bytes = SHA256.hash(spki) }

    /// Parses 64 hex digits.
    public init(hex: String) throws(CoreError) {
        guard let bytes = try? Hex.decode(hex) else { throw CoreError(.encodingInvalidValue, "key id is not hex") }
        try self.init(bytes: bytes)
    }

    /// Lower-case hex.
    public var hex: String { Hex.encode(bytes) }
    public var description: String { hex }
    public static func < (lhs: KeyID, rhs: KeyID) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    public func encode(to encoder: inout CanonicalEncoder) { encoder.writeFixed(bytes) }
    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        bytes = try decoder.readFixed(count: Self.byteCount)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(hex: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}

/// A geographic area's code (INSEE code, district number…): 1–64 bytes of printable ASCII
/// other than space, `;`, `=`, `*` and `,` (which the class text form uses).
public typealias AreaCode = String

/// Area code rules.
public enum AreaCodes {
    /// The longest area code in bytes.
    public static let maximumByteCount = 64

    /// True when `code` is a well-formed area code.
    public static func isValid(_ code: AreaCode) -> Bool {
        let utf8 = code.utf8
        guard !utf8.isEmpty, utf8.count <= maximumByteCount else { return false }
        return utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7f && byte != UInt8(ascii: ";") && byte != UInt8(ascii: "=")
                && byte != UInt8(ascii: "*") && byte != UInt8(ascii: ",")
        }
    }
}

extension CanonicalEncoder {
    /// Writes an Ed25519 public key raw (32 bytes).
    public mutating func writeKey(_ key: Ed25519.PublicKey) { writeFixed(key.rawRepresentation) }
}

extension CanonicalDecoder {
    /// Reads a raw 32-byte Ed25519 public key.
    public mutating func readKey() throws(CoreError) -> Ed25519.PublicKey {
        try Ed25519.PublicKey(core: readFixed(count: Ed25519.publicKeyByteCount))
    }

    /// Reads a raw 64-byte Ed25519 signature.
    public mutating func readEd25519Signature() throws(CoreError) -> [UInt8] {
        try readFixed(count: Ed25519.signatureByteCount)
    }

    /// Reads an area code and refuses a malformed one with `encoding.invalid_value`.
    public mutating func readAreaCode() throws(CoreError) -> AreaCode {
        let at = offset
        let code = try readString(limit: AreaCodes.maximumByteCount)
        guard AreaCodes.isValid(code) else { throw CoreError(.encodingInvalidValue, "malformed area code at offset \(at)") }
        return code
    }
}

extension Ed25519.PublicKey {
    /// Wraps 32 bytes, with CoreError's `encoding.invalid_value` on another length.
    public init(core bytes: [UInt8]) throws(CoreError) {
        do { try self.init(rawRepresentation: bytes) } catch {
            throw CoreError(.encodingInvalidValue, "an Ed25519 public key has 32 bytes, not \(bytes.count)")
        }
    }
}

/// JSON: Ed25519 public keys are standard padded base64 of their 32 raw bytes.
extension Ed25519.PublicKey: Codable {
    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let bytes = try? Base64.decode(text), let key = try? Ed25519.PublicKey(rawRepresentation: bytes) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a base64 Ed25519 public key"))
        }
        self = key
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(Base64.encode(rawRepresentation))
    }
}
