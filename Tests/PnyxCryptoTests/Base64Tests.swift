import PnyxCrypto
import Testing

@Suite("Base64 (RFC 4648 standard, strict)")
struct Base64Tests {
    @Test("RFC 4648 §10 vectors", arguments: [
        ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy"),
    ])
    func vectors(_ plain: String, _ encoded: String) throws {
        #expect(Base64.encode(Array(plain.utf8)) == encoded)
        #expect(try Base64.decode(encoded) == Array(plain.utf8))
    }

    @Test("All byte values round trip")
    func roundTrip() throws {
        for length in 0..<70 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + length) & 0xff) }
            #expect(try Base64.decode(Base64.encode(bytes)) == bytes)
        }
        let all = (0...255).map(UInt8.init)
        #expect(try Base64.decode(Base64.encode(all)) == all)
    }

    @Test("Non-canonical or malformed input is refused", arguments: [
        "Zg", "Zg=", "Zm9", "Zh==", "Zm9=", "Z===", "====", "Zm9v\n", " Zm9v", "Zm 9v", "Zm9v====",
        "Zg==Zg==", "Zm-v", "Zm_v", "Zm9v=",
    ])
    func malformed(_ text: String) {
        #expect(throws: CryptoError(.invalidInput, "")) { try Base64.decode(text) }
    }
}
