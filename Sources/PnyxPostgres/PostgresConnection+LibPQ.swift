import CLibPQ
import Foundation

// The libpq calls behind PostgresConnection: connecting, executing, result and error mapping.

private enum DiagField {
    static let sqlState = Int32(UInt8(ascii: "C"))
    static let primary = Int32(UInt8(ascii: "M"))
    static let detail = Int32(UInt8(ascii: "D"))
    static let constraint = Int32(UInt8(ascii: "n"))
}

extension PostgresConnection {
    // MARK: Connecting

    static func open(_ configuration: PostgresConfiguration) throws -> OpaquePointer {
        let pairs = configuration.keywordPairs
        let keywords = pairs.map { strdup($0.0) } + [nil]
        let values = pairs.map { strdup($0.1) } + [nil]
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let handle: OpaquePointer? = keywords.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                k.withMemoryRebound(to: UnsafePointer<CChar>?.self) { k2 in
                    v.withMemoryRebound(to: UnsafePointer<CChar>?.self) { v2 in
                        PQconnectdbParams(k2.baseAddress, v2.baseAddress, 1)
                    }
                }
            }
        }
        guard let handle else {
            throw PostgresError(.connectionFailed, "libpq could not allocate a connection")
        }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = Self.trimmed(PQerrorMessage(handle))
            PQfinish(handle)
            throw PostgresError(
                .connectionFailed, "cannot connect to \(configuration.redacted)", message: message)
        }
        // Server NOTICEs (e.g. "relation … already exists, skipping") are not errors: don't
        // let libpq print them on stderr.
        _ = PQsetNoticeProcessor(handle, { _, _ in }, nil)
        return handle
    }

    func finish(_ handle: OpaquePointer) { PQfinish(handle) }

    // MARK: State

    /// True while libpq reports the connection as usable (`PQstatus == CONNECTION_OK`). Does not
    /// probe the server: a connection killed server-side is noticed at its next statement.
    public var isConnected: Bool {
        guard let handle else { return false }
        return PQstatus(handle) == CONNECTION_OK
    }

    /// For an idle connection (between statements, outside a transaction): true when the server
    /// has sent nothing since the last answer. A server that ends a connection (shutdown,
    /// restart, `pg_terminate_backend`) sends a FATAL notice and closes the socket, so an idle
    /// connection with anything to read is one to drop. Polls the socket without waiting.
    /// False when the connection is closed or broken.
    var isAliveWhenIdle: Bool {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return false }
        let socket = PQsocket(handle)
        guard socket >= 0 else { return false }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) == 0
    }

    /// The server process id serving this connection (`PQbackendPID`), 0 when closed.
    public var backendPID: Int32 { handle.map { PQbackendPID($0) } ?? 0 }

    /// The server version as an integer, e.g. 150004 for 15.4 (`PQserverVersion`).
    public var serverVersion: Int { handle.map { Int(PQserverVersion($0)) } ?? 0 }

    /// Where the connection stands relative to a transaction.
    public var transactionStatus: PostgresTransactionStatus {
        guard let handle else { return .unknown }
        switch PQtransactionStatus(handle) {
        case PQTRANS_IDLE: return .idle
        case PQTRANS_ACTIVE: return .active
        case PQTRANS_INTRANS: return .inTransaction
        case PQTRANS_INERROR: return .inFailedTransaction
        default: return .unknown
        }
    }

    func liveHandle() throws -> OpaquePointer {
        guard let handle else { throw PostgresError(.connectionLost, "the connection is closed") }
        guard PQstatus(handle) == CONNECTION_OK else {
            throw PostgresError(
                .connectionLost, "the connection is broken", message: Self.trimmed(PQerrorMessage(handle)))
        }
        return handle
    }

    // MARK: Executing

    func execParams(_ sql: String, _ parameters: [PostgresValue]) throws -> PostgresRows {
        let handle = try liveHandle()
        let encoded = parameters.map(PostgresWire.natural)
        let result = Self.withParameters(encoded) { n, types, values, lengths, formats in
            PQexecParams(handle, sql, n, types, values, lengths, formats, 1)
        }
        return try consume(result, sql: sql)
    }

    func execPrepared(name: String, statement: PreparedStatement, _ parameters: [PostgresValue]) throws
        -> PostgresRows
    {
        let handle = try liveHandle()
        guard parameters.count == statement.parameterTypes.count else {
            throw PostgresError(
                .encodeFailed,
                "statement \(name) takes \(statement.parameterTypes.count) parameters, got \(parameters.count)")
        }
        let encoded = try zip(parameters, statement.parameterTypes).map { try PostgresWire.encode($0, for: $1) }
        let result = Self.withParameters(encoded) { n, _, values, lengths, formats in
            PQexecPrepared(handle, name, n, values, lengths, formats, 1)
        }
        return try consume(result, sql: statement.sql)
    }

    func prepareStatement(name: String, sql: String) throws {
        let handle = try liveHandle()
        _ = try consume(PQprepare(handle, name, sql, 0, nil), sql: sql)
        guard let description = PQdescribePrepared(handle, name) else {
            throw connectionError(result: nil, reason: "describing prepared statement \(name) failed")
        }
        defer { PQclear(description) }
        guard PQresultStatus(description) == PGRES_COMMAND_OK else {
            throw connectionError(result: description, reason: "describing prepared statement \(name) failed")
        }
        let types = (0..<PQnparams(description)).map { PostgresType(rawValue: UInt32(PQparamtype(description, $0))) }
        prepared[name] = PreparedStatement(sql: sql, parameterTypes: types)
    }

    func execSimple(_ sql: String) throws {
        let handle = try liveHandle()
        _ = try consume(PQexec(handle, sql), sql: sql)
    }

    func commit() throws {
        let handle = try liveHandle()
        let rows = try consume(PQexec(handle, "COMMIT"), sql: "COMMIT")
        guard rows.commandTag == "COMMIT" else {
            throw PostgresError(
                .transactionAborted,
                "COMMIT answered \(rows.commandTag): an earlier statement in the transaction failed")
        }
    }

    func rollbackQuietly() {
        guard let handle, PQstatus(handle) == CONNECTION_OK else { return }
        let status = PQtransactionStatus(handle)
        guard status == PQTRANS_INTRANS || status == PQTRANS_INERROR else { return }
        if let result = PQexec(handle, "ROLLBACK") { PQclear(result) }
    }

    // MARK: COPY

    func copyFromStdin(_ sql: String, _ body: (PostgresCopyWriter) throws -> Void) throws -> Int {
        let handle = try liveHandle()
        guard let start = PQexec(handle, sql) else {
            throw connectionError(result: nil, reason: "COPY failed to start: \(Self.snippet(sql))")
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            _ = try consume(start, sql: sql)  // throws the server's error, if any
            throw PostgresError(.queryFailed, "not a COPY … FROM STDIN statement: \(Self.snippet(sql))")
        }
        PQclear(start)
        let writer = PostgresCopyWriter { buffer in
            guard buffer.count > 0 else { return }
            var offset = 0
            while offset < buffer.count {  // PQputCopyData takes an Int32 length
                let n = min(buffer.count - offset, 1 << 30)
                let ok = PQputCopyData(
                    handle, buffer.baseAddress!.advanced(by: offset).assumingMemoryBound(to: CChar.self), Int32(n))
                if ok != 1 {
                    throw self.connectionError(result: nil, reason: "sending COPY data failed")
                }
                offset += n
            }
        }
        do {
            try body(writer)
        } catch {
            _ = PQputCopyEnd(handle, "aborted by the client: \(error)")
            drainResults(handle)
            throw error
        }
        guard PQputCopyEnd(handle, nil) == 1 else {
            drainResults(handle)
            throw connectionError(result: nil, reason: "ending COPY failed")
        }
        var outcome: Result<PostgresRows, any Error>?
        while let result = PQgetResult(handle) {
            let r = Result { try consume(result, sql: sql) }
            if outcome == nil { outcome = r }
        }
        guard let outcome else {
            throw connectionError(result: nil, reason: "COPY ended without a result")
        }
        return try outcome.get().affectedRows ?? 0
    }

    func drainResults(_ handle: OpaquePointer) {
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) == PGRES_COPY_IN { _ = PQputCopyEnd(handle, "not supported here") }
            PQclear(result)
        }
    }

    // MARK: Results

    /// Checks a result's status, converts it, clears it. A nil result or an error status on a
    /// broken connection becomes `db.connection_lost`.
    func consume(_ result: OpaquePointer?, sql: String) throws -> PostgresRows {
        guard let result else {
            throw connectionError(result: nil, reason: "statement failed: \(Self.snippet(sql))")
        }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        switch status {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return try Self.rows(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            if let handle {
                if status == PGRES_COPY_IN { _ = PQputCopyEnd(handle, "use copyIn for COPY FROM STDIN") }
                if status == PGRES_COPY_OUT {
                    var buffer: UnsafeMutablePointer<CChar>?
                    while PQgetCopyData(handle, &buffer, 0) > 0 { PQfreemem(buffer) }
                }
                drainResults(handle)
            }
            throw PostgresError(.queryFailed, "COPY is only supported through copyIn: \(Self.snippet(sql))")
        default:
            throw connectionError(result: result, reason: "statement failed: \(Self.snippet(sql))")
        }
    }

    /// Builds the error for a failed result, consulting `PQstatus` so that a broken connection
    /// is always `db.connection_lost`.
    func connectionError(result: OpaquePointer?, reason: String) -> PostgresError {
        func field(_ code: Int32) -> String? {
            guard let result, let p = PQresultErrorField(result, code) else { return nil }
            return String(cString: p)
        }
        let sqlState = field(DiagField.sqlState)
        var message = field(DiagField.primary)
        if message == nil, let result { message = Self.trimmed(PQresultErrorMessage(result)) }
        if message == nil || message == "", let handle { message = Self.trimmed(PQerrorMessage(handle)) }
        var code = PostgresError.code(forSQLState: sqlState)
        // An error libpq made itself (no SQLSTATE) may be the first sign of a closed socket:
        // read it now so that the status below says so (500 `db.query_failed` otherwise).
        if sqlState == nil, let handle, PQstatus(handle) == CONNECTION_OK { _ = PQconsumeInput(handle) }
        if handle == nil || PQstatus(handle) != CONNECTION_OK {
            code = .connectionLost
        } else if sqlState == nil && result == nil {
            code = .queryFailed
        }
        return PostgresError(
            code, reason, sqlState: sqlState, message: message, detail: field(DiagField.detail),
            constraint: field(DiagField.constraint))
    }

    static func rows(_ result: OpaquePointer) throws -> PostgresRows {
        let nFields = PQnfields(result)
        let nRows = PQntuples(result)
        var columns: [PostgresColumn] = []
        columns.reserveCapacity(Int(nFields))
        for c in 0..<nFields {
            let name = PQfname(result, c).map { String(cString: $0) } ?? ""
            columns.append(PostgresColumn(name: name, type: PostgresType(rawValue: UInt32(PQftype(result, c)))))
        }
        let index = PostgresColumnIndex(columns)
        var rows: [PostgresRow] = []
        rows.reserveCapacity(Int(nRows))
        for r in 0..<nRows {
            var values: [PostgresValue] = []
            values.reserveCapacity(Int(nFields))
            for c in 0..<nFields {
                if PQgetisnull(result, r, c) != 0 {
                    values.append(.null)
                    continue
                }
                let length = Int(PQgetlength(result, r, c))
                let bytes = UnsafeRawBufferPointer(start: PQgetvalue(result, r, c), count: length)
                if PQfformat(result, c) == 0 {  // text format (only if the server chose it)
                    values.append(.text(String(decoding: bytes, as: UTF8.self)))
                } else {
                    values.append(try PostgresWire.decode(type: columns[Int(c)].type.rawValue, bytes: bytes))
                }
            }
            rows.append(PostgresRow(index: index, values: values))
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let tuples = PQcmdTuples(result).map { String(cString: $0) } ?? ""
        return PostgresRows(index: index, rows: rows, commandTag: tag, affectedRows: Int(tuples))
    }

    // MARK: Helpers

    static func withParameters<R>(
        _ parameters: [PostgresWire.Parameter],
        _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?,
            UnsafePointer<Int32>?) -> R
    ) -> R {
        let types = parameters.map { Oid($0.type) }
        let lengths = parameters.map { Int32($0.bytes?.count ?? 0) }
        let formats = parameters.map { $0.format }
        var allocations: [UnsafeMutableRawPointer] = []
        defer { allocations.forEach { $0.deallocate() } }
        let values: [UnsafePointer<CChar>?] = parameters.map { p in
            guard let bytes = p.bytes else { return nil }
            let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            bytes.withUnsafeBytes { src in
                if let base = src.baseAddress { memory.copyMemory(from: base, byteCount: src.count) }
            }
            allocations.append(memory)
            return UnsafePointer(memory.assumingMemoryBound(to: CChar.self))
        }
        return types.withUnsafeBufferPointer { t in
            values.withUnsafeBufferPointer { v in
                lengths.withUnsafeBufferPointer { l in
                    formats.withUnsafeBufferPointer { f in
                        body(Int32(parameters.count), t.baseAddress, v.baseAddress, l.baseAddress, f.baseAddress)
                    }
                }
            }
        }
    }

    static func trimmed(_ p: UnsafePointer<CChar>?) -> String? {
        guard let p else { return nil }
        let s = String(cString: p).trimmingCharacters(in: .whitespacesAndNewlines)
        return s.isEmpty ? nil : s
    }

    static func snippet(_ sql: String) -> String {
        let flat = sql.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > 160 ? String(flat.prefix(160)) + "…" : flat
    }
}
