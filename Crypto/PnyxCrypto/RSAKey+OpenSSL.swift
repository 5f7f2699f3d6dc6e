internal import COpenSSL

// MARK: - Owners of OpenSSL pointers

/// Owns one `BIGNUM*`; clears and frees it in `deinit`.
final class BigNum {
    let pointer: OpaquePointer

    /// Takes ownership of `pointer`.
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    /// A new zero value.
    convenience init() throws(CryptoError) {
        guard let p = BN_new() else { throw OpenSSLError.failure("BN_new") }
        self.init(taking: p)
    }

    /// The unsigned big-endian integer `bytes` (OS2IP).
    convenience init(bytes: [UInt8]) throws(CryptoError) {
        let p: OpaquePointer? = bytes.withUnsafeBufferPointer { BN_bin2bn($0.baseAddress, Int32($0.count), nil) }
        guard let p else { throw OpenSSLError.failure("BN_bin2bn") }
        self.init(taking: p)
    }

    deinit { BN_clear_free(pointer) }

    /// Number of significant bits.
    var bitCount: Int { Int(BN_num_bits(pointer)) }

    var isZero: Bool { BN_is_zero(pointer) == 1 }

    /// Marks this value secret so OpenSSL picks constant-time code paths (`BN_FLG_CONSTTIME`).
    func markConstantTime() { BN_set_flags(pointer, BN_FLG_CONSTTIME) }

    /// I2OSP: big-endian, left-padded to `count` bytes; nil when the value does not fit.
    func bytes(count: Int) -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2binpad(pointer, $0.baseAddress, Int32(count)) }
        return written == Int32(count) ? out : nil
    }

    /// -1, 0 or 1 as `self` is less than, equal to or greater than `other`.
    func compare(_ other: BigNum) -> Int { Int(BN_cmp(pointer, other.pointer)) }
}

/// Owns one `BN_CTX*` (scratch space for big-number arithmetic; one per call, never shared).
final class BigNumContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let p = BN_CTX_secure_new() else { throw OpenSSLError.failure("BN_CTX_secure_new") }
        pointer = p
    }

    deinit { BN_CTX_free(pointer) }
}

/// Owns one `BIO*` memory buffer.
final class MemoryBIO {
    let pointer: OpaquePointer

    /// An empty, writable memory BIO.
    init() throws(CryptoError) {
        guard let method = BIO_s_mem(), let p = BIO_new(method) else { throw OpenSSLError.failure("BIO_new") }
        pointer = p
    }

