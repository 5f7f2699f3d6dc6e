/// Why the auditor could not do its job at all: a source that cannot be fetched or read, a
/// file that is not what it should be, a bad argument. Exit status 2 (64 for usage).
///
/// Problems *in* the log are never errors: they are ``Finding``s.
public struct AuditError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Stable codes.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// A file or URL could not be fetched (missing, HTTP error, connection refused).
        public static let fetchFailed = Code(rawValue: "audit.fetch_failed")
        /// A file was fetched but cannot be read (malformed manifest, key, receipt, checkpoint file).
        public static let unreadable = Code(rawValue: "audit.unreadable")
        /// The saved-checkpoint folder cannot be read or written.
        public static let stateUnusable = Code(rawValue: "audit.state_unusable")
        /// The arguments do not make sense together.
        public static let usage = Code(rawValue: "audit.usage")
    }

    public let code: Code
    public let reason: String
    /// How to fix it, in plain words (printed after the reason).
    public let hint: String?

    public init(_ code: Code, _ reason: String, hint: String? = nil) {
        self.code = code
        self.reason = reason
        self.hint = hint
    }

    /// 64 for usage errors, 2 otherwise.
    public var exitStatus: Int32 { code == .usage ? 64 : 2 }

    public var description: String {
        "\(code.rawValue): \(reason)" + (hint.map { " (hint: \($0))" } ?? "")
    }

    public static func == (lhs: AuditError, rhs: AuditError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
