public import Foundation

/// A settable clock shared by the broker, the service and the test (poll windows, sessions,
/// schedules): starts at the real time and moves only when the test says so.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()

    public init() {}

    /// The current instant.
    public var now: Date { lock.withLock { current } }
    /// The current instant in Unix seconds.
    public var unix: Int64 { Int64(now.timeIntervalSince1970) }
    /// Moves the clock forward (or back, with a negative value).
    public func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}
