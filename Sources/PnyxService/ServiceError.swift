public import Hummingbird
public import PnyxHTTP

/// The one error type of the petition service: a stable dotted code, the HTTP status it is
/// sent with, and a reason for people (ending with how to fix it where there is a fix).
/// Domain refusals keep the ``PnyxCore/CoreError`` codes (`entry.invalid_signature`,
/// `credential.invalid_signature`…); these are the service's own.
public struct ServiceError: Error, Hashable, Sendable, CustomStringConvertible, APIErrorConvertible {
    /// Stable codes, never renamed once published.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// No poll has this id (404).
        public static let pollUnknown = Code(rawValue: "poll.unknown")
        /// The poll does not take entries now: not opened yet, closed, or outside its window (409).
        public static let pollNotOpen = Code(rawValue: "poll.not_open")
        /// The lifecycle step is not allowed from the poll's current state (409).
        public static let pollInvalidState = Code(rawValue: "poll.invalid_state")
        /// The one-time key is already bound to another credential in this poll (409).
        public static let nullifierReused = Code(rawValue: "entry.nullifier_reused")
        /// This exact entry was already accepted (a replay, e.g. copied from the public log) (409).
        public static let entryReplayed = Code(rawValue: "entry.replayed")
        /// No entry with this digest (SHA-256 of its canonical bytes) is in the poll's log (404).
        public static let entryUnknown = Code(rawValue: "entry.unknown")
        /// The entry's channel is not allowed on this endpoint (online entries on the public
        /// endpoint, kiosk and paper entries only through an official) (403).
        public static let channelNotAllowed = Code(rawValue: "entry.channel_not_allowed")
        /// No bearer token, or an unknown one (401).
        public static let authRequired = Code(rawValue: "auth.required")
        /// The token is valid but not for this action (403).
        public static let authForbidden = Code(rawValue: "auth.forbidden")
        /// No proposal has this id (404).
        public static let proposalUnknown = Code(rawValue: "proposal.unknown")
        /// The proposal was already accepted or rejected (409).
        public static let proposalDecided = Code(rawValue: "proposal.decided")
        /// The threshold was not reached (yet), so it cannot be certified (409).
        public static let thresholdNotReached = Code(rawValue: "certificate.threshold_not_reached")
        /// No certificate for this threshold (404).
        public static let certificateUnknown = Code(rawValue: "certificate.unknown")
        /// The countersignature does not verify over the certificate's countersigned bytes (422).
        public static let countersignatureInvalid = Code(rawValue: "countersignature.invalid_signature")
        /// The key is not one the service accepts countersignatures from, in this role (403).
        public static let countersignatureUnknownKey = Code(rawValue: "countersignature.unknown_key")
        /// The broker could not be reached or answered with an error (502).
        public static let brokerUnavailable = Code(rawValue: "broker.unavailable")
        /// The broker refused the request with an error of its own, named in the reason (409),
        /// e.g. `poll.already_open` when a draft is published after its opening time.
        public static let brokerRefused = Code(rawValue: "broker.refused")
        /// The broker's key directory does not match the poll or its broker key (502).
        public static let brokerInvalidDirectory = Code(rawValue: "broker.invalid_directory")
        /// A size, position or path parameter is out of range for the log (400 or 404).
        public static let proofInvalidRange = Code(rawValue: "proof.invalid_range")
        /// No such tile, checkpoint or entry bundle (404).
        public static let logNotFound = Code(rawValue: "log.not_found")
        /// A configuration value is missing or unusable (startup only).
        public static let configurationInvalid = Code(rawValue: "config.invalid")
        /// The stored tally differs from the recomputation from the log (500: a bug or tampering).
        public static let tallyMismatch = Code(rawValue: "tally.mismatch")
    }

    public let code: Code
    public let status: HTTPResponse.Status
    public let reason: String

    public init(_ code: Code, _ status: HTTPResponse.Status, _ reason: String) {
        self.code = code
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(code.rawValue) (\(status.code)): \(reason)" }
    public var apiError: APIError { APIError(status, code: code.rawValue, reason: reason) }

    public static func == (lhs: ServiceError, rhs: ServiceError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    // MARK: Common errors

    static func unknownPoll(_ id: String) -> ServiceError {
        ServiceError(.pollUnknown, .notFound, "no poll \(id); list the polls with GET /polls")
    }

    static func notOpen(_ reason: String) -> ServiceError {
        ServiceError(.pollNotOpen, .conflict, reason)
    }

    static func invalidState(_ reason: String) -> ServiceError {
        ServiceError(.pollInvalidState, .conflict, reason)
    }

    static let authRequired = ServiceError(
        .authRequired, .unauthorized, "this endpoint needs an Authorization: Bearer <token> header with a configured token")
}
