/// RSA blind signatures (RSABSSA) over OpenSSL: the client prepares and blinds a message, the
/// signer signs it without seeing it, the client unblinds ("finalizes") the result into a
/// standard RSASSA-PSS signature (SHA-384, MGF1-SHA-384) that anyone can verify.
///
/// ```
/// let prepared = BlindRSA.prepare(message)                                  // client
/// let blinding = try BlindRSA.blind(prepared, publicKey: key.publicKey)     // client
/// let blindSig = try BlindRSA.blindSign(blinding.blindedMessage, privateKey: key) // signer
/// let sig = try BlindRSA.finalize(blindSig, preparedMessage: prepared,
///                                 inverse: blinding.inverse, publicKey: key.publicKey)
/// try BlindRSA.verify(sig, preparedMessage: prepared, publicKey: key.publicKey) // anyone
/// ```
/// - SeeAlso: RFC 9474
public enum BlindRSA {
    /// The four RFC 9474 variants. All use SHA-384 and MGF1-SHA-384; they differ in salt
    /// length (48 for PSS, 0 for PSSZERO) and in whether Prepare adds a random prefix.
    /// - SeeAlso: RFC 9474 §5
    public enum Variant: String, Sendable, Hashable, CaseIterable {
        /// RSABSSA-SHA384-PSS-Randomized: salt 48 bytes, 32-byte random message prefix.
        case sha384PSSRandomized = "RSABSSA-SHA384-PSS-Randomized"
        /// RSABSSA-SHA384-PSSZERO-Randomized: no salt, 32-byte random message prefix.
        case sha384PSSZeroRandomized = "RSABSSA-SHA384-PSSZERO-Randomized"
        /// RSABSSA-SHA384-PSS-Deterministic: salt 48 bytes, message used as is.
        case sha384PSSDeterministic = "RSABSSA-SHA384-PSS-Deterministic"
        /// RSABSSA-SHA384-PSSZERO-Deterministic: no salt, message used as is.
        case sha384PSSZeroDeterministic = "RSABSSA-SHA384-PSSZERO-Deterministic"

        /// RSABSSA-SHA384-PSS-Randomized, the RFC's recommended variant.
        public static let `default` = Variant.sha384PSSRandomized

        /// PSS salt length in bytes.
        public var saltLength: Int {
            switch self {
            case .sha384PSSRandomized, .sha384PSSDeterministic: 48
            case .sha384PSSZeroRandomized, .sha384PSSZeroDeterministic: 0
            }
        }

        /// True when Prepare is PrepareRandomize (32-byte random prefix), false for PrepareIdentity.
        public var isRandomized: Bool {
            switch self {
            case .sha384PSSRandomized, .sha384PSSZeroRandomized: true
            case .sha384PSSDeterministic, .sha384PSSZeroDeterministic: false
            }
        }
    }

    /// Length of the PrepareRandomize message prefix.
    public static let prefixLength = 32

    /// The output of Blind: the blinded message for the signer and the secret unblinding
    /// inverse the client keeps for Finalize (both `modulus_len` bytes).
    public struct BlindingResult: Sendable {
        /// `blinded_msg`, sent to the signer.
        public let blindedMessage: [UInt8]
        /// `inv` = r⁻¹ mod n. Secret: it links the blinded message to the final signature.
        public let inverse: [UInt8]
    }

    // MARK: - Prepare

    /// Prepare for `variant`: PrepareRandomize (32 random bytes from `random` prepended) or
    /// PrepareIdentity.
    /// - SeeAlso: RFC 9474 §4.1
    public static func prepare(
        _ message: [UInt8], variant: Variant = .default, random: some RandomSource = SystemRandom()
    ) -> [UInt8] {
        guard variant.isRandomized else { return prepareIdentity(message) }
        // 1. msg_prefix = random(32)
        let prefix = random.bytes(prefixLength)
        precondition(prefix.count == prefixLength, "RandomSource returned \(prefix.count) bytes, not \(prefixLength)")
        // 2.–3. input_msg = concat(msg_prefix, msg); output input_msg
        return prefix + message
    }

    /// PrepareIdentity: the message itself.
    /// - SeeAlso: RFC 9474 §4.1
    public static func prepareIdentity(_ message: [UInt8]) -> [UInt8] { message }

    /// PrepareRandomize with an explicit 32-byte `prefix` (for test vectors, or to rebuild
    /// the prepared message from a stored prefix). Throws `crypto.invalid_input` on a prefix
    /// of another length.
    /// - SeeAlso: RFC 9474 §4.1
    public static func prepareRandomize(_ message: [UInt8], prefix: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard prefix.count == prefixLength else {
            throw CryptoError(.invalidInput, "message prefix must be \(prefixLength) bytes, got \(prefix.count)")
        }
        return prefix + message
    }

