import Foundation
import PnyxCore

/// Short-lived copies of the public read responses (poll page data, counts, latest
/// checkpoint, tiles), so a crowd of readers costs the database one query per key and
/// lifetime instead of one per request.
///
/// A copy is served only while it is younger than its lifetime (kept below the `max-age` the
/// response announces) and no append committed by this process since it was made: a client
/// whose own append returned always reads data that includes it, and a reader never gets
/// data older than the HTTP caching headers already allow a proxy to serve (appends by other
/// processes show within the lifetime). Writers never read through it (receipts, proofs for a
/// size, administration answers are computed each time). The cache is bounded: past
/// ``capacity`` keys it starts over.
final class ReadCache: @unchecked Sendable {
    private struct Copy {
        let bytes: [UInt8]
        let expires: UInt64
        /// The locally committed log size when the copy was started.
        let size: Int64
    }

    /// The most keys kept at once.
    let capacity: Int
    private let lock = NSLock()
    // Guarded by `lock`.
    private var copies: [String: Copy] = [:]

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// The bytes cached under `kind` and `poll` (and `detail`), or `make()`'s answer, kept
    /// for `lifetime` seconds while `committedSize` (the log size this process last committed,
    /// ``PnyxLogStore/LogStore/locallyCommittedSize(logID:)``) stays what it was when the copy
    /// was started. Errors are not cached.
    func bytes(
        _ kind: String, _ poll: PollID, _ detail: String = "", lifetime: Double,
        committedSize: () -> Int64?, make: () async throws -> [UInt8]
    ) async throws -> [UInt8] {
        let key = kind + "/" + poll.hex + "/" + detail
        let size = committedSize() ?? -1
        let now = DispatchTime.now().uptimeNanoseconds
        if let copy = lock.withLock({ copies[key] }), copy.expires > now, copy.size >= size { return copy.bytes }
        let bytes = try await make()
        let expires = DispatchTime.now().uptimeNanoseconds + UInt64(lifetime * 1e9)
        lock.withLock {
            if copies.count >= capacity { copies.removeAll(keepingCapacity: true) }
            copies[key] = Copy(bytes: bytes, expires: expires, size: size)
        }
        return bytes
    }

    /// Forgets every copy of `poll` (after a lifecycle change in this process).
    func forget(_ poll: PollID) {
        let marker = "/" + poll.hex + "/"
        lock.withLock { copies = copies.filter { !$0.key.contains(marker) } }
    }
}

extension PetitionService {
    /// A public read of poll `id` through ``readCache``, fresh after every append this
    /// process committed to the poll.
    func cachedRead(
        _ kind: String, _ id: PollID, _ detail: String = "", lifetime: Double, make: () async throws -> [UInt8]
    ) async throws -> [UInt8] {
        try await readCache.bytes(
            kind, id, detail, lifetime: lifetime, committedSize: { store.locallyCommittedSize(logID: id.bytes) }, make: make)
    }
}
