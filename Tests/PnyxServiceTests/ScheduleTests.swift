import Foundation
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
@testable import PnyxService
import Testing

@Suite("Automatic open and close (injected clock, two service processes, real PostgreSQL)")
struct ScheduleTests {
    /// The names of a poll's lifecycle records, in log order.
    func steps(_ world: PnyxWorld, _ id: PollID) async throws -> [String] {
        try await world.service.lifecycle(id).map(\.event.kind.name)
    }

    @Test("a published poll opens at its opening time and closes at its closing time, once, with two processes racing")
    func opensAndClosesOnce() async throws {
        try await PnyxWorld.with { world in
            // A second service process on the same database and clock.
            let other = try await PetitionService.start(configuration: world.service.configuration, now: { world.clock.now })
            do {
                let created = try await world.client.json(.post, "/v1/admin/polls", token: PnyxWorld.adminToken, body: world.petitionDraft())
                let id = try PollID(hex: try created.decode(PollViewBody.self).pollID)
                _ = try await world.service.publish(id)
                let definition = try await world.service.poll(id).definition

                // Before the opening time: nothing.
                #expect(try await world.service.runSchedule().isEmpty)
                #expect(try await other.runSchedule().isEmpty)
                #expect(try await world.service.poll(id).status == "published")

                // The opening time arrives: both processes run a round at once; one `opened` record.
                world.clock.advance(TimeInterval(definition.opensAt - world.clock.unix))
                async let first = world.service.runSchedule()
                async let second = other.runSchedule()
                let opened = try await first.count + second.count
                #expect(opened == 1)
                #expect(try await steps(world, id) == ["published", "opened"])
                world.service.invalidate(id)
                #expect(try await world.service.poll(id).status == "open")
                // Entries are accepted.
                let poll = try await world.service.poll(id)
                let voter = try await world.citizen("R1", poll: poll)
                #expect(try await world.submit(try voter.entry(.sign(nil))).status == .created)

                // One second before the closing time: still open.
                world.clock.advance(TimeInterval(definition.closesAt - world.clock.unix - 1))
                #expect(try await world.service.runSchedule().isEmpty)
                // The closing time passes: both race; one `closed` record.
                world.clock.advance(1)
                async let third = world.service.runSchedule()
                async let fourth = other.runSchedule()
                let closed = try await third.count + fourth.count
                #expect(closed == 1)
                #expect(try await steps(world, id) == ["published", "opened", "closed"])
                #expect(try await world.service.runSchedule().isEmpty)
                #expect(try await other.runSchedule().isEmpty)

                // A manual close afterwards is answered with the closed poll and logs nothing;
                // a manual open is refused (closed polls do not reopen).
                let size = try await world.logSize(id)
                let close = try await world.client.json(.post, "/v1/admin/polls/\(id.hex)/close", token: PnyxWorld.adminToken, body: Empty())
                #expect(close.status == .ok)
                #expect(try close.decode(PollViewBody.self).status == "closed")
                let reopen = try await world.client.json(.post, "/v1/admin/polls/\(id.hex)/open", token: PnyxWorld.adminToken, body: Empty())
                #expect(reopen.errorCode == "poll.invalid_state")
                #expect(try await world.logSize(id) == size)
                #expect(try await world.service.checkTally(id).consistent)
            } catch {
                await other.shutdown()
                throw error
            }
            await other.shutdown()
        }
    }

    @Test("manual and automatic steps race: one record each, whoever wins")
    func manualAndAutomaticRace() async throws {
        try await PnyxWorld.with { world in
            let other = try await PetitionService.start(configuration: world.service.configuration, now: { world.clock.now })
            do {
                let created = try await world.client.json(.post, "/v1/admin/polls", token: PnyxWorld.adminToken, body: world.petitionDraft())
                let id = try PollID(hex: try created.decode(PollViewBody.self).pollID)
                _ = try await world.service.publish(id)
                let definition = try await world.service.poll(id).definition
                // A published poll whose whole window has passed is opened then closed in one round.
                world.clock.advance(TimeInterval(definition.closesAt - world.clock.unix + 10))
                // The administrator's open either wins, finds the poll open, or (if the schedule
                // already closed it) is refused with poll.invalid_state.
                async let manual: Result<PollState, any Error> = { () async -> Result<PollState, any Error> in
                    do { return .success(try await world.service.open(id)) } catch { return .failure(error) }
                }()
                async let automatic = other.runSchedule()
                let (result, _) = try await (manual, automatic)
                switch result {
                case .success(let state): #expect(state.status == "open" || state.status == "closed")
                case .failure(let error): #expect((error as? ServiceError)?.code == .pollInvalidState, "\(error)")
                }
                _ = try await world.service.runSchedule()
                #expect(try await steps(world, id) == ["published", "opened", "closed"])
            } catch {
                await other.shutdown()
                throw error
            }
            await other.shutdown()
        }
    }

    @Test("the background task runs the rounds when an interval is configured")
    func backgroundTask() async throws {
        try await PnyxWorld.with { world in
            var configuration = world.service.configuration
            configuration.scheduleInterval = .milliseconds(20)
            let created = try await world.client.json(.post, "/v1/admin/polls", token: PnyxWorld.adminToken, body: world.petitionDraft())
            let id = try PollID(hex: try created.decode(PollViewBody.self).pollID)
            _ = try await world.service.publish(id)
            world.clock.advance(3601)
            let scheduled = try await PetitionService.start(configuration: configuration, now: { world.clock.now })
            // Wait (not a timing assertion: up to a minute, for a slow machine) for the task to open it.
            var steps: [String] = []
            for _ in 0..<600 {
                steps = try await self.steps(world, id)
                if steps.contains("opened") { break }
                try await Task.sleep(for: .milliseconds(100))
            }
            await scheduled.shutdown()
            #expect(steps == ["published", "opened"])
        }
    }
}
