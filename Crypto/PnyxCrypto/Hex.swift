/// Lower-case hexadecimal encoding and strict decoding of byte arrays.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    /// Encodes bytes as lower-case hexadecimal.
    public static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(bytes.underestimatedCount * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes bytes as lower-case hexadecimal: the same text as the generic form, without
    /// the generic per-byte iteration (hashes are hex-encoded on every receipt).
    public static func encode(_ bytes: [UInt8]) -> String {
        String(unsafeUninitializedCapacity: bytes.count * 2) { out in
            var index = 0
            for byte in bytes {
                let high = byte >> 4, low = byte & 0x0f
                out[index] = high < 10 ? high + 0x30 : high + 0x57
                out[index + 1] = low < 10 ? low + 0x30 : low + 0x57
                index += 2
            }
            return index
        }
    }

    /// Decodes hexadecimal (either case). Throws `crypto.invalid_input` on odd length or a non-hex digit.
    public static func decode(_ text: some StringProtocol) throws(CryptoError) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else {
            throw CryptoError(.invalidInput, "hex string has odd length \(utf8.count)")
        }
        var out = [UInt8]()
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(utf8[index]), let low = value(utf8[index + 1]) else {
                throw CryptoError(.invalidInput, "invalid hex digit at offset \(index)")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension Array where Element == UInt8 {
    /// Lower-case hexadecimal of these bytes.
    public var hex: String { Hex.encode(self) }
}