    /// A read-only BIO over a copy of `bytes`.
    init(reading bytes: [UInt8]) throws(CryptoError) {
        guard let method = BIO_s_mem(), let p = BIO_new(method) else { throw OpenSSLError.failure("BIO_new") }
        pointer = p
        let written = bytes.withUnsafeBytes { BIO_write(p, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(bytes.count) || bytes.isEmpty else { throw OpenSSLError.failure("BIO_write") }
    }

    deinit { BIO_free(pointer) }

    /// Everything written so far.
    func contents() -> [UInt8] {
        let pending = Int(BIO_ctrl_pending(pointer))
        var out = [UInt8](repeating: 0, count: pending)
        let read = out.withUnsafeMutableBytes { BIO_read(pointer, $0.baseAddress, Int32(pending)) }
        return Array(out.prefix(max(0, Int(read))))
    }
}

/// PEM password callback that refuses every password, so OpenSSL never prompts on a terminal.
private let noPassword: @convention(c) (
    UnsafeMutablePointer<CChar>?, Int32, Int32, UnsafeMutableRawPointer?
) -> Int32 = { _, _, _, _ in 0 }

/// A small pool of reusable OpenSSL contexts (`EVP_PKEY_CTX*` or `EVP_MD_CTX*`) for one key.
/// A context is used by one thread at a time: taken from the pool, used, then returned (or
/// freed if the operation failed). This saves re-creating and re-initialising a context on
/// every call without ever sharing one between threads. Guarded by an OpenSSL lock.
final class ContextPool: @unchecked Sendable {
    private let lock: UnsafeMutableRawPointer
    private var idle: [OpaquePointer] = []
    private let limit: Int
    private let destroy: (OpaquePointer) -> Void

    init(limit: Int = 64, destroy: @escaping (OpaquePointer) -> Void) {
        guard let lock = CRYPTO_THREAD_lock_new() else { fatalError("OpenSSL: CRYPTO_THREAD_lock_new failed") }
        self.lock = lock
        self.limit = limit
        self.destroy = destroy
    }

    deinit {
        idle.forEach(destroy)
        CRYPTO_THREAD_lock_free(lock)
    }

    /// An idle context, or nil when the caller must create one.
    func take() -> OpaquePointer? {
        guard CRYPTO_THREAD_write_lock(lock) == 1 else { return nil }
        defer { CRYPTO_THREAD_unlock(lock) }
        return idle.popLast()
    }

    /// Returns a context after a successful use; frees it if the pool is full.
    func give(_ context: OpaquePointer) {
        if CRYPTO_THREAD_write_lock(lock) == 1 {
            defer { CRYPTO_THREAD_unlock(lock) }
            if idle.count < limit {
                idle.append(context)
                return
            }
        }
        destroy(context)
    }
}

// MARK: - RSA key handle

/// Owns one RSA `EVP_PKEY*` and the values every operation needs: `n`, `e` and the
/// Montgomery context for `n`. Immutable after creation, so it is shared read-only across
/// threads (OpenSSL allows concurrent use of an `EVP_PKEY`; contexts are made per call).
final class RSAKeyHandle: @unchecked Sendable {
    let pkey: OpaquePointer
    let n: BigNum
    let e: BigNum
    /// `BN_MONT_CTX*` for `n`, read-only after creation.
    let montgomery: OpaquePointer
    let modulusBits: Int
    let modulusBytes: Int
    let isPrivate: Bool
    /// Initialised `EVP_PKEY_CTX`s for the raw private operation (decrypt, `RSA_NO_PADDING`).
    let privateContexts = ContextPool { EVP_PKEY_CTX_free($0) }
    /// `EVP_MD_CTX`s for `EVP_DigestVerify`.
    let verifyContexts = ContextPool { EVP_MD_CTX_free($0) }

    private init(pkey: OpaquePointer, n: BigNum, e: BigNum, montgomery: OpaquePointer, isPrivate: Bool) {
        self.pkey = pkey
        self.n = n
        self.e = e
        self.montgomery = montgomery
        self.modulusBits = n.bitCount
        self.modulusBytes = (n.bitCount + 7) / 8
        self.isPrivate = isPrivate
    }

    deinit {
        BN_MONT_CTX_free(montgomery)
        EVP_PKEY_free(pkey)
    }

    /// Modulus sizes accepted for any key.
    static let supportedBits: ClosedRange<Int> = 2048...4096
    /// Modulus sizes offered for generation.
    static let generatedBits: Set<Int> = [2048, 3072, 4096]

    /// Takes ownership of `pkey` (freed on failure too) after checking it is an RSA key of a
    /// supported size.
    static func wrap(_ pkey: OpaquePointer, isPrivate: Bool) throws(CryptoError) -> RSAKeyHandle {
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA else {
            EVP_PKEY_free(pkey)
            throw CryptoError(.invalidKey, "not an RSA key (RSA-PSS restricted and other key types are refused)")
        }
        var nPointer: OpaquePointer?
        var ePointer: OpaquePointer?
        guard EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &nPointer) == 1, let nPointer,
              EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &ePointer) == 1, let ePointer
        else {
            let error = OpenSSLError.error(.invalidKey, "RSA key without modulus or public exponent")
            BN_free(nPointer)
            EVP_PKEY_free(pkey)
            throw error
        }
        let n = BigNum(taking: nPointer)
        let e = BigNum(taking: ePointer)
        guard supportedBits.contains(n.bitCount) else {
            EVP_PKEY_free(pkey)
            throw CryptoError(.unsupportedParameter, "RSA modulus of \(n.bitCount) bits; supported: 2048 to 4096")
        }
        guard BN_is_odd(n.pointer) == 1, BN_is_odd(e.pointer) == 1, BN_is_one(e.pointer) == 0 else {
            EVP_PKEY_free(pkey)
            throw CryptoError(.invalidKey, "RSA modulus and public exponent must be odd, exponent > 1")
        }
        guard let context = try? BigNumContext(), let mont = BN_MONT_CTX_new() else {
            let error = OpenSSLError.failure("BN_MONT_CTX_new")
            EVP_PKEY_free(pkey)
            throw error
        }
        guard BN_MONT_CTX_set(mont, n.pointer, context.pointer) == 1 else {
            let error = OpenSSLError.failure("BN_MONT_CTX_set")
            BN_MONT_CTX_free(mont)
            EVP_PKEY_free(pkey)
            throw error
        }
        return RSAKeyHandle(pkey: pkey, n: n, e: e, montgomery: mont, isPrivate: isPrivate)
    }

