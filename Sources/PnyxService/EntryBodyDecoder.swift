import PnyxCore
import PnyxCrypto

/// The fast path of an entry body (`POST …/entries`): one pass over the JSON bytes straight
/// into an ``PnyxCore/Entry``, for the common shape only — an object with exactly the six
/// keys of an entry (credential with its five), each once, every string printable ASCII
/// whose only escape is `\/`, a `sign` payload without a partial name or a `withdraw` payload — with
/// every field converted by the very functions the `Codable` decoding uses (`PollID(hex:)`,
/// `AttributeClass(text:)`, `KeyID(hex:)`, `Base64.decode`, `Channel(name:)`).
///
/// It answers nil for anything else: another payload (votes, partial names), an unknown,
/// missing, duplicated or `null` key, another escape, a number, a field that does not convert,
/// trailing bytes, malformed JSON. The caller then runs the strict decoding
/// (`Request.decodeJSON(_:limit:fast:)`), which answers every refusal with its usual code
/// and reason. Whatever it accepts, the strict path accepts with the same value (the tests
/// compare both on valid and mutated bodies); it only skips Foundation's `JSONDecoder`, the
/// key-tree scan and the key-tree encoding of the decoded value.
enum EntryBodyDecoder {
    static func decode(_ bytes: UnsafeRawBufferPointer) -> Entry? {
        var scanner = Scanner(bytes: bytes)
        guard let fields = scanner.entry() else { return nil }
        scanner.skipSpace()
        guard scanner.index == bytes.count else { return nil }
        return fields.entry(bytes)
    }

    /// The value ranges of an entry's fields in the body.
    private struct Fields {
        var pollID: Range<Int>?
        var channel: Range<Int>?
        var nonce: Range<Int>?
        var signature: Range<Int>?
        var attributeClass: Range<Int>?
        var keyID: Range<Int>?
        var oneTimeKey: Range<Int>?
        var prefix: Range<Int>?
        var credentialSignature: Range<Int>?
        var payloadKind: Range<Int>?
        var credential = false
        var payload = false

        func entry(_ bytes: UnsafeRawBufferPointer) -> Entry? {
            guard let pollID, let channel, let nonce, let signature, let attributeClass, let keyID, let oneTimeKey,
                  let prefix, let credentialSignature, let payloadKind else { return nil }
            /// The string's bytes, `\/` read as `/`.
            func unescaped(_ range: Range<Int>) -> [UInt8] {
                var out: [UInt8] = []
                out.reserveCapacity(range.count)
                for index in range where !(bytes[index] == UInt8(ascii: "\\") && index + 1 < range.upperBound
                                            && bytes[index + 1] == UInt8(ascii: "/")) {
                    out.append(bytes[index])
                }
                return out
            }
            func text(_ range: Range<Int>) -> String { String(decoding: unescaped(range), as: UTF8.self) }
            func base64(_ range: Range<Int>) -> [UInt8]? { try? Base64.decode(utf8: unescaped(range)) }
            let payload: EntryPayload
            switch text(payloadKind) {
            case "sign": payload = .sign(nil)
            case "withdraw": payload = .withdraw
            default: return nil
            }
            guard let poll = try? PollID(hex: text(pollID)),
                  let channelValue = Channel(name: text(channel)),
                  let nonceBytes = base64(nonce), nonceBytes.count == Entry.nonceByteCount,
                  let signatureBytes = base64(signature), signatureBytes.count == Ed25519.signatureByteCount,
                  let classValue = try? AttributeClass(text: text(attributeClass)),
                  let key = try? KeyID(hex: text(keyID)),
                  let oneTimeBytes = base64(oneTimeKey), let oneTime = try? Ed25519.PublicKey(rawRepresentation: oneTimeBytes),
                  let prefixBytes = base64(prefix), prefixBytes.count == BlindRSA.prefixLength,
                  let credentialBytes = base64(credentialSignature),
                  credentialBytes.count <= Credential.maximumSignatureByteCount
            else { return nil }
            let credential = Credential(
                attributeClass: classValue, keyID: key, oneTimeKey: oneTime, prefix: prefixBytes, signature: credentialBytes)
            return Entry(pollID: poll, credential: credential, channel: channelValue, payload: payload, nonce: nonceBytes,
                         signature: signatureBytes)
        }
    }

    private struct Scanner {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D: index += 1
                default: return
                }
            }
        }

        /// Skips spaces and consumes `byte`; false if the next byte is another.
        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        /// A string of printable ASCII whose only escape is `\/` (what `JSONEncoder` writes for
        /// a slash, as in base64): the range of its contents as written.
        mutating func string() -> Range<Int>? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "\"") {
                    index += 1
                    return start..<(index - 1)
                }
                if byte == UInt8(ascii: "\\") {
                    guard index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "/") else { return nil }
                    index += 2
                    continue
                }
                guard byte >= 0x20, byte < 0x7F else { return nil }
                index += 1
            }
            return nil
        }

        func equals(_ range: Range<Int>, _ key: StaticString) -> Bool {
            guard range.count == key.utf8CodeUnitCount else { return false }
            let pointer = key.utf8Start
            for offset in 0..<range.count where bytes[range.lowerBound + offset] != pointer[offset] { return false }
            return true
        }

        /// Reads an object's members: `member` is called at each key (nil: refuse) and reads
        /// the value. False on malformed JSON, an empty object or a refused member.
        mutating func object(_ member: (inout Scanner, Range<Int>) -> Bool) -> Bool {
            guard take(UInt8(ascii: "{")) else { return false }
            while true {
                guard let key = string(), take(UInt8(ascii: ":")), member(&self, key) else { return false }
                if take(UInt8(ascii: ",")) { continue }
                return take(UInt8(ascii: "}"))
            }
        }

        /// Sets `slot` to the next string value, unless it is already set (a duplicate key).
        mutating func set(_ slot: inout Range<Int>?) -> Bool {
            guard slot == nil, let value = string() else { return false }
            slot = value
            return true
        }

        mutating func entry() -> Fields? {
            var fields = Fields()
            let complete = object { scanner, key in
                if scanner.equals(key, "pollID") { return scanner.set(&fields.pollID) }
                if scanner.equals(key, "channel") { return scanner.set(&fields.channel) }
                if scanner.equals(key, "nonce") { return scanner.set(&fields.nonce) }
                if scanner.equals(key, "signature") { return scanner.set(&fields.signature) }
                if scanner.equals(key, "credential") {
                    guard !fields.credential else { return false }
                    fields.credential = true
                    return scanner.object { scanner, key in
                        if scanner.equals(key, "class") { return scanner.set(&fields.attributeClass) }
                        if scanner.equals(key, "keyID") { return scanner.set(&fields.keyID) }
                        if scanner.equals(key, "oneTimeKey") { return scanner.set(&fields.oneTimeKey) }
                        if scanner.equals(key, "prefix") { return scanner.set(&fields.prefix) }
                        if scanner.equals(key, "signature") { return scanner.set(&fields.credentialSignature) }
                        return false
                    }
                }
                if scanner.equals(key, "payload") {
                    guard !fields.payload else { return false }
                    fields.payload = true
                    return scanner.object { scanner, key in
                        scanner.equals(key, "kind") ? scanner.set(&fields.payloadKind) : false
                    }
                }
                return false
            }
            return complete ? fields : nil
        }
    }
}
