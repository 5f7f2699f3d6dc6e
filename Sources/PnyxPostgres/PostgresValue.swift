public import Foundation

/// A PostgreSQL type OID (`pg_type.oid`) for the types this module encodes and decodes.
public struct PostgresType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }
    public var description: String { "oid \(rawValue)" }

    /// Let the server infer the type (used for text-format parameters).
    public static let unspecified = PostgresType(rawValue: 0)
    public static let bool = PostgresType(rawValue: 16)
    public static let bytea = PostgresType(rawValue: 17)
    public static let char = PostgresType(rawValue: 18)
    public static let name = PostgresType(rawValue: 19)
    public static let int8 = PostgresType(rawValue: 20)
    public static let int2 = PostgresType(rawValue: 21)
    public static let int4 = PostgresType(rawValue: 23)
    public static let text = PostgresType(rawValue: 25)
    public static let oid = PostgresType(rawValue: 26)
    public static let json = PostgresType(rawValue: 114)
    public static let float4 = PostgresType(rawValue: 700)
    public static let float8 = PostgresType(rawValue: 701)
    public static let unknown = PostgresType(rawValue: 705)
    public static let bpchar = PostgresType(rawValue: 1042)
    public static let varchar = PostgresType(rawValue: 1043)
    public static let date = PostgresType(rawValue: 1082)
    public static let timestamp = PostgresType(rawValue: 1114)
    public static let timestamptz = PostgresType(rawValue: 1184)
    public static let numeric = PostgresType(rawValue: 1700)
    public static let void = PostgresType(rawValue: 2278)
    public static let uuid = PostgresType(rawValue: 2950)
    public static let jsonb = PostgresType(rawValue: 3802)
}

/// One value sent to or received from PostgreSQL.
///
/// Parameters are sent in binary format with an explicit type OID (``text(_:)`` is sent as
/// text with the type left for the server to infer), and results are requested in binary
/// format and decoded by column type OID. Literals work: `[42, "x", true, nil]`.
public enum PostgresValue: Sendable, Hashable, CustomStringConvertible {
    /// SQL NULL.
    case null
    case bool(Bool)
    case int16(Int16)
    case int32(Int32)
    case int64(Int64)
    case float32(Float)
    case float64(Double)
    /// `text`, `varchar`, `name`, `bpchar`, `json`, `jsonb` (as its text).
    case text(String)
    /// `bytea`, sent and received as raw bytes.
    case bytea([UInt8])
    /// `timestamptz` / `timestamp` (microsecond precision; `timestamp` is read as UTC).
    case timestamp(Date)
    /// `date`, as days since 2000-01-01.
    case date(daysSince2000: Int32)
    /// `numeric`, as its exact decimal text (e.g. `"-12.340"`, `"NaN"`).
    case numeric(String)
    case uuid(UUID)
    /// Any other type: its OID and its binary representation.
    case raw(type: PostgresType, bytes: [UInt8])

    /// Wraps an optional, mapping `nil` to ``null``.
    public init<T: PostgresEncodable>(_ value: T?) {
        self = value.map { $0.postgresValue } ?? .null
    }

    /// True for ``null``.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .bool(let v): return v ? "true" : "false"
        case .int16(let v): return String(v)
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .float32(let v): return String(v)
        case .float64(let v): return String(v)
        case .text(let v): return v
        case .bytea(let v): return "\\x" + v.map { String(format: "%02x", $0) }.joined()
        case .timestamp(let v): return v.description
        case .date(let d): return "date(\(d) days since 2000-01-01)"
        case .numeric(let v): return v
        case .uuid(let v): return v.uuidString.lowercased()
        case .raw(let t, let b): return "raw(\(t.rawValue), \(b.count) bytes)"
        }
    }
}

