import PnyxCrypto
import PnyxTransparency
import Testing

@Suite struct LogLeafTests {
    /// The genesis hash binds the log id: SHA-256("pnyx-log-genesis/v1\n" || log id).
    @Test func genesisHashBindsTheLogID() throws {
        let logID = try Hex.decode("00112233445566778899aabbccddeeff")
        let expected = SHA256.hash(Array("pnyx-log-genesis/v1\n".utf8) + logID)
        #expect(LogLeaf.genesisHash(logID: logID).bytes == expected)
        #expect(LogLeaf.genesisHash(logID: logID) != LogLeaf.genesisHash(logID: logID.reversed()))
    }

    @Test func framingIsVersionPositionPreviousHashPayload() throws {
        let previous = try MerkleHash(bytes: [UInt8](repeating: 0xab, count: 32))
        let leaf = try LogLeaf(position: 0x0102_0304_0506_0708, previousHash: previous, payload: [0xde, 0xad])
        let expected: [UInt8] = [0x01, 1, 2, 3, 4, 5, 6, 7, 8] + [UInt8](repeating: 0xab, count: 32) + [0xde, 0xad]
        #expect(leaf.bytes == expected)
        #expect(leaf.entryHash == MerkleHash.leafHash(expected))
        #expect(try LogLeaf(bytes: expected) == leaf)
    }

    @Test func chainLinksEachEntryToThePreviousEntryHash() throws {
        var previous = LogLeaf.genesisHash(logID: Array("poll-1".utf8))
        for position in 0..<5 as Range<UInt64> {
            let leaf = try LogLeaf(position: position, previousHash: previous, payload: Array("entry \(position)".utf8))
            let parsed = try LogLeaf(bytes: leaf.bytes)
            #expect(parsed.previousHash == previous)
            previous = parsed.entryHash
        }
    }

    @Test(arguments: [0, 1, 40])
    func truncatedLeavesAreRefused(length: Int) {
        let bytes = [UInt8](repeating: 0x01, count: length)
        #expect(throws: TransparencyError(.logLeafMalformed, "")) { try LogLeaf(bytes: bytes) }
    }

    @Test func unknownVersionIsRefused() {
        var bytes = [UInt8](repeating: 0, count: LogLeaf.headerCount)
        bytes[0] = 0x02
        #expect(throws: TransparencyError(.logLeafMalformed, "")) { try LogLeaf(bytes: bytes) }
    }

    @Test func oversizedPayloadIsRefused() {
        let payload = [UInt8](repeating: 0, count: LogLeaf.maximumPayloadCount + 1)
        #expect(throws: TransparencyError(.logPayloadTooLarge, "")) {
            try LogLeaf(position: 0, previousHash: .emptyTree, payload: payload)
        }
        #expect(throws: Never.self) {
            try LogLeaf(position: 0, previousHash: .emptyTree, payload: Array(payload.dropLast()))
        }
    }
}

/// The worked example of docs/PROTOCOL.md §4.1, computed independently of this code.
@Suite struct LogLeafProtocolExampleTests {
    @Test func workedExampleMatchesTheProtocolDocument() throws {
        let logID = Array("pnyx-demo-log-01".utf8)
        let genesis = LogLeaf.genesisHash(logID: logID)
        #expect(genesis.hex == "6d7cc9dafa41bd55d5d4a2f2e2ae19b9d57efdcc48f516dd67ee2ceeeb5a47c1")
        let first = try LogLeaf(position: 0, previousHash: genesis, payload: Array("hello".utf8))
        #expect(first.bytes.hex == "010000000000000000" + genesis.hex + "68656c6c6f")
        #expect(first.entryHash.hex == "5595da2caf71ea2d052156bf8227854777936700d6b5b73afb86fdfe4733804c")
        let second = try LogLeaf(position: 1, previousHash: first.entryHash, payload: Array("world".utf8))
        #expect(second.entryHash.hex == "bdae0d1576e70857028db362acdf0f51990e2db87e31ec1e04cd18e977d05255")
        let root = MerkleHash.nodeHash(first.entryHash, second.entryHash)
        #expect(root.hex == "40dc0c6a3c9d165587642ccc48eac0b3daa8ab18b7940635c45234d11dfe2985")
        #expect(root.base64 == "QNwMajydFlWHZCzMSOrAs9qoqxi3lAY1xFI00R3+KYU=")
    }
}
