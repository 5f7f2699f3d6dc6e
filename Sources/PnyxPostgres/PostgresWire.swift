import Foundation

/// Binary wire formats of the types in ``PostgresValue`` (big-endian, PostgreSQL epoch 2000-01-01).
enum PostgresWire {
    /// Seconds between 1970-01-01 and 2000-01-01 (UTC).
    static let epochOffset: Double = 946_684_800

    /// One encoded parameter: type OID to declare, format (0 text, 1 binary), bytes (nil = NULL).
    /// Text-format bytes are NUL-terminated, as libpq reads them with `strlen`.
    struct Parameter {
        var type: UInt32
        var format: Int32
        var bytes: [UInt8]?
    }

    // MARK: Encoding

    static func bigEndian<T: FixedWidthInteger>(_ v: T) -> [UInt8] {
        withUnsafeBytes(of: v.bigEndian) { Array($0) }
    }

    static func microseconds(_ date: Date) -> Int64 {
        if date == .distantFuture { return .max }
        if date == .distantPast { return .min }
        let seconds = date.timeIntervalSince1970 - epochOffset
        return Int64((seconds * 1_000_000).rounded())
    }

    static func text(_ s: String, type: PostgresType) -> Parameter {
        Parameter(type: type.rawValue, format: 0, bytes: Array(s.utf8) + [0])
    }

    /// The value's own binary (or, for text/numeric, text) encoding.
    static func natural(_ value: PostgresValue) -> Parameter {
        switch value {
        case .null: return Parameter(type: 0, format: 1, bytes: nil)
        case .bool(let v): return Parameter(type: PostgresType.bool.rawValue, format: 1, bytes: [v ? 1 : 0])
        case .int16(let v): return Parameter(type: PostgresType.int2.rawValue, format: 1, bytes: bigEndian(v))
        case .int32(let v): return Parameter(type: PostgresType.int4.rawValue, format: 1, bytes: bigEndian(v))
        case .int64(let v): return Parameter(type: PostgresType.int8.rawValue, format: 1, bytes: bigEndian(v))
        case .float32(let v):
            return Parameter(type: PostgresType.float4.rawValue, format: 1, bytes: bigEndian(v.bitPattern))
        case .float64(let v):
            return Parameter(type: PostgresType.float8.rawValue, format: 1, bytes: bigEndian(v.bitPattern))
        case .text(let s): return text(s, type: .unspecified)
        case .bytea(let b): return Parameter(type: PostgresType.bytea.rawValue, format: 1, bytes: b)
        case .timestamp(let d):
            return Parameter(type: PostgresType.timestamptz.rawValue, format: 1, bytes: bigEndian(microseconds(d)))
        case .date(let days): return Parameter(type: PostgresType.date.rawValue, format: 1, bytes: bigEndian(days))
        case .numeric(let s): return text(s, type: .numeric)
        case .uuid(let u):
            return Parameter(type: PostgresType.uuid.rawValue, format: 1, bytes: withUnsafeBytes(of: u.uuid) { Array($0) })
        case .raw(let t, let b): return Parameter(type: t.rawValue, format: 1, bytes: b)
        }
    }

    /// A text rendering the server can parse for most target types, or nil.
    static func textual(_ value: PostgresValue) -> String? {
        switch value {
        case .bool(let v): return v ? "true" : "false"
        case .int16(let v): return String(v)
        case .int32(let v): return String(v)
        case .int64(let v): return String(v)
        case .float32(let v): return String(v)
        case .float64(let v): return String(v)
        case .text(let s), .numeric(let s): return s
        case .uuid(let u): return u.uuidString.lowercased()
        default: return nil
        }
    }

    /// Encodes `value` for a parameter slot whose type the server already fixed
    /// (a prepared statement), converting integer widths and falling back to text.
    static func encode(_ value: PostgresValue, for target: PostgresType) throws -> Parameter {
        var p = natural(value)
        if value.isNull || target == .unspecified || target == .unknown || p.type == target.rawValue {
            p.type = target.rawValue
            return p
        }
        func integer() -> Int64? {
            switch value {
            case .int16(let v): return Int64(v)
            case .int32(let v): return Int64(v)
            case .int64(let v): return v
            default: return nil
            }
        }
        func overflow() -> PostgresError {
            PostgresError(.encodeFailed, "parameter \(value) does not fit type \(target.rawValue)")
        }
        switch target {
        case .int2, .int4, .int8:
            if let i = integer() {
                switch target {
                case .int2: guard let v = Int16(exactly: i) else { throw overflow() }; return natural(.int16(v))
                case .int4: guard let v = Int32(exactly: i) else { throw overflow() }; return natural(.int32(v))
                default: return natural(.int64(i))
                }
            }
        case .float8:
            if let i = integer() { return natural(.float64(Double(i))) }
            if case .float32(let f) = value { return natural(.float64(Double(f))) }
        case .timestamp:
            if case .timestamp = value { p.type = target.rawValue; return p }
        default: break
        }
        if let s = textual(value) { return text(s, type: target) }
        return p  // let the server report the mismatch
    }