extension PostgresValue: ExpressibleByNilLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByStringLiteral, ExpressibleByBooleanLiteral, ExpressibleByFloatLiteral
{
    public init(nilLiteral: ()) { self = .null }
    /// Integer literals are `int8`.
    public init(integerLiteral value: Int64) { self = .int64(value) }
    public init(stringLiteral value: String) { self = .text(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(floatLiteral value: Double) { self = .float64(value) }
}

/// A Swift type that can be sent as a query parameter.
public protocol PostgresEncodable {
    /// The value to send.
    var postgresValue: PostgresValue { get }
}

/// A Swift type that can be read from a result column.
public protocol PostgresDecodable {
    /// Decodes `value`, throwing ``PostgresError/Code/decodeFailed`` when it does not fit.
    init(postgresValue value: PostgresValue) throws
}

/// Both directions.
public typealias PostgresCodable = PostgresEncodable & PostgresDecodable

@inline(__always)
func decodeFailure(_ value: PostgresValue, _ type: Any.Type) -> PostgresError {
    let shown = value.isNull ? "NULL" : String(describing: value).prefix(64)
    return PostgresError(.decodeFailed, "cannot decode \(shown) as \(type)")
}

extension PostgresValue: PostgresCodable {
    public var postgresValue: PostgresValue { self }
    public init(postgresValue value: PostgresValue) { self = value }
}

extension Int64: PostgresCodable {
    public var postgresValue: PostgresValue { .int64(self) }
    public init(postgresValue value: PostgresValue) throws {
        switch value {
        case .int16(let v): self = Int64(v)
        case .int32(let v): self = Int64(v)
        case .int64(let v): self = v
        case .numeric(let s): guard let v = Int64(s) else { throw decodeFailure(value, Int64.self) }; self = v
        default: throw decodeFailure(value, Int64.self)
        }
    }
}

extension Int: PostgresCodable {
    public var postgresValue: PostgresValue { .int64(Int64(self)) }
    public init(postgresValue value: PostgresValue) throws {
        let v = try Int64(postgresValue: value)
        guard let i = Int(exactly: v) else { throw decodeFailure(value, Int.self) }
        self = i
    }
}

extension Int32: PostgresCodable {
    public var postgresValue: PostgresValue { .int32(self) }
    public init(postgresValue value: PostgresValue) throws {
        let v = try Int64(postgresValue: value)
        guard let i = Int32(exactly: v) else { throw decodeFailure(value, Int32.self) }
        self = i
    }
}

extension Int16: PostgresCodable {
    public var postgresValue: PostgresValue { .int16(self) }
    public init(postgresValue value: PostgresValue) throws {
        let v = try Int64(postgresValue: value)
        guard let i = Int16(exactly: v) else { throw decodeFailure(value, Int16.self) }
        self = i
    }
}

extension Bool: PostgresCodable {
    public var postgresValue: PostgresValue { .bool(self) }
    public init(postgresValue value: PostgresValue) throws {
        guard case .bool(let v) = value else { throw decodeFailure(value, Bool.self) }
        self = v
    }
}

extension Double: PostgresCodable {
    public var postgresValue: PostgresValue { .float64(self) }
    public init(postgresValue value: PostgresValue) throws {
        switch value {
        case .float64(let v): self = v
        case .float32(let v): self = Double(v)
        case .int16(let v): self = Double(v)
        case .int32(let v): self = Double(v)
        case .int64(let v): self = Double(v)
        case .numeric(let s): guard let v = Double(s) else { throw decodeFailure(value, Double.self) }; self = v
        default: throw decodeFailure(value, Double.self)
        }
    }
}

extension String: PostgresCodable {
    public var postgresValue: PostgresValue { .text(self) }
    public init(postgresValue value: PostgresValue) throws {
        switch value {
        case .text(let v): self = v
        case .numeric(let v): self = v
        default: throw decodeFailure(value, String.self)
        }
    }
}

extension Array: PostgresEncodable where Element == UInt8 {
    public var postgresValue: PostgresValue { .bytea(self) }
}

extension Array: PostgresDecodable where Element == UInt8 {
    public init(postgresValue value: PostgresValue) throws {
        guard case .bytea(let v) = value else { throw decodeFailure(value, [UInt8].self) }
        self = v
    }
}

extension Data: PostgresCodable {
    public var postgresValue: PostgresValue { .bytea([UInt8](self)) }
    public init(postgresValue value: PostgresValue) throws {
        guard case .bytea(let v) = value else { throw decodeFailure(value, Data.self) }
        self = Data(v)
    }
}

extension Date: PostgresCodable {
    public var postgresValue: PostgresValue { .timestamp(self) }
    public init(postgresValue value: PostgresValue) throws {
        guard case .timestamp(let v) = value else { throw decodeFailure(value, Date.self) }
        self = v
    }
}

extension UUID: PostgresCodable {
    public var postgresValue: PostgresValue { .uuid(self) }
    public init(postgresValue value: PostgresValue) throws {
        guard case .uuid(let v) = value else { throw decodeFailure(value, UUID.self) }
        self = v
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresValue: PostgresValue { self.map { $0.postgresValue } ?? .null }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public init(postgresValue value: PostgresValue) throws {
        if value.isNull { self = .none } else { self = .some(try Wrapped(postgresValue: value)) }
    }
}
