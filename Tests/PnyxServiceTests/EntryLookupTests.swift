import Foundation
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
import PnyxPostgres
@testable import PnyxService
import PnyxTransparency
import Testing

/// `GET /v1/polls/{poll}/entries/{digest}`: the receipt of a committed entry found by the
/// SHA-256 of its canonical bytes, for a wallet whose submission's answer was lost.
@Suite("Entry lookup by digest (real broker, real PostgreSQL)")
struct EntryLookupTests {
    static func path(_ poll: PollID, _ entry: Entry) -> String {
        "/v1/polls/\(poll.hex)/entries/\(SHA256.hash(entry.canonicalBytes).hex)"
    }

    @Test("a committed entry's digest answers the receipt submit answered: position, entry hash, a proof to a signed checkpoint")
    func lookupMatchesSubmit() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let voter = try await world.citizen("R1", poll: poll)
            let entry = try voter.entry(.sign(nil))
            let submitted = try await world.submit(entry)
            #expect(submitted.status == .created)
            let receipt = try submitted.decode(Receipt.self)
            // More entries after it: the lookup's proof is to a later checkpoint.
            let other = try await world.citizen("R2", poll: poll)
            #expect(try await world.submit(try other.entry(.sign(nil))).status == .created)

            let found = try await world.client.get(Self.path(poll.id, entry))
            #expect(found.status == .ok, "\(String(buffer: found.body))")
            let recovered = try found.decode(Receipt.self)
            #expect(recovered.pollID == poll.id)
            #expect(recovered.position == receipt.position)
            #expect(recovered.entryHash == receipt.entryHash)
            let checkpoint = try verifyReceipt(recovered, verifierKey: world.service.verifierKey)
            #expect(checkpoint.size >= receipt.position + 1)
            #expect(checkpoint.origin == "pnyx.test/poll/\(poll.id.hex)")

            // Sending the same bytes again is refused as a replay and changes nothing; the
            // lookup still answers the first one.
            let again = try await world.submit(entry)
            #expect(again.status == .conflict)
            #expect(again.errorCode == "entry.replayed")
            #expect(try await world.client.get(Self.path(poll.id, entry)).decode(Receipt.self).position == receipt.position)
            #expect(try await world.tally(poll.id).participants == 2)
            #expect(try await world.logSize(poll.id) == 5)
        }
    }

    @Test("unknown digest 404 entry.unknown; malformed 400 request.malformed; unknown poll 404 poll.unknown")
    func refusals() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let voter = try await world.citizen("R1", poll: poll)
            // Signed but never sent: unknown.
            let unsent = try voter.entry(.sign(nil))
            let unknown = try await world.client.get(Self.path(poll.id, unsent))
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "entry.unknown")
            // The digest of a definition record or of the entry's leaf is not an entry digest.
            let zeros = try await world.client.get("/v1/polls/\(poll.id.hex)/entries/\(String(repeating: "0", count: 64))")
            #expect(zeros.errorCode == "entry.unknown")
            for bad in [String(repeating: "a", count: 63), String(repeating: "a", count: 66), String(repeating: "g", count: 64),
                        String(repeating: "a", count: 62) + "-1"] {
                let answer = try await world.client.get("/v1/polls/\(poll.id.hex)/entries/\(bad)")
                #expect(answer.status == .badRequest, "\(bad)")
                #expect(answer.errorCode == "request.malformed", "\(bad)")
            }
            let otherPoll = try await world.client.get(Self.path(PollID.random(), unsent))
            #expect(otherPoll.status == .notFound)
            #expect(otherPoll.errorCode == "poll.unknown")
            // The entry of another poll is not found in this one.
            let second = try await world.openPoll(world.petitionDraft())
            let elsewhere = try await world.citizen("R2", poll: second)
            let entry = try elsewhere.entry(.sign(nil))
            #expect(try await world.submit(entry).status == .created)
            #expect(try await world.client.get(Self.path(poll.id, entry)).errorCode == "entry.unknown")
            #expect(try await world.client.get(Self.path(second.id, entry)).status == .ok)
        }
    }

    @Test("rows without a position (written before migration 5) are completed from the log, and found before that by a scan")
    func rowsWithoutPosition() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            var entries: [(Entry, UInt64)] = []
            for id in ["R1", "R2", "R3"] {
                let voter = try await world.citizen(id, poll: poll)
                for payload in [ConsultationTests.vote(0, [0, 1], [0, 2]), ConsultationTests.vote(2, [3], [])] {
                    let entry = try voter.entry(payload)
                    let answer = try await world.submit(entry)
                    #expect(answer.status == .created, "\(String(buffer: answer.body))")
                    entries.append((entry, try answer.decode(Receipt.self).position))
                }
            }
            let pool = world.service.pool
            #expect(try await pool.execute("UPDATE service_entry_digests SET position = NULL WHERE poll_id = $1",
                                           [.bytea(poll.id.bytes)]) == entries.count)
            // Found by scanning the log.
            for (entry, position) in entries {
                #expect(try await world.client.get(Self.path(poll.id, entry)).decode(Receipt.self).position == position)
            }
            // The migration's backfill writes every position back.
            #expect(try await pool.execute(ServiceSchema.entryPositionBackfill) == entries.count)
            let positions = try await pool.query("SELECT digest, position FROM service_entry_digests WHERE poll_id = $1",
                                                 [.bytea(poll.id.bytes)])
                .map { row in (try row.decode([UInt8].self, at: 0), try row.decode(Int64?.self, at: 1)) }
            #expect(positions.count == entries.count)
            for (entry, position) in entries {
                let digest = SHA256.hash(entry.canonicalBytes)
                #expect(positions.first { $0.0 == digest }?.1 == Int64(position))
            }
        }
    }

    @Test("the append transaction's replay and one-time-key lookups probe by primary key, even on tables analysed (nearly) empty")
    func batchLookupsProbeByPrimaryKey() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let voter = try await world.citizen("R1", poll: poll)
            let entry = try voter.entry(.sign(nil))
            #expect(try await world.submit(entry).status == .created)
            // Statistics of tables holding one row, as in a new deployment: without the
            // transaction's settings, PostgreSQL plans these lookups as sequential scans.
            try await world.service.pool.withBlockingConnection { try $0.executeScript("VACUUM ANALYZE") }
            let parameters: [PostgresValue] = [.bytea(poll.id.bytes), .bytea(SHA256.hash(entry.canonicalBytes)), .int64(1)]
            let plans = try await world.service.pool.withTransaction { session in
                try await session.withBlockingConnection { conn in
                    _ = try conn.queryPrepared(TallyKeeper.genericPlansSQL)
                    return try [TallyKeeper.seenDigestsSQL, TallyKeeper.bindingsSQL].map { sql in
                        try conn.query("EXPLAIN " + sql, parameters).map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
                    }
                }
            }
            for (plan, index) in zip(plans, ["service_entry_digests_pkey", "service_nullifiers_pkey"]) {
                #expect(!plan.contains("Seq Scan"), "\(plan)")
                #expect(plan.contains(index), "\(index) not used:\n\(plan)")
            }
        }
    }
}
