import Hummingbird
import PnyxCore

/// The credential route's tiny JSON by hand: the request's one field read without Foundation's
/// decoder when the body has the plain shape every client sends, and the response written with
/// the bytes Foundation's encoder would write (``PnyxHTTP/JSONResponse``: sorted keys, slashes
/// not escaped), without building an encoder per request.
enum CredentialJSON {
    /// The `blindedMessage` string of a body that is exactly `{"blindedMessage":"…"}` (JSON
    /// whitespace allowed between tokens) whose string holds only base64 characters; nil for
    /// any other body, which then goes through the strict decoder (same answers and codes as
    /// before: `request.malformed` and so on).
    static func blindedMessage(in body: ByteBuffer) -> String? {
        body.withUnsafeReadableBytes { bytes -> String? in
            var index = 0
            func skipSpace() {
                while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                    index += 1
                }
            }
            func expect(_ literal: StaticString) -> Bool {
                let count = literal.utf8CodeUnitCount
                guard bytes.count - index >= count else { return false }
                for offset in 0..<count where bytes[index + offset] != literal.utf8Start[offset] { return false }
                index += count
                return true
            }
            skipSpace()
            guard expect("{") else { return nil }
            skipSpace()
            guard expect("\"blindedMessage\"") else { return nil }
            skipSpace()
            guard expect(":") else { return nil }
            skipSpace()
            guard expect("\"") else { return nil }
            let start = index
            while index < bytes.count, isBase64(bytes[index]) { index += 1 }
            let end = index
            guard expect("\"") else { return nil }
            skipSpace()
            guard expect("}") else { return nil }
            skipSpace()
            guard index == bytes.count else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
        }
    }

    private static func isBase64(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="):
            return true
        default:
            return false
        }
    }

    /// `{"blindSignature":…,"class":…,"keyID":…,"pollID":…,"retry":…}`: the bytes
    /// `JSONResponse.make(BrokerRoutes.CredentialResponse(…))` writes.
    /// `blindSignature` must be base64 (it is written as is).
    static func response(pollID: PollID, attributeClass: AttributeClass, keyID: KeyID, blindSignature: String, retry: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(blindSignature.utf8.count + 220)
        // Base64 and hex need no escaping.
        out += #"{"blindSignature":""#.utf8
        out += blindSignature.utf8
        out += #"","class":"#.utf8
        appendString(attributeClass.text, to: &out)
        out += #","keyID":""#.utf8
        out += keyID.hex.utf8
        out += #"","pollID":""#.utf8
        out += pollID.hex.utf8
        out += (retry ? #"","retry":true}"# : #"","retry":false}"#).utf8
        return out
    }

    /// A JSON string as Foundation's encoder writes it with `.withoutEscapingSlashes`: `"` and
    /// `\` escaped, control characters as `\b \f \n \r \t` or `\u00XX`, everything else as is.
    static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out += #"\""#.utf8
            case UInt8(ascii: "\\"): out += #"\\"#.utf8
            case 0x08: out += #"\b"#.utf8
            case 0x0C: out += #"\f"#.utf8
            case 0x0A: out += #"\n"#.utf8
            case 0x0D: out += #"\r"#.utf8
            case 0x09: out += #"\t"#.utf8
            case 0x00..<0x20:
                let hex: [UInt8] = Array("0123456789abcdef".utf8)
                out += #"\u00"#.utf8
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
