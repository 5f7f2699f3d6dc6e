public import Foundation
public import Logging
public import PnyxCore
public import PnyxCrypto
public import PnyxHTTP
public import PnyxLogStore
public import PnyxPostgres
public import PnyxTransparency

/// The petition and ballot service, without HTTP: polls and their lifecycle, entries and
/// receipts, tallies, certificates. One log per poll (its id is the log id); every change
/// is a record appended to it, and everything derived (status, counts, nullifiers) is
/// written by the same transaction (``TallyKeeper``).
///
/// Safe to run in several processes on one database: appends are ordered by the log
/// store's per-log lock, and the derived rows are written under it.
public final class PetitionService: Sendable {
    /// The configuration it was built with.
    public let configuration: ServiceConfiguration
    /// The service database.
    public let pool: PostgresPool
    /// The poll logs.
    public let store: LogStore
    /// The broker it obtains key directories from.
    public let broker: any BrokerClient
    /// Signs checkpoints (the service key under its note name).
    public let signer: NoteSigner
    /// The background checkpointer (``start()`` / ``shutdown()``).
    public let checkpointer: Checkpointer
    let keeper: TallyKeeper
    let checkpoints: CheckpointCoalescer
    let polls = PollCache()
    let readCache: ReadCache
    /// The metrics its HTTP application serves at `GET /metrics` (``buildServiceRouter(service:metrics:)``).
    public let metrics = MetricsRegistry()
    let reservations = NullifierReservations()
    let cosignedNotes = CosignedNotes()
    let brokerKeyCache = BrokerKeyCache()
    let tallyChecks: TallyCheckGate
    let schedule = ScheduleTask()
    let logger: Logger
    /// The clock (tests move it).
    let now: @Sendable () -> Date

    /// A service over `pool` (which must reach the service's own database). Call
    /// ``migrate()`` before use and ``start()`` to run the background checkpointer.
    public init(configuration: ServiceConfiguration, pool: PostgresPool, broker: any BrokerClient,
                logger: Logger = Logger(label: "pnyx.service"), now: @escaping @Sendable () -> Date = { Date() }) throws {
        self.configuration = configuration
        self.pool = pool
        self.broker = broker
        self.logger = logger
        self.now = now
        self.signer = try configuration.noteSigner()
        let keeper = TallyKeeper(logger: logger)
        self.keeper = keeper
        self.store = LogStore(
            pool: pool, configuration: LogStore.Configuration(originPrefix: configuration.logOriginPrefix, observer: keeper),
            logger: logger)
        self.checkpointer = Checkpointer(store: store, signer: signer, interval: configuration.checkpointInterval)
        self.checkpoints = CheckpointCoalescer(store: store, signer: signer)
        self.readCache = ReadCache(refresh: configuration.readRefreshInterval)
        self.tallyChecks = TallyCheckGate(interval: configuration.tallyCheckInterval, now: now)
    }

    /// Applies the log store's and the service's migrations (idempotent).
    public func migrate() async throws {
        try await store.migrate()
        try await pool.migrate(ServiceSchema.migrations)
    }

    /// Starts the background checkpointer, and the automatic opening and closing of polls
    /// when ``ServiceConfiguration/scheduleInterval`` is set.
    public func start() {
        checkpointer.start()
        if let interval = configuration.scheduleInterval { schedule.start(self, every: interval) }
    }

    /// Stops the background tasks and closes the pool.
    public func shutdown() async {
        await schedule.stop()
        await checkpointer.stop()
        await pool.close()
    }

    /// The service's public key (it signs definitions, checkpoints, certificates).
    public var serviceKey: Ed25519.PublicKey { configuration.serviceKey.publicKey }

    /// The note verifier key of every poll's checkpoints.
    public var verifierKey: String { signer.verifier.verifierKey }

    /// The current time in Unix seconds.
    var currentTime: Int64 { Int64(now().timeIntervalSince1970.rounded(.down)) }

    // MARK: Polls

    /// The poll with `id`, or `poll.unknown`.
    public func poll(_ id: PollID) async throws -> PollState {
        if let cached = polls.get(id, now: now()) { return cached }
        let rows = try await pool.query(
            "SELECT status, definition, directory FROM service_polls WHERE poll_id = $1", [.bytea(id.bytes)])
        guard let row = rows.first else { throw ServiceError.unknownPoll(id.hex) }
        let state = try PollState(row: row)
        polls.put(state, now: now())
        return state
    }

    /// Every poll, newest first (at most `limit`).
    public func polls(limit: Int = 500) async throws -> [PollState] {
        let rows = try await pool.query(
            "SELECT status, definition, directory FROM service_polls ORDER BY created_at DESC, poll_id LIMIT $1",
            [.int64(Int64(limit))])
        return try rows.map(PollState.init(row:))
    }

    /// Forgets the cached state of `id` (after a lifecycle change).
    func invalidate(_ id: PollID) {
        polls.remove(id)
        readCache.forget(id)
    }

    /// The broker's key (fetched once).
    func brokerKey() async throws -> Ed25519.PublicKey {
        if let key = brokerKeyCache.key { return key }
        let key = try await broker.brokerKey()
        brokerKeyCache.key = key
        return key
    }

    /// Appends `record` to the poll's log and returns the log receipt after the commit.
    func append(_ record: LogRecord, to id: PollID) async throws -> LogReceipt {
        let payload = try record.leafPayload()
        do {
            return try await store.append(logID: id.bytes, payload: payload)
        } catch let error as LogStoreError where error.code == .unknownLog {
            throw ServiceError.unknownPoll(id.hex)
        }
    }
}

/// A poll as the service holds it: the signed definition (entry 0), the key directory once
/// published, and the status derived from its log.
public struct PollState: Sendable {
    /// `draft`, `rejected`, `published`, `open` or `closed`.
    public let status: String
    public let signed: SignedPollDefinition
    public let directory: SignedKeyDirectory?

    public var definition: PollDefinition { signed.definition }
    public var id: PollID { signed.definition.pollID }

    init(status: String, signed: SignedPollDefinition, directory: SignedKeyDirectory?) {
        self.status = status
        self.signed = signed
        self.directory = directory
    }

    init(row: PostgresRow) throws {
        status = try row.decode(String.self, at: 0)
        signed = try SignedPollDefinition(canonicalBytes: try row.decode([UInt8].self, at: 1))
        let directoryBytes = try row.decode([UInt8]?.self, at: 2)
        directory = try directoryBytes.map { try SignedKeyDirectory(canonicalBytes: $0) }
    }
}

/// Poll states cached for one second (closed polls for good: nothing changes them but
/// answers and certificates, which are not part of the state).
final class PollCache: @unchecked Sendable {
    private let lock = NSLock()
    private var states: [PollID: (state: PollState, at: Date)] = [:]

    func get(_ id: PollID, now: Date) -> PollState? {
        lock.withLock {
            guard let cached = states[id] else { return nil }
            if cached.state.status == "closed" || now.timeIntervalSince(cached.at) < 1 { return cached.state }
            return nil
        }
    }

    func put(_ state: PollState, now: Date) { lock.withLock { states[state.id] = (state, now) } }
    func remove(_ id: PollID) { _ = lock.withLock { states.removeValue(forKey: id) } }
}

/// The broker key, once fetched.
final class BrokerKeyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Ed25519.PublicKey?
    var key: Ed25519.PublicKey? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
