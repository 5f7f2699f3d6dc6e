import Testing
import PnyxCore
import PnyxCrypto

/// The worked examples of docs/PROTOCOL.md §6.11, byte for byte.
@Suite("Known vectors")
struct VectorTests {
    static let poll = "0000000c706e79782f706f6c6c2f7631000102030405060708090a0b0c0d0e0f010000000554726565730000000c506c616e742074726565732e000000006553f10000000000657b7e0000000001000000053735303536120000000a323032342d30312d303102010100000000000000010100000000000000038a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394"
    static let credentialMessage = "00000012706e79782f63726564656e7469616c2f7631000102030405060708090a0b0c0d0e0f01000000053735303536010000000533352d3439ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1"
    static let entry = "0000000d706e79782f656e7472792f7632000102030405060708090a0b0c0d0e0f01000000053735303536010000000533352d3439aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb00000008cccccccccccccccc010100dddddddddddddddddddddddddddddddd9461c07d2697cdd62566082d4353479115c92297f869a66f1186c7862b6d2b23e0b2676eb23855e2dabdbfc847fb286c21ab1748b9dc00fc74dd8b4475796309"
    static let record = "0000000e706e79782f7265636f72642f7631000000006553f1280200000011706e79782f6c6966656379636c652f763102000000006553f100"
    static let attributeClass = "0000000d706e79782f636c6173732f763101000000053735303536010000000533352d3439"

    @Test func pollDefinition() throws {
        #expect(CoreFixtures.petition.canonicalBytes.hex == Self.poll)
        #expect(try PollDefinition(canonicalBytes: Hex.decode(Self.poll)) == CoreFixtures.petition)
    }

    @Test func credentialMessage() throws {
        #expect(CoreFixtures.oneTimeKey.publicKey.rawRepresentation.hex
            == "ed4928c628d1c2c6eae90338905995612959273a5c63f93636c14614ac8737d1")
        #expect(CoreFixtures.credentialMessage.canonicalBytes.hex == Self.credentialMessage)
        #expect(try CredentialMessage(canonicalBytes: Hex.decode(Self.credentialMessage)) == CoreFixtures.credentialMessage)
    }

    @Test func entrySignedWithAFixedSeed() throws {
        #expect(CoreFixtures.entry.canonicalBytes.hex == Self.entry)
        let decoded = try Entry(canonicalBytes: Hex.decode(Self.entry))
        #expect(decoded == CoreFixtures.entry)
        #expect(CoreFixtures.oneTimeKey.publicKey.isValidSignature(decoded.signature, for: decoded.signedBytes))
        #expect(decoded.signedBytes.count == decoded.canonicalBytes.count - 64)
        #expect(decoded.nonce == [UInt8](repeating: 0xdd, count: 16))
        // The same entry with another nonce is other bytes, and the signature no longer fits them.
        let renonced = Entry(pollID: decoded.pollID, credential: decoded.credential, channel: decoded.channel,
                             payload: decoded.payload, nonce: [UInt8](repeating: 0xde, count: 16), signature: decoded.signature)
        #expect(renonced.canonicalBytes != decoded.canonicalBytes)
        #expect(!CoreFixtures.oneTimeKey.publicKey.isValidSignature(renonced.signature, for: renonced.signedBytes))
        // A v1 entry (no nonce) is refused by its domain tag.
        var v1 = try Hex.decode(Self.entry)
        v1[16] = 0x31
        #expect(throws: CoreError.self) { try Entry(canonicalBytes: v1) }
    }

    @Test func logRecordAndClass() throws {
        #expect(CoreFixtures.record.canonicalBytes.hex == Self.record)
        #expect(try LogRecord(canonicalBytes: Hex.decode(Self.record)) == CoreFixtures.record)
        #expect(CoreFixtures.area.canonicalBytes.hex == Self.attributeClass)
        #expect(try AttributeClass(canonicalBytes: Hex.decode(Self.attributeClass)) == CoreFixtures.area)
    }
}
