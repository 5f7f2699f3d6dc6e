internal import COpenSSL
internal import CSodium

/// SHA-256 (FIPS 180-4) through OpenSSL's EVP digest (which uses the CPU's SHA extensions
/// where it has them: several times libsodium's portable `crypto_hash_sha256`, and every
/// entry, leaf and Merkle node is hashed), with libsodium's as the fallback and the tests'
/// reference.
public enum SHA256 {
    /// Digest length in bytes.
    public static let byteCount = 32

    /// SHA-256 fetched once from OpenSSL's default provider (read-only, shareable); nil if
    /// unavailable (then libsodium hashes).
    nonisolated(unsafe) private static let digest: OpaquePointer? = EVP_MD_fetch(nil, "SHA256", nil)

    /// The SHA-256 digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        guard let digest else { return sodiumHash(parts: [bytes]) }
        var out = [UInt8](repeating: 0, count: byteCount)
        let ok = bytes.withUnsafeBytes { input in
            EVP_Digest(input.baseAddress, input.count, &out, nil, digest, nil)
        }
        guard ok == 1 else { return sodiumHash(parts: [bytes]) }
        return out
    }

    /// The SHA-256 digest of the concatenation of `parts`, without concatenating them first.
    public static func hash(parts: [[UInt8]]) -> [UInt8] {
        guard let digest, let context = EVP_MD_CTX_new() else { return sodiumHash(parts: parts) }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex2(context, digest, nil) == 1 else { return sodiumHash(parts: parts) }
        for part in parts where !part.isEmpty {
            let ok = part.withUnsafeBytes { EVP_DigestUpdate(context, $0.baseAddress, $0.count) }
            guard ok == 1 else { return sodiumHash(parts: parts) }
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        guard EVP_DigestFinal_ex(context, &out, nil) == 1 else { return sodiumHash(parts: parts) }
        return out
    }

    /// libsodium's SHA-256 of the concatenation of `parts` (the fallback, and the tests' reference).
    static func sodiumHash(parts: [[UInt8]]) -> [UInt8] {
        Sodium.ready()
        var state = crypto_hash_sha256_state()
        crypto_hash_sha256_init(&state)
        for part in parts {
            part.withUnsafeBufferPointer { input in
                _ = crypto_hash_sha256_update(&state, input.baseAddress, UInt64(input.count))
            }
        }
        var out = [UInt8](repeating: 0, count: byteCount)
        crypto_hash_sha256_final(&state, &out)
        return out
    }
}
