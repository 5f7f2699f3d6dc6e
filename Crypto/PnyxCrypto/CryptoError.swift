/// The one error type of the cryptography module.
///
/// Every failure carries a stable ``Code`` (for programs and HTTP bodies), a human
/// ``reason`` and, when a C library failed, the drained OpenSSL or libsodium message.
/// Two errors are equal when their codes are equal.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, dotted error codes. Never renamed once published.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A key could not be generated, parsed or serialized.
        public static let invalidKey = Code(rawValue: "crypto.invalid_key")
        /// An input had the wrong length or shape.
        public static let invalidInput = Code(rawValue: "crypto.invalid_input")
        /// A message is too long for the chosen key and encoding.
        public static let messageTooLong = Code(rawValue: "crypto.message_too_long")
        /// A signature or blind signature did not verify.
        public static let invalidSignature = Code(rawValue: "crypto.invalid_signature")
        /// RFC 9474 BlindSign: the computed signature failed the mandatory RSAVP1 check.
        public static let signingFailure = Code(rawValue: "crypto.signing_failure")
        /// RFC 9474 Blind: the message representative was not invertible.
        public static let blindingFailure = Code(rawValue: "crypto.blinding_failure")
        /// RFC 9474 Verify/Finalize: the signature does not verify.
        public static let verificationFailure = Code(rawValue: "crypto.verification_failure")
        /// An unsupported key size or parameter was requested.
        public static let unsupportedParameter = Code(rawValue: "crypto.unsupported_parameter")
        /// A password hash did not match, or was malformed.
        public static let passwordMismatch = Code(rawValue: "crypto.password_mismatch")
        /// An internal OpenSSL or libsodium call failed.
        public static let libraryFailure = Code(rawValue: "crypto.library_failure")
    }

    public let code: Code
    public let reason: String
    /// The drained OpenSSL error queue or libsodium context, when a C call failed.
    public let libraryMessage: String?

    public init(_ code: Code, _ reason: String, libraryMessage: String? = nil) {
        self.code = code
        self.reason = reason
        self.libraryMessage = libraryMessage
    }

    public var description: String {
        var text = "\(code.rawValue): \(reason)"
        if let libraryMessage, !libraryMessage.isEmpty { text += " (\(libraryMessage))" }
        return text
    }

    public static func == (lhs: CryptoError, rhs: CryptoError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
