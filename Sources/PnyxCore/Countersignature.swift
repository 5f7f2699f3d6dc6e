public import PnyxCrypto

/// An Ed25519 countersignature of a signed certificate by an administration official or an
/// auditor: "I checked this certificate". Anyone re-checks it with the key it names.
///
/// Signed bytes ("pnyx/certificate-countersignature/v1"), in the canonical encoding:
/// `string "pnyx/certificate-countersignature/v1" ‖ Certificate ‖ serviceSignature[64]`, that
/// is the tag followed by the ``SignedCertificate``'s canonical bytes: a countersignature
/// covers exactly one certificate as the service signed it, and can never be taken for a
/// signature of anything else (the service's own certificate signature is over the
/// certificate bytes alone, which start with another tag).
///
/// The role (`official` or `auditor`), the name and the time are the service's record of
/// who countersigned; they are not signed: the key is what counts, and which keys are
/// officials' and auditors' is the service's published configuration.
public struct Countersignature: Hashable, Sendable, Codable {
    /// Who may countersign with a key.
    public enum Role: String, Hashable, Sendable, Codable, CaseIterable {
        /// An administration official (authenticated with an admin token too).
        case official
        /// An auditor (its key is enough).
        case auditor
    }

    /// The domain tag of the signed bytes.
    public static let domainTag = "pnyx/certificate-countersignature/v1"

    public let role: Role
    /// The name the service is configured with for this key.
    public let name: String
    /// The countersigner's Ed25519 public key.
    public let publicKey: Ed25519.PublicKey
    /// Ed25519 over ``signedBytes(_:)``.
    public let signature: [UInt8]
    /// Unix seconds UTC when the service recorded it.
    public let recordedAt: Int64

    public init(role: Role, name: String, publicKey: Ed25519.PublicKey, signature: [UInt8], recordedAt: Int64) {
        self.role = role
        self.name = name
        self.publicKey = publicKey
        self.signature = signature
        self.recordedAt = recordedAt
    }

    /// The bytes a countersigner signs for `certificate`.
    public static func signedBytes(_ certificate: SignedCertificate) -> [UInt8] {
        var encoder = CanonicalEncoder(reservingCapacity: 512)
        encoder.writeDomain(domainTag)
        encoder.write(certificate)
        return encoder.bytes
    }

    /// Signs `certificate` with `key` (the countersigner's side).
    public static func sign(_ certificate: SignedCertificate, with key: Ed25519.PrivateKey) -> [UInt8] {
        key.sign(signedBytes(certificate))
    }

    /// Whether `signature` by `publicKey` countersigns `certificate`.
    public static func isValid(_ signature: [UInt8], by publicKey: Ed25519.PublicKey, for certificate: SignedCertificate) -> Bool {
        signature.count == Ed25519.signatureByteCount && publicKey.isValidSignature(signature, for: signedBytes(certificate))
    }

    /// Throws `certificate.invalid` unless this countersignature verifies for `certificate`.
    public func verify(_ certificate: SignedCertificate) throws(CoreError) {
        guard Self.isValid(signature, by: publicKey, for: certificate) else {
            throw CoreError(.certificateInvalid, "the countersignature of \(name) (\(role.rawValue)) does not verify")
        }
    }

    private enum CodingKeys: String, CodingKey { case role, name, publicKey, signature, recordedAt }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(Role.self, forKey: .role)
        name = try c.decode(String.self, forKey: .name)
        do {
            publicKey = try Ed25519.PublicKey(rawRepresentation: try c.decodeBase64(forKey: .publicKey, count: Ed25519.publicKeyByteCount))
        } catch let error as CryptoError {
            throw DecodingError.dataCorruptedError(forKey: .publicKey, in: c, debugDescription: "\(error)")
        }
        signature = try c.decodeBase64(forKey: .signature, count: Ed25519.signatureByteCount)
        recordedAt = try c.decode(Int64.self, forKey: .recordedAt)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        try c.encode(name, forKey: .name)
        try c.encodeBase64(publicKey.rawRepresentation, forKey: .publicKey)
        try c.encodeBase64(signature, forKey: .signature)
        try c.encode(recordedAt, forKey: .recordedAt)
    }
}
