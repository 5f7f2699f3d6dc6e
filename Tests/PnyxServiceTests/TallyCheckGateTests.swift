import Foundation
import PnyxCore
@testable import PnyxService
import PnyxTestSupport
import Testing

/// The public tally check refolds a whole log: the gate runs one per poll at a time and
/// answers a finished one again for its interval.
@Suite("TallyCheckGate")
struct TallyCheckGateTests {
    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func next() -> Int { lock.withLock { value += 1; return value } }
        var count: Int { lock.withLock { value } }
    }

    static func check(size: Int64) -> TallyCheck {
        let summary = Tally().summary
        return TallyCheck(consistent: true, stateConsistent: true, contributionsChecked: 0, contributionMismatches: 0,
                          logSize: size, stored: summary, recomputed: summary)
    }

    @Test("a finished check is answered again within the interval, and recomputed after it")
    func interval() async throws {
        let clock = TestClock()
        let gate = TallyCheckGate(interval: 60, now: { clock.now })
        let poll = PollID.random(), other = PollID.random()
        let runs = Counter()
        let make: @Sendable () async throws -> TallyCheck = { Self.check(size: Int64(runs.next())) }
        #expect(try await gate.check(poll, make: make).logSize == 1)
        clock.advance(59)
        #expect(try await gate.check(poll, make: make).logSize == 1)
        #expect(try await gate.check(other, make: make).logSize == 2)  // per poll
        clock.advance(2)
        #expect(try await gate.check(poll, make: make).logSize == 3)
        #expect(runs.count == 3)
    }

    @Test("concurrent callers share one running check")
    func singleFlight() async throws {
        let gate = TallyCheckGate(interval: 0, now: { Date() })
        let poll = PollID.random()
        let runs = Counter()
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let make: @Sendable () async throws -> TallyCheck = {
            let run = runs.next()
            for await _ in release { break }  // holds the check until the test lets it finish
            return Self.check(size: Int64(run))
        }
        let sizes = try await withThrowingTaskGroup(of: Int64.self) { group in
            group.addTask { try await gate.check(poll, make: make).logSize }
            while runs.count == 0 { await Task.yield() }
            for _ in 0..<19 { group.addTask { try await gate.check(poll, make: make).logSize } }
            while await gate.joined < 19 { await Task.yield() }
            releaser.yield()
            return try await group.reduce(into: [Int64]()) { $0.append($1) }
        }
        #expect(runs.count == 1)
        #expect(sizes == [Int64](repeating: 1, count: 20))
    }

    @Test("a failed check is not kept: the next caller runs a new one")
    func failure() async throws {
        struct Boom: Error {}
        let gate = TallyCheckGate(interval: 60, now: { Date() })
        let poll = PollID.random()
        await #expect(throws: Boom.self) { try await gate.check(poll) { throw Boom() } }
        #expect(try await gate.check(poll) { Self.check(size: 7) }.logSize == 7)
    }
}
