import Foundation
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
import PnyxLogStore
@testable import PnyxService
import Testing

/// The service keeps no per-participant map in memory: each credential's latest contribution
/// is a database row, the aggregates a snapshot restored by a new process, and both agree
/// with a fold of the log (the auditor's reducer).
@Suite("Tallies restored from the database, not from memory or a refold")
struct TallyRestoreTests {
    static func vote(_ q1: UInt16, _ q2: Set<UInt16>, _ q3: Set<UInt16>) -> EntryPayload {
        .vote([Answer(questionID: 1, choices: [q1]), Answer(questionID: 2, choices: q2), Answer(questionID: 3, choices: q3)])
    }

    /// A fold of the whole log, read through the log store (as an auditor would read an export).
    static func fold(_ world: PnyxWorld, _ id: PollID) async throws -> TallySummary {
        let size = try await world.logSize(id)
        let entries = try await world.service.store.entries(logID: id.bytes, 0..<size)
        return try Tally(records: entries.map { try LogRecord(leafPayload: $0.payload) }).summary
    }

    static func second(_ world: PnyxWorld) async throws -> PetitionService {
        try await PetitionService.start(configuration: world.service.configuration, now: { world.clock.now })
    }

    @Test("after a restart, changed votes and withdrawals of earlier credentials subtract from the restored counts")
    func restartThenChanges() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            let a = try await world.citizen("R1", poll: poll)
            let b = try await world.citizen("R3", poll: poll)
            let c = try await world.citizen("R4", poll: poll)
            for (voter, payload) in [(a, Self.vote(0, [0, 1], [0, 1, 2])), (b, Self.vote(1, [1], [])), (c, Self.vote(2, [2, 3], [2]))] {
                #expect(try await world.submit(try voter.entry(payload)).status == .created)
            }
            // The process holds aggregates only: no credential's contribution stays in memory.
            #expect(world.service.keeper.heldContributions == 0)

