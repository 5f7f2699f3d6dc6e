import Foundation

/// A minimal RFC 4180 CSV reader that keeps the line number where each record starts.
///
/// Comma-separated; fields may be quoted with `"` (a doubled `""` inside is one quote, and
/// quoted fields may span lines); CRLF or LF line ends; a UTF-8 BOM is skipped; blank lines
/// are ignored.
struct CSVTable {
    struct Record {
        /// 1-based line where the record starts.
        let line: Int
        let fields: [String]
    }

    let records: [Record]

    /// Parses `text`; an unterminated quote is reported with the line it opened on.
    init(parsing text: String) throws(BrokerError) {
        var records: [Record] = []
        var fields: [String] = []
        var field: [UInt8] = []
        var inQuotes = false
        var line = 1
        var recordLine = 1
        var quoteLine = 1
        var fieldStarted = false
        var bytes = Array(text.utf8)
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        var i = 0
        func endField() {
            fields.append(String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            fieldStarted = false
        }
        func endRecord() {
            endField()
            if !(fields.count == 1 && fields[0].isEmpty) {
                records.append(Record(line: recordLine, fields: fields))
            }
            fields.removeAll()
        }
        while i < bytes.count {
            let byte = bytes[i]
            if inQuotes {
                if byte == UInt8(ascii: "\"") {
                    if i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "\"") {
                        field.append(byte)
                        i += 1
                    } else {
                        inQuotes = false
                    }
                } else {
                    if byte == UInt8(ascii: "\n") { line += 1 }
                    field.append(byte)
                }
            } else {
                switch byte {
                case UInt8(ascii: "\"") where !fieldStarted && field.isEmpty:
                    inQuotes = true
                    fieldStarted = true
                    quoteLine = line
                case UInt8(ascii: ","):
                    endField()
                case UInt8(ascii: "\r") where i + 1 < bytes.count && bytes[i + 1] == UInt8(ascii: "\n"):
                    break
                case UInt8(ascii: "\n"):
                    endRecord()
                    line += 1
                    recordLine = line
                default:
                    field.append(byte)
                    fieldStarted = true
                }
            }
            i += 1
        }
        if inQuotes {
            throw BrokerError(.registerBadFile, "unterminated quoted field opened on line \(quoteLine); close the quote")
        }
        if !field.isEmpty || !fields.isEmpty || fieldStarted { endRecord() }
        self.records = records
    }
}

/// Writes RFC 4180 CSV (quotes only where needed, LF line ends).
enum CSVWriter {
    static func field(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func line(_ values: [String]) -> String {
        values.map(field).joined(separator: ",") + "\n"
    }
}
