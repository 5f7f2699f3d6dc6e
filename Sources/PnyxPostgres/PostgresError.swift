/// The one error type of the PostgreSQL module.
///
/// Every failure carries a stable ``Code`` (for programs, logs and HTTP bodies), a human
/// ``reason`` and, when the server or libpq reported something, the SQLSTATE and the
/// server's primary message and detail. Two errors are equal when their codes are equal.
public struct PostgresError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Stable, dotted error codes. Never renamed once published.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The connection could not be established (bad URL, server down, authentication).
        public static let connectionFailed = Code(rawValue: "db.connection_failed")
        /// An established connection broke (server terminated it, socket closed, SQLSTATE class 08/57P0x).
        /// The statement's outcome is unknown: it may or may not have been applied.
        public static let connectionLost = Code(rawValue: "db.connection_lost")
        /// The server rejected a statement (syntax error, unknown table, bad data, …).
        public static let queryFailed = Code(rawValue: "db.query_failed")
        /// SQLSTATE 23505: a unique or primary-key constraint was violated.
        public static let uniqueViolation = Code(rawValue: "db.unique_violation")
        /// SQLSTATE 23503: a foreign-key constraint was violated.
        public static let foreignKeyViolation = Code(rawValue: "db.foreign_key_violation")
        /// Another SQLSTATE class 23 integrity-constraint violation (NOT NULL, CHECK, exclusion).
        public static let constraintViolation = Code(rawValue: "db.constraint_violation")
        /// SQLSTATE 40001: the transaction could not be serialized; retrying it may succeed.
        public static let serializationFailure = Code(rawValue: "db.serialization_failure")
        /// SQLSTATE 40P01: the transaction was chosen as a deadlock victim; retrying it may succeed.
        public static let deadlockDetected = Code(rawValue: "db.deadlock_detected")
        /// SQLSTATE 42501: the role lacks a privilege for the statement.
        public static let permissionDenied = Code(rawValue: "db.permission_denied")
        /// SQLSTATE 57014: the statement was cancelled (statement_timeout or a cancel request).
        public static let queryCanceled = Code(rawValue: "db.query_canceled")
        /// COMMIT reported ROLLBACK: an earlier statement in the transaction failed.
        public static let transactionAborted = Code(rawValue: "db.transaction_aborted")
        /// A result value could not be decoded into the requested Swift type.
        public static let decodeFailed = Code(rawValue: "db.decode_failed")
        /// A parameter could not be encoded for the statement.
        public static let encodeFailed = Code(rawValue: "db.encode_failed")
        /// The pool was closed, or a connection handle was used after it was returned to the pool.
        public static let poolClosed = Code(rawValue: "db.pool_closed")
        /// An applied migration's SQL no longer matches the migration list (checksum differs).
        public static let migrationChanged = Code(rawValue: "db.migration_changed")
        /// The database holds a migration this program does not know (the database is newer).
        public static let migrationUnknown = Code(rawValue: "db.migration_unknown")
        /// A migration list is malformed (versions not strictly increasing, empty namespace, …).
        public static let migrationInvalid = Code(rawValue: "db.migration_invalid")
        /// The private cluster could not be initialised, started or stopped.
        public static let clusterFailed = Code(rawValue: "db.cluster_failed")
        /// A configuration value is unusable (URL, pool size, identifier).
        public static let invalidConfiguration = Code(rawValue: "db.invalid_configuration")
    }

    /// The stable error code.
    public let code: Code
    /// What Pnyx was doing and why it failed, in words.
    public let reason: String
    /// The five-character SQLSTATE reported by the server, when there was one.
    public let sqlState: String?
    /// The server's primary message (`PQresultErrorField(PG_DIAG_MESSAGE_PRIMARY)`) or `PQerrorMessage`.
    public let message: String?
    /// The server's detail message, when there was one.
    public let detail: String?
    /// The name of the violated constraint, when the server reported one.
    public let constraint: String?

    /// Creates an error. Usually produced by the module itself.
    public init(
        _ code: Code, _ reason: String, sqlState: String? = nil, message: String? = nil,
        detail: String? = nil, constraint: String? = nil
    ) {
        self.code = code
        self.reason = reason
        self.sqlState = sqlState
        self.message = message
        self.detail = detail
        self.constraint = constraint
    }

    /// True for failures where re-running the whole transaction may succeed
    /// (serialization failure, deadlock).
    public var isRetryableTransactionFailure: Bool {
        code == .serializationFailure || code == .deadlockDetected
    }

    public var description: String {
        var text = "\(code.rawValue): \(reason)"
        if let sqlState { text += " [\(sqlState)]" }
        if let message, !message.isEmpty { text += " (\(message))" }
        if let detail, !detail.isEmpty { text += " detail: \(detail)" }
        return text
    }

    public static func == (lhs: PostgresError, rhs: PostgresError) -> Bool { lhs.code == rhs.code }
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// Maps a SQLSTATE to a stable code (class 08 and 57P01–57P03 mean the connection is gone).
    static func code(forSQLState state: String?) -> Code {
        guard let state else { return .queryFailed }
        switch state {
        case "23505": return .uniqueViolation
        case "23503": return .foreignKeyViolation
        case "40001": return .serializationFailure
        case "40P01": return .deadlockDetected
        case "42501": return .permissionDenied
        case "57014": return .queryCanceled
        case "57P01", "57P02", "57P03": return .connectionLost
        default:
            if state.hasPrefix("08") { return .connectionLost }
            if state.hasPrefix("23") { return .constraintViolation }
            return .queryFailed
        }
    }
}
