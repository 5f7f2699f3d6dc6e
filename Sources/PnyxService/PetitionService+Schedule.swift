import Foundation
public import PnyxCore

extension PetitionService {
    /// One round of automatic lifecycle steps at the service's clock: every published poll
    /// whose opening time has come is opened, every open poll whose closing time has passed
    /// is closed (a published poll whose whole window has passed is opened and closed), each
    /// logged as the same lifecycle record an administrator's step makes.
    ///
    /// Safe with several processes: each step is an append, and the append transaction
    /// refuses a step out of order (``TallyKeeper`` folds it into the tally under the log's
    /// lock), so when two processes race to close a poll one `closed` record is logged and
    /// the other process gets `poll.invalid_state`, which this round ignores.
    /// Returns the steps this process logged.
    @discardableResult
    public func runSchedule() async throws -> [(pollID: PollID, step: LifecycleEvent.Kind)] {
        let rows = try await pool.query(
            "SELECT status, definition, directory FROM service_polls WHERE status IN ('published', 'open') ORDER BY poll_id")
        var done: [(pollID: PollID, step: LifecycleEvent.Kind)] = []
        for row in rows {
            let state = try PollState(row: row)
            let time = currentTime
            var status = state.status
            if status == "published" && time >= state.definition.opensAt {
                if try await scheduled(.opened, state.id) { done.append((state.id, .opened)) }
                status = "open"
            }
            if status == "open" && time >= state.definition.closesAt {
                if try await scheduled(.closed, state.id) { done.append((state.id, .closed)) }
            }
        }
        return done
    }

    /// Appends `step`; false when another process logged it first (or the poll moved on).
    private func scheduled(_ step: LifecycleEvent.Kind, _ id: PollID) async throws -> Bool {
        do {
            _ = try await appendLifecycle(step, to: id)
            logger.info("poll \(step.name) by the schedule", metadata: ["poll": "\(id)"])
            return true
        } catch let error as ServiceError where error.code == .pollInvalidState {
            return false
        }
    }
}

/// The background task running ``PetitionService/runSchedule()`` every
/// ``ServiceConfiguration/scheduleInterval``.
final class ScheduleTask: @unchecked Sendable {
    private let lock = NSLock()
    private var task: Task<Void, Never>?

    func start(_ service: PetitionService, every interval: Duration) {
        lock.withLock {
            guard task == nil else { return }
            task = Task { [weak service] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    guard let service, !Task.isCancelled else { return }
                    do { try await service.runSchedule() } catch {
                        service.logger.warning("automatic open/close round failed", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    func stop() async {
        let running = lock.withLock { () -> Task<Void, Never>? in
            defer { task = nil }
            return task
        }
        running?.cancel()
        await running?.value
    }
}
