internal import CSodium

/// Ed25519 signatures (RFC 8032, pure Ed25519) through libsodium's detached API.
public enum Ed25519 {
    /// Seed (private key) length in bytes.
    public static let seedByteCount = 32
    /// Public key length in bytes.
    public static let publicKeyByteCount = 32
    /// Signature length in bytes.
    public static let signatureByteCount = 64

    /// An Ed25519 private key: the 32-byte RFC 8032 seed plus its expanded libsodium form.
    public struct PrivateKey: Sendable {
        /// The 32-byte RFC 8032 private key (seed).
        public let seed: [UInt8]
        /// The matching public key.
        public let publicKey: PublicKey
        /// libsodium's 64-byte secret key (seed || public key).
        private let secretKey: [UInt8]

        /// Derives the key pair from a 32-byte seed. Throws `crypto.invalid_key` on another length.
        public init(seed: [UInt8]) throws(CryptoError) {
            guard seed.count == Ed25519.seedByteCount else {
                throw CryptoError(.invalidKey, "Ed25519 seed must be 32 bytes, got \(seed.count)")
            }
            Sodium.ready()
            var pk = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
            let rc = crypto_sign_seed_keypair(&pk, &sk, seed)
            guard rc == 0 else {
                throw CryptoError(.libraryFailure, "crypto_sign_seed_keypair failed", libraryMessage: "rc \(rc)")
            }
            self.seed = seed
            self.secretKey = sk
            self.publicKey = PublicKey(uncheckedBytes: pk)
        }

        /// Generates a new key from 32 bytes of `random` (the system CSPRNG by default).
        public init(random: some RandomSource = SystemRandom()) {
            // A 32-byte seed is always valid.
            try! self.init(seed: random.bytes(Ed25519.seedByteCount))
        }

        /// Signs `message`, returning the 64-byte detached signature (deterministic per RFC 8032).
        public func sign(_ message: [UInt8]) -> [UInt8] {
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            message.withUnsafeBufferPointer { m in
                secretKey.withUnsafeBufferPointer { sk in
                    _ = crypto_sign_detached(&signature, nil, m.baseAddress, UInt64(m.count), sk.baseAddress!)
                }
            }
            return signature
        }
    }

    /// An Ed25519 public key (32 bytes, RFC 8032 encoding).
    public struct PublicKey: Sendable, Hashable {
        /// The 32-byte encoded public key.
        public let rawRepresentation: [UInt8]

        /// Wraps a 32-byte encoded public key. Throws `crypto.invalid_key` on another length.
        ///
        /// Point validity is checked when verifying: an invalid encoding never verifies.
        public init(rawRepresentation: [UInt8]) throws(CryptoError) {
            guard rawRepresentation.count == Ed25519.publicKeyByteCount else {
                throw CryptoError(.invalidKey, "Ed25519 public key must be 32 bytes, got \(rawRepresentation.count)")
            }
            self.rawRepresentation = rawRepresentation
        }

        init(uncheckedBytes: [UInt8]) { rawRepresentation = uncheckedBytes }

        /// True when `signature` is a valid signature of `message` by this key.
        /// A signature of the wrong length is simply invalid.
        public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
            guard signature.count == Ed25519.signatureByteCount else { return false }
            Sodium.ready()
            return signature.withUnsafeBufferPointer { s in
                message.withUnsafeBufferPointer { m in
                    rawRepresentation.withUnsafeBufferPointer { pk in
                        crypto_sign_verify_detached(s.baseAddress!, m.baseAddress, UInt64(m.count), pk.baseAddress!) == 0
                    }
                }
            }
        }

        /// Verifies `signature` over `message`; throws `crypto.invalid_signature` when it does not verify.
        public func verify(_ signature: [UInt8], for message: [UInt8]) throws(CryptoError) {
            guard isValidSignature(signature, for: message) else {
                throw CryptoError(.invalidSignature, "Ed25519 signature does not verify")
            }
        }
    }
}
