/// Why a call to a Pnyx HTTP API failed: the API's own stable error (`code`, `reason` from
/// the `{"error":{"code","reason"}}` body) or a transport problem (`client.unreachable`,
/// `client.bad_response`).
public struct ClientError: Error, Sendable, Equatable, Codable, CustomStringConvertible {
    /// The code the server answered (e.g. `issuance.already_issued`), or one of ``Code``.
    public var code: String
    /// The HTTP status, 0 when no answer came.
    public var status: Int
    /// The human reason.
    public var reason: String

    /// Codes of failures that happen before or outside an API answer.
    public enum Code: String, Sendable {
        /// No connection, timeout or a non-HTTP answer.
        case unreachable = "client.unreachable"
        /// The answer is not what the API documents (not JSON, missing fields).
        case badResponse = "client.bad_response"
        /// A local problem: the wallet file, an argument, a key.
        case invalidInput = "client.invalid_input"
        /// The wallet file is readable or writable by group or others (it must be 0600).
        case walletInsecure = "wallet.insecure_file"
        /// The wallet file is missing, unreadable or not a wallet.
        case walletUnreadable = "wallet.unreadable"
        /// The wallet file cannot be written.
        case walletUnwritable = "wallet.unwritable"
        /// Another wallet command is using the same wallet file.
        case walletBusy = "wallet.busy"
        /// No enrolment or no session in the wallet: run `pnyx wallet enrol` or `login`.
        case walletNotLoggedIn = "wallet.not_logged_in"
        /// The wallet's session expired: run `pnyx wallet login`.
        case walletSessionExpired = "wallet.session_expired"
        /// The wallet holds no credential (or no receipt) for the poll.
        case walletNoCredential = "wallet.no_credential"
        /// No service URL given and none remembered.
        case walletNoService = "wallet.no_service"
        /// What a server answered does not verify: a poll definition, key directory, name
        /// attestation or receipt signed by the wrong key, or for another poll.
        case untrusted = "client.untrusted_answer"
        /// A receipt's checkpoint is not signed by the service's key or is not the poll's.
        case receiptBadCheckpoint = "receipt.bad_checkpoint"
        /// A receipt's inclusion proof does not lead to its checkpoint's root.
        case receiptBadProof = "receipt.bad_proof"
        /// The log holds another entry than the receipt's at its position.
        case receiptEntryMismatch = "receipt.entry_mismatch"
        /// The latest checkpoint does not extend the receipt's (the log was rewritten or forked).
        case receiptInconsistent = "receipt.inconsistent"
    }

    public init(code: String, status: Int, reason: String) {
        self.code = code
        self.status = status
        self.reason = reason
    }

    public init(_ code: Code, _ reason: String, status: Int = 0) {
        self.init(code: code.rawValue, status: status, reason: reason)
    }

    /// The command line's exit status for this error: 2 when no usable answer came
    /// (unreachable, not the API's answer, an answer that does not verify), 64 for a bad
    /// argument, 1 for a refusal (the server's, or the wallet's own: a failed check, no
    /// credential, an insecure wallet file).
    public var exitCode: Int32 {
        switch code {
        case Code.unreachable.rawValue, Code.badResponse.rawValue, Code.untrusted.rawValue: 2
        case Code.invalidInput.rawValue: 64
        default: 1
        }
    }

    public var description: String { status == 0 ? "\(code): \(reason)" : "\(code) (HTTP \(status)): \(reason)" }
}
