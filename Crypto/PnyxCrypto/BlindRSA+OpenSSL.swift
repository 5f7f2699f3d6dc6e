internal import COpenSSL

// The OpenSSL primitives behind the RFC 9474 steps in BlindRSA.swift: SHA-384, MGF1,
// EMSA-PSS-ENCODE, RSASP1 (OpenSSL's blinded, constant-time private operation), RSAVP1,
// RSASSA-PSS-VERIFY (EVP_DigestVerify) and the modular arithmetic of blinding.

/// Message digests fetched once from the default provider (read-only, shareable).
enum Digest {
    nonisolated(unsafe) static let sha384: OpaquePointer = {
        guard let md = EVP_MD_fetch(nil, "SHA384", nil) else { fatalError("OpenSSL: SHA384 unavailable") }
        return md
    }()

    static let sha384Length = 48

    /// SHA-384 of the concatenation of `parts` (EVP digest API).
    static func sha384(_ parts: [UInt8]...) throws(CryptoError) -> [UInt8] {
        guard let ctx = EVP_MD_CTX_new() else { throw OpenSSLError.failure("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(ctx) }
        guard EVP_DigestInit_ex2(ctx, sha384, nil) == 1 else { throw OpenSSLError.failure("EVP_DigestInit_ex2") }
        for part in parts where !part.isEmpty {
            let ok = part.withUnsafeBytes { EVP_DigestUpdate(ctx, $0.baseAddress, $0.count) }
            guard ok == 1 else { throw OpenSSLError.failure("EVP_DigestUpdate") }
        }
        var out = [UInt8](repeating: 0, count: sha384Length)
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(ctx, &out, &length) == 1, length == UInt32(sha384Length) else {
            throw OpenSSLError.failure("EVP_DigestFinal_ex")
        }
        return out
    }
}

enum PSS {
    /// MGF1 with SHA-384 (RFC 8017 §B.2.1).
    static func mgf1SHA384(seed: [UInt8], length: Int) throws(CryptoError) -> [UInt8] {
        var mask: [UInt8] = []
        mask.reserveCapacity(length + Digest.sha384Length)
        var counter: UInt32 = 0
        while mask.count < length {
            let c = [UInt8(counter >> 24), UInt8((counter >> 16) & 0xff), UInt8((counter >> 8) & 0xff), UInt8(counter & 0xff)]
            mask += try Digest.sha384(seed, c)
            counter += 1
        }
        return Array(mask.prefix(length))
    }

    /// EMSA-PSS-ENCODE with SHA-384, MGF1-SHA-384 and the given salt.
    ///
    /// Implemented here because OpenSSL's `RSA_padding_add_PKCS1_PSS_mgf1` draws its own salt,
    /// and RFC 9474's vectors need an injected one.
    /// - SeeAlso: RFC 8017 §9.1.1
    static func encode(message: [UInt8], emBits: Int, salt: [UInt8]) throws(CryptoError) -> [UInt8] {
        let hLen = Digest.sha384Length
        let sLen = salt.count
        let emLen = (emBits + 7) / 8
        // 2. mHash = Hash(M)
        let mHash = try Digest.sha384(message)
        // 3. If emLen < hLen + sLen + 2, output "encoding error".
        guard emLen >= hLen + sLen + 2 else {
            throw CryptoError(.messageTooLong, "EMSA-PSS encoding error: key too small for SHA-384 and a \(sLen)-byte salt")
        }
        // 5.–6. M' = (0x)00 00 00 00 00 00 00 00 || mHash || salt; H = Hash(M')
        let h = try Digest.sha384([UInt8](repeating: 0, count: 8), mHash, salt)
        // 7.–8. DB = PS || 0x01 || salt
        var db = [UInt8](repeating: 0, count: emLen - sLen - hLen - 2)
        db.append(0x01)
        db += salt
        // 9.–10. dbMask = MGF(H, emLen - hLen - 1); maskedDB = DB xor dbMask
        let dbMask = try mgf1SHA384(seed: h, length: emLen - hLen - 1)
        for index in db.indices { db[index] ^= dbMask[index] }
        // 11. Set the leftmost 8emLen - emBits bits of the leftmost octet in maskedDB to zero.
        db[0] &= UInt8(0xff >> (8 * emLen - emBits))
        // 12.–13. EM = maskedDB || H || 0xbc
        return db + h + [0xbc]
    }
}

extension RSAKeyHandle {
    /// RSASP1 through OpenSSL: `EVP_PKEY_decrypt` with `RSA_NO_PADDING` is the raw RSA
    /// private-key operation, with OpenSSL's base blinding and constant-time CRT exponentiation.
    /// `input` must be exactly `modulusBytes` long and below n (checked by the caller).
    /// - SeeAlso: RFC 8017 §5.2.1
    func rsasp1(_ input: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard isPrivate else { throw CryptoError(.invalidKey, "RSASP1 needs a private key") }
        let ctx: OpaquePointer
        if let pooled = privateContexts.take() { ctx = pooled } else { ctx = try makePrivateContext() }
        var out = [UInt8](repeating: 0, count: modulusBytes)
        var outLength = modulusBytes
        let status = out.withUnsafeMutableBufferPointer { output in
            input.withUnsafeBufferPointer { EVP_PKEY_decrypt(ctx, output.baseAddress, &outLength, $0.baseAddress, $0.count) }
        }
        guard status == 1, outLength == modulusBytes else {
            EVP_PKEY_CTX_free(ctx)
            throw OpenSSLError.error(.signingFailure, "RSA private-key operation failed")
        }
        privateContexts.give(ctx)
        return out
    }

    /// A fresh `EVP_PKEY_CTX` initialised for decryption without padding.
    private func makePrivateContext() throws(CryptoError) -> OpaquePointer {
        guard let ctx = EVP_PKEY_CTX_new_from_pkey(nil, pkey, nil) else {
            throw OpenSSLError.failure("EVP_PKEY_CTX_new_from_pkey")
        }
        guard EVP_PKEY_decrypt_init(ctx) == 1 else {
            EVP_PKEY_CTX_free(ctx)
            throw OpenSSLError.failure("EVP_PKEY_decrypt_init")
        }
        guard EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_NO_PADDING) == 1 else {
            EVP_PKEY_CTX_free(ctx)
            throw OpenSSLError.failure("EVP_PKEY_CTX_set_rsa_padding(RSA_NO_PADDING)")
        }
        return ctx
    }

    /// RSAVP1: s^e mod n (public exponent, cached Montgomery context).
    /// - SeeAlso: RFC 8017 §5.2.2
    func rsavp1(_ s: BigNum, context: BigNumContext) throws(CryptoError) -> BigNum {
        let result = try BigNum()
        guard BN_mod_exp_mont(result.pointer, s.pointer, e.pointer, n.pointer, context.pointer, montgomery) == 1 else {
            throw OpenSSLError.failure("BN_mod_exp_mont")
        }
        return result
    }

    /// x⁻¹ mod n (constant-time path); throws `crypto.blinding_failure` when x and n are not
    /// coprime.
    func inverse(_ x: BigNum, context: BigNumContext) throws(CryptoError) -> BigNum {
        let result = try BigNum()
        result.markConstantTime()
        x.markConstantTime()
        guard BN_mod_inverse(result.pointer, x.pointer, n.pointer, context.pointer) != nil else {
            throw OpenSSLError.error(.blindingFailure, "value not invertible modulo n")
        }
        return result
    }

    /// a · b mod n.
    func multiply(_ a: BigNum, _ b: BigNum, context: BigNumContext) throws(CryptoError) -> BigNum {
        let result = try BigNum()
        guard BN_mod_mul(result.pointer, a.pointer, b.pointer, n.pointer, context.pointer) == 1 else {
            throw OpenSSLError.failure("BN_mod_mul")
        }
        return result
    }

    /// A uniformly random integer in [1, n) drawn from `random` by rejection sampling.
    func randomUnit(_ random: some RandomSource) throws(CryptoError) -> BigNum {
        let excessBits = modulusBytes * 8 - modulusBits
        for _ in 0..<128 {
            var bytes = random.bytes(modulusBytes)
            guard bytes.count == modulusBytes else { break }
            bytes[0] &= UInt8(0xff >> excessBits)
            let candidate = try BigNum(bytes: bytes)
            if !candidate.isZero, candidate.compare(n) < 0 { return candidate }
        }
        throw CryptoError(.blindingFailure, "random source gave no integer in [1, n)")
    }

    /// RSASSA-PSS-VERIFY through `EVP_DigestVerify`: SHA-384, MGF1-SHA-384, exact salt length.
    /// - SeeAlso: RFC 8017 §8.1.2
    func verifyPSS(message: [UInt8], signature: [UInt8], saltLength: Int) throws(CryptoError) -> Bool {
        guard signature.count == modulusBytes else { return false }
        guard let md = verifyContexts.take() ?? EVP_MD_CTX_new() else { throw OpenSSLError.failure("EVP_MD_CTX_new") }
        var pctx: OpaquePointer?
        guard EVP_DigestVerifyInit(md, &pctx, Digest.sha384, nil, pkey) == 1, let pctx else {
            EVP_MD_CTX_free(md)
            throw OpenSSLError.failure("EVP_DigestVerifyInit")
        }
        guard EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1,
              EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, Int32(saltLength)) == 1,
              EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, Digest.sha384) == 1
        else {
            EVP_MD_CTX_free(md)
            throw OpenSSLError.failure("EVP_PKEY_CTX_set_rsa_* (PSS parameters)")
        }
        let input = message.isEmpty ? [0] : message  // a valid pointer even for an empty message
        let status = signature.withUnsafeBufferPointer { sig in
            input.withUnsafeBufferPointer { msg in
                EVP_DigestVerify(md, sig.baseAddress, sig.count, msg.baseAddress, message.count)
            }
        }
        if status == 1 {
            verifyContexts.give(md)  // re-initialised by EVP_DigestVerifyInit on its next use
            return true
        }
        // A bad signature (0, or a negative status for malformed input) is "invalid"; the
        // context is not reused after a failure, and the error queue is drained.
        EVP_MD_CTX_free(md)
        OpenSSLError.drain()
        return false
    }
}
