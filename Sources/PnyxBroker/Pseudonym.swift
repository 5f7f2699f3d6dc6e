import PnyxCore
import PnyxCrypto

/// HMAC-SHA-256 (RFC 2104) over the module's SHA-256.
enum HMACSHA256 {
    static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        let blockSize = 64
        var k = key.count > blockSize ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: blockSize - k.count)
        let inner = SHA256.hash(k.map { $0 ^ 0x36 } + message)
        return SHA256.hash(k.map { $0 ^ 0x5c } + inner)
    }
}

/// Per-poll pseudonyms of residents in the issuance register:
/// `HMAC-SHA-256(secret, "pnyx/pseudonym/v1" ‖ pollID[16] ‖ UTF-8 resident id)`.
/// Without the broker's secret a pseudonym reveals nothing and links nothing across polls;
/// with it, the broker (and only it) can show a resident their own record.
struct Pseudonyms: Sendable {
    let secret: [UInt8]

    func pseudonym(pollID: PollID, residentID: String) -> [UInt8] {
        HMACSHA256.authenticate(Array("pnyx/pseudonym/v1".utf8) + pollID.bytes + Array(residentID.utf8), key: secret)
    }

    /// `HMAC-SHA-256(secret, "pnyx/name-key/v1" ‖ pollID[16] ‖ oneTimeKey[32])`: recognises a
    /// retried name attestation without storing the one-time key.
    func keyTag(pollID: PollID, oneTimeKey: [UInt8]) -> [UInt8] {
        HMACSHA256.authenticate(Array("pnyx/name-key/v1".utf8) + pollID.bytes + oneTimeKey, key: secret)
    }
}
