import Testing
import PnyxCore

@Suite("Entry payload validation")
struct PayloadValidationTests {
    static let poll = CoreFixtures.consultation

    static func vote(_ q1: Set<UInt16>, _ q2: Set<UInt16>, _ q3: Set<UInt16>) -> EntryPayload {
        .vote([Answer(questionID: 1, choices: q1), Answer(questionID: 2, choices: q2), Answer(questionID: 3, choices: q3)])
    }

    @Test func accepted() throws {
        for payload in [Self.vote([0], [], []), Self.vote([2], [0, 3], [0, 1]), Self.vote([1], [2], [1]), .withdraw] {
            try payload.validate(for: Self.poll)
        }
        try EntryPayload.sign(nil).validate(for: CoreFixtures.petition)
        try EntryPayload.withdraw.validate(for: CoreFixtures.petition)
    }

    @Test func refused() {
        let cases: [(EntryPayload, CoreError.Code)] = [
            (.sign(nil), .entryWrongPayload),
            (Self.vote([], [], []), .entryInvalidChoice),          // single needs exactly one
            (Self.vote([0, 1], [], []), .entryInvalidChoice),      // single, two
            (Self.vote([3], [], []), .entryInvalidChoice),         // out of range
            (Self.vote([0], [0, 1, 2], []), .entryInvalidChoice),  // more than maxChoices
            (Self.vote([0], [], [2]), .entryInvalidChoice),        // approval out of range
            (.vote([Answer(questionID: 1, choices: [0]), Answer(questionID: 2, choices: [])]), .entryInvalidChoice),  // missing
            (.vote([Answer(questionID: 1, choices: [0]), Answer(questionID: 1, choices: [1]),
                    Answer(questionID: 3, choices: [])]), .entryInvalidChoice),  // twice
            (.vote([Answer(questionID: 1, choices: [0]), Answer(questionID: 2, choices: []),
                    Answer(questionID: 9, choices: [])]), .entryInvalidChoice),  // unknown question
        ]
        for (payload, code) in cases { expectCoreError(code) { try payload.validate(for: Self.poll) } }
        expectCoreError(.entryWrongPayload) { try Self.vote([0], [], []).validate(for: CoreFixtures.petition) }
        expectCoreError(.entryInvalidName) {
            try EntryPayload.sign(PartialName(name: "nobody", attestation: [UInt8](repeating: 0, count: 64))).validate(for: CoreFixtures.petition)
        }
    }

    @Test func answersAndChoicesEncodeAsSets() throws {
        let unsorted = EntryPayload.vote([Answer(questionID: 3, choices: [1, 0]), Answer(questionID: 1, choices: [2])])
        let sorted = EntryPayload.vote([Answer(questionID: 1, choices: [2]), Answer(questionID: 3, choices: [0, 1])])
        #expect(unsorted.canonicalBytes == sorted.canonicalBytes)
        #expect(unsorted.canonicalBytes.hex == "02" + "00000002" + "0001" + "00000001" + "0002" + "0003" + "00000002" + "0000" + "0001")
        // Out-of-order answers are refused.
        let b = unsorted.canonicalBytes
        expectCoreError(.encodingInvalidValue) { _ = try EntryPayload(canonicalBytes: Array(b[0..<5]) + Array(b[13..<23]) + Array(b[5..<13])) }
    }
}
