import Foundation
public import PnyxCore
import PnyxHTTP

/// The crowd's reads served from memory: prepared responses (body + ETag,
/// ``PnyxHTTP/CachedRepresentation``) of each poll's page data, counts and latest checkpoint,
/// and of its tiles, so that readers never wait for PostgreSQL while a copy exists.
///
/// **Refreshed copies** (page data, counts, latest checkpoint): a copy is made by reading the
/// database (the counts are the row the append transaction writes, never a separate counter),
/// so appends by any process on the database are seen. Once a copy is ``interval`` old, the
/// next reader starts one refresh for that key (single flight: at most one per key at a time,
/// so at most one per key and ``interval``) and, like every reader meanwhile, gets the current
/// copy. A copy's age counts from the moment its refresh *started* reading. So a reader gets
/// data at most ``interval`` plus one refresh's duration old; past ``maxStale`` (the database
/// is slow or down) readers wait for the refresh instead and see its error, if any. Only the
/// first reader of a key (or one after ``forget(_:)``) waits for the database; readers arriving
/// while it loads wait for that same load.
///
/// **Tiles** (full or partial: a tile path always names the same bytes) are kept until the
/// cache is full.
///
/// Bounded: past ``capacity`` keys or ``byteBudget`` bytes it starts over. Errors are never
/// kept (an unknown poll costs a query each time, as before). Writers never read through it.
final class ReadCache: @unchecked Sendable {
    /// What a key holds.
    enum Kind: UInt8, Hashable, Sendable {
        case page, tally, checkpoint, tile
    }

    struct Key: Hashable, Sendable {
        let kind: Kind
        let poll: PollID
        let detail: String
    }

    typealias Maker = @Sendable () async throws -> CachedRepresentation

    private final class Slot: @unchecked Sendable {
        var value: CachedRepresentation?
        /// Clock reading when the refresh that made ``value`` started.
        var madeAt: UInt64 = 0
        var loading: Task<CachedRepresentation, any Error>?
        let make: Maker
        init(make: @escaping Maker) { self.make = make }
    }

    /// Nanoseconds after which a copy is refreshed (nil: nothing is cached, every read goes to
    /// the database).
    let interval: UInt64?
    /// Nanoseconds after which a copy is no longer served while its refresh runs.
    let maxStale: UInt64
    /// The most keys kept at once.
    let capacity: Int
    /// The most body bytes kept at once.
    let byteBudget: Int

    private let lock = NSLock()
    // Guarded by `lock`.
    private var slots: [Key: Slot] = [:]
    private var bytesKept = 0
    private var clockOffset: UInt64 = 0

    /// A cache refreshing copies every `refresh` (nil: no cache).
    init(refresh: Duration?, capacity: Int = 4096, byteBudget: Int = 64 << 20) {
        interval = refresh.map { Self.nanoseconds($0) }
        maxStale = (interval ?? 0) &+ 2_000_000_000
        self.capacity = capacity
        self.byteBudget = byteBudget
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
    }

    /// True when copies are kept.
    var isEnabled: Bool { interval != nil }

