import Testing
import PnyxCore
import PnyxCrypto
import PnyxTransparency
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

@Suite("Records: round trips, JSON, mutations")
struct RecordRoundTripTests {
    static func roundTrip<T: CanonicalEncodable & Equatable>(_ value: T) throws {
        let bytes = value.canonicalBytes
        let decoded = try T(canonicalBytes: bytes)
        #expect(decoded == value)
        #expect(decoded.canonicalBytes == bytes)
    }

    static func jsonRoundTrip<T: Codable & Equatable>(_ value: T) throws {
        let data = try JSONEncoder().encode(value)
        #expect(try JSONDecoder().decode(T.self, from: data) == value)
    }

    static let certificate = Certificate(
        pollID: CoreFixtures.pollID, thresholdIndex: 0, reachedAtSize: 7,
        rootAtReached: try! MerkleHash(bytes: [UInt8](repeating: 1, count: 32)), checkpointSize: 9,
        checkpointRoot: try! MerkleHash(bytes: [UInt8](repeating: 2, count: 32)), date: 1_700_100_000,
        statement: "The petition reached 3 signatures.")

    static var allRecords: [LogRecord] {
        let signedPoll = try! SignedPollDefinition(signing: CoreFixtures.petition, with: CoreFixtures.serviceKey)
        let directory = try! KeyDirectory(pollID: CoreFixtures.pollID, issuedAt: 1_699_000_000, entries: [
            .init(attributeClass: CoreFixtures.area, publicKey: CoreRSA.key.publicKey, eligibleCount: 12),
            .init(attributeClass: .anonymous, publicKey: CoreRSA.otherKey.publicKey, eligibleCount: 30),
        ], k: 10)
        let signedDirectory = SignedKeyDirectory(signing: directory, with: CoreFixtures.brokerKey)
        let events: [LifecycleEvent.Kind] = [
            .published(signedDirectory), .opened, .closed,
            .certified(SignedCertificate(signing: certificate, with: CoreFixtures.serviceKey)),
            .moderationAccepted, .moderationRejected(reason: "duplicate"),
            .answered(text: "The council will debate it.", links: ["https://example.org/d/1"]),
        ]
        return [LogRecord(recordedAt: 1, body: .definition(signedPoll)), LogRecord(recordedAt: 2, body: .entry(CoreFixtures.entry))]
            + events.map { LogRecord(recordedAt: 3, body: .lifecycle(LifecycleEvent(kind: $0, at: 4))) }
    }

    @Test func everyRecordRoundTrips() throws {
        try Self.roundTrip(CoreFixtures.petition)
        try Self.roundTrip(CoreFixtures.consultation)
        try Self.roundTrip(CoreFixtures.credentialMessage)
        try Self.roundTrip(CoreFixtures.fakeCredential)
        try Self.roundTrip(CoreFixtures.entry)
        try Self.roundTrip(CoreFixtures.area)
        try Self.roundTrip(AttributeClass.anonymous)
        try Self.roundTrip(Self.certificate)
        try Self.roundTrip(NameAttestation(pollID: CoreFixtures.pollID, oneTimeKey: CoreFixtures.oneTimeKey.publicKey, partialName: "Arnaud R."))
        try Self.roundTrip(EntryPayload.vote([Answer(questionID: 1, choices: [0]), Answer(questionID: 2, choices: [1, 3])]))
        try Self.roundTrip(EntryPayload.sign(PartialName(name: "Arnaud R.", attestation: [UInt8](repeating: 7, count: 64))))
        try Self.roundTrip(EntryPayload.withdraw)
        for record in Self.allRecords {
            try Self.roundTrip(record)
            #expect(try LogRecord(leafPayload: try record.leafPayload()) == record)
        }
    }

