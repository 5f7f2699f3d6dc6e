/// Why a call to a Pnyx HTTP API failed: the API's own stable error (`code`, `reason` from
/// the `{"error":{"code","reason"}}` body) or a transport problem (`client.unreachable`,
/// `client.bad_response`).
public struct ClientError: Error, Sendable, Equatable, CustomStringConvertible {
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
    }

    public init(code: String, status: Int, reason: String) {
        self.code = code
        self.status = status
        self.reason = reason
    }

    public init(_ code: Code, _ reason: String, status: Int = 0) {
        self.init(code: code.rawValue, status: status, reason: reason)
    }

    public var description: String { status == 0 ? "\(code): \(reason)" : "\(code) (HTTP \(status)): \(reason)" }
}
