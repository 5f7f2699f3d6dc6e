/// Table privileges for ``PostgresConnection/grant(_:onTables:to:)``.
public enum PostgresTablePrivilege: String, Sendable, CaseIterable {
    case select = "SELECT"
    case insert = "INSERT"
    case update = "UPDATE"
    case delete = "DELETE"
    case truncate = "TRUNCATE"
    case references = "REFERENCES"
    case trigger = "TRIGGER"
}

extension PostgresConnection {
    /// Creates (or, if it exists, resets) a login role with no special powers: NOSUPERUSER,
    /// NOCREATEDB, NOCREATEROLE, NOREPLICATION, NOBYPASSRLS, and no table privileges of its own.
    /// Grants it CONNECT on the current database and USAGE on schema `public` only; give table
    /// rights with ``grant(_:onTables:to:)``. Connect as it with
    /// ``PostgresConfiguration/connecting(asUser:password:)``. Must run as a role allowed to create roles.
    ///
    /// Roles are cluster-wide; the grants are per database.
    public func createApplicationRole(_ name: String, password: String? = nil) throws {
        let role = Self.quoteIdentifier(name)
        var attributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT"
        if let password { attributes += " PASSWORD \(Self.quoteLiteral(password))" }
        let exists = try query("SELECT 1 FROM pg_roles WHERE rolname = $1", [.text(name)])
        if exists.isEmpty {
            do {
                try execute("CREATE ROLE \(role) \(attributes)")
            } catch let error as PostgresError where error.sqlState == "42710" {
                try execute("ALTER ROLE \(role) \(attributes)")  // created concurrently
            }
        } else {
            try execute("ALTER ROLE \(role) \(attributes)")
        }
        let database = try query("SELECT current_database()").scalar(String.self)
        try execute("GRANT CONNECT ON DATABASE \(Self.quoteIdentifier(database)) TO \(role)")
        try execute("GRANT USAGE ON SCHEMA public TO \(role)")
    }

    /// Grants exactly `privileges` on `tables` (names, optionally `schema.table`) to `role`,
    /// revoking every other table privilege it had on them. With INSERT, also grants USAGE on the
    /// sequences behind the tables' serial/identity columns (needed to insert default ids).
    public func grant(_ privileges: Set<PostgresTablePrivilege>, onTables tables: [String], to role: String) throws {
        guard !tables.isEmpty else { return }
        let roleName = Self.quoteIdentifier(role)
        let list = tables.map(Self.quoteQualified).joined(separator: ", ")
        try execute("REVOKE ALL ON TABLE \(list) FROM \(roleName)")
        if !privileges.isEmpty {
            let rights = PostgresTablePrivilege.allCases.filter(privileges.contains).map(\.rawValue)
            try execute("GRANT \(rights.joined(separator: ", ")) ON TABLE \(list) TO \(roleName)")
        }
        if privileges.contains(.insert) {
            let sequences = try query(
                """
                SELECT DISTINCT quote_ident(sn.nspname) || '.' || quote_ident(s.relname)
                FROM pg_depend d
                JOIN pg_class s ON s.oid = d.objid AND s.relkind = 'S'
                JOIN pg_namespace sn ON sn.oid = s.relnamespace
                WHERE d.refobjid = ANY (SELECT to_regclass(t)::oid FROM unnest(string_to_array($1, ',')) AS t)
                  AND d.deptype IN ('a', 'i')
                """,
                [.text(tables.joined(separator: ","))])
            for row in sequences {
                try execute("GRANT USAGE ON SEQUENCE \(try row.decode(String.self, at: 0)) TO \(roleName)")
            }
        }
    }

    static func quoteQualified(_ name: String) -> String {
        name.split(separator: ".", omittingEmptySubsequences: false).map { quoteIdentifier(String($0)) }
            .joined(separator: ".")
    }
}
