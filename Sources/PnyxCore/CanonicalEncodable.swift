/// A value with a canonical binary encoding.
///
/// A *record* (a type with a domain tag, such as ``PollDefinition``) writes its tag first
/// in ``encode(to:)`` and checks it first in ``init(from:)``, wherever it appears — top level
/// or nested — so a nested record's bytes are exactly its standalone canonical bytes.
/// Values without a domain tag (such as ``Question``) write their fields only.
public protocol CanonicalEncodable {
    /// Appends this value's canonical encoding.
    func encode(to encoder: inout CanonicalEncoder)
    /// Reads a value, strictly.
    init(from decoder: inout CanonicalDecoder) throws(CoreError)
    /// The canonical bytes of this value standing alone.
    var canonicalBytes: [UInt8] { get }
    /// Decodes exactly one value from `canonicalBytes`; trailing bytes are `encoding.trailing_bytes`.
    init(canonicalBytes: [UInt8]) throws(CoreError)
}

extension CanonicalEncodable {
    public var canonicalBytes: [UInt8] {
        var encoder = CanonicalEncoder()
        encode(to: &encoder)
        return encoder.bytes
    }

    public init(canonicalBytes: [UInt8]) throws(CoreError) {
        var decoder = CanonicalDecoder(canonicalBytes)
        self = try Self(from: &decoder)
        try decoder.finish()
    }
}

/// The domain tags of Pnyx records, one per record type and version.
public enum DomainTag {
    public static let poll = "pnyx/poll/v1"
    public static let attributeClass = "pnyx/class/v1"
    public static let keyDirectory = "pnyx/key-directory/v1"
    public static let credential = "pnyx/credential/v1"
    public static let nameAttestation = "pnyx/name-attestation/v1"
    public static let entry = "pnyx/entry/v2"
    public static let lifecycle = "pnyx/lifecycle/v1"
    public static let record = "pnyx/record/v1"
    public static let certificate = "pnyx/certificate/v1"
}
