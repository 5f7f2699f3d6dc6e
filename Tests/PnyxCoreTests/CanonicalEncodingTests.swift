import Testing
import PnyxCore
import PnyxCrypto

@Suite("Canonical encoding primitives")
struct CanonicalEncodingTests {
    @Test func integersAreBigEndianFixedWidth() throws {
        var e = CanonicalEncoder()
        e.writeU8(0x01)
        e.writeU16(0x0203)
        e.writeU32(0x0405_0607)
        e.writeU64(0x0809_0a0b_0c0d_0e0f)
        e.writeI64(-2)
        e.writeBool(true)
        e.writeBool(false)
        #expect(e.bytes.hex == "01" + "0203" + "04050607" + "08090a0b0c0d0e0f" + "fffffffffffffffe" + "01" + "00")
        var d = CanonicalDecoder(e.bytes)
        #expect(try d.readU8() == 1)
        #expect(try d.readU16() == 0x0203)
        #expect(try d.readU32() == 0x0405_0607)
        #expect(try d.readU64() == 0x0809_0a0b_0c0d_0e0f)
        #expect(try d.readI64() == -2)
        #expect(try d.readBool() == true)
        #expect(try d.readBool() == false)
        try d.finish()
    }

    @Test func bytesStringsOptionalsListsSets() throws {
        var e = CanonicalEncoder()
        e.writeBytes([0xde, 0xad])
        e.writeString("é")
        e.writeOptional(String?.none) { $0.writeString($1) }
        e.writeOptional("a") { $0.writeString($1) }
        e.writeList([UInt16(3), 1]) { $0.writeU16($1) }
        e.writeSet([UInt16(3), 1, 3]) { $0.writeU16($1) }
        e.writeFixed([0xff])
        #expect(e.bytes.hex == "00000002dead" + "00000002c3a9" + "00" + "010000000161" + "0000000200030001"
            + "0000000200010003" + "ff")
        var d = CanonicalDecoder(e.bytes)
        #expect(try d.readBytes() == [0xde, 0xad])
        #expect(try d.readString() == "é")
        #expect(try d.readOptional { (x: inout CanonicalDecoder) throws(CoreError) in try x.readString() } == nil)
        #expect(try d.readOptional { (x: inout CanonicalDecoder) throws(CoreError) in try x.readString() } == "a")
        #expect(try d.readList { (x: inout CanonicalDecoder) throws(CoreError) in try x.readU16() } == [3, 1])
        #expect(try d.readSet { (x: inout CanonicalDecoder) throws(CoreError) in try x.readU16() } == [1, 3])
        #expect(try d.readFixed(count: 1) == [0xff])
        try d.finish()
    }

    @Test func setsSortByEncodingNotByValue() {
        var e = CanonicalEncoder()
        e.writeSet(["751", "75056", "1"]) { $0.writeString($1) }
        // Shorter strings first: their length prefix is smaller.
        #expect(e.bytes.hex == "00000003" + "0000000131" + "00000003373531" + "000000053735303536")
    }

    @Test func truncationIsRefused() {
        for (hex, read) in [
            ("01", { (d: inout CanonicalDecoder) throws(CoreError) in _ = try d.readU16() }),
            ("000000", { (d: inout CanonicalDecoder) throws(CoreError) in _ = try d.readU32() }),
            ("00000003aabb", { (d: inout CanonicalDecoder) throws(CoreError) in _ = try d.readBytes() }),
            ("0000000261", { (d: inout CanonicalDecoder) throws(CoreError) in _ = try d.readString() }),
            ("", { (d: inout CanonicalDecoder) throws(CoreError) in _ = try d.readBool() }),
            ("00000005", { (d: inout CanonicalDecoder) throws(CoreError) in _ = try d.readList { (x: inout CanonicalDecoder) throws(CoreError) in try x.readU8() } }),
        ] as [(String, (inout CanonicalDecoder) throws(CoreError) -> Void)] {
            expectCoreError(.encodingTruncated) {
                var d = CanonicalDecoder(try Hex.decode(hex))
                try read(&d)
            }
        }
    }

    @Test func trailingBytesAreRefused() {
        expectCoreError(.encodingTrailingBytes) {
            _ = try AttributeClass(canonicalBytes: CoreFixtures.area.canonicalBytes + [0])
        }
        expectCoreError(.encodingTrailingBytes) {
            var d = CanonicalDecoder([1, 2])
            _ = try d.readU8()
            try d.finish()
        }
    }

    @Test func invalidValuesAreRefused() {
        expectCoreError(.encodingInvalidValue) { var d = CanonicalDecoder([2]); _ = try d.readBool() }
        expectCoreError(.encodingInvalidValue) { var d = CanonicalDecoder([0, 0, 0, 2, 0xc3, 0x28]); _ = try d.readString() }
        expectCoreError(.encodingInvalidValue) {
            var d = CanonicalDecoder([2])
            _ = try d.readOptional { (x: inout CanonicalDecoder) throws(CoreError) in try x.readU8() }
        }
        // Unsorted set, repeated set item.
        for hex in ["0000000200030001", "0000000200010001"] {
            expectCoreError(.encodingInvalidValue) {
                var d = CanonicalDecoder(try Hex.decode(hex))
                _ = try d.readSet { (x: inout CanonicalDecoder) throws(CoreError) in try x.readU16() }
            }
        }
    }

    @Test func limitsAreRefusedBeforeAllocating() {
        expectCoreError(.encodingLimitExceeded) {
            var d = CanonicalDecoder([0x00, 0x01, 0x00, 0x01])  // 65 537-byte string
            _ = try d.readString()
        }
        expectCoreError(.encodingLimitExceeded) {
            var d = CanonicalDecoder([0xff, 0xff, 0xff, 0xff])
            _ = try d.readBytes()
        }
        expectCoreError(.encodingLimitExceeded) {
            var d = CanonicalDecoder([0x00, 0x00, 0x27, 0x11])  // 10 001 items
            _ = try d.readList { (x: inout CanonicalDecoder) throws(CoreError) in try x.readU8() }
        }
        // At the limit is fine.
        var e = CanonicalEncoder()
        e.writeString(String(repeating: "a", count: CanonicalLimits.maximumStringByteCount))
        var d = CanonicalDecoder(e.bytes)
        #expect((try? d.readString())?.utf8.count == CanonicalLimits.maximumStringByteCount)
    }

    @Test func unknownTagsAndWrongDomainsAreRefused() throws {
        expectCoreError(.encodingUnknownTag) { _ = try Channel(canonicalBytes: [4]) }
        expectCoreError(.encodingUnknownTag) { _ = try Threshold(canonicalBytes: [0]) }
        expectCoreError(.encodingUnknownTag) { _ = try EntryPayload(canonicalBytes: [9]) }
        // Bytes of one record type never decode as another.
        let poll = CoreFixtures.petition.canonicalBytes
        expectCoreError(.encodingWrongDomain) { _ = try Entry(canonicalBytes: poll) }
        expectCoreError(.encodingWrongDomain) { _ = try LogRecord(canonicalBytes: poll) }
        expectCoreError(.encodingWrongDomain) { _ = try CredentialMessage(canonicalBytes: CoreFixtures.entry.canonicalBytes) }
        expectCoreError(.encodingWrongDomain) { _ = try PollDefinition(canonicalBytes: CoreFixtures.credentialMessage.canonicalBytes) }
    }

    @Test func everyTruncationOfARecordIsRefused() {
        let bytes = CoreFixtures.entry.canonicalBytes
        for length in 0..<bytes.count {
            #expect(throws: CoreError.self) { try Entry(canonicalBytes: Array(bytes[..<length])) }
        }
    }
}
