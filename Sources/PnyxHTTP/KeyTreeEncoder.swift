/// An `Encoder` that records only the key structure a value would have in JSON (objects'
/// keys, arrays' elements, scalars, explicit nulls): what `JSONEncoder` would write, without
/// writing it, for the strict request check. Differences with `JSONEncoder`'s special cases
/// (`Data` and `Date` as one string or number there, arrays or numbers here) never hide an
/// unknown key: below a place where either side is not an object nothing is compared.
final class KeyTreeEncoder: Encoder {
    /// A node of the tree being built (containers write into it after they are handed out).
    final class Node {
        var tree: JSONKeyTree = .scalar
        var members: [String: Node]? = nil
        var elements: [Node]? = nil

        var built: JSONKeyTree {
            if let members { return .object(members.mapValues(\.built)) }
            if let elements { return .array(elements.map(\.built)) }
            return tree
        }
    }

    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    init(node: Node = Node(), codingPath: [any CodingKey] = []) {
        self.node = node
        self.codingPath = codingPath
    }

    /// The key tree of `value` as JSON.
    static func tree(of value: some Encodable) throws -> JSONKeyTree {
        let encoder = KeyTreeEncoder()
        try value.encode(to: encoder)
        return encoder.node.built
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if node.members == nil { node.members = [:] }
        return KeyedEncodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if node.elements == nil { node.elements = [] }
        return Unkeyed(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(node: node, codingPath: codingPath) }

    private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        func child(_ key: Key) -> Node {
            let child = Node()
            node.members?[key.stringValue] = child
            return child
        }

        mutating func encodeNil(forKey key: Key) throws { child(key).tree = .null }
        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            try value.encode(to: KeyTreeEncoder(node: child(key), codingPath: codingPath + [key]))
        }
        mutating func encode(_ value: Bool, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: String, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: Double, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: Float, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: Int, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: Int8, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: Int16, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: Int32, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: Int64, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: UInt, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: UInt8, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: UInt16, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: UInt32, forKey key: Key) throws { _ = child(key) }
        mutating func encode(_ value: UInt64, forKey key: Key) throws { _ = child(key) }
        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            KeyTreeEncoder(node: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            KeyTreeEncoder(node: child(key), codingPath: codingPath + [key]).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder {
            let child = Node()
            node.members?["super"] = child
            return KeyTreeEncoder(node: child, codingPath: codingPath)
        }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            KeyTreeEncoder(node: child(key), codingPath: codingPath + [key])
        }
    }

    private struct Unkeyed: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int { node.elements?.count ?? 0 }

        func next() -> Node {
            let child = Node()
            node.elements?.append(child)
            return child
        }

        mutating func encodeNil() throws { next().tree = .null }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try value.encode(to: KeyTreeEncoder(node: next(), codingPath: codingPath))
        }
        mutating func encode(_ value: Bool) throws { _ = next() }
        mutating func encode(_ value: String) throws { _ = next() }
        mutating func encode(_ value: Double) throws { _ = next() }
        mutating func encode(_ value: Float) throws { _ = next() }
        mutating func encode(_ value: Int) throws { _ = next() }
        mutating func encode(_ value: Int8) throws { _ = next() }
        mutating func encode(_ value: Int16) throws { _ = next() }
        mutating func encode(_ value: Int32) throws { _ = next() }
        mutating func encode(_ value: Int64) throws { _ = next() }
        mutating func encode(_ value: UInt) throws { _ = next() }
        mutating func encode(_ value: UInt8) throws { _ = next() }
        mutating func encode(_ value: UInt16) throws { _ = next() }
        mutating func encode(_ value: UInt32) throws { _ = next() }
        mutating func encode(_ value: UInt64) throws { _ = next() }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            KeyTreeEncoder(node: next(), codingPath: codingPath).container(keyedBy: keyType)
        }
        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            KeyTreeEncoder(node: next(), codingPath: codingPath).unkeyedContainer()
        }
        mutating func superEncoder() -> any Encoder { KeyTreeEncoder(node: next(), codingPath: codingPath) }
    }

    private struct Single: SingleValueEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]

        mutating func encodeNil() throws { node.tree = .null }
        mutating func encode<T: Encodable>(_ value: T) throws {
            try value.encode(to: KeyTreeEncoder(node: node, codingPath: codingPath))
        }
        mutating func encode(_ value: Bool) throws { node.tree = .scalar }
        mutating func encode(_ value: String) throws { node.tree = .scalar }
        mutating func encode(_ value: Double) throws { node.tree = .scalar }
        mutating func encode(_ value: Float) throws { node.tree = .scalar }
        mutating func encode(_ value: Int) throws { node.tree = .scalar }
        mutating func encode(_ value: Int8) throws { node.tree = .scalar }
        mutating func encode(_ value: Int16) throws { node.tree = .scalar }
        mutating func encode(_ value: Int32) throws { node.tree = .scalar }
        mutating func encode(_ value: Int64) throws { node.tree = .scalar }
        mutating func encode(_ value: UInt) throws { node.tree = .scalar }
        mutating func encode(_ value: UInt8) throws { node.tree = .scalar }
        mutating func encode(_ value: UInt16) throws { node.tree = .scalar }
        mutating func encode(_ value: UInt32) throws { node.tree = .scalar }
        mutating func encode(_ value: UInt64) throws { node.tree = .scalar }
    }
}
