import Foundation

/// Seeded mutations of byte strings (bit flips, interesting values, insertions, deletions,
/// duplications, truncations, splices with another valid input) and of JSON documents
/// (a leaf replaced, a key dropped or added, an array element dropped or repeated).
struct Mutator {
    var random: SeededGenerator
    /// Other valid inputs to splice from.
    let corpus: [[UInt8]]

    static let interesting: [UInt8] = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x20, 0x22, 0x5c, 0x2c, 0x7b, 0x7d, 0x5b, 0x5d, 0x0a]

    mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &random) }

    /// 1–4 byte-level mutations of `input`.
    mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<int(1..<5) { mutateOnce(&bytes) }
        return bytes
    }

    private mutating func mutateOnce(_ bytes: inout [UInt8]) {
        if bytes.isEmpty { bytes = [UInt8(int(0..<256))]; return }
        let at = int(0..<bytes.count)
        switch int(0..<10) {
        case 0: bytes[at] ^= UInt8(1 << int(0..<8))
        case 1: bytes[at] = UInt8(int(0..<256))
        case 2: bytes[at] = Self.interesting[int(0..<Self.interesting.count)]
        case 3: bytes.insert(contentsOf: (0..<int(1..<9)).map { _ in UInt8(int(0..<256)) }, at: at)
        case 4: bytes.removeSubrange(at..<min(bytes.count, at + int(1..<17)))
        case 5:
            let end = min(bytes.count, at + int(1..<33))
            bytes.insert(contentsOf: bytes[at..<end], at: int(0..<bytes.count))
        case 6: bytes.removeSubrange(at...)
        case 7:  // a big-endian length field set to an extreme value
            let width = [2, 4, 8][int(0..<3)]
            let values: [UInt8] = [0x00, 0xff, 0x7f, 0x80]
            let fill = values[int(0..<values.count)]
            for index in at..<min(bytes.count, at + width) { bytes[index] = fill }
        case 8:  // splice: a chunk of another valid input at the same offset
            if let other = corpus.randomElement(using: &random), !other.isEmpty {
                let start = min(at, other.count - 1)
                let end = min(other.count, start + int(1..<65))
                let chunk = other[start..<end]
                let stop = min(bytes.count, at + chunk.count)
                bytes.replaceSubrange(at..<stop, with: chunk)
            }
        default:  // swap two bytes
            let other = int(0..<bytes.count)
            bytes.swapAt(at, other)
        }
    }

    /// A structural mutation of a JSON document (falls back to byte mutations).
    mutating func mutateJSON(_ input: [UInt8]) -> [UInt8] {
        guard int(0..<3) != 0, let object = try? JSONSerialization.jsonObject(with: Data(input), options: [.fragmentsAllowed]) else {
            return mutate(input)
        }
        var value: Any = object
        for _ in 0..<int(1..<3) { value = mutateValue(value, depth: 0) }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else { return mutate(input) }
        return Array(data)
    }

    private mutating func mutateValue(_ value: Any, depth: Int) -> Any {
        if var dictionary = value as? [String: Any], !dictionary.isEmpty {
            let keys = dictionary.keys.sorted()
            let key = keys[int(0..<keys.count)]
            switch int(0..<8) {
            case 0: dictionary[key] = nil
            case 1: dictionary["x" + key] = dictionary[key]
            case 2: dictionary[key] = replacement(for: dictionary[key]!)
            default: dictionary[key] = mutateValue(dictionary[key]!, depth: depth + 1)
            }
            return dictionary
        }
        if var array = value as? [Any] {
            if array.isEmpty { return int(0..<2) == 0 ? [replacement(for: 0)] : array }
            let at = int(0..<array.count)
            switch int(0..<6) {
            case 0: array.remove(at: at)
            case 1: array.insert(array[at], at: at)
            case 2: array[at] = replacement(for: array[at])
            default: array[at] = mutateValue(array[at], depth: depth + 1)
            }
            return array
        }
        if let text = value as? String {
            var scalars = Array(text.unicodeScalars)
            guard !scalars.isEmpty, int(0..<4) != 0 else { return replacement(for: value) }
            let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ é\u{0}".unicodeScalars)
            let at = int(0..<scalars.count)
            switch int(0..<3) {
            case 0: scalars[at] = alphabet[int(0..<alphabet.count)]
            case 1: scalars.remove(at: at)
            default: scalars.insert(alphabet[int(0..<alphabet.count)], at: at)
            }
            var result = ""
            result.unicodeScalars.append(contentsOf: scalars)
            return result
        }
        return replacement(for: value)
    }

    private mutating func replacement(for value: Any) -> Any {
        switch int(0..<10) {
        case 0: return NSNull()
        case 1: return int(-3..<3)
        case 2: return Int64.max
        case 3: return -1.5
        case 4: return ""
        case 5: return String(repeating: "A", count: int(1..<600))
        case 6: return [Any]()
        case 7: return [String: Any]()
        case 8: return true
        default: return "online"
        }
    }
}
