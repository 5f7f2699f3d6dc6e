import Foundation
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
import PnyxLogStore
@testable import PnyxService
import Testing

@Suite("Concurrent submissions and the append transaction's own checks")
struct ConcurrencyTests {
    /// Submits `entries` concurrently over HTTP; each one's error code (nil: 201), in order.
    static func submitAtOnce(_ entries: [Entry], to world: PnyxWorld) async throws -> [String?] {
        try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for (index, entry) in entries.enumerated() {
                group.addTask {
                    let response = try await world.submit(entry)
                    return (index, response.status == .created ? nil : response.errorCode)
                }
            }
            var codes = [String?](repeating: "unset", count: entries.count)
            for try await (index, code) in group { codes[index] = code }
            return codes
        }
    }

    @Test("one one-time key, two credentials, submitted at once: exactly one is accepted")
    func concurrentNullifier() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let shared = Ed25519.PrivateKey()
            let a = try await world.citizen("R1", poll: poll, oneTime: shared)
            let b = try await world.citizen("R2", poll: poll, oneTime: shared)
            let others = [try await world.citizen("R3", poll: poll), try await world.citizen("R4", poll: poll)]
            let entries = [try a.entry(.sign(nil)), try b.entry(.sign(nil))] + (try others.map { try $0.entry(.sign(nil)) })
            let codes = try await Self.submitAtOnce(entries, to: world)
            #expect(codes[2] == nil && codes[3] == nil)
            #expect(Set([codes[0], codes[1]]) == Set([nil, "entry.nullifier_reused"]))
            let tally = try await world.tally(poll.id)
            #expect(tally.participants == 3)
            #expect(tally.entriesRecorded == 3)
            #expect(try await world.service.checkTally(poll.id).consistent)
        }
    }

    @Test("replays and a reused one-time key in flight with fresh entries: each refused with its code, every fresh one committed once")
    func refusalsAmongFreshEntries() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let first = try await world.citizen("R1", poll: poll)
            let accepted = try first.entry(.sign(nil))
            #expect(try await world.submit(accepted).status == .created)
            let shared = try await world.citizen("R2", poll: poll, oneTime: first.key)
            var fresh: [Entry] = []
            for resident in ["R3", "R4", "R5", "R7", "R8"] { fresh.append(try await world.citizen(resident, poll: poll).entry(.sign(nil))) }
            // The same exact entry three times more, one entry reusing R1's one-time key, five fresh entries: all at once.
            let entries = [accepted, accepted, accepted, try shared.entry(.sign(nil))] + fresh
            let codes = try await Self.submitAtOnce(entries, to: world)
            #expect(codes[0..<3].allSatisfy { $0 == "entry.replayed" })
            #expect(codes[3] == "entry.nullifier_reused")
            #expect(codes[4...].allSatisfy { $0 == nil })
            #expect(try await world.logSize(poll.id) == 3 + 1 + 5)  // definition, published, opened; R1's entry; the fresh ones
            let tally = try await world.tally(poll.id)
            #expect(tally.participants == 6)
            #expect(tally.entriesRecorded == 6)
            #expect(try await world.service.checkTally(poll.id).consistent)
        }
    }

    @Test("the append transaction refuses what bypasses the service's checks, and appends the rest")
    func observerRejection() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let shared = Ed25519.PrivateKey()
            let a = try await world.citizen("R1", poll: poll, oneTime: shared)
            let b = try await world.citizen("R2", poll: poll, oneTime: shared)
            #expect(try await world.submit(try a.entry(.sign(nil))).status == .created)
            // Straight to the log store, as a second process racing this one would: the
            // batch observer refuses the reused one-time key; the answer in the same batch commits.
            let time = world.clock.unix
            let reused = try LogRecord(recordedAt: time, body: .entry(try b.entry(.sign(nil)))).leafPayload()
            let answer = try LogRecord(recordedAt: time, body: .lifecycle(LifecycleEvent(kind: .answered(text: "ok", links: []), at: time)))
                .leafPayload()
            world.service.keeper.reset()  // and make the observer refold the tally from the database
            let store = world.service.store
            let refused = Task { try await store.append(logID: poll.id.bytes, payload: reused) }
            let accepted = Task { try await store.append(logID: poll.id.bytes, payload: answer) }
            await #expect(throws: ServiceError.nullifierReused) { _ = try await refused.value }
            let position = try await accepted.value.position
            #expect(position == 4)
            #expect(try await world.logSize(poll.id) == 5)
            // An entry after closing is refused by the tally inside the transaction.
            _ = try await world.service.close(poll.id)
            let r3 = try await world.citizen("R3", poll: poll)
            let late = try LogRecord(recordedAt: time, body: .entry(try r3.entry(.sign(nil)))).leafPayload()
            await #expect(throws: ServiceError.notOpen("")) { _ = try await world.service.store.append(logID: poll.id.bytes, payload: late) }
            #expect(try await world.logSize(poll.id) == 6)
            #expect(try await world.service.checkTally(poll.id).consistent)
        }
    }
}
