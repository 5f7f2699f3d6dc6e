public import Foundation
public import Logging
public import PnyxCore
public import PnyxCrypto
public import PnyxHTTP
import PnyxLogStore
public import PnyxPostgres

/// The identity broker: the trusted third party that knows residents and vouches for their
/// coarse attributes with RFC 9474 blind signatures, one credential per person per poll,
/// without ever seeing what it signs. This type wires the stores together; the HTTP API is
/// built by ``buildBrokerApplication(broker:)``.
public final class Broker: Sendable {
    public let configuration: BrokerConfiguration
    /// The broker's own database.
    public let pool: PostgresPool
    /// A second, small pool for the issuance register's log store.
    public let logPool: PostgresPool
    public let residents: ResidentStore
    public let enrolment: EnrolmentStore
    public let polls: PollKeyStore
    public let issuance: IssuanceStore
    public let register: IssuanceRegister
    /// Domain counters; their registry also holds the HTTP counters served at `/metrics`.
    public let metrics: BrokerMetrics
    let pseudonyms: Pseudonyms
    let logger: Logger
    let now: @Sendable () -> Date

    /// Connects, applies the migrations (broker and log store), loads or creates the
    /// pseudonym secret, and records any issuance a crash left out of its register.
    /// `now` is injectable for tests; `metrics` is the registry served at `/metrics`.
    public static func start(
        configuration: BrokerConfiguration, logger: Logger = Logger(label: "pnyx.broker"),
        metrics: MetricsRegistry = MetricsRegistry(), now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> Broker {
        let pool = PostgresPool(url: configuration.databaseURL, size: configuration.databasePoolSize, logger: logger)
        let logPool = PostgresPool(url: configuration.databaseURL, size: 2, logger: logger)
        try await pool.migrate(BrokerSchema.migrations)
        let writer = IssuanceRegisterWriter()
        let store = LogStore(
            pool: logPool, configuration: .init(originPrefix: configuration.logOriginPrefix, observer: writer), logger: logger)
        try await store.migrate()
        let secret: [UInt8]
        if let configured = configuration.pseudonymSecret {
            secret = configured
        } else {
            try await pool.execute(
                "INSERT INTO broker_secrets (name, value) VALUES ('pseudonym', $1) ON CONFLICT (name) DO NOTHING",
                [.bytea(SystemRandom().bytes(32))])
            secret = try await pool.query("SELECT value FROM broker_secrets WHERE name = 'pseudonym'").scalar([UInt8].self)
        }
        let broker = Broker(configuration: configuration, pool: pool, logPool: logPool, store: store, writer: writer,
                            secret: secret, metrics: BrokerMetrics(registry: metrics), logger: logger, now: now)
        let recovered = try await broker.issuance.recoverRegister()
        if recovered > 0 { logger.notice("recorded issuances missing from their registers", metadata: ["count": "\(recovered)"]) }
        return broker
    }

    private init(configuration: BrokerConfiguration, pool: PostgresPool, logPool: PostgresPool, store: LogStore,
                 writer: IssuanceRegisterWriter, secret: [UInt8], metrics: BrokerMetrics, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.configuration = configuration
        self.pool = pool
        self.logPool = logPool
        self.logger = logger
        self.now = now
        self.metrics = metrics
        self.pseudonyms = Pseudonyms(secret: secret)
        self.residents = ResidentStore(pool: pool, metrics: metrics)
        self.enrolment = EnrolmentStore(pool: pool, configuration: configuration, metrics: metrics, now: now)
        self.register = IssuanceRegister(
            store: store, signer: configuration.signer, originPrefix: configuration.logOriginPrefix, writer: writer)
        self.polls = PollKeyStore(pool: pool, configuration: configuration, residents: residents, register: register, now: now)
        self.issuance = IssuanceStore(pool: pool, lookups: IssuanceLookupBatcher(pool: pool, metrics: metrics), keys: polls, register: register, pseudonyms: pseudonyms, metrics: metrics, now: now)
    }

    /// The broker's Ed25519 public key (directories, name attestations, register checkpoints).
    public var publicKey: Ed25519.PublicKey { configuration.signer.publicKey }

    /// Attests the resident's partial name "Given F." for `oneTimeKey` in a poll that allows
    /// partial names (`issuance.names_not_allowed`), for an eligible resident
    /// (`issuance.ineligible`) while the poll is not closed (`poll.closed`). Once per resident
    /// and poll: a retry with the same key gets the same attestation (Ed25519 is
    /// deterministic), another key is `issuance.name_already_attested`.
    public func attestName(residentID: String, pollID: PollID, oneTimeKey: Ed25519.PublicKey) async throws
        -> (attestation: NameAttestation, signature: [UInt8])
    {
        let set = try await polls.keySet(pollID: pollID)!
        guard now() < set.closesAt else { throw BrokerError(.pollClosed, "poll \(pollID) is closed") }
        guard set.definition.allowPartialNames else {
            throw BrokerError(.namesNotAllowed, "poll \(pollID) does not show partial names")
        }
        _ = try await issuance.memberClass(residentID: residentID, pollID: pollID)
        guard let resident = try await residents.resident(id: residentID)?.resident else {
            throw BrokerError(.ineligible, "you are no longer in the register")
        }
        let attestation = NameAttestation(pollID: pollID, oneTimeKey: oneTimeKey, partialName: resident.partialName)
        guard NameAttestation.isWellFormed(attestation.partialName) else {
            throw BrokerError(.namesNotAllowed, "your registered name cannot be shown as \"Given F.\"")
        }
        let tag = pseudonyms.keyTag(pollID: pollID, oneTimeKey: oneTimeKey.rawRepresentation)
        // Insert, or read the tag stored by an earlier attestation (the no-op update returns it).
        let stored = try await pool.query(
            """
            INSERT INTO broker_name_attestations (poll_id, resident_id, key_tag, attested_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (poll_id, resident_id) DO UPDATE SET poll_id = broker_name_attestations.poll_id
            RETURNING key_tag
            """, [.bytea(pollID.bytes), .text(residentID), .bytea(tag), .timestamp(now())]
        ).scalar([UInt8].self)
        guard ConstantTime.equals(stored, tag) else {
            throw BrokerError(.nameAlreadyAttested,
                "your name was already attested for this poll, for another one-time key; use the entry key you used then")
        }
        return (attestation, attestation.sign(with: configuration.signer.privateKey))
    }

    /// Closes both pools.
    public func shutdown() async {
        await pool.close()
        await logPool.close()
    }
}
