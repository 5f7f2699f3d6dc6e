import Foundation

/// A JSON value as parsed from a body, keeping booleans, integers and numbers apart (which
/// `JSONSerialization` on Linux does not).
indirect enum JSONValue: Decodable, CustomStringConvertible {
    case null, bool(Bool), integer(Int64), number(Double), string(String), array([JSONValue]), object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() { self = .null }
        else if let value = try? container.decode(Bool.self) { self = .bool(value) }
        else if let value = try? container.decode(Int64.self) { self = .integer(value) }
        else if let value = try? container.decode(Double.self) { self = .number(value) }
        else if let value = try? container.decode(String.self) { self = .string(value) }
        else if let value = try? container.decode([JSONValue].self) { self = .array(value) }
        else { self = .object(try container.decode([String: JSONValue].self)) }
    }

    static func parse(_ bytes: [UInt8]) throws -> JSONValue { try JSONDecoder().decode(JSONValue.self, from: Data(bytes)) }

    var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): "\(value)"
        case .integer(let value): "\(value)"
        case .number(let value): "\(value)"
        case .string(let value): "\"\(value)\""
        case .array(let items): "[\(items.count) items]"
        case .object(let members): "{\(members.keys.sorted().joined(separator: ","))}"
        }
    }
}

/// The subset of JSON Schema (2020-12) the service's OpenAPI document uses: `$ref` into
/// `components/schemas`, `type`, `enum`, `const`, `properties`, `required`,
/// `additionalProperties`, `items`, `oneOf`, `pattern`, `minimum`. Reports every mismatch
/// with its JSON path, so a test can show where a body and its documented schema part ways.
struct SchemaValidator {
    let schemas: [String: Any]

    func errors(_ value: JSONValue, schemaNamed name: String) -> [String] {
        var found: [String] = []
        validate(value, ["$ref": "#/components/schemas/\(name)"], path: "$", into: &found)
        return found
    }

    func validate(_ value: JSONValue, _ schema: [String: Any], path: String, into found: inout [String]) {
        if let ref = schema["$ref"] as? String {
            let name = String(ref.dropFirst("#/components/schemas/".count))
            guard let target = schemas[name] as? [String: Any] else {
                found.append("\(path): unresolved \(ref)")
                return
            }
            validate(value, target, path: path, into: &found)
            return
        }
        if let options = schema["oneOf"] as? [[String: Any]] {
            let matching = options.filter { option in
                var scratch: [String] = []
                validate(value, option, path: path, into: &scratch)
                return scratch.isEmpty
            }
            if matching.count != 1 { found.append("\(path): \(value) matches \(matching.count) of the oneOf schemas, not one") }
        }
        if let allowed = schema["enum"] as? [String] {
            guard case .string(let text) = value, allowed.contains(text) else {
                found.append("\(path): \(value) is not one of \(allowed)")
                return
            }
        }
        if let constant = schema["const"] as? String {
            guard case .string(let text) = value, text == constant else {
                found.append("\(path): \(value) is not \"\(constant)\"")
                return
            }
        }
        if let type = schema["type"] {
            let types = (type as? [String]) ?? [type as? String ?? ""]
            guard types.contains(where: { Self.has(value, type: $0) }) else {
                found.append("\(path): \(value) is not of type \(types.joined(separator: "|"))")
                return
            }
        }
        switch value {
        case .string(let text):
            if let pattern = schema["pattern"] as? String, text.range(of: pattern, options: .regularExpression) == nil {
                found.append("\(path): \"\(text)\" does not match \(pattern)")
            }
        case .integer(let number):
            if let minimum = schema["minimum"] as? Int, number < minimum { found.append("\(path): \(number) < \(minimum)") }
        case .array(let items):
            if let itemSchema = schema["items"] as? [String: Any] {
                for (index, item) in items.enumerated() { validate(item, itemSchema, path: "\(path)[\(index)]", into: &found) }
            }
        case .object(let members):
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where members[name] == nil {
                found.append("\(path): missing required \"\(name)\"")
            }
            for (name, member) in members {
                if let property = properties[name] as? [String: Any] {
                    validate(member, property, path: "\(path).\(name)", into: &found)
                } else if let additional = schema["additionalProperties"] as? [String: Any] {
                    validate(member, additional, path: "\(path).\(name)", into: &found)
                } else if schema["additionalProperties"] as? Bool == false {
                    found.append("\(path): undocumented member \"\(name)\"")
                }
            }
        default:
            break
        }
    }

    static func has(_ value: JSONValue, type: String) -> Bool {
        switch (value, type) {
        case (.null, "null"), (.bool, "boolean"), (.integer, "integer"), (.integer, "number"), (.number, "number"),
             (.string, "string"), (.array, "array"), (.object, "object"):
            true
        default:
            false
        }
    }
}