    // MARK: - Blind

    /// Blind (client): encodes `preparedMessage` with EMSA-PSS and multiplies it by rᵉ for a
    /// uniformly random r. Salt and r come from `random`.
    ///
    /// Throws `crypto.message_too_long` if the key is too small for the encoding and
    /// `crypto.blinding_failure` if the representative or r is not invertible mod n.
    /// - SeeAlso: RFC 9474 §4.2
    public static func blind(
        _ preparedMessage: [UInt8], publicKey: PublicKey, variant: Variant = .default,
        random: some RandomSource = SystemRandom()
    ) throws(CryptoError) -> BlindingResult {
        let key = publicKey.handle
        let salt = random.bytes(variant.saltLength)
        guard salt.count == variant.saltLength else {
            throw CryptoError(.invalidInput, "random source returned \(salt.count) salt bytes")
        }
        // 6. r = random_integer_uniform(1, n)
        let r = try key.randomUnit(random)
        return try blind(preparedMessage, key: key, saltLength: variant.saltLength, salt: salt, r: r)
    }

    /// Blind with explicit `salt` and `inverse` (r⁻¹ mod n, big-endian, `modulus_len` bytes),
    /// as RFC 9474 Appendix A gives them. For tests and reproducible transcripts only: a
    /// reused inverse or salt breaks unlinkability.
    ///
    /// Throws `crypto.invalid_input` on a salt of the wrong length or an inverse not in [1, n).
    /// - SeeAlso: RFC 9474 §4.2, Appendix A
    public static func blind(
        _ preparedMessage: [UInt8], publicKey: PublicKey, variant: Variant = .default,
        salt: [UInt8], inverse: [UInt8]
    ) throws(CryptoError) -> BlindingResult {
        let key = publicKey.handle
        guard salt.count == variant.saltLength else {
            throw CryptoError(.invalidInput, "\(variant.rawValue) needs a \(variant.saltLength)-byte salt, got \(salt.count)")
        }
        guard inverse.count == key.modulusBytes else {
            throw CryptoError(.invalidInput, "inverse must be \(key.modulusBytes) bytes, got \(inverse.count)")
        }
        let inv = try BigNum(bytes: inverse)
        guard !inv.isZero, inv.compare(key.n) < 0 else { throw CryptoError(.invalidInput, "inverse not in [1, n)") }
        let context = try BigNumContext()
        // r = inv⁻¹ mod n, so that step 7 gives back `inverse`.
        let r = try key.inverse(inv, context: context)
        return try blind(preparedMessage, key: key, saltLength: variant.saltLength, salt: salt, r: r)
    }

    /// Blind steps 1–12 with the salt and r already chosen.
    private static func blind(
        _ message: [UInt8], key: RSAKeyHandle, saltLength: Int, salt: [UInt8], r: BigNum
    ) throws(CryptoError) -> BlindingResult {
        // 1. encoded_msg = EMSA-PSS-ENCODE(msg, bit_len(n) - 1) with SHA-384, MGF1-SHA-384, salt_len
        // 2. If EMSA-PSS-ENCODE raises an error, re-raise the error and stop
        let encoded = try PSS.encode(message: message, emBits: key.modulusBits - 1, salt: salt)
        // 3. m = bytes_to_int(encoded_msg)
        let m = try BigNum(bytes: encoded)
        let context = try BigNumContext()
        // 4. c = is_coprime(m, n)
        // 5. If c is false, raise an error and stop
        do { _ = try key.inverse(m, context: context) } catch {
            throw CryptoError(.blindingFailure, "message representative not invertible mod n", libraryMessage: error.libraryMessage)
        }
        // 7. inv = inverse_mod(r, n)
        // 8. If inverse_mod fails, raise a "blinding error" and stop
        let inv: BigNum
        do { inv = try key.inverse(r, context: context) } catch {
            throw CryptoError(.blindingFailure, "blind r not invertible mod n", libraryMessage: error.libraryMessage)
        }
        // 9. x = RSAVP1(pk, r)
        r.markConstantTime()
        let x = try key.rsavp1(r, context: context)
        // 10. z = m * x mod n
        let z = try key.multiply(m, x, context: context)
        // 11. blinded_msg = int_to_bytes(z, modulus_len)
        // 12. output blinded_msg, inv
        guard let blinded = z.bytes(count: key.modulusBytes), let inverse = inv.bytes(count: key.modulusBytes) else {
            throw CryptoError(.libraryFailure, "I2OSP: value longer than the modulus")
        }
        return BlindingResult(blindedMessage: blinded, inverse: inverse)
    }

    // MARK: - BlindSign

