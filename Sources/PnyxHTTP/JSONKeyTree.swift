import Foundation

/// The key structure of a JSON document: every object's keys (with their values' structure),
/// every array's elements, scalars reduced to `scalar` and `null` kept apart. Read in one pass
/// over the UTF-8 bytes, without building the values: the strict request check
/// (`Request.decodeJSON` for `Codable` types) compares the body's keys
/// with those of the decoded value encoded again.
indirect enum JSONKeyTree: Equatable {
    case object([String: JSONKeyTree])
    case array([JSONKeyTree])
    case scalar
    case null

    /// The tree of `data`, or nil if it is not one JSON value (top-level scalars allowed).
    init?(parsing data: Data) {
        let parsed: JSONKeyTree? = data.withUnsafeBytes { buffer in
            var scanner = Scanner(bytes: buffer)
            guard let tree = try? scanner.value(depth: 0) else { return nil }
            scanner.skipSpace()
            return scanner.index == buffer.count ? tree : nil
        }
        guard let parsed else { return nil }
        self = parsed
    }

    /// The dotted path of the first key (in sorted order, depth first) of this tree that
    /// `known` lacks. Keys whose value is `null` count as absent; arrays are compared element
    /// by element when both have the same length; where `known` has no object, nothing is
    /// reported below.
    func firstUnknownKey(knownFrom known: JSONKeyTree, path: [String] = []) -> String? {
        switch (self, known) {
        case (.object(let given), .object(let knownObject)):
            for key in given.keys.sorted() {
                let value = given[key]!
                if value == .null { continue }
                guard let knownValue = knownObject[key] else { return (path + [key]).joined(separator: ".") }
                if let found = value.firstUnknownKey(knownFrom: knownValue, path: path + [key]) { return found }
            }
        case (.array(let given), .array(let knownArray)) where given.count == knownArray.count:
            for (index, element) in given.enumerated() {
                if let found = element.firstUnknownKey(knownFrom: knownArray[index], path: path + [String(index)]) {
                    return found
                }
            }
        default:
            break
        }
        return nil
    }

    private struct Malformed: Error {}

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        mutating func expect(_ byte: UInt8) throws {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { throw Malformed() }
            index += 1
        }

        mutating func value(depth: Int) throws -> JSONKeyTree {
            guard depth < 512 else { throw Malformed() }
            skipSpace()
            guard index < bytes.count else { throw Malformed() }
            switch bytes[index] {
            case UInt8(ascii: "{"):
                index += 1
                var members: [String: JSONKeyTree] = [:]
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                    index += 1
                    return .object(members)
                }
                while true {
                    skipSpace()
                    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw Malformed() }
                    let key = try string()
                    try expect(UInt8(ascii: ":"))
                    members[key] = try value(depth: depth + 1)
                    skipSpace()
                    guard index < bytes.count else { throw Malformed() }
                    let separator = bytes[index]
                    index += 1
                    if separator == UInt8(ascii: ",") { continue }
                    if separator == UInt8(ascii: "}") { return .object(members) }
                    throw Malformed()
                }
            case UInt8(ascii: "["):
                index += 1
                var elements: [JSONKeyTree] = []
                skipSpace()
                if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                    index += 1
                    return .array(elements)
                }
                while true {
                    elements.append(try value(depth: depth + 1))
                    skipSpace()
                    guard index < bytes.count else { throw Malformed() }
                    let separator = bytes[index]
                    index += 1
                    if separator == UInt8(ascii: ",") { continue }
                    if separator == UInt8(ascii: "]") { return .array(elements) }
                    throw Malformed()
                }
            case UInt8(ascii: "\""):
                try skipString()
                return .scalar
            default:
                // A number or literal: up to the next delimiter.
                let start = index
                while index < bytes.count {
                    switch bytes[index] {
                    case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D: break
                    default: index += 1; continue
                    }
                    break
                }
                guard index > start else { throw Malformed() }
                let literal = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
                if literal.elementsEqual("null".utf8) { return .null }
                return .scalar
            }
        }

        /// Skips a string value (at its opening quote).
        mutating func skipString() throws {
            index += 1
            while index < bytes.count {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    index += 1
                    return
                case UInt8(ascii: "\\"): index += 2
                default: index += 1
                }
            }
            throw Malformed()
        }

        /// Reads a string (at its opening quote), unescaping it.
        mutating func string() throws -> String {
            index += 1
            var out: [UInt8] = []
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    guard index < bytes.count else { throw Malformed() }
                    let escape = bytes[index]
                    index += 1
                    switch escape {
                    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if (0xD800..<0xDC00).contains(code), index + 1 < bytes.count,
                           bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                            let mark = index
                            index += 2
                            let low = try hex4()
                            if (0xDC00..<0xE000).contains(low) {
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                            } else {
                                index = mark
                            }
                        }
                        let scalar = Unicode.Scalar(code) ?? "\u{FFFD}"
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    default:
                        throw Malformed()
                    }
                default:
                    out.append(byte)
                }
            }
            throw Malformed()
        }

        mutating func hex4() throws -> UInt32 {
            guard index + 4 <= bytes.count else { throw Malformed() }
            var value: UInt32 = 0
            for _ in 0..<4 {
                let byte = bytes[index]
                index += 1
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw Malformed()
                }
                value = value << 4 | UInt32(digit)
            }
            return value
        }
    }
}
