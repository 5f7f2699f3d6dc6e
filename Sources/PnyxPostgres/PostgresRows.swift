/// One result column: its name and type OID.
public struct PostgresColumn: Sendable, Hashable {
    /// The column name as reported by the server (`PQfname`).
    public let name: String
    /// The column's type OID (`PQftype`).
    public let type: PostgresType
}

/// The columns of a result, shared by its rows, with a name index.
final class PostgresColumnIndex: Sendable {
    let columns: [PostgresColumn]
    let positions: [String: Int]

    init(_ columns: [PostgresColumn]) {
        self.columns = columns
        var positions: [String: Int] = [:]
        for (i, c) in columns.enumerated() where positions[c.name] == nil { positions[c.name] = i }
        self.positions = positions
    }
}

/// One result row, decoded from binary format by column type.
public struct PostgresRow: Sendable, RandomAccessCollection {
    let index: PostgresColumnIndex
    /// The row's values, one per column.
    public let values: [PostgresValue]

    public var startIndex: Int { 0 }
    public var endIndex: Int { values.count }
    /// The value at a column position.
    public subscript(position: Int) -> PostgresValue { values[position] }
    /// The value of the first column with this name, or nil if there is no such column.
    public subscript(column name: String) -> PostgresValue? {
        index.positions[name].map { values[$0] }
    }
    /// The result's columns.
    public var columns: [PostgresColumn] { index.columns }

    /// Decodes the column at `position`; use an Optional type to accept NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type, at position: Int) throws -> T {
        guard position >= 0, position < values.count else {
            throw PostgresError(.decodeFailed, "no column at position \(position) (row has \(values.count))")
        }
        do {
            return try T(postgresValue: values[position])
        } catch let error as PostgresError {
            throw PostgresError(.decodeFailed, "column \(position) (\(index.columns[position].name)): \(error.reason)")
        }
    }

    /// Decodes the first column named `name`; use an Optional type to accept NULL.
    public func decode<T: PostgresDecodable>(_ type: T.Type, column name: String) throws -> T {
        guard let position = index.positions[name] else {
            throw PostgresError(.decodeFailed, "no column named \(name)")
        }
        return try decode(type, at: position)
    }
}

/// A complete query result: columns, rows, and the command tag.
public struct PostgresRows: Sendable, RandomAccessCollection {
    let index: PostgresColumnIndex
    /// All rows, in server order.
    public let rows: [PostgresRow]
    /// The command tag (`PQcmdStatus`), e.g. `INSERT 0 3`, `SELECT 2`, `COMMIT`.
    public let commandTag: String
    /// Rows affected by INSERT/UPDATE/DELETE/SELECT/COPY/… (`PQcmdTuples`), nil when not reported.
    public let affectedRows: Int?

    public var startIndex: Int { 0 }
    public var endIndex: Int { rows.count }
    public subscript(position: Int) -> PostgresRow { rows[position] }
    /// The result's columns.
    public var columns: [PostgresColumn] { index.columns }

    /// The first column of the only (or first) row, decoded; throws `db.decode_failed` when there are no rows.
    public func scalar<T: PostgresDecodable>(_ type: T.Type = T.self) throws -> T {
        guard let row = rows.first else { throw PostgresError(.decodeFailed, "expected a row, got none") }
        return try row.decode(type, at: 0)
    }
}