            // A new process on the same database: it restores the snapshot (no fold) and
            // reads a, c's contributions from their rows when they change.
            let restarted = try await Self.second(world)
            do {
                #expect(restarted.keeper.heldContributions == 0)
                _ = try await restarted.submit(try a.entry(Self.vote(1, [3], [1])), to: poll.id)
                _ = try await restarted.submit(try c.entry(.withdraw), to: poll.id)
                let d = try await world.citizen("R5", poll: poll)
                _ = try await restarted.submit(try d.entry(Self.vote(0, [0], [0])), to: poll.id)
                let tally = try await restarted.tally(poll.id).summary()
                #expect(tally.participants == 3)
                #expect(tally.entriesRecorded == 6)
                #expect(tally.questions.map(\.options) == [[1, 2, 0], [1, 1, 0, 1], [1, 1, 0]])
                #expect(tally == (try await Self.fold(world, poll.id)))
                #expect(restarted.keeper.heldContributions == 0)
                #expect(restarted.keeper.folds == 0)
                let check = try await restarted.checkTally(poll.id)
                #expect(check.consistent && check.stateConsistent)
                #expect(check.contributionsChecked == 4 && check.contributionMismatches == 0)
                // c signs again (a new entry of the withdrawn credential) on the first process,
                // whose cached tally is stale: it restores from the row the other committed.
                let last = try await world.submit(try c.entry(Self.vote(2, [2], [2])))
                #expect(last.status == .created, "\(String(buffer: last.body))")
                let after = try await world.tally(poll.id)
                #expect(after.participants == 4)
                #expect(after == (try await Self.fold(world, poll.id)))
                #expect(try await world.service.checkTally(poll.id).consistent)
            } catch {
                await restarted.shutdown()
                throw error
            }
            await restarted.shutdown()
        }
    }

    @Test("two services appending to the same poll in turn agree with each other and with the log")
    func twoServicesAgree() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            let other = try await Self.second(world)
            do {
                var voters: [Voter] = []
                for (index, resident) in ["R1", "R3", "R4", "R5"].enumerated() {
                    let voter = try await world.citizen(resident, poll: poll)
                    voters.append(voter)
                    let service = index % 2 == 0 ? world.service : other
                    _ = try await service.submit(try voter.entry(Self.vote(UInt16(index % 3), [UInt16(index)], [])), to: poll.id)
                }
                // Withdrawals and changed votes crossing processes, at once.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for (index, voter) in voters.enumerated() {
                        let service = index % 2 == 0 ? other : world.service
                        let payload = index < 2 ? EntryPayload.withdraw : Self.vote(2, [0, 3], [UInt16(index - 2)])
                        group.addTask { _ = try await service.submit(try voter.entry(payload), to: poll.id) }
                    }
                    try await group.waitForAll()
                }
                _ = try await other.submit(try voters[0].entry(Self.vote(1, [2], [0, 1])), to: poll.id)
                let mine = try await world.service.tally(poll.id).summary()
                let theirs = try await other.tally(poll.id).summary()
                #expect(mine == theirs)
                #expect(mine.participants == 3)
                #expect(mine.entriesRecorded == 9)
                #expect(mine.questions.map(\.options) == [[0, 1, 2], [2, 0, 1, 2], [2, 2, 0]])
                #expect(mine == (try await Self.fold(world, poll.id)))
                #expect(try await other.checkTally(poll.id).consistent)
                #expect(world.service.keeper.folds == 0 && other.keeper.folds == 0)
            } catch {
                await other.shutdown()
                throw error
            }
            await other.shutdown()
        }
    }

    @Test("the recompute-and-compare check detects a tampered contribution row and a tampered snapshot")
    func tamperedRowsDetected() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            let a = try await world.citizen("R1", poll: poll)
            let b = try await world.citizen("R3", poll: poll)
            #expect(try await world.submit(try a.entry(Self.vote(0, [0], [0]))).status == .created)
            #expect(try await world.submit(try b.entry(Self.vote(1, [1], [1]))).status == .created)
            #expect(try await world.service.checkTally(poll.id).consistent)

            // a's row now says "withdrawn": the summary is unchanged, but the row is not what the log says.
            let poolRef = world.service.pool
            let nullifier = a.credential.oneTimeKey.rawRepresentation
            _ = try await poolRef.execute(
                "UPDATE service_nullifiers SET contribution = contribution & ~(1::bigint << 61) WHERE poll_id = $1 AND nullifier = $2",
                [.bytea(poll.id.bytes), .bytea(nullifier)])
            var check = try await world.service.checkTally(poll.id)
            #expect(!check.consistent)
            #expect(check.stateConsistent)
            #expect(check.contributionsChecked == 2 && check.contributionMismatches == 1)
            #expect(check.stored == check.recomputed)

            // A deleted row is a mismatch too.
            _ = try await poolRef.execute(
                "DELETE FROM service_nullifiers WHERE poll_id = $1 AND nullifier = $2", [.bytea(poll.id.bytes), .bytea(nullifier)])
            check = try await world.service.checkTally(poll.id)
            #expect(check.contributionsChecked == 1 && check.contributionMismatches == 1)
            #expect(!check.consistent)

            // A snapshot with one participant more.
            let world2Poll = try await world.openPoll(world.petitionDraft())
            let r2 = try await world.citizen("R2", poll: world2Poll)
            #expect(try await world.submit(try r2.entry(.sign(nil))).status == .created)
            let row = try await poolRef.query("SELECT state FROM service_tallies WHERE poll_id = $1", [.bytea(world2Poll.id.bytes)])
            let state = try row.first!.decode([UInt8].self, at: 0)
            let tampered = String(decoding: state, as: UTF8.self).replacingOccurrences(of: "\"participants\":1", with: "\"participants\":2")
            #expect(tampered != String(decoding: state, as: UTF8.self))
            _ = try await poolRef.execute(
                "UPDATE service_tallies SET state = $2 WHERE poll_id = $1", [.bytea(world2Poll.id.bytes), .bytea(Array(tampered.utf8))])
            let stateCheck = try await world.service.checkTally(world2Poll.id)
            #expect(!stateCheck.consistent && !stateCheck.stateConsistent)
            #expect(stateCheck.contributionMismatches == 0)
        }
    }

    @Test("a database from before stored contributions: the poll is folded once and its rows completed")
    func legacyRowsCompleted() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.consultationDraft())
            let a = try await world.citizen("R1", poll: poll)
            let b = try await world.citizen("R3", poll: poll)
            #expect(try await world.submit(try a.entry(Self.vote(0, [0], [0]))).status == .created)
            #expect(try await world.submit(try b.entry(Self.vote(1, [1], [1]))).status == .created)
            _ = try await world.service.pool.execute("UPDATE service_nullifiers SET contribution = NULL WHERE poll_id = $1", [.bytea(poll.id.bytes)])
            _ = try await world.service.pool.execute("UPDATE service_tallies SET state = NULL WHERE poll_id = $1", [.bytea(poll.id.bytes)])
            #expect(!(try await world.service.checkTally(poll.id).consistent))
            world.service.keeper.reset()
            #expect(try await world.submit(try a.entry(.withdraw)).status == .created)
            let tally = try await world.tally(poll.id)
            #expect(tally.participants == 1)
            #expect(tally == (try await Self.fold(world, poll.id)))
            let check = try await world.service.checkTally(poll.id)
            #expect(check.consistent && check.contributionsChecked == 2)
            #expect(world.service.keeper.folds == 1)
        }
    }
}