    @Test func everyRecordRoundTripsThroughJSON() throws {
        try Self.jsonRoundTrip(CoreFixtures.petition)
        try Self.jsonRoundTrip(CoreFixtures.consultation)
        try Self.jsonRoundTrip(CoreFixtures.fakeCredential)
        try Self.jsonRoundTrip(CoreFixtures.entry)
        try Self.jsonRoundTrip(Receipt(pollID: CoreFixtures.pollID, position: 3, entryHash: "00", checkpoint: "x\n", inclusionProof: ["aa"]))
        for record in Self.allRecords { try Self.jsonRoundTrip(record) }
        let json = String(decoding: try JSONEncoder().encode(CoreFixtures.fakeCredential), as: UTF8.self)
        #expect(json.contains("\"class\":\"area=75056;age=35-49\""))
        #expect(json.contains("\"keyID\":\"" + String(repeating: "aa", count: 32) + "\""))
    }

    @Test func attributeClassTextForm() throws {
        #expect(CoreFixtures.area.text == "area=75056;age=35-49")
        #expect(AttributeClass.anonymous.text == "*")
        for text in ["*", "area=75056", "age=65+", "area=2A004;age=18-24"] {
            #expect(try AttributeClass(text: text).text == text)
        }
        for text in ["", "age=35-49;area=75056", "area=", "area=a;b", "age=12-17", "area=x;age=18-24;age=25-34"] {
            expectCoreError(.classInvalid) { _ = try AttributeClass(text: text) }
        }
    }

    @Test func ageBands() {
        let reference = CivilDate("2024-06-15")!
        #expect(AgeBand(bornOn: CivilDate("2008-06-16")!, at: reference) == nil)  // 15
        #expect(AgeBand(bornOn: CivilDate("2008-06-15")!, at: reference) == .from16to17)  // 16 that day
        #expect(AgeBand(bornOn: CivilDate("2006-06-16")!, at: reference) == .from16to17)  // 17
        #expect(AgeBand(bornOn: CivilDate("2006-06-15")!, at: reference) == .from18to24)
        #expect(AgeBand(bornOn: CivilDate("1989-06-15")!, at: reference) == .from35to49)
        #expect(AgeBand(bornOn: CivilDate("1959-06-16")!, at: reference) == .from50to64)
        #expect(AgeBand(bornOn: CivilDate("1959-06-15")!, at: reference) == .from65)
        #expect(CivilDate("2023-02-29") == nil)
        #expect(CivilDate("2024-2-01") == nil)
    }

    @Test func everySingleByteMutationIsRefusedOrChangesTheHash() {
        let bytes = CoreFixtures.record.canonicalBytes
        let hash = SHA256.hash(bytes)
        for index in bytes.indices {
            var mutated = bytes
            mutated[index] ^= 0x01
            if let decoded = try? LogRecord(canonicalBytes: mutated) {
                #expect(decoded != CoreFixtures.record)
                #expect(SHA256.hash(decoded.canonicalBytes) != hash)
            }
        }
    }

    @Test func signaturesFailWhenAFieldChanges() throws {
        let signed = try SignedPollDefinition(signing: CoreFixtures.petition, with: CoreFixtures.serviceKey)
        try signed.verify()
        var changed = CoreFixtures.petition
        changed.closesAt += 1
        expectCoreError(.pollInvalidSignature) { try SignedPollDefinition(definition: changed, signature: signed.signature).verify() }
        changed = CoreFixtures.petition
        changed.thresholds = [.absolute(count: 4)]
        expectCoreError(.pollInvalidSignature) { try SignedPollDefinition(definition: changed, signature: signed.signature).verify() }
        expectCoreError(.pollInvalidSignature) { _ = try SignedPollDefinition(signing: CoreFixtures.petition, with: CoreFixtures.brokerKey) }

        let certificate = SignedCertificate(signing: Self.certificate, with: CoreFixtures.serviceKey)
        try certificate.verify(serviceKey: CoreFixtures.serviceKey.publicKey)
        expectCoreError(.certificateInvalid) { try certificate.verify(serviceKey: CoreFixtures.brokerKey.publicKey) }
        let forged = Certificate(pollID: CoreFixtures.pollID, thresholdIndex: 1, reachedAtSize: 7,
                                 rootAtReached: Self.certificate.rootAtReached, checkpointSize: 9,
                                 checkpointRoot: Self.certificate.checkpointRoot, date: Self.certificate.date,
                                 statement: Self.certificate.statement)
        expectCoreError(.certificateInvalid) {
            try SignedCertificate(certificate: forged, signature: certificate.signature).verify(serviceKey: CoreFixtures.serviceKey.publicKey)
        }
    }

