@testable import PnyxCrypto
import Testing

/// SHA-256 through OpenSSL, against the FIPS 180-4 examples and libsodium's implementation.
@Suite("SHA-256")
struct SHA256Tests {
    @Test("FIPS 180-4 examples")
    func vectors() {
        #expect(Hex.encode(SHA256.hash([])) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(Hex.encode(SHA256.hash(Array("abc".utf8))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(Hex.encode(SHA256.hash(parts: [Array("ab".utf8), [], Array("c".utf8)]))
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test("the same digests as libsodium for every length up to 1 100 bytes, whole and in parts")
    func sameAsSodium() {
        var bytes: [UInt8] = []
        for length in 0...1_100 {
            #expect(SHA256.hash(bytes) == SHA256.sodiumHash(parts: [bytes]), "length \(length)")
            let cut = length / 3
            #expect(SHA256.hash(parts: [Array(bytes[..<cut]), Array(bytes[cut...])]) == SHA256.sodiumHash(parts: [bytes]))
            bytes.append(UInt8(truncatingIfNeeded: length &* 131 &+ 7))
        }
    }
}
