import Foundation

/// Per-key token buckets (login and enrolment attempts per client address): `rate` tokens
/// per second up to `burst`. In memory, per process: a coarse first line of defence in
/// front of the per-resident lockout kept in the database.
final class RateLimiter: @unchecked Sendable {
    private let rate: Double
    private let burst: Double
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: Date)] = [:]

    init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = burst
    }

    /// Takes one token for `key`; throws `auth.rate_limited` with a retry delay when empty.
    func take(_ key: String, now: Date = Date()) throws(BrokerError) {
        let wait: Double? = lock.withLock {
            if buckets.count > 100_000 { buckets.removeAll() }
            var bucket = buckets[key] ?? (burst, now)
            bucket.tokens = min(burst, bucket.tokens + now.timeIntervalSince(bucket.at) * rate)
            bucket.at = now
            defer { buckets[key] = bucket }
            guard bucket.tokens >= 1 else { return (1 - bucket.tokens) / max(rate, 0.001) }
            bucket.tokens -= 1
            return nil
        }
        if let wait {
            let seconds = max(1, Int(wait.rounded(.up)))
            throw BrokerError(.rateLimited, "too many attempts from your address; retry in \(seconds) s", retryAfter: seconds)
        }
    }
}
