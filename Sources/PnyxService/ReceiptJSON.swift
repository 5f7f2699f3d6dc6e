import Hummingbird
import PnyxCore
import PnyxHTTP

/// A receipt's JSON response body, written by hand: the receipt has a fixed shape, so its
/// bytes are exactly those of ``PnyxHTTP/JSONResponse``'s encoder (sorted keys, slashes not
/// escaped) without Foundation's generic `Codable` machinery: `{"checkpoint":…,"entryHash":…,
/// "inclusionProof":[…],"pollID":…,"position":n}`. A string holding a character this writer
/// does not escape itself (a control character other than a line feed, or DEL) makes it
/// fall back to the encoder; the tests compare both byte for byte.
enum ReceiptJSON {
    /// The headers of a receipt's 201 before `Content-Length` (those
    /// `JSONResponse.bytesResponse` wrote): `Cache-Control: no-store`, the JSON content type.
    static let headers: HTTPFields = [.cacheControl: "no-store", .contentType: "application/json; charset=utf-8"]

    static func bytes(_ receipt: Receipt) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256 + receipt.checkpoint.utf8.count + receipt.inclusionProof.count * 68)
        guard write(receipt, into: &out) else { return Array(try JSONResponse.encoder().encode(receipt)) }
        return out
    }

    /// Writes the body into `out`; false (and `out` to be dropped) if a string needs the encoder.
    static func write(_ receipt: Receipt, into out: inout [UInt8]) -> Bool {
        out.append(contentsOf: #"{"checkpoint":"#.utf8)
        guard string(receipt.checkpoint, into: &out) else { return false }
        out.append(contentsOf: #","entryHash":"#.utf8)
        guard string(receipt.entryHash, into: &out) else { return false }
        out.append(contentsOf: #","inclusionProof":["#.utf8)
        for (index, hash) in receipt.inclusionProof.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            guard string(hash, into: &out) else { return false }
        }
        out.append(contentsOf: #"],"pollID":"#.utf8)
        guard string(receipt.pollID.hex, into: &out) else { return false }
        out.append(contentsOf: #","position":"#.utf8)
        out.append(contentsOf: String(receipt.position).utf8)
        out.append(UInt8(ascii: "}"))
        return true
    }

    /// A JSON string of printable ASCII, UTF-8 beyond ASCII and line feeds; false for other
    /// control characters and DEL.
    private static func string(_ text: String, into out: inout [UInt8]) -> Bool {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "n"))
            case 0x20..<0x7F, 0x80...0xFF:
                out.append(byte)  // printable ASCII, and UTF-8 beyond ASCII (the notes' "—") as is
            default:
                return false
            }
        }
        out.append(UInt8(ascii: "\""))
        return true
    }
}
