/// A harness failure: a broken guarantee (an acknowledged entry missing, an audit that
/// fails, a fuzz input that crashed or was accepted) or a setup problem. Stable dotted code
/// and a human reason, like the project's other errors.
public struct ReliabilityError: Error, Sendable, CustomStringConvertible {
    /// Stable codes.
    public enum Code: String, Sendable {
        /// The cluster, the broker or the service did not start or answer.
        case setupFailed = "reliability.setup_failed"
        /// An acknowledged entry is not in the log under the latest checkpoint.
        case entryLost = "reliability.entry_lost"
        /// A receipt does not verify against its own checkpoint.
        case receiptInvalid = "reliability.receipt_invalid"
        /// `pnyx-audit verify` did not exit 0.
        case auditFailed = "reliability.audit_failed"
        /// The service answered something other than the expected status or code.
        case unexpectedAnswer = "reliability.unexpected_answer"
        /// The service did not recover in time after a fault.
        case noRecovery = "reliability.no_recovery"
        /// A fuzz input was accepted although it differs from every valid input.
        case invalidAccepted = "reliability.invalid_accepted"
        /// A fuzz input took longer than the per-input guard.
        case hang = "reliability.hang"
    }

    public let code: Code
    public let reason: String

    public init(_ code: Code, _ reason: String) {
        self.code = code
        self.reason = reason
    }

    public var description: String { "\(code.rawValue): \(reason)" }
}
