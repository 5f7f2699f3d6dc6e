public import PnyxCrypto
public import PnyxTransparency

/// "Poll P reached threshold T at log size N with root R, on date D", signed by the service.
///
/// Canonical encoding ("pnyx/certificate/v1"): `string tag ‖ pollID[16] ‖ u16 thresholdIndex ‖
/// u64 reachedAtSize ‖ rootAtReached[32] ‖ u64 checkpointSize ‖ checkpointRoot[32] ‖ i64 date ‖
/// string statement`.
public struct Certificate: Hashable, Sendable, Codable, CanonicalEncodable {
    public let pollID: PollID
    /// Index into the poll definition's thresholds.
    public let thresholdIndex: UInt16
    /// The log size N at which the threshold was first reached (the entry at N − 1 reached it).
    public let reachedAtSize: UInt64
    /// The Merkle root of the first N entries.
    public let rootAtReached: MerkleHash
    /// The signed checkpoint the certificate refers to (size ≥ N): prove N's root consistent with it.
    public let checkpointSize: UInt64
    public let checkpointRoot: MerkleHash
    /// Unix seconds UTC when the certificate was made.
    public let date: Int64
    /// A human statement, e.g. "The petition … reached 100 000 signatures on 2025-03-21".
    public let statement: String

    public init(pollID: PollID, thresholdIndex: UInt16, reachedAtSize: UInt64, rootAtReached: MerkleHash,
                checkpointSize: UInt64, checkpointRoot: MerkleHash, date: Int64, statement: String) {
        self.pollID = pollID
        self.thresholdIndex = thresholdIndex
        self.reachedAtSize = reachedAtSize
        self.rootAtReached = rootAtReached
        self.checkpointSize = checkpointSize
        self.checkpointRoot = checkpointRoot
        self.date = date
        self.statement = statement
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.writeDomain(DomainTag.certificate)
        encoder.write(pollID)
        encoder.writeU16(thresholdIndex)
        encoder.writeU64(reachedAtSize)
        encoder.writeFixed(rootAtReached.bytes)
        encoder.writeU64(checkpointSize)
        encoder.writeFixed(checkpointRoot.bytes)
        encoder.writeI64(date)
        encoder.writeString(statement)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        try decoder.expectDomain(DomainTag.certificate)
        pollID = try decoder.read()
        thresholdIndex = try decoder.readU16()
        reachedAtSize = try decoder.readU64()
        rootAtReached = try decoder.readMerkleHash()
        checkpointSize = try decoder.readU64()
        checkpointRoot = try decoder.readMerkleHash()
        date = try decoder.readI64()
        statement = try decoder.readString(limit: 4_096)
    }

    private enum CodingKeys: String, CodingKey {
        case pollID, thresholdIndex, reachedAtSize, rootAtReached, checkpointSize, checkpointRoot, date, statement
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        do {
            self.init(pollID: try c.decode(PollID.self, forKey: .pollID),
                      thresholdIndex: try c.decode(UInt16.self, forKey: .thresholdIndex),
                      reachedAtSize: try c.decode(UInt64.self, forKey: .reachedAtSize),
                      rootAtReached: try MerkleHash(bytes: try c.decodeHex(forKey: .rootAtReached, count: 32)),
                      checkpointSize: try c.decode(UInt64.self, forKey: .checkpointSize),
                      checkpointRoot: try MerkleHash(bytes: try c.decodeHex(forKey: .checkpointRoot, count: 32)),
                      date: try c.decode(Int64.self, forKey: .date),
                      statement: try c.decode(String.self, forKey: .statement))
        } catch let error as TransparencyError {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(pollID, forKey: .pollID)
        try c.encode(thresholdIndex, forKey: .thresholdIndex)
        try c.encode(reachedAtSize, forKey: .reachedAtSize)
        try c.encode(rootAtReached.hex, forKey: .rootAtReached)
        try c.encode(checkpointSize, forKey: .checkpointSize)
        try c.encode(checkpointRoot.hex, forKey: .checkpointRoot)
        try c.encode(date, forKey: .date)
        try c.encode(statement, forKey: .statement)
    }
}

/// A certificate with the service's Ed25519 signature. Canonical encoding: `Certificate ‖ signature[64]`.
public struct SignedCertificate: Hashable, Sendable, Codable, CanonicalEncodable {
    public let certificate: Certificate
    public let signature: [UInt8]

    public init(certificate: Certificate, signature: [UInt8]) {
        self.certificate = certificate
        self.signature = signature
    }

    /// Signs with the service key.
    public init(signing certificate: Certificate, with serviceKey: Ed25519.PrivateKey) {
        self.init(certificate: certificate, signature: serviceKey.sign(certificate.canonicalBytes))
    }

    /// Throws `certificate.invalid` unless `serviceKey` signed the certificate.
    public func verify(serviceKey: Ed25519.PublicKey) throws(CoreError) {
        guard serviceKey.isValidSignature(signature, for: certificate.canonicalBytes) else {
            throw CoreError(.certificateInvalid, "the certificate's service signature does not verify")
        }
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(certificate)
        encoder.writeFixed(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        certificate = try decoder.read()
        signature = try decoder.readEd25519Signature()
    }

    private enum CodingKeys: String, CodingKey { case certificate, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        certificate = try container.decode(Certificate.self, forKey: .certificate)
        signature = try container.decodeBase64(forKey: .signature, count: Ed25519.signatureByteCount)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(certificate, forKey: .certificate)
        try container.encodeBase64(signature, forKey: .signature)
    }
}

extension CanonicalDecoder {
    /// Reads a raw 32-byte hash.
    public mutating func readMerkleHash() throws(CoreError) -> MerkleHash {
        let bytes = try readFixed(count: MerkleHash.byteCount)
        guard let hash = try? MerkleHash(bytes: bytes) else { throw CoreError(.encodingInvalidValue, "not a 32-byte hash") }
        return hash
    }
}
