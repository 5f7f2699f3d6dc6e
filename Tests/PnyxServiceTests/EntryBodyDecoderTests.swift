import Foundation
import Hummingbird
import PnyxCore
import PnyxCrypto
@testable import PnyxHTTP
@testable import PnyxService
import Testing

/// The entry body's fast path (``PnyxService/EntryBodyDecoder``) against the strict
/// `Codable` path it stands in for: on every body, valid or mutated, it either declines (nil:
/// the strict path answers, refusals included) or gives exactly the strict path's value.
@Suite("Entry body fast path: the strict decoding's value, or nil")
struct EntryBodyDecoderTests {
    /// A small deterministic generator (xorshift64*), so a failure can be replayed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 2_685_821_657_736_338_717
        }
    }

    static func entry(_ payload: EntryPayload, channel: Channel = .online, attributeClass: AttributeClass = .anonymous,
                      signatureBytes: Int = 256) throws -> Entry {
        let random = SystemRandom()
        let credential = Credential(
            attributeClass: attributeClass, keyID: try KeyID(bytes: random.bytes(32)), oneTimeKey: Ed25519.PrivateKey().publicKey,
            prefix: random.bytes(BlindRSA.prefixLength), signature: random.bytes(signatureBytes))
        return Entry(pollID: PollID.random(), credential: credential, channel: channel, payload: payload,
                     nonce: random.bytes(Entry.nonceByteCount), signature: random.bytes(Ed25519.signatureByteCount))
    }

    static func strict(_ bytes: [UInt8]) -> Entry? {
        try? Request.decodeStrictJSON(Entry.self, from: Data(bytes))
    }

    static func fast(_ bytes: [UInt8]) -> Entry? {
        bytes.withUnsafeBytes { EntryBodyDecoder.decode($0) }
    }

    /// Fails when the fast path accepts a body the strict path refuses or reads otherwise.
    static func expectAgreement(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) {
        guard let fast = fast(bytes) else { return }
        #expect(strict(bytes) == fast, "\(String(decoding: bytes, as: UTF8.self))", sourceLocation: sourceLocation)
    }

    static func json(_ entry: Entry, options: JSONSerialization.WritingOptions = []) throws -> [UInt8] {
        let object = try JSONSerialization.jsonObject(with: JSONEncoder().encode(entry))
        return Array(try JSONSerialization.data(withJSONObject: object, options: options))
    }

    @Test("the common shapes take the fast path with the strict path's value, in any key order and spacing")
    func commonShapes() throws {
        let area = try AttributeClass(areaCode: "C2", ageBand: .from35to49)
        let entries = [
            try Self.entry(.sign(nil)), try Self.entry(.withdraw), try Self.entry(.sign(nil), channel: .kiosk),
            try Self.entry(.sign(nil), attributeClass: area), try Self.entry(.withdraw, signatureBytes: 512),
        ]
        for entry in entries {
            for bytes in [Array(try JSONEncoder().encode(entry)), try Self.json(entry, options: [.sortedKeys]),
                          try Self.json(entry, options: [.prettyPrinted]), try Self.json(entry, options: [.prettyPrinted, .sortedKeys]),
                          try Self.json(entry, options: [.withoutEscapingSlashes])] {
                #expect(Self.fast(bytes) == entry, "\(String(decoding: bytes, as: UTF8.self))")
                #expect(Self.strict(bytes) == entry)
            }
        }
    }

    @Test("other shapes and every doubtful body decline, so that the strict path answers")
    func declines() throws {
        let valid = try Self.json(Self.entry(.sign(nil)), options: [.sortedKeys])
        let text = String(decoding: valid, as: UTF8.self)
        let name = PartialName(name: "Anne D.", attestation: SystemRandom().bytes(64))
        let declined: [String] = [
            String(decoding: try Self.json(Self.entry(.sign(name))), as: UTF8.self),  // a partial name
            String(decoding: try Self.json(Self.entry(.vote([Answer(questionID: 1, choices: [0])]))), as: UTF8.self),  // a vote
            text.replacingOccurrences(of: #""channel":"online""#, with: #""channel":"online","comment":"x""#),  // unknown field
            text.replacingOccurrences(of: #""channel":"online""#, with: #""channel":"online","comment":null"#),  // null field
            text.replacingOccurrences(of: #""channel":"online""#, with: #""channel":"online","channel":"online""#),  // duplicate
            text.replacingOccurrences(of: #""kind":"sign""#, with: #""kind":"sign","kind":"sign""#),  // nested duplicate
            text.replacingOccurrences(of: #""channel":"online""#, with: #""channel":"onl\u0069ne""#),  // an escape
            text.replacingOccurrences(of: #""channel":"online""#, with: #""channel":1"#),  // a number
            text.replacingOccurrences(of: #""kind":"sign""#, with: #""kind":"sign","partialName":null"#),
            text.replacingOccurrences(of: #","signature":"#, with: #","level":"gold","signature":"#),  // unknown, nested
            text + " x", "[" + text + "]", String(text.dropLast()), "{}", "", "null",
            "\u{FEFF}" + text,  // a byte order mark
        ]
        for body in declined {
            #expect(Self.fast(Array(body.utf8)) == nil, "\(body)")
        }
        // What the strict path does with them is its own business (refusals and their codes
        // are covered end to end in RefusalTests); an escape it reads like the plain text.
        #expect(Self.strict(Array(declined[6].utf8)) != nil)
        #expect(Self.strict(Array(declined[3].utf8)) != nil)
    }

    @Test("wrong lengths, non-base64, non-hex and unknown names decline; the strict path refuses them too")
    func fieldRefusals() throws {
        let entry = try Self.entry(.sign(nil))
        let text = String(decoding: try Self.json(entry, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        let nonce = Base64.encode(entry.nonce)
        let key = Base64.encode(entry.credential.oneTimeKey.rawRepresentation)
        let mutations: [(String, String)] = [
            (nonce, Base64.encode(entry.nonce + [1])), (nonce, String(nonce.dropLast(4))), (nonce, "!" + nonce.dropFirst()),
            (entry.pollID.hex, String(entry.pollID.hex.dropLast())), (entry.pollID.hex, "zz" + entry.pollID.hex.dropFirst(2)),
            (entry.credential.keyID.hex, String(entry.credential.keyID.hex.dropLast(2))),
            (key, Base64.encode(Array(entry.credential.oneTimeKey.rawRepresentation.dropLast()))),
            (#""channel":"online""#, #""channel":"email""#), (#""kind":"sign""#, #""kind":"sing""#),
            (#""class":"*""#, #""class":"area=;age=x""#),
            (Base64.encode(entry.credential.signature), Base64.encode(entry.credential.signature + [UInt8](repeating: 0, count: 300))),
            (Base64.encode(entry.credential.prefix), Base64.encode(entry.credential.prefix.dropLast())),
        ]
        for (from, to) in mutations {
            #expect(text.contains(from), "\(from)")
            let body = Array(text.replacingOccurrences(of: from, with: to).utf8)
            #expect(Self.fast(body) == nil, "\(to)")
            #expect(Self.strict(body) == nil, "\(to)")
        }
    }

    @Test("on 40 000 mutated bodies the fast path never accepts what the strict path refuses or reads otherwise")
    func mutatedCorpus() throws {
        var random = Seeded(state: 0x5EED_2026_1124)
        let seeds = try [Self.entry(.sign(nil)), Self.entry(.withdraw), Self.entry(.sign(nil), channel: .paper)]
            .flatMap { [try Self.json($0, options: [.sortedKeys]), try Self.json($0, options: [.withoutEscapingSlashes])] }
        let alphabet = Array(#"{}[]:,"\ ntrufl0123456789abcdefABCDEF+/=-.eE"#.utf8) + [0x00, 0x0A, 0x7F, 0xC3, 0xFF]
        var accepted = 0
        for round in 0..<40_000 {
            var bytes = seeds[round % seeds.count]
            for _ in 0..<Int.random(in: 1...3, using: &random) {
                let index = Int.random(in: 0..<bytes.count, using: &random)
                switch Int.random(in: 0..<5, using: &random) {
                case 0: bytes[index] = alphabet.randomElement(using: &random)!
                case 1: bytes.remove(at: index)
                case 2: bytes.insert(alphabet.randomElement(using: &random)!, at: index)
                case 3: bytes = Array(bytes.prefix(index))
                default:
                    let end = min(bytes.count, index + Int.random(in: 1...40, using: &random))
                    bytes.insert(contentsOf: bytes[index..<end], at: index)  // a repeated span (keys, values)
                }
                if bytes.isEmpty { bytes = [UInt8(ascii: "{")] }
            }
            if Self.fast(bytes) != nil { accepted += 1 }
            Self.expectAgreement(bytes)
        }
        // Some mutations keep the body valid (a space, a digit in a base64 value…): the
        // comparison above had accepted bodies to check.
        #expect(accepted > 0)
    }
}

/// The hand-written receipt body (``PnyxService/ReceiptJSON``) against the response encoder.
@Suite("Receipt JSON: the response encoder's bytes")
struct ReceiptJSONTests {
    static func receipt(checkpoint: String, proof: Int = 14, position: UInt64 = 123_456) -> Receipt {
        let random = SystemRandom()
        return Receipt(pollID: PollID.random(), position: position, entryHash: Hex.encode(random.bytes(32)),
                       checkpoint: checkpoint, inclusionProof: (0..<proof).map { _ in Hex.encode(random.bytes(32)) })
    }

    @Test("byte for byte what JSONResponse's encoder writes, fallbacks included")
    func sameBytes() throws {
        let note = "bench.pnyx/poll/0011\n4242\nq1Fy/+abc=\n\n— bench.pnyx AbCd+/==\n"
        let checkpoints = [
            note, "plain", "", #"quote " and backslash \ and slash /"#, "tab\there", "bell\u{07}", "é non-ASCII", "\u{7F}del",
            "cr\r\nlf",
        ]
        for checkpoint in checkpoints {
            for receipt in [Self.receipt(checkpoint: checkpoint), Self.receipt(checkpoint: checkpoint, proof: 0, position: 0),
                            Self.receipt(checkpoint: checkpoint, proof: 1, position: .max)] {
                let expected = Array(try JSONResponse.encoder().encode(receipt))
                let written = try ReceiptJSON.bytes(receipt)
                #expect(written == expected, "\(String(decoding: written, as: UTF8.self))")
                #expect(try JSONDecoder().decode(Receipt.self, from: Data(written)) == receipt)
            }
        }
        // A signed note (its signature lines start with an em dash) takes the hand-written path.
        var out: [UInt8] = []
        #expect(ReceiptJSON.write(Self.receipt(checkpoint: note), into: &out))
        #expect(Hex.encode(Array(0...255) as [UInt8]) == Hex.encode((0...255).map { UInt8($0) }.lazy))
    }
}
