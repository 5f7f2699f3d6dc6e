import Foundation

/// Runs CPU-heavy work (RSA key generation, Argon2id) on a fresh thread instead of the
/// Swift concurrency cooperative pool, so slow hashing never starves request handling.
func offloaded<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            continuation.resume(with: Result { try body() })
        }
        thread.stackSize = 1 << 20
        thread.start()
    }
}
