internal import CSodium

/// Argon2id password hashing (libsodium `crypto_pwhash_str_alg`, ALG_ARGON2ID13) with
/// self-describing PHC strings (`$argon2id$v=19$m=…,t=…,p=1$salt$hash`).
public enum Argon2id {
    /// Cost parameters: iterations (`opsLimit`) and memory in bytes (`memLimit`).
    public struct Parameters: Sendable, Hashable {
        /// Number of passes over memory.
        public let opsLimit: UInt64
        /// Memory used, in bytes.
        public let memLimit: Int

        /// Custom parameters. Throws `crypto.unsupported_parameter` below libsodium's minimums.
        public init(opsLimit: UInt64, memLimit: Int) throws(CryptoError) {
            Sodium.ready()
            guard opsLimit >= UInt64(crypto_pwhash_argon2id_opslimit_min()),
                  opsLimit <= UInt64(crypto_pwhash_argon2id_opslimit_max()),
                  memLimit >= crypto_pwhash_argon2id_memlimit_min(),
                  memLimit <= crypto_pwhash_argon2id_memlimit_max() else {
                throw CryptoError(.unsupportedParameter, "Argon2id limits out of range: ops \(opsLimit), mem \(memLimit)")
            }
            self.opsLimit = opsLimit
            self.memLimit = memLimit
        }

        private init(unchecked opsLimit: UInt64, _ memLimit: Int) {
            self.opsLimit = opsLimit
            self.memLimit = memLimit
        }

        /// libsodium's interactive limits (2 passes, 64 MiB): the default for logins.
        public static let interactive = Parameters(
            unchecked: UInt64(crypto_pwhash_argon2id_opslimit_interactive()),
            crypto_pwhash_argon2id_memlimit_interactive())
        /// libsodium's moderate limits (3 passes, 256 MiB).
        public static let moderate = Parameters(
            unchecked: UInt64(crypto_pwhash_argon2id_opslimit_moderate()),
            crypto_pwhash_argon2id_memlimit_moderate())
        /// libsodium's sensitive limits (4 passes, 1 GiB).
        public static let sensitive = Parameters(
            unchecked: UInt64(crypto_pwhash_argon2id_opslimit_sensitive()),
            crypto_pwhash_argon2id_memlimit_sensitive())
        /// The minimum limits (1 pass, 8 KiB). **Insecure**: for tests only, never for real passwords.
        public static let unsafeTestOnly = Parameters(
            unchecked: UInt64(crypto_pwhash_argon2id_opslimit_min()),
            crypto_pwhash_argon2id_memlimit_min())
    }

    /// Hashes `password` with a fresh random salt into a PHC string.
    /// Throws `crypto.library_failure` when libsodium fails (e.g. out of memory).
    public static func hash(password: [UInt8], parameters: Parameters = .interactive) throws(CryptoError) -> String {
        Sodium.ready()
        var out = [CChar](repeating: 0, count: Int(crypto_pwhash_STRBYTES))
        let rc = withPassword(password) { chars, count in
            crypto_pwhash_str_alg(
                &out, chars, count, parameters.opsLimit, parameters.memLimit, crypto_pwhash_ALG_ARGON2ID13)
        }
        guard rc == 0 else {
            throw CryptoError(.libraryFailure, "crypto_pwhash_str_alg failed", libraryMessage: "rc \(rc)")
        }
        let bytes = out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hashes the UTF-8 bytes of `password`.
    public static func hash(password: String, parameters: Parameters = .interactive) throws(CryptoError) -> String {
        try hash(password: Array(password.utf8), parameters: parameters)
    }

    /// Checks `password` against a stored PHC string; throws `crypto.password_mismatch`
    /// when it does not match or the string is malformed.
    public static func verify(password: [UInt8], hash: String) throws(CryptoError) {
        Sodium.ready()
        guard hash.utf8.count < Int(crypto_pwhash_STRBYTES), !hash.utf8.contains(0) else {
            throw CryptoError(.passwordMismatch, "password hash string is malformed")
        }
        let rc = hash.withCString { str in
            withPassword(password) { chars, count in crypto_pwhash_str_verify(str, chars, count) }
        }
        guard rc == 0 else { throw CryptoError(.passwordMismatch, "password does not match") }
    }

    /// Checks the UTF-8 bytes of `password` against a stored PHC string.
    public static func verify(password: String, hash: String) throws(CryptoError) {
        try verify(password: Array(password.utf8), hash: hash)
    }

    /// True when `hash` was not made with Argon2id at exactly `parameters` (or is malformed),
    /// so it should be recomputed at the next successful login.
    public static func needsRehash(_ hash: String, parameters: Parameters = .interactive) -> Bool {
        Sodium.ready()
        guard hash.utf8.count < Int(crypto_pwhash_STRBYTES), !hash.utf8.contains(0) else { return true }
        return hash.withCString { str in
            crypto_pwhash_argon2id_str_needs_rehash(str, parameters.opsLimit, parameters.memLimit) != 0
        }
    }

    /// Calls `body` with a non-null pointer to the password bytes (even when empty) and their count,
    /// wiping the temporary copy afterwards.
    private static func withPassword(
        _ password: [UInt8], _ body: (UnsafePointer<CChar>, UInt64) -> Int32
    ) -> Int32 {
        var buffer = [CChar](repeating: 0, count: password.count + 1)
        for (index, byte) in password.enumerated() { buffer[index] = CChar(bitPattern: byte) }
        defer { buffer.withUnsafeMutableBytes { sodium_memzero($0.baseAddress!, $0.count) } }
        return buffer.withUnsafeBufferPointer { body($0.baseAddress!, UInt64(password.count)) }
    }
}
