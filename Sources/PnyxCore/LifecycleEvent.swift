/// A change in a poll's life, recorded in its log (and so signed by the service's checkpoints).
///
/// Canonical encoding ("pnyx/lifecycle/v1"): `string tag ‖ Kind ‖ i64 at`, where Kind is
/// `u8 tag ‖ fields`: published = 1 ‖ SignedKeyDirectory; opened = 2; closed = 3;
/// certified = 4 ‖ SignedCertificate; moderationAccepted = 5; moderationRejected = 6 ‖
/// string reason; answered = 7 ‖ string text ‖ list<string> links.
public struct LifecycleEvent: Hashable, Sendable, Codable, CanonicalEncodable {
    /// What happened.
    public enum Kind: Hashable, Sendable {
        /// The broker's key directory for the poll.
        case published(SignedKeyDirectory)
        case opened
        case closed
        /// A threshold certificate.
        case certified(SignedCertificate)
        case moderationAccepted
        case moderationRejected(reason: String)
        /// The administration's official answer, with links to the deliberation.
        case answered(text: String, links: [String])

        /// The name used in JSON.
        public var name: String {
            switch self {
            case .published: "published"
            case .opened: "opened"
            case .closed: "closed"
            case .certified: "certified"
            case .moderationAccepted: "moderationAccepted"
            case .moderationRejected: "moderationRejected"
            case .answered: "answered"
            }
        }
    }

    public let kind: Kind
    /// Unix seconds UTC.
    public let at: Int64

    public init(kind: Kind, at: Int64) {
        self.kind = kind
        self.at = at
    }

    /// The most links in an answer.
    public static let maximumLinks = 64

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(DomainTag.lifecycle)
        switch kind {
        case .published(let directory):
            encoder.writeU8(1)
            encoder.write(directory)
        case .opened: encoder.writeU8(2)
        case .closed: encoder.writeU8(3)
        case .certified(let certificate):
            encoder.writeU8(4)
            encoder.write(certificate)
        case .moderationAccepted: encoder.writeU8(5)
        case .moderationRejected(let reason):
            encoder.writeU8(6)
            encoder.writeString(reason)
        case .answered(let text, let links):
            encoder.writeU8(7)
            encoder.writeString(text)
            encoder.writeList(links) { $0.writeString($1) }
        }
        encoder.writeI64(at)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.lifecycle)
        let tag = try decoder.readTag()
        switch tag {
        case 1: kind = .published(try decoder.read())
        case 2: kind = .opened
        case 3: kind = .closed
        case 4: kind = .certified(try decoder.read())
        case 5: kind = .moderationAccepted
        case 6: kind = .moderationRejected(reason: try decoder.readString())
        case 7:
            kind = .answered(text: try decoder.readString(),
                             links: try decoder.readList(limit: Self.maximumLinks) { (d: inout CanonicalDecoder) throws(CoreError) in
                                 try d.readString(limit: 2_048)
                             })
        default: throw decoder.unknownTag(tag, of: "lifecycle event")
        }
        at = try decoder.readI64()
    }

    private enum CodingKeys: String, CodingKey { case kind, at, directory, certificate, reason, text, links }

    /// JSON: `{"kind":"opened","at":…}`, plus `directory`, `certificate`, `reason` or `text`+`links`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(kind.name, forKey: .kind)
        try c.encode(at, forKey: .at)
        switch kind {
        case .published(let directory): try c.encode(directory, forKey: .directory)
        case .certified(let certificate): try c.encode(certificate, forKey: .certificate)
        case .moderationRejected(let reason): try c.encode(reason, forKey: .reason)
        case .answered(let text, let links):
            try c.encode(text, forKey: .text)
            try c.encode(links, forKey: .links)
        case .opened, .closed, .moderationAccepted: break
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        at = try c.decode(Int64.self, forKey: .at)
        switch try c.decode(String.self, forKey: .kind) {
        case "published": kind = .published(try c.decode(SignedKeyDirectory.self, forKey: .directory))
        case "opened": kind = .opened
        case "closed": kind = .closed
        case "certified": kind = .certified(try c.decode(SignedCertificate.self, forKey: .certificate))
        case "moderationAccepted": kind = .moderationAccepted
        case "moderationRejected": kind = .moderationRejected(reason: try c.decode(String.self, forKey: .reason))
        case "answered": kind = .answered(text: try c.decode(String.self, forKey: .text), links: try c.decode([String].self, forKey: .links))
        case let other:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: c, debugDescription: "unknown lifecycle kind \(other)")
        }
    }
}