    // MARK: Generation

    /// `EVP_PKEY_generate` of an RSA key with e = 65537.
    static func generate(bits: Int) throws(CryptoError) -> RSAKeyHandle {
        guard generatedBits.contains(bits) else {
            throw CryptoError(.unsupportedParameter, "RSA key size \(bits) bits; supported: 2048, 3072, 4096")
        }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw OpenSSLError.failure("EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        guard EVP_PKEY_keygen_init(ctx) == 1 else { throw OpenSSLError.failure("EVP_PKEY_keygen_init") }
        guard EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)) == 1 else {
            throw OpenSSLError.failure("EVP_PKEY_CTX_set_rsa_keygen_bits")
        }
        var pkey: OpaquePointer?
        guard EVP_PKEY_generate(ctx, &pkey) == 1, let pkey else {
            throw OpenSSLError.error(.invalidKey, "RSA key generation failed")
        }
        return try wrap(pkey, isPrivate: true)
    }

    // MARK: Components

    /// A private key from n, e, d, p, q (big-endian); dP, dQ and qInv are computed here.
    static func fromComponents(
        n nBytes: [UInt8], e eBytes: [UInt8], d dBytes: [UInt8], p pBytes: [UInt8], q qBytes: [UInt8]
    ) throws(CryptoError) -> RSAKeyHandle {
        let n = try BigNum(bytes: nBytes), e = try BigNum(bytes: eBytes), d = try BigNum(bytes: dBytes)
        let p = try BigNum(bytes: pBytes), q = try BigNum(bytes: qBytes)
        d.markConstantTime(); p.markConstantTime(); q.markConstantTime()
        let context = try BigNumContext()
        // n must equal p·q.
        let product = try BigNum()
        guard BN_mul(product.pointer, p.pointer, q.pointer, context.pointer) == 1 else {
            throw OpenSSLError.failure("BN_mul")
        }
        guard !n.isZero, product.compare(n) == 0 else {
            throw CryptoError(.invalidKey, "RSA components inconsistent: n ≠ p·q")
        }
        // dP = d mod (p−1), dQ = d mod (q−1), qInv = q⁻¹ mod p.
        let pMinus1 = try BigNum(), qMinus1 = try BigNum()
        let dP = try BigNum(), dQ = try BigNum(), qInv = try BigNum()
        guard BN_sub(pMinus1.pointer, p.pointer, BN_value_one()) == 1,
              BN_sub(qMinus1.pointer, q.pointer, BN_value_one()) == 1,
              BN_div(nil, dP.pointer, d.pointer, pMinus1.pointer, context.pointer) == 1,
              BN_div(nil, dQ.pointer, d.pointer, qMinus1.pointer, context.pointer) == 1
        else { throw OpenSSLError.failure("BN_sub/BN_div (CRT exponents)") }
        guard BN_mod_inverse(qInv.pointer, q.pointer, p.pointer, context.pointer) != nil else {
            throw OpenSSLError.error(.invalidKey, "RSA components inconsistent: q not invertible mod p")
        }

        guard let builder = OSSL_PARAM_BLD_new() else { throw OpenSSLError.failure("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        // Names of OSSL_PKEY_PARAM_RSA_FACTOR1 etc. (macros built by concatenation, not imported).
        let entries: [(String, BigNum)] = [
            (OSSL_PKEY_PARAM_RSA_N, n), (OSSL_PKEY_PARAM_RSA_E, e), (OSSL_PKEY_PARAM_RSA_D, d),
            ("rsa-factor1", p), ("rsa-factor2", q),
            ("rsa-exponent1", dP), ("rsa-exponent2", dQ),
            ("rsa-coefficient1", qInv),
        ]
        // The builder and its OSSL_PARAM array keep the name pointers (no copy): they must
        // outlive EVP_PKEY_fromdata, so they are C copies freed on return.
        let names = entries.map { strdup($0.0) }
        defer { names.forEach { free($0) } }
        for ((name, value), cName) in zip(entries, names) {
            guard let cName, OSSL_PARAM_BLD_push_BN(builder, cName, value.pointer) == 1 else {
                throw OpenSSLError.failure("OSSL_PARAM_BLD_push_BN(\(name))")
            }
        }
        guard let params = OSSL_PARAM_BLD_to_param(builder) else {
            throw OpenSSLError.failure("OSSL_PARAM_BLD_to_param")
        }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else {
            throw OpenSSLError.failure("EVP_PKEY_CTX_new_from_name")
        }
        defer { EVP_PKEY_CTX_free(ctx) }
        var pkey: OpaquePointer?
        guard EVP_PKEY_fromdata_init(ctx) == 1,
              EVP_PKEY_fromdata(ctx, &pkey, keypairSelection, params) == 1, let pkey
        else { throw OpenSSLError.error(.invalidKey, "EVP_PKEY_fromdata refused the RSA components") }
        let handle = try wrap(pkey, isPrivate: true)
        try handle.checkPairwise()
        return handle
    }

    /// `EVP_PKEY_KEYPAIR` (a composite macro Swift does not import): private, public, domain
    /// and other parameters.
    private static let keypairSelection: Int32 = 0x01 | 0x02 | 0x04 | 0x80

    // MARK: Public key encodings

    /// Parses DER SubjectPublicKeyInfo; trailing bytes are refused.
    static func fromSPKI(_ der: [UInt8]) throws(CryptoError) -> RSAKeyHandle {
        let parsed: (OpaquePointer?, Int) = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            let used = key == nil ? 0 : cursor! - buffer.baseAddress!
            return (key, used)
        }
        guard let pkey = parsed.0 else { throw OpenSSLError.error(.invalidKey, "malformed SubjectPublicKeyInfo DER") }
        guard parsed.1 == der.count else {
            EVP_PKEY_free(pkey)
            throw CryptoError(.invalidKey, "trailing bytes after SubjectPublicKeyInfo DER")
        }
        return try wrap(pkey, isPrivate: false)
    }

    /// Parses a PEM "PUBLIC KEY" block.
    static func fromPublicPEM(_ pem: String) throws(CryptoError) -> RSAKeyHandle {
        let bio = try MemoryBIO(reading: Array(pem.utf8))
        guard let pkey = PEM_read_bio_PUBKEY(bio.pointer, nil, noPassword, nil) else {
            throw OpenSSLError.error(.invalidKey, "malformed PEM public key")
        }
        return try wrap(pkey, isPrivate: false)
    }

    /// DER SubjectPublicKeyInfo of this key.
    func spkiDER() throws(CryptoError) -> [UInt8] {
        let length = i2d_PUBKEY(pkey, nil)
        guard length > 0 else { throw OpenSSLError.failure("i2d_PUBKEY") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PUBKEY(pkey, &cursor)
        }
        guard written == length else { throw OpenSSLError.failure("i2d_PUBKEY") }
        return out
    }

    /// PEM "PUBLIC KEY" of this key.
    func publicPEM() throws(CryptoError) -> String {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PUBKEY(bio.pointer, pkey) == 1 else { throw OpenSSLError.failure("PEM_write_bio_PUBKEY") }
        return String(decoding: bio.contents(), as: UTF8.self)
    }

    /// A public-only handle for the same key (through its SPKI encoding).
    func publicHandle() throws(CryptoError) -> RSAKeyHandle {
        try RSAKeyHandle.fromSPKI(spkiDER())
    }

    // MARK: Private key encodings

    /// Parses unencrypted DER PKCS#8 PrivateKeyInfo; trailing bytes are refused.
    static func fromPKCS8(_ der: [UInt8]) throws(CryptoError) -> RSAKeyHandle {
        let parsed: (OpaquePointer?, Int) = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let info = d2i_PKCS8_PRIV_KEY_INFO(nil, &cursor, buffer.count)
            let used = info == nil ? 0 : cursor! - buffer.baseAddress!
            return (info, used)
        }
        guard let info = parsed.0 else { throw OpenSSLError.error(.invalidKey, "malformed PKCS#8 DER") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        guard parsed.1 == der.count else { throw CryptoError(.invalidKey, "trailing bytes after PKCS#8 DER") }
        return try fromPKCS8Info(info)
    }

    /// Parses an unencrypted PEM "PRIVATE KEY" (PKCS#8) block.
    static func fromPrivatePEM(_ pem: String) throws(CryptoError) -> RSAKeyHandle {
        let bio = try MemoryBIO(reading: Array(pem.utf8))
        guard let info = PEM_read_bio_PKCS8_PRIV_KEY_INFO(bio.pointer, nil, noPassword, nil) else {
            throw OpenSSLError.error(.invalidKey, "malformed PEM PKCS#8 private key")
        }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        return try fromPKCS8Info(info)
    }

    private static func fromPKCS8Info(_ info: OpaquePointer) throws(CryptoError) -> RSAKeyHandle {
        guard let pkey = EVP_PKCS82PKEY(info) else {
            throw OpenSSLError.error(.invalidKey, "PKCS#8 does not hold a usable private key")
        }
        let handle = try wrap(pkey, isPrivate: true)
        try handle.checkPairwise()
        return handle
    }

    /// DER PKCS#8 PrivateKeyInfo (unencrypted) of this private key.
    func pkcs8DER() throws(CryptoError) -> [UInt8] {
        guard isPrivate else { throw CryptoError(.invalidKey, "not a private key") }
        guard let info = EVP_PKEY2PKCS8(pkey) else { throw OpenSSLError.failure("EVP_PKEY2PKCS8") }
        defer { PKCS8_PRIV_KEY_INFO_free(info) }
        let length = i2d_PKCS8_PRIV_KEY_INFO(info, nil)
        guard length > 0 else { throw OpenSSLError.failure("i2d_PKCS8_PRIV_KEY_INFO") }
        var out = [UInt8](repeating: 0, count: Int(length))
        let written = out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            return i2d_PKCS8_PRIV_KEY_INFO(info, &cursor)
        }
        guard written == length else { throw OpenSSLError.failure("i2d_PKCS8_PRIV_KEY_INFO") }
        return out
    }

    /// PEM "PRIVATE KEY" (unencrypted PKCS#8) of this private key.
    func privatePEM() throws(CryptoError) -> String {
        guard isPrivate else { throw CryptoError(.invalidKey, "not a private key") }
        let bio = try MemoryBIO()
        guard PEM_write_bio_PKCS8PrivateKey(bio.pointer, pkey, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLError.failure("PEM_write_bio_PKCS8PrivateKey")
        }
        return String(decoding: bio.contents(), as: UTF8.self)
    }

    /// Pairwise consistency: RSAVP1(RSASP1(x)) = x for a fixed x, so a corrupt private key is
    /// refused at import rather than at its first signature.
    func checkPairwise() throws(CryptoError) {
        var probe = [UInt8](repeating: 0, count: modulusBytes)
        probe[modulusBytes - 1] = 0x02
        probe[modulusBytes / 2] = 0x5a
        let signature: [UInt8]
        do { signature = try rsasp1(probe) } catch {
            throw CryptoError(.invalidKey, "private key failed its pairwise check", libraryMessage: error.libraryMessage)
        }
        let context = try BigNumContext()
        let recovered = try rsavp1(BigNum(bytes: signature), context: context)
        guard recovered.bytes(count: modulusBytes) == probe else {
            throw CryptoError(.invalidKey, "private key failed its pairwise check")
        }
    }
}
