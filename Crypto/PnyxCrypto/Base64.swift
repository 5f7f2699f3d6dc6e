/// Standard base64 (RFC 4648 §4: `A–Z a–z 0–9 + /`, `=` padding), Foundation-free.
///
/// Decoding is strict: the length must be a multiple of four, padding only at the end,
/// no whitespace, and the unused bits of the last group must be zero (canonical form).
public enum Base64 {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let inverse: [UInt8] = {
        var table = [UInt8](repeating: 0xff, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Encodes bytes as padded standard base64.
    public static func encode<Bytes: Collection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let input = Array(bytes)
        var out = [UInt8]()
        out.reserveCapacity((input.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= input.count {
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(alphabet[Int(n & 63)])
            index += 3
        }
        switch input.count - index {
        case 1:
            let n = UInt32(input[index]) << 16
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "="))
        case 2:
            let n = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)])
            out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            out.append(UInt8(ascii: "="))
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Strictly decodes padded standard base64. Throws `crypto.invalid_input` on anything else.
    public static func decode(_ text: some StringProtocol) throws(CryptoError) -> [UInt8] {
        try decode(utf8: Array(text.utf8))
    }

    /// Strictly decodes padded standard base64 given as UTF-8 bytes.
    public static func decode(utf8 input: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard input.count % 4 == 0 else {
            throw CryptoError(.invalidInput, "base64 length \(input.count) is not a multiple of 4")
        }
        if input.isEmpty { return [] }
        let pad = input[input.count - 1] == UInt8(ascii: "=")
            ? (input[input.count - 2] == UInt8(ascii: "=") ? 2 : 1) : 0
        var out = [UInt8]()
        out.reserveCapacity(input.count / 4 * 3)
        var index = 0
        while index < input.count {
            let last = index + 4 == input.count
            var n: UInt32 = 0
            for offset in 0..<4 {
                let char = input[index + offset]
                let value: UInt8
                if last && offset >= 4 - pad {
                    value = 0 // the '=' padding, checked by the pad count above
                } else {
                    value = inverse[Int(char)]
                    guard value != 0xff else {
                        throw CryptoError(.invalidInput, "invalid base64 character at offset \(index + offset)")
                    }
                }
                n = n << 6 | UInt32(value)
            }
            out.append(UInt8(n >> 16 & 0xff))
            if !(last && pad == 2) { out.append(UInt8(n >> 8 & 0xff)) } else if n & 0xffff != 0 {
                throw CryptoError(.invalidInput, "non-canonical base64: trailing bits set")
            }
            if !(last && pad >= 1) { out.append(UInt8(n & 0xff)) } else if pad == 1 && n & 0xff != 0 {
                throw CryptoError(.invalidInput, "non-canonical base64: trailing bits set")
            }
            index += 4
        }
        return out
    }
}
