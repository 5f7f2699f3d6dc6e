import Foundation
import HummingbirdTesting
import PnyxCore
@testable import PnyxService
import Testing

@Suite("Citizens' proposals and moderation")
struct ModerationTests {
    @Test("a proposal waits; rejection and acceptance are logged with the definition")
    func moderation() async throws {
        try await PnyxWorld.with { world in
            let token = PnyxWorld.adminToken
            let first = try await world.client.json(.post, "/v1/proposals", body: world.petitionDraft())
            #expect(first.status == .created, "\(String(buffer: first.body))")
            let rejectedID = try first.decode(Proposal.self).proposalID
            let second = try await world.client.json(.post, "/v1/proposals", body: world.petitionDraft())
            let acceptedID = try second.decode(Proposal.self).proposalID
            // Consultations cannot be proposed by citizens.
            let consultation = try await world.client.json(.post, "/v1/proposals", body: world.consultationDraft())
            #expect(consultation.errorCode == "poll.invalid")

            let queue = try await world.client.get("/v1/admin/proposals?status=pending", headers: [.authorization: "Bearer \(token)"])
            #expect(try queue.decode([Proposal].self).map(\.proposalID) == [rejectedID, acceptedID])

            // Rejected, with a public reason.
            let rejected = try await world.client.json(
                .post, "/v1/admin/proposals/\(rejectedID)/reject", token: token, body: ["reason": "Hors des compétences de la commune."])
            #expect(rejected.status == .created, "\(String(buffer: rejected.body))")
            let rejectedPoll = try PollID(hex: try rejected.decode(PollViewBody.self).pollID)
            #expect(try await world.service.poll(rejectedPoll).status == "rejected")
            let rejectedHistory = try await world.service.lifecycle(rejectedPoll)
            #expect(rejectedHistory.count == 1)
            guard case .moderationRejected(let reason) = rejectedHistory[0].event.kind else {
                Issue.record("expected a moderationRejected record")
                return
            }
            #expect(reason == "Hors des compétences de la commune.")
            // A rejected petition cannot be published; a decided proposal cannot be decided again.
            let publish = try await world.client.json(.post, "/v1/admin/polls/\(rejectedPoll.hex)/publish", token: token, body: Empty())
            #expect(publish.errorCode == "poll.invalid_state")
            let twice = try await world.client.json(.post, "/v1/admin/proposals/\(rejectedID)/accept", token: token, body: Empty())
            #expect(twice.errorCode == "proposal.decided")
            #expect(twice.status == .conflict)

            // Accepted: a draft whose log starts with the definition and moderationAccepted; then published.
            let accepted = try await world.client.json(.post, "/v1/admin/proposals/\(acceptedID)/accept", token: token, body: Empty())
            #expect(accepted.status == .created)
            let pollID = try PollID(hex: try accepted.decode(PollViewBody.self).pollID)
            #expect(try await world.service.poll(pollID).status == "draft")
            #expect(try await world.service.lifecycle(pollID).map(\.event.kind.name) == ["moderationAccepted"])
            let published = try await world.client.json(.post, "/v1/admin/polls/\(pollID.hex)/publish", token: token, body: Empty())
            #expect(published.status == .ok, "\(String(buffer: published.body))")
            #expect(try await world.logSize(pollID) == 3)
            // Unknown proposal.
            let unknown = try await world.client.json(.post, "/v1/admin/proposals/999/reject", token: token, body: ["reason": "x"])
            #expect(unknown.errorCode == "proposal.unknown")
            // Drafts and rejected polls are not listed publicly.
            let listed = try await world.client.get("/v1/polls").decode([PollViewBody].self)
            #expect(listed.map(\.pollID) == [pollID.hex])
        }
    }
}