    /// BlindSign (signer): the RSA private-key operation on `blindedMessage`, through
    /// OpenSSL's blinded constant-time RSA, followed by the mandatory RSAVP1 check.
    ///
    /// Throws `crypto.invalid_input` if `blindedMessage` is not `modulus_len` bytes or is ≥ n,
    /// `crypto.signing_failure` if the computed signature fails the check.
    /// - SeeAlso: RFC 9474 §4.3
    public static func blindSign(_ blindedMessage: [UInt8], privateKey: PrivateKey) throws(CryptoError) -> [UInt8] {
        let key = privateKey.handle
        guard blindedMessage.count == key.modulusBytes else {
            throw CryptoError(.invalidInput, "blinded message must be \(key.modulusBytes) bytes, got \(blindedMessage.count)")
        }
        // 1. m = bytes_to_int(blinded_msg)
        let m = try BigNum(bytes: blindedMessage)
        guard m.compare(key.n) < 0 else {
            throw CryptoError(.invalidInput, "blinded message representative out of range (≥ n)")
        }
        // 2. s = RSASP1(sk, m)
        let s = try key.rsasp1(blindedMessage)
        // 3.–4. m' = RSAVP1(pk, s); if m != m', raise "signing failure" and stop
        try checkRSAVP1(blindedMessage: blindedMessage, blindSignature: s, key: key)
        // 5.–6. blind_sig = int_to_bytes(s, modulus_len); output blind_sig
        return s
    }

    /// BlindSign steps 3–4: RSAVP1(pk, s) must give back the blinded message, else
    /// `crypto.signing_failure` (a faulty private operation must never release its output).
    static func checkRSAVP1(blindedMessage: [UInt8], blindSignature: [UInt8], key: RSAKeyHandle) throws(CryptoError) {
        let context = try BigNumContext()
        let recovered = try key.rsavp1(BigNum(bytes: blindSignature), context: context)
        guard let bytes = recovered.bytes(count: key.modulusBytes), ConstantTime.equals(bytes, blindedMessage) else {
            throw CryptoError(.signingFailure, "BlindSign: RSAVP1(pk, s) ≠ blinded message")
        }
    }

    // MARK: - Finalize

    /// Finalize (client): unblinds `blindSignature` with `inverse` and checks the result is a
    /// valid RSASSA-PSS signature of `preparedMessage`, which it returns.
    ///
    /// Throws `crypto.invalid_input` on inputs that are not `modulus_len` bytes and
    /// `crypto.verification_failure` when the unblinded signature does not verify.
    /// - SeeAlso: RFC 9474 §4.4
    public static func finalize(
        _ blindSignature: [UInt8], preparedMessage: [UInt8], inverse: [UInt8], publicKey: PublicKey,
        variant: Variant = .default
    ) throws(CryptoError) -> [UInt8] {
        let key = publicKey.handle
        // 1. If len(blind_sig) != modulus_len, raise "unexpected input size" and stop
        guard blindSignature.count == key.modulusBytes else {
            throw CryptoError(.invalidInput, "blind signature must be \(key.modulusBytes) bytes, got \(blindSignature.count)")
        }
        guard inverse.count == key.modulusBytes else {
            throw CryptoError(.invalidInput, "inverse must be \(key.modulusBytes) bytes, got \(inverse.count)")
        }
        // 2. z = bytes_to_int(blind_sig)
        let z = try BigNum(bytes: blindSignature)
        let inv = try BigNum(bytes: inverse)
        inv.markConstantTime()
        // 3. s = z * inv mod n
        let context = try BigNumContext()
        let s = try key.multiply(z, inv, context: context)
        // 4. sig = int_to_bytes(s, modulus_len)
        guard let signature = s.bytes(count: key.modulusBytes) else {
            throw CryptoError(.libraryFailure, "I2OSP: value longer than the modulus")
        }
        // 5. result = RSASSA-PSS-VERIFY(pk, msg, sig) with SHA-384, MGF1-SHA-384, salt_len
        // 6. If result = "valid signature", output sig, else raise "invalid signature" and stop
        guard try key.verifyPSS(message: preparedMessage, signature: signature, saltLength: variant.saltLength) else {
            throw CryptoError(.verificationFailure, "Finalize: unblinded signature does not verify")
        }
        return signature
    }

    // MARK: - Verify

    /// Verify: `signature` must be a valid RSASSA-PSS signature (SHA-384, MGF1-SHA-384, the
    /// variant's salt length) of `preparedMessage` (including the prefix for randomized
    /// variants). Throws `crypto.verification_failure` otherwise.
    /// - SeeAlso: RFC 9474 §4.5
    public static func verify(
        _ signature: [UInt8], preparedMessage: [UInt8], publicKey: PublicKey, variant: Variant = .default
    ) throws(CryptoError) {
        guard try isValidSignature(signature, preparedMessage: preparedMessage, publicKey: publicKey, variant: variant) else {
            throw CryptoError(.verificationFailure, "signature does not verify")
        }
    }

