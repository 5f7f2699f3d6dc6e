public import PnyxCrypto

/// A key directory with the broker's Ed25519 signature over its canonical bytes.
///
/// Canonical encoding: `KeyDirectory ‖ signature[64]`.
public struct SignedKeyDirectory: Sendable, Hashable, Codable, CanonicalEncodable {
    public let directory: KeyDirectory
    /// Ed25519 by the broker key over `directory.canonicalBytes`.
    public let signature: [UInt8]

    public init(directory: KeyDirectory, signature: [UInt8]) {
        self.directory = directory
        self.signature = signature
    }

    /// Signs `directory` with the broker's key.
    public init(signing directory: KeyDirectory, with brokerKey: Ed25519.PrivateKey) {
        self.init(directory: directory, signature: brokerKey.sign(directory.canonicalBytes))
    }

    /// Throws `directory.invalid_signature` unless `brokerKey` signed the directory.
    public func verify(brokerKey: Ed25519.PublicKey) throws(CoreError) {
        guard brokerKey.isValidSignature(signature, for: directory.canonicalBytes) else {
            throw CoreError(.directoryInvalidSignature, "the key directory's broker signature does not verify")
        }
    }

    /// Checks the directory belongs to `definition`'s poll (`directory.invalid`) and is signed
    /// by its broker (`directory.invalid_signature`).
    public func verify(for definition: PollDefinition) throws(CoreError) {
        guard directory.pollID == definition.pollID else {
            throw CoreError(.directoryInvalid, "the key directory is for poll \(directory.pollID), not \(definition.pollID)")
        }
        try verify(brokerKey: definition.brokerKey)
    }

    public func encode(to encoder: inout CanonicalEncoder) {
        encoder.write(directory)
        encoder.writeFixed(signature)
    }

    public init(from decoder: inout CanonicalDecoder) throws(CoreError) {
        directory = try decoder.read()
        signature = try decoder.readEd25519Signature()
    }

    private enum CodingKeys: String, CodingKey { case directory, signature }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        directory = try container.decode(KeyDirectory.self, forKey: .directory)
        signature = try container.decodeBase64(forKey: .signature, count: Ed25519.signatureByteCount)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(directory, forKey: .directory)
        try container.encodeBase64(signature, forKey: .signature)
    }
}
