import Foundation
public import PnyxCore
import PnyxPostgres

/// A citizen's petition proposal waiting for (or past) moderation.
public struct Proposal: Codable, Sendable, Hashable {
    public let proposalID: Int64
    public let draft: PollDraft
    /// `pending`, `accepted` or `rejected`.
    public let status: String
    /// The rejection reason.
    public let reason: String?
    /// The poll made from it, once decided (its log records the decision).
    public let pollID: PollID?
}

extension PetitionService {
    /// Queues a citizen's petition proposal for moderation. Only petitions can be proposed,
    /// and the draft must be a valid poll (`poll.invalid`). Nothing about the proposer is kept.
    public func propose(_ draft: PollDraft) async throws -> Proposal {
        guard draft.kind == .petition else {
            throw CoreError(.pollInvalid, "citizens propose petitions; consultations are created by the administration")
        }
        _ = try draft.definition(pollID: .random(), serviceKey: serviceKey, brokerKey: serviceKey)  // validation only
        let text = String(decoding: try JSONEncoder().encode(draft), as: UTF8.self)
        let id = try await pool.query(
            "INSERT INTO service_proposals (draft) VALUES ($1) RETURNING proposal_id", [.text(text)]
        ).scalar(Int64.self)
        return Proposal(proposalID: id, draft: draft, status: "pending", reason: nil, pollID: nil)
    }

    /// Proposals, oldest first; only `status` ones when given.
    public func proposals(status: String? = nil) async throws -> [Proposal] {
        let rows = try await pool.query(
            """
            SELECT proposal_id, draft, status, reason, poll_id FROM service_proposals
            WHERE $1::text IS NULL OR status = $1 ORDER BY proposal_id LIMIT 1000
            """, [status.map { .text($0) } ?? .null])
        return try rows.map(Self.proposal(row:))
    }

    /// Accepts a proposal: the petition becomes a draft poll whose log starts with its
    /// definition and the `moderationAccepted` event. `opensAt`/`closesAt` may be moved.
    public func accept(proposal id: Int64, opensAt: Int64? = nil, closesAt: Int64? = nil) async throws -> PollState {
        let proposal = try await pendingProposal(id)
        var draft = proposal.draft
        if let opensAt { draft.opensAt = opensAt }
        if let closesAt { draft.closesAt = closesAt }
        let definition = try draft.definition(pollID: .random(), serviceKey: serviceKey, brokerKey: try await brokerKey())
        try await decide(id, status: "accepted", reason: nil, pollID: definition.pollID)
        return try await startLog(definition, then: .moderationAccepted)
    }

    /// Rejects a proposal with a public reason: its log holds the definition and the
    /// `moderationRejected` event, so the refusal is on the record.
    public func reject(proposal id: Int64, reason: String) async throws -> PollState {
        guard !reason.isEmpty, reason.utf8.count <= 4_096 else {
            throw ServiceError(.pollInvalidState, .badRequest, "a rejection needs a reason of 1 to 4096 bytes")
        }
        let proposal = try await pendingProposal(id)
        let definition = try proposal.draft.definition(pollID: .random(), serviceKey: serviceKey, brokerKey: try await brokerKey())
        try await decide(id, status: "rejected", reason: reason, pollID: definition.pollID)
        return try await startLog(definition, then: .moderationRejected(reason: reason))
    }

    /// The proposal `id`, or `proposal.unknown`.
    public func proposal(_ id: Int64) async throws -> Proposal {
        let rows = try await pool.query(
            "SELECT proposal_id, draft, status, reason, poll_id FROM service_proposals WHERE proposal_id = $1", [.int64(id)])
        guard let row = rows.first else {
            throw ServiceError(.proposalUnknown, .notFound, "no proposal \(id); list them with GET /admin/proposals")
        }
        return try Self.proposal(row: row)
    }

    private func pendingProposal(_ id: Int64) async throws -> Proposal {
        let proposal = try await proposal(id)
        guard proposal.status == "pending" else {
            throw ServiceError(.proposalDecided, .conflict, "proposal \(id) was already \(proposal.status)")
        }
        return proposal
    }

    /// Marks a pending proposal decided (once: a concurrent decision gets `proposal.decided`).
    private func decide(_ id: Int64, status: String, reason: String?, pollID: PollID) async throws {
        let changed = try await pool.execute(
            """
            UPDATE service_proposals SET status = $2, reason = $3, poll_id = $4, decided_at = now()
            WHERE proposal_id = $1 AND status = 'pending'
            """, [.int64(id), .text(status), reason.map { .text($0) } ?? .null, .bytea(pollID.bytes)])
        guard changed == 1 else { throw ServiceError(.proposalDecided, .conflict, "proposal \(id) was already decided") }
    }

    static func proposal(row: PostgresRow) throws -> Proposal {
        let draft = try JSONDecoder().decode(PollDraft.self, from: Data(try row.decode(String.self, at: 1).utf8))
        let poll = try row.decode([UInt8]?.self, at: 4)
        return Proposal(
            proposalID: try row.decode(Int64.self, at: 0), draft: draft, status: try row.decode(String.self, at: 2),
            reason: try row.decode(String?.self, at: 3), pollID: try poll.map { try PollID(bytes: $0) })
    }
}
