/// The one error type of the domain module.
///
/// Every failure carries a stable dotted ``Code`` (for programs, HTTP bodies and the
/// auditor's reports) and a human ``reason``. Two errors are equal when their codes are equal.
public struct CoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, dotted error codes. Never renamed once published.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible, Codable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // MARK: Canonical encoding
        /// The input ended before the value did.
        public static let encodingTruncated = Code(rawValue: "encoding.truncated")
        /// Bytes remain after the top-level record.
        public static let encodingTrailingBytes = Code(rawValue: "encoding.trailing_bytes")
        /// A value is malformed: a bool other than 0/1, invalid UTF-8, an unsorted set, a bad size.
        public static let encodingInvalidValue = Code(rawValue: "encoding.invalid_value")
        /// A length or count is past a documented limit.
        public static let encodingLimitExceeded = Code(rawValue: "encoding.limit_exceeded")
        /// An enum tag is unknown.
        public static let encodingUnknownTag = Code(rawValue: "encoding.unknown_tag")
        /// The record's domain tag is not the expected one.
        public static let encodingWrongDomain = Code(rawValue: "encoding.wrong_domain")

        // MARK: Poll definitions and key directories
        /// A poll definition breaks a validation rule.
        public static let pollInvalid = Code(rawValue: "poll.invalid")
        /// A poll definition's service signature does not verify.
        public static let pollInvalidSignature = Code(rawValue: "poll.invalid_signature")
        /// A key directory is malformed or does not belong to the poll.
        public static let directoryInvalid = Code(rawValue: "directory.invalid")
        /// A key directory's broker signature does not verify.
        public static let directoryInvalidSignature = Code(rawValue: "directory.invalid_signature")
        /// An attribute class or area code is malformed.
        public static let classInvalid = Code(rawValue: "class.invalid")

        // MARK: Credentials
        /// No key of the directory has the credential's key id.
        public static let credentialUnknownKey = Code(rawValue: "credential.unknown_key")
        /// The credential's class is not the class of its key.
        public static let credentialClassMismatch = Code(rawValue: "credential.class_mismatch")
        /// The broker's blind signature does not verify (or the credential is for another poll).
        public static let credentialInvalidSignature = Code(rawValue: "credential.invalid_signature")

        // MARK: Entries
        /// An entry names another poll than the one it is checked against.
        public static let entryWrongPoll = Code(rawValue: "entry.wrong_poll")
        /// The one-time key's signature over the entry does not verify.
        public static let entryInvalidSignature = Code(rawValue: "entry.invalid_signature")
        /// The payload kind is not accepted by this poll (a vote on a petition, a signature on a consultation).
        public static let entryWrongPayload = Code(rawValue: "entry.wrong_payload")
        /// A choice is out of range, missing, repeated or too many.
        public static let entryInvalidChoice = Code(rawValue: "entry.invalid_choice")
        /// A partial name is malformed, not allowed by the poll, or its attestation does not verify.
        public static let entryInvalidName = Code(rawValue: "entry.invalid_name")

        // MARK: Certificates
        /// A certificate is malformed or its service signature does not verify.
        public static let certificateInvalid = Code(rawValue: "certificate.invalid")

        // MARK: Tally
        /// A record arrived at a position other than the next one.
        public static let tallyOutOfOrder = Code(rawValue: "tally.out_of_order")
        /// The log does not start with exactly one poll definition.
        public static let tallyNoDefinition = Code(rawValue: "tally.no_definition")
        /// A lifecycle event is not allowed in the poll's current state.
        public static let tallyInvalidTransition = Code(rawValue: "tally.invalid_transition")
        /// An entry was recorded while the poll was not open.
        public static let tallyNotOpen = Code(rawValue: "tally.not_open")
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }

    public static func == (lhs: CoreError, rhs: CoreError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
