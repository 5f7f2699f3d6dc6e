import Foundation
import PnyxCore
import PnyxCrypto
@testable import PnyxService
import Testing

/// Entries carry a fresh nonce (`pnyx/entry/v2`): a citizen may go back to an earlier choice,
/// while a copy of an earlier entry is still refused as a replay.
@Suite("Going back to an earlier choice (real broker, real PostgreSQL)")
struct ReturnToEarlierChoiceTests {
    @Test("vote A, change to B, back to A: counted; the old A and B bytes replayed: refused, nothing logged")
    func voteBackAndForth() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            let voter = try await world.citizen("R1", poll: poll)
            let a = try voter.entry(ConsultationTests.vote(0, [0, 1], [2]))
            let b = try voter.entry(ConsultationTests.vote(1, [2], [0]))
            let aAgain = try voter.entry(ConsultationTests.vote(0, [0, 1], [2]))
            #expect(aAgain.payload == a.payload)
            #expect(aAgain.nonce != a.nonce)
            for entry in [a, b, aAgain] {
                let answer = try await world.submit(entry)
                #expect(answer.status == .created, "\(String(buffer: answer.body))")
            }
            var tally = try await world.tally(poll.id)
            #expect(tally.participants == 1)
            #expect(tally.questions.first { $0.questionID == 1 }?.options == [1, 0, 0])
            let size = try await world.logSize(poll.id)

            // An attacker replays B (copied from the public log) to undo the return to A.
            for old in [b, a, aAgain] {
                let replayed = try await world.submit(old)
                #expect(replayed.status == .conflict)
                #expect(replayed.errorCode == "entry.replayed")
            }
            #expect(try await world.logSize(poll.id) == size)
            tally = try await world.tally(poll.id)
            #expect(tally.questions.first { $0.questionID == 1 }?.options == [1, 0, 0])
        }
    }

    @Test("sign, withdraw, sign again: counted once more; replaying the withdrawal is refused")
    func signWithdrawSign() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft(thresholds: [.absolute(count: 1)]))
            let signer = try await world.citizen("R2", poll: poll)
            let first = try signer.entry(.sign(nil))
            let withdrawal = try signer.entry(.withdraw)
            #expect(try await world.submit(first).status == .created)
            #expect(try await world.submit(withdrawal).status == .created)
            #expect(try await world.tally(poll.id).participants == 0)
            let again = try await world.submit(try signer.entry(.sign(nil)))
            #expect(again.status == .created, "\(String(buffer: again.body))")
            #expect(try await world.tally(poll.id).participants == 1)
            let replayed = try await world.submit(withdrawal)
            #expect(replayed.errorCode == "entry.replayed")
            #expect(try await world.tally(poll.id).participants == 1)
        }
    }
}