    /// Verify as a Boolean: true when `signature` is valid for `preparedMessage`.
    /// Throws only when OpenSSL itself fails.
    /// - SeeAlso: RFC 9474 §4.5
    public static func isValidSignature(
        _ signature: [UInt8], preparedMessage: [UInt8], publicKey: PublicKey, variant: Variant = .default
    ) throws(CryptoError) -> Bool {
        try publicKey.handle.verifyPSS(message: preparedMessage, signature: signature, saltLength: variant.saltLength)
    }
}

// MARK: - Keys

extension BlindRSA {
    /// An RSA public key. Equal when their SubjectPublicKeyInfo encodings are equal.
    public struct PublicKey: Sendable, Hashable {
        let handle: RSAKeyHandle
        /// DER SubjectPublicKeyInfo.
        public let derRepresentation: [UInt8]
        /// PEM "PUBLIC KEY" (SubjectPublicKeyInfo).
        public let pemRepresentation: String

        init(handle: RSAKeyHandle) throws(CryptoError) {
            self.handle = handle
            derRepresentation = try handle.spkiDER()
            pemRepresentation = try handle.publicPEM()
        }

        /// Parses DER SubjectPublicKeyInfo. Throws `crypto.invalid_key` if malformed or not
        /// RSA, `crypto.unsupported_parameter` outside 2048–4096 bits.
        public init(derRepresentation: [UInt8]) throws(CryptoError) {
            try self.init(handle: RSAKeyHandle.fromSPKI(derRepresentation))
        }

        /// Parses PEM "PUBLIC KEY". Same errors as ``init(derRepresentation:)``.
        public init(pemRepresentation: String) throws(CryptoError) {
            try self.init(handle: RSAKeyHandle.fromPublicPEM(pemRepresentation))
        }

        /// Modulus size in bits.
        public var modulusBitCount: Int { handle.modulusBits }
        /// `modulus_len`: modulus size in bytes, the length of blinded messages and signatures.
        public var modulusByteCount: Int { handle.modulusBytes }
        /// Key id: SHA-256 of the DER SubjectPublicKeyInfo.
        public var keyID: [UInt8] { SHA256.hash(derRepresentation) }

        public static func == (lhs: PublicKey, rhs: PublicKey) -> Bool {
            lhs.derRepresentation == rhs.derRepresentation
        }

        public func hash(into hasher: inout Hasher) { hasher.combine(derRepresentation) }
    }

    /// An RSA private key (held by the signer). Not printable, not comparable.
    public struct PrivateKey: Sendable {
        let handle: RSAKeyHandle
        /// The matching public key.
        public let publicKey: PublicKey

        init(handle: RSAKeyHandle) throws(CryptoError) {
            self.handle = handle
            publicKey = try PublicKey(handle: handle.publicHandle())
        }

        /// Generates a key of 2048, 3072 or 4096 bits with e = 65537; other sizes throw
        /// `crypto.unsupported_parameter`.
        public static func generate(bits: Int = 2048) throws(CryptoError) -> PrivateKey {
            try PrivateKey(handle: RSAKeyHandle.generate(bits: bits))
        }

        /// Parses unencrypted DER PKCS#8 PrivateKeyInfo. Throws `crypto.invalid_key` if
        /// malformed, not RSA or inconsistent; `crypto.unsupported_parameter` outside 2048–4096 bits.
        public init(derRepresentation: [UInt8]) throws(CryptoError) {
            try self.init(handle: RSAKeyHandle.fromPKCS8(derRepresentation))
        }

        /// Parses unencrypted PEM "PRIVATE KEY" (PKCS#8). Same errors as ``init(derRepresentation:)``.
        public init(pemRepresentation: String) throws(CryptoError) {
            try self.init(handle: RSAKeyHandle.fromPrivatePEM(pemRepresentation))
        }

        /// Builds a key from its big-endian components n, e, d, p, q (as RFC 9474 Appendix A
        /// gives them); the CRT values dP, dQ, qInv are computed. Throws `crypto.invalid_key`
        /// if the components are inconsistent.
        public init(n: [UInt8], e: [UInt8], d: [UInt8], p: [UInt8], q: [UInt8]) throws(CryptoError) {
            try self.init(handle: RSAKeyHandle.fromComponents(n: n, e: e, d: d, p: p, q: q))
        }

        /// Unencrypted DER PKCS#8 PrivateKeyInfo. Secret: store it encrypted.
        public func derRepresentation() throws(CryptoError) -> [UInt8] { try handle.pkcs8DER() }

        /// Unencrypted PEM "PRIVATE KEY" (PKCS#8). Secret: store it encrypted.
        public func pemRepresentation() throws(CryptoError) -> String { try handle.privatePEM() }
    }
}
