import Foundation
import HummingbirdTesting
import PnyxCore
@testable import PnyxService
import Testing

@Suite("Consultations: single, multiple (≤ k) and approval questions")
struct ConsultationTests {
    static func vote(_ q1: UInt16, _ q2: Set<UInt16>, _ q3: Set<UInt16>) -> EntryPayload {
        .vote([Answer(questionID: 1, choices: [q1]), Answer(questionID: 2, choices: q2), Answer(questionID: 3, choices: q3)])
    }

    @Test("votes, a changed vote and a withdrawal: the latest entry of each credential counts")
    func votesAndChanges() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            let a = try await world.citizen("R1", poll: poll)
            let b = try await world.citizen("R3", poll: poll)
            let c = try await world.citizen("R4", poll: poll)
            for (voter, payload) in [(a, Self.vote(0, [0, 1], [0, 1, 2])), (b, Self.vote(1, [1], [])), (c, Self.vote(2, [2, 3], [2]))] {
                let response = try await world.submit(try voter.entry(payload))
                #expect(response.status == .created, "\(String(buffer: response.body))")
                _ = try verifyReceipt(try response.decode(Receipt.self), verifierKey: world.service.verifierKey)
            }
            var tally = try await world.tally(poll.id)
            #expect(tally.participants == 3)
            #expect(tally.questions.map(\.options) == [[1, 1, 1], [1, 2, 1, 1], [1, 1, 2]])
            #expect(tally.thresholds[0].reached?.logSize == 6)

            // a changes their vote; c withdraws.
            #expect(try await world.submit(try a.entry(Self.vote(1, [3], [1]))).status == .created)
            #expect(try await world.submit(try c.entry(.withdraw)).status == .created)
            tally = try await world.tally(poll.id)
            #expect(tally.participants == 2)
            #expect(tally.entriesRecorded == 5)
            #expect(tally.questions.map(\.options) == [[0, 2, 0], [0, 1, 0, 1], [0, 1, 0]])
            #expect(tally.byArea == ["C1": 1, "C2": 1])
            #expect(try await world.service.checkTally(poll.id).consistent)
        }
    }

    static let invalid: [EntryPayload] = [
        vote(3, [0], []),  // option out of range
        .vote([Answer(questionID: 1, choices: [0, 1]), Answer(questionID: 2, choices: []), Answer(questionID: 3, choices: [])]),  // single with two
        vote(0, [0, 1, 2], []),  // more than maxChoices = 2
        .vote([Answer(questionID: 1, choices: [0]), Answer(questionID: 2, choices: [])]),  // a question missing
        .vote([Answer(questionID: 1, choices: [0]), Answer(questionID: 2, choices: []), Answer(questionID: 9, choices: [])]),  // unknown question
    ]

    @Test("invalid choices are refused with entry.invalid_choice and change nothing")
    func invalidChoices() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            let voter = try await world.citizen("R2", poll: poll)
            let size = try await world.logSize(poll.id)
            for payload in Self.invalid {
                let response = try await world.submit(try voter.entry(payload))
                #expect(response.status == .unprocessableContent, "\(payload)")
                #expect(response.errorCode == "entry.invalid_choice", "\(payload)")
            }
            // A signature on a consultation is the wrong payload.
            let sign = try await world.submit(try voter.entry(.sign(nil)))
            #expect(sign.errorCode == "entry.wrong_payload")
            #expect(try await world.logSize(poll.id) == size)
            // The same credential still votes validly afterwards.
            #expect(try await world.submit(try voter.entry(Self.vote(0, [], []))).status == .created)
        }
    }
}
