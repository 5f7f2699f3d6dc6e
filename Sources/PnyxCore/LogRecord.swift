import PnyxTransparency

/// One record of a poll's log: its canonical bytes are the payload of the log leaf
/// (``LogLeaf/payload``); the log layer adds position, chain and Merkle tree.
///
/// Canonical encoding ("pnyx/record/v1"): `string tag ‖ i64 recordedAt ‖ u8 body tag ‖ body`,
/// body: definition = 1 ‖ SignedPollDefinition; lifecycle = 2 ‖ LifecycleEvent; entry = 3 ‖ Entry.
/// The whole record is at most ``maximumByteCount`` bytes (one leaf).
public struct LogRecord: Hashable, Sendable, Codable, CanonicalEncodable {
    /// What the record holds.
    public enum Body: Hashable, Sendable {
        case definition(SignedPollDefinition)
        case lifecycle(LifecycleEvent)
        case entry(Entry)
    }

    /// Unix seconds UTC; coarse: the service rounds entries' times down to the minute.
    public let recordedAt: Int64
    public let body: Body

    public init(recordedAt: Int64, body: Body) {
        self.recordedAt = recordedAt
        self.body = body
    }

    /// The largest record: the largest log-leaf payload.
    public static let maximumByteCount = LogLeaf.maximumPayloadCount

    /// `time` rounded down to the minute (for entries, against timing analysis).
    public static func coarse(_ time: Int64) -> Int64 {
        time - ((time % 60) + 60) % 60
    }

    /// The canonical bytes, checked to fit one leaf (`encoding.limit_exceeded` otherwise).
    public func leafPayload() throws(CoreError) -> [UInt8] {
        let bytes = canonicalBytes
        guard bytes.count <= Self.maximumByteCount else {
            throw CoreError(.encodingLimitExceeded, "a record of \(bytes.count) bytes exceeds \(Self.maximumByteCount)")
        }
        return bytes
    }

    /// Decodes a leaf payload; one larger than ``maximumByteCount`` is `encoding.limit_exceeded`.
    public init(leafPayload bytes: [UInt8]) throws(CoreError) {
        guard bytes.count <= Self.maximumByteCount else {
            throw CoreError(.encodingLimitExceeded, "a record of \(bytes.count) bytes exceeds \(Self.maximumByteCount)")
        }
        try self.init(canonicalBytes: bytes)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(DomainTag.record)
        encoder.writeI64(recordedAt)
        switch body {
        case .definition(let definition):
            encoder.writeU8(1)
            encoder.write(definition)
        case .lifecycle(let event):
            encoder.writeU8(2)
            encoder.write(event)
        case .entry(let entry):
            encoder.writeU8(3)
            encoder.write(entry)
        }
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.record)
        recordedAt = try decoder.readI64()
        let tag = try decoder.readTag()
        switch tag {
        case 1: body = .definition(try decoder.read())
        case 2: body = .lifecycle(try decoder.read())
        case 3: body = .entry(try decoder.read())
        default: throw decoder.unknownTag(tag, of: "log record body")
        }
    }

    private enum CodingKeys: String, CodingKey { case recordedAt, kind, definition, lifecycle, entry }

    /// JSON: `{"recordedAt":…,"kind":"definition"|"lifecycle"|"entry", "<kind>":{…}}`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(recordedAt, forKey: .recordedAt)
        switch body {
        case .definition(let value):
            try c.encode("definition", forKey: .kind)
            try c.encode(value, forKey: .definition)
        case .lifecycle(let value):
            try c.encode("lifecycle", forKey: .kind)
            try c.encode(value, forKey: .lifecycle)
        case .entry(let value):
            try c.encode("entry", forKey: .kind)
            try c.encode(value, forKey: .entry)
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        recordedAt = try c.decode(Int64.self, forKey: .recordedAt)
        switch try c.decode(String.self, forKey: .kind) {
        case "definition": body = .definition(try c.decode(SignedPollDefinition.self, forKey: .definition))
        case "lifecycle": body = .lifecycle(try c.decode(LifecycleEvent.self, forKey: .lifecycle))
        case "entry": body = .entry(try c.decode(Entry.self, forKey: .entry))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown record kind \(other)")
        }
    }
}
