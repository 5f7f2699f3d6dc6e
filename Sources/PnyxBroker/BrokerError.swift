public import Hummingbird
public import PnyxHTTP

/// The one error type of the broker. Every failure has a stable dotted ``Code`` and a
/// human reason that ends, where possible, with how to fix it. Two errors are equal when
/// their codes are equal.
public struct BrokerError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable codes; never renamed once published.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        // MARK: Register import
        /// One or more rows of an import are malformed (details list each with its line).
        public static let registerBadRow = Code(rawValue: "register.bad_row")
        /// The CSV file itself is unreadable (no header, bad quoting at end of file, not UTF-8).
        public static let registerBadFile = Code(rawValue: "register.bad_file")

        // MARK: Authentication
        /// The admin bearer token is missing or wrong.
        public static let adminRequired = Code(rawValue: "auth.admin_required")
        /// Unknown resident id or wrong passphrase.
        public static let invalidCredentials = Code(rawValue: "auth.invalid_credentials")
        /// Too many failed logins: locked until the time in the reason (and `Retry-After`).
        public static let lockedOut = Code(rawValue: "auth.locked_out")
        /// No session token, or an unknown one.
        public static let sessionRequired = Code(rawValue: "auth.session_required")
        /// The session token expired: log in again.
        public static let sessionExpired = Code(rawValue: "auth.session_expired")
        /// The passphrase is too short or too long.
        public static let weakPassphrase = Code(rawValue: "auth.weak_passphrase")
        /// Too many requests from this address: slow down.
        public static let rateLimited = Code(rawValue: "auth.rate_limited")

        // MARK: Enrolment
        /// Unknown or expired enrolment code.
        public static let invalidCode = Code(rawValue: "enrolment.invalid_code")
        /// The enrolment code was already used.
        public static let codeUsed = Code(rawValue: "enrolment.code_used")
        /// The resident is not (or no longer) in the register.
        public static let unknownResident = Code(rawValue: "enrolment.unknown_resident")

        // MARK: Polls
        /// No key set for this poll id.
        public static let pollUnknown = Code(rawValue: "poll.unknown")
        /// The poll is closed: no more credentials.
        public static let pollClosed = Code(rawValue: "poll.closed")
        /// The poll opened already: key sets are made before a poll opens.
        public static let pollAlreadyOpen = Code(rawValue: "poll.already_open")
        /// The poll cannot get a key set (unknown scope area, nobody eligible, invalid definition).
        public static let pollInvalid = Code(rawValue: "poll.invalid")
        /// Another definition was already registered under this poll id.
        public static let pollConflict = Code(rawValue: "poll.conflict")
        /// The poll definition names another broker key, or is signed by an untrusted service.
        public static let pollUntrusted = Code(rawValue: "poll.untrusted")

        // MARK: Issuance
        /// The resident is not eligible for the poll (area or age).
        public static let ineligible = Code(rawValue: "issuance.ineligible")
        /// A credential was already issued to this resident for this poll (for another blinded message).
        public static let alreadyIssued = Code(rawValue: "issuance.already_issued")
        /// The blinded message does not have the key's modulus length.
        public static let wrongSize = Code(rawValue: "issuance.wrong_size")
        /// The poll does not allow partial names.
        public static let namesNotAllowed = Code(rawValue: "issuance.names_not_allowed")
        /// The resident's name was already attested for this poll, for another one-time key.
        public static let nameAlreadyAttested = Code(rawValue: "issuance.name_already_attested")

        // MARK: Register (issuance log)
        /// The issuance register of the poll has no checkpoint yet.
        public static let noCheckpoint = Code(rawValue: "register.no_checkpoint")
    }

    public let code: Code
    public let reason: String
    /// Itemised problems (bad rows).
    public let details: [APIError.Detail]
    /// Seconds after which a retry may succeed (lockouts, rate limits).
    public let retryAfter: Int?

    public init(_ code: Code, _ reason: String, details: [APIError.Detail] = [], retryAfter: Int? = nil) {
        self.code = code
        self.reason = reason
        self.details = details
        self.retryAfter = retryAfter
    }

    public var description: String { "\(code.rawValue): \(reason)" }
    public static func == (lhs: BrokerError, rhs: BrokerError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

extension BrokerError: APIErrorConvertible {
    /// The HTTP status of each code.
    public var status: HTTPResponse.Status {
        switch code {
        case .registerBadRow, .registerBadFile, .weakPassphrase, .wrongSize, .pollInvalid: .unprocessableContent
        case .adminRequired, .invalidCredentials, .sessionRequired, .sessionExpired, .invalidCode: .unauthorized
        case .lockedOut, .rateLimited: .tooManyRequests
        case .codeUsed, .pollConflict, .pollAlreadyOpen, .alreadyIssued, .nameAlreadyAttested: .conflict
        case .unknownResident, .ineligible, .namesNotAllowed, .pollUntrusted: .forbidden
        case .pollUnknown, .noCheckpoint: .notFound
        case .pollClosed: .gone
        default: .badRequest
        }
    }

    public var apiError: APIError {
        var headers: HTTPFields = [:]
        if let retryAfter { headers[.retryAfter] = String(retryAfter) }
        if status == .unauthorized { headers[.wwwAuthenticate] = "Bearer" }
        return APIError(status, code: code.rawValue, reason: reason, details: details, headers: headers)
    }
}
