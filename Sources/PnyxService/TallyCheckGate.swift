import Foundation
import PnyxCore

/// Bounds the cost of the public `GET /v1/polls/{poll}/tally/check`, which refolds a poll's
/// whole log (seconds and ~100 bytes per credential on a poll of millions): per poll, one
/// check runs at a time (callers arriving meanwhile share its answer), and a finished check is
/// answered again for `interval` (its `logSize` says which state it checked) before a new one
/// may start. A failed check is not kept.
actor TallyCheckGate {
    private let interval: TimeInterval
    private let now: @Sendable () -> Date
    private var done: [PollID: (at: Date, check: TallyCheck)] = [:]
    private var running: [PollID: Task<TallyCheck, any Error>] = [:]
    /// Callers that were answered by a check another caller started (tests read it).
    private(set) var joined = 0

    init(interval: TimeInterval, now: @escaping @Sendable () -> Date) {
        self.interval = interval
        self.now = now
    }

    /// The latest check of `poll` if younger than the interval, else the running one, else a
    /// new one made by `make`.
    func check(_ poll: PollID, make: @escaping @Sendable () async throws -> TallyCheck) async throws -> TallyCheck {
        if let kept = done[poll], now().timeIntervalSince(kept.at) < interval { return kept.check }
        if let task = running[poll] {
            joined += 1
            return try await task.value
        }
        let task = Task { try await make() }
        running[poll] = task
        defer { running[poll] = nil }
        let check = try await task.value
        done[poll] = (now(), check)
        return check
    }
}