    /// The cache's monotonic clock (nanoseconds).
    private func clock() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds &+ lock.withLock { clockOffset }
    }

    /// Moves the cache's clock forward (tests: make every copy due for a refresh without waiting).
    func advanceClock(by duration: Duration) {
        lock.withLock { clockOffset &+= Self.nanoseconds(duration) }
    }

    /// The copy under `key`, made by `make` when there is none (or it is older than
    /// ``maxStale``). Refreshed keys (not tiles) start a background refresh once due.
    func read(_ key: Key, make: @escaping Maker) async throws -> CachedRepresentation {
        guard let interval else { return try await make() }
        let refreshAfter = key.kind == .tile ? UInt64.max : interval
        let staleAfter = key.kind == .tile ? UInt64.max : maxStale
        let now = clock()
        let (value, loading): (CachedRepresentation?, Task<CachedRepresentation, any Error>?) = lock.withLock {
            let slot: Slot
            if let existing = slots[key] {
                slot = existing
            } else {
                if slots.count >= capacity { dropAll() }
                slot = Slot(make: make)
                slots[key] = slot
            }
            if let value = slot.value, now &- slot.madeAt < staleAfter {
                if now &- slot.madeAt >= refreshAfter, slot.loading == nil { slot.loading = load(slot, key) }
                return (value, nil)
            }
            if slot.loading == nil { slot.loading = load(slot, key) }
            return (nil, slot.loading)
        }
        if let value { return value }
        return try await loading!.value
    }

    /// The copy under `key` if there is a servable one (not past ``maxStale``), without
    /// waiting; starts its refresh when due, as ``read(_:make:)`` does (``CrowdFastPath``).
    func peek(_ key: Key) -> CachedRepresentation? {
        guard let interval else { return nil }
        let refreshAfter = key.kind == .tile ? UInt64.max : interval
        let staleAfter = key.kind == .tile ? UInt64.max : maxStale
        let now = clock()
        return lock.withLock {
            guard let slot = slots[key], let value = slot.value, now &- slot.madeAt < staleAfter else { return nil }
            if now &- slot.madeAt >= refreshAfter, slot.loading == nil { slot.loading = load(slot, key) }
            return value
        }
    }

    /// Starts loading `slot` (under `lock`).
    private func load(_ slot: Slot, _ key: Key) -> Task<CachedRepresentation, any Error> {
        let started = DispatchTime.now().uptimeNanoseconds &+ clockOffset
        return Task {
            do {
                let value = try await slot.make()
                lock.withLock {
                    if slots[key] === slot {
                        bytesKept += value.body.readableBytes - (slot.value?.body.readableBytes ?? 0)
                        if bytesKept > byteBudget { dropAll() }
                    }
                    slot.value = value
                    slot.madeAt = started
                    slot.loading = nil
                }
                return value
            } catch {
                lock.withLock {
                    slot.loading = nil
                    // Nothing to serve: forget the key (unknown polls must not fill the cache).
                    if slot.value == nil, slots[key] === slot { slots[key] = nil }
                }
                throw error
            }
        }
    }

    /// Forgets everything (under `lock`).
    private func dropAll() {
        slots.removeAll(keepingCapacity: true)
        bytesKept = 0
    }

    /// Forgets every copy of `poll` (after a lifecycle change in this process): its next
    /// readers wait for fresh data.
    func forget(_ poll: PollID) {
        lock.withLock {
            for (key, slot) in slots where key.poll == poll {
                bytesKept -= slot.value?.body.readableBytes ?? 0
                slots[key] = nil
            }
        }
    }

    /// Refreshes every refreshed copy of `poll` now and waits for it (tests; administration).
    func refresh(_ poll: PollID) async throws {
        let due: [(Key, Slot)] = lock.withLock { slots.filter { $0.key.poll == poll && $0.key.kind != .tile }.map { ($0.key, $0.value) } }
        for (key, slot) in due {
            if let running = lock.withLock({ slot.loading }) { _ = try? await running.value }
            let task = lock.withLock {
                let task = load(slot, key)
                slot.loading = task
                return task
            }
            _ = try await task.value
        }
    }

    /// Waits until no refresh is running (tests).
    func idle() async {
        while true {
            let running = lock.withLock { slots.values.compactMap(\.loading) }
            if running.isEmpty { return }
            for task in running { _ = try? await task.value }
        }
    }
}

extension PetitionService {
    /// A public read of poll `id` through ``readCache``.
    func cachedRead(
        _ kind: ReadCache.Kind, _ id: PollID, _ detail: String = "", contentType: String = "application/json; charset=utf-8",
        make: @escaping @Sendable () async throws -> [UInt8]
    ) async throws -> CachedRepresentation {
        try await readCache.read(ReadCache.Key(kind: kind, poll: id, detail: detail)) {
            CachedRepresentation(try await make(), contentType: contentType)
        }
    }

    /// Refreshes the cached page data, counts and latest checkpoint of `id` now (instead of
    /// at their next due read), and waits for it.
    public func refreshReads(_ id: PollID) async throws {
        try await readCache.refresh(id)
    }
}

extension PetitionService {
    /// `Cache-Control` of the page data and counts: `max-age` of the refresh interval rounded
    /// up to a second (2 s when nothing is cached, as before).
    var crowdPolicy: CachePolicy {
        guard let interval = readCache.interval else { return .maxAge(seconds: 2) }
        return .maxAge(seconds: max(1, Int((interval + 999_999_999) / 1_000_000_000)))
    }
}