    @Test func pollValidation() throws {
        try CoreFixtures.petition.validate()
        try CoreFixtures.consultation.validate()
        var poll = CoreFixtures.petition
        poll.closesAt = poll.opensAt
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.petition
        poll.questions = CoreFixtures.consultation.questions
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.consultation
        poll.questions = []
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.consultation
        poll.questions[0].options = ["only"]
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.consultation
        poll.questions[0].maxChoices = 2
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.consultation
        poll.questions[1].maxChoices = 5
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.consultation
        poll.questions[2].id = 1
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.consultation
        poll.thresholds = [.shareOfEligible(basisPoints: 10_001)]
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.consultation
        poll.thresholds = [.areas(minimumPerArea: 1, minimumAreas: 1, areaLevel: .departement)]
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.petition
        poll.thresholds = [.absolute(count: 0)]
        expectCoreError(.pollInvalid) { try poll.validate() }
        poll = CoreFixtures.petition
        poll.eligibility.areaScope = ["a;b"]
        expectCoreError(.pollInvalid) { try poll.validate() }
    }

    @Test func keyDirectoryRefusesUnsortedOrRepeatedClassesAndBadKeyIDs() throws {
        let a = KeyDirectory.Entry(attributeClass: CoreFixtures.area, publicKey: CoreRSA.key.publicKey, eligibleCount: 1)
        let b = KeyDirectory.Entry(attributeClass: .anonymous, publicKey: CoreRSA.otherKey.publicKey, eligibleCount: 2)
        let directory = try KeyDirectory(pollID: CoreFixtures.pollID, issuedAt: 0, entries: [a, b], k: 5)
        #expect(directory.entries.map(\.attributeClass) == [.anonymous, CoreFixtures.area])
        #expect(directory.entry(keyID: a.keyID) == a)
        #expect(directory.eligibleTotal == 3)
        expectCoreError(.directoryInvalid) {
            _ = try KeyDirectory(pollID: CoreFixtures.pollID, issuedAt: 0, entries: [a, a], k: 5)
        }
        // Swap the two encoded entries: unsorted.
        var e = CanonicalEncoder()
        e.writeDomain("pnyx/key-directory/v1")
        e.write(CoreFixtures.pollID)
        e.writeI64(0)
        e.writeList([a, b])
        e.writeU32(5)
        e.writeString("RSABSSA-SHA384-PSS-Randomized")
        expectCoreError(.encodingInvalidValue) { _ = try KeyDirectory(canonicalBytes: e.bytes) }
        // A key id that is not the SPKI's hash.
        var bytes = directory.canonicalBytes
        let keyIDOffset = 4 + 21 + 16 + 8 + 4 + 2  // tag, poll, issuedAt, count, class of "*" (two absent optionals)
        bytes[keyIDOffset] ^= 1
        expectCoreError(.directoryInvalid) { _ = try KeyDirectory(canonicalBytes: bytes) }

        let signed = SignedKeyDirectory(signing: directory, with: CoreFixtures.brokerKey)
        try signed.verify(for: CoreFixtures.petition)
        expectCoreError(.directoryInvalidSignature) { try signed.verify(brokerKey: CoreFixtures.serviceKey.publicKey) }
        var other = CoreFixtures.petition
        other.pollID = CoreFixtures.otherPollID
        expectCoreError(.directoryInvalid) { try signed.verify(for: other) }
    }

    @Test func logRecordsMustFitALeaf() {
        let huge = LogRecord(recordedAt: 0, body: .lifecycle(LifecycleEvent(
            kind: .moderationRejected(reason: String(repeating: "x", count: LogRecord.maximumByteCount)), at: 0)))
        expectCoreError(.encodingLimitExceeded) { _ = try huge.leafPayload() }
        expectCoreError(.encodingLimitExceeded) { _ = try LogRecord(leafPayload: huge.canonicalBytes) }
        #expect(LogRecord.coarse(1_700_000_059) == 1_700_000_040)
        #expect(LogRecord.coarse(-1) == -60)
    }
}
