import Foundation
import HummingbirdTesting
import PnyxCore
@testable import PnyxService
import Testing

/// A key directory that would enter the log at or after the opening time is refused, so no
/// poll is ever logged that fails its audit with `directory.late`.
@Suite("Publishing too late")
struct LatePublishTests {
    @Test("the broker answers in time but the service's clock has reached opensAt: refused, nothing logged")
    func directoryArrivingAtTheOpeningIsRefused() async throws {
        try await PnyxWorld.with { world in
            let created = try await world.client.json(.post, "/v1/admin/polls", token: PnyxWorld.adminToken, body: world.petitionDraft())
            let id = try PollID(hex: try created.decode(PollViewBody.self).pollID)
            let size = try await world.logSize(id)
            // A second service process on the same database whose clock is at the opening time
            // (the broker's is still an hour before it, so the broker accepts the registration).
            let late = try await PetitionService.start(
                configuration: world.service.configuration, now: { world.clock.now.addingTimeInterval(3600) })
            do {
                await #expect(throws: ServiceError.self) { _ = try await late.publish(id) }
                do { _ = try await late.publish(id) } catch let error as ServiceError {
                    #expect(error.code == .pollInvalidState)
                    #expect(error.reason.contains("directory.late"))
                }
                #expect(try await world.logSize(id) == size)
                #expect(try await world.service.poll(id).status == "draft")
                // In time, the same draft publishes.
                #expect(try await world.service.publish(id).status == "published")
            } catch {
                await late.shutdown()
                throw error
            }
            await late.shutdown()
        }
    }
}
