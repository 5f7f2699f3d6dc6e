import Foundation

/// Where and as whom to connect.
///
/// With a ``url`` (`postgresql://user:pw@host:port/db?sslmode=…`, or a unix socket via
/// `postgresql://user@/db?host=/path/to/socket-dir`) libpq parses it; without one, libpq
/// reads the standard `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, … variables.
/// ``user``, ``password`` and ``database`` override what the URL or environment says.
public struct PostgresConfiguration: Sendable, Hashable {
    /// A libpq connection URI or `key=value` string; nil means the PG* environment variables.
    public var url: String?
    /// Role to connect as, overriding the URL.
    public var user: String?
    /// Password, overriding the URL (unused with trust authentication).
    public var password: String?
    /// Database name, overriding the URL.
    public var database: String?
    /// `application_name` shown in `pg_stat_activity`.
    public var applicationName: String
    /// libpq `connect_timeout`, in seconds.
    public var connectTimeoutSeconds: Int

    /// Creates a configuration; all parameters are optional.
    public init(
        url: String? = nil, user: String? = nil, password: String? = nil, database: String? = nil,
        applicationName: String = "pnyx", connectTimeoutSeconds: Int = 10
    ) {
        self.url = url
        self.user = user
        self.password = password
        self.database = database
        self.applicationName = applicationName
        self.connectTimeoutSeconds = connectTimeoutSeconds
    }

    /// The URL in environment variable `variable` (default `PNYX_DATABASE_URL`), or nil
    /// (then libpq falls back to the PG* variables) when it is unset or empty.
    public static func fromEnvironment(variable: String = "PNYX_DATABASE_URL") -> PostgresConfiguration {
        let value = ProcessInfo.processInfo.environment[variable]
        return PostgresConfiguration(url: (value?.isEmpty ?? true) ? nil : value)
    }

    /// The same configuration connecting as another role.
    public func connecting(asUser user: String, password: String? = nil) -> PostgresConfiguration {
        var copy = self
        copy.user = user
        copy.password = password
        return copy
    }

    /// The same configuration connecting to another database.
    public func connecting(toDatabase database: String) -> PostgresConfiguration {
        var copy = self
        copy.database = database
        return copy
    }

    /// libpq keyword/value pairs for `PQconnectdbParams` with `expand_dbname = 1`
    /// (the first `dbname` carries the URL; later keywords override it).
    var keywordPairs: [(String, String)] {
        var pairs: [(String, String)] = []
        if let url, !url.isEmpty { pairs.append(("dbname", url)) }
        if let user { pairs.append(("user", user)) }
        if let password { pairs.append(("password", password)) }
        if let database { pairs.append(("dbname", database)) }
        pairs.append(("application_name", applicationName))
        pairs.append(("client_encoding", "UTF8"))
        pairs.append(("connect_timeout", String(connectTimeoutSeconds)))
        return pairs
    }

    /// A description safe for logs (passwords removed).
    public var redacted: String {
        var text = url.map(Self.redact) ?? "(PG* environment)"
        if let user { text += " user=\(user)" }
        if let database { text += " dbname=\(database)" }
        return text
    }

    static func redact(_ url: String) -> String {
        // postgresql://user:secret@host → postgresql://user:***@host ; password=… → password=***
        var out = url
        if let scheme = out.range(of: "://"), let at = out[scheme.upperBound...].firstIndex(of: "@") {
            let userInfo = out[scheme.upperBound..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                out.replaceSubrange(out.index(after: colon)..<at, with: "***")
            }
        }
        if let r = out.range(of: "password=") {
            let end = out[r.upperBound...].firstIndex(where: { $0 == "&" || $0 == " " }) ?? out.endIndex
            out.replaceSubrange(r.upperBound..<end, with: "***")
        }
        return out
    }
}

/// Transaction isolation levels for `BEGIN ISOLATION LEVEL …`.
public enum PostgresIsolation: String, Sendable, CaseIterable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// Where a connection stands relative to a transaction (`PQtransactionStatus`).
public enum PostgresTransactionStatus: Sendable, Hashable {
    /// Not in a transaction.
    case idle
    /// A command is running.
    case active
    /// Inside a healthy transaction block.
    case inTransaction
    /// Inside a failed transaction block (only ROLLBACK will be accepted).
    case inFailedTransaction
    /// The connection is bad.
    case unknown
}