    // MARK: Decoding

    static func integer<T: FixedWidthInteger>(_ bytes: UnsafeRawBufferPointer, _: T.Type) -> T? {
        guard bytes.count == MemoryLayout<T>.size else { return nil }
        var v: T = 0
        for b in bytes { v = (v << 8) | T(truncatingIfNeeded: b) }
        return v
    }

    static func decode(type oid: UInt32, bytes: UnsafeRawBufferPointer) throws -> PostgresValue {
        let type = PostgresType(rawValue: oid)
        func bad() -> PostgresError {
            PostgresError(.decodeFailed, "malformed binary value of \(bytes.count) bytes for type oid \(oid)")
        }
        func utf8(_ b: UnsafeRawBufferPointer) -> String { String(decoding: b, as: UTF8.self) }
        switch type {
        case .bool:
            guard bytes.count == 1 else { throw bad() }
            return .bool(bytes[0] != 0)
        case .bytea: return .bytea(Array(bytes))
        case .int2: guard let v = integer(bytes, Int16.self) else { throw bad() }; return .int16(v)
        case .int4: guard let v = integer(bytes, Int32.self) else { throw bad() }; return .int32(v)
        case .int8: guard let v = integer(bytes, Int64.self) else { throw bad() }; return .int64(v)
        case .oid: guard let v = integer(bytes, UInt32.self) else { throw bad() }; return .int64(Int64(v))
        case .float4:
            guard let v = integer(bytes, UInt32.self) else { throw bad() }; return .float32(Float(bitPattern: v))
        case .float8:
            guard let v = integer(bytes, UInt64.self) else { throw bad() }; return .float64(Double(bitPattern: v))
        case .text, .varchar, .bpchar, .name, .char, .json, .unknown, PostgresType(rawValue: 142):
            return .text(utf8(bytes))
        case .jsonb:
            guard bytes.count >= 1, bytes[0] == 1 else { throw bad() }
            return .text(utf8(UnsafeRawBufferPointer(rebasing: bytes[1...])))
        case .timestamp, .timestamptz:
            guard let us = integer(bytes, Int64.self) else { throw bad() }
            if us == .max { return .timestamp(.distantFuture) }
            if us == .min { return .timestamp(.distantPast) }
            return .timestamp(Date(timeIntervalSince1970: epochOffset + Double(us) / 1_000_000))
        case .date: guard let v = integer(bytes, Int32.self) else { throw bad() }; return .date(daysSince2000: v)
        case .uuid:
            guard bytes.count == 16 else { throw bad() }
            var u: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
            withUnsafeMutableBytes(of: &u) { $0.copyMemory(from: bytes) }
            return .uuid(UUID(uuid: u))
        case .numeric:
            guard let s = numericText(bytes) else { throw bad() }
            return .numeric(s)
        case .void: return .null
        default: return .raw(type: type, bytes: Array(bytes))
        }
    }

    /// Renders PostgreSQL's binary `numeric` (base-10000 digits) as exact decimal text.
    static func numericText(_ b: UnsafeRawBufferPointer) -> String? {
        guard b.count >= 8 else { return nil }
        func i16(_ at: Int) -> Int { Int(Int16(bitPattern: UInt16(b[at]) << 8 | UInt16(b[at + 1]))) }
        let ndigits = i16(0), weight = i16(2), sign = UInt16(b[4]) << 8 | UInt16(b[5]), dscale = i16(6)
        guard ndigits >= 0, b.count == 8 + 2 * ndigits, dscale >= 0 else { return nil }
        switch sign {
        case 0xC000: return "NaN"
        case 0xD000: return "Infinity"
        case 0xF000: return "-Infinity"
        case 0x0000, 0x4000: break
        default: return nil
        }
        let digits = (0..<ndigits).map { i16(8 + 2 * $0) }
        func digit(_ i: Int) -> Int { i >= 0 && i < digits.count ? digits[i] : 0 }
        var out = sign == 0x4000 ? "-" : ""
        if weight < 0 {
            out += "0"
        } else {
            out += String(digit(0))
            if weight >= 1 {
                for i in 1...weight {
                    let s = String(digit(i))
                    out += String(repeating: "0", count: 4 - s.count) + s
                }
            }
        }
        if dscale > 0 {
            var frac = ""
            var i = weight + 1
            while frac.count < dscale {
                let s = String(digit(i))
                frac += String(repeating: "0", count: 4 - s.count) + s
                i += 1
            }
            out += "." + frac.prefix(dscale)
        }
        if out == "-0" || (out.hasPrefix("-") && out.dropFirst().allSatisfy { $0 == "0" || $0 == "." }) {
            out.removeFirst()
        }
        return out
    }
}
