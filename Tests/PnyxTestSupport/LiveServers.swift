import Foundation
public import Hummingbird
public import HummingbirdTesting
public import PnyxBroker
public import PnyxCrypto
import PnyxPostgres
public import PnyxService

/// A real broker and a real service, both live on loopback sockets (ephemeral ports), each
/// with its own database on the shared private PostgreSQL cluster, sharing one ``TestClock``:
/// the world the integration tests of the client, the pages, the browser and the auditor run
/// in. Everything is stopped when the body returns or throws.
public struct LiveServers: Sendable {
    /// What varies between test suites.
    public struct Options: Sendable {
        public var areasCSV = TestRegister.areasCSV
        public var residentsCSV = TestRegister.residentsCSV()
        /// The broker's k-anonymity threshold (1: no merging, so classes are predictable).
        public var k = 1
        public var brokerAdminToken = "broker-admin-token-0123456789"
        /// Whether the broker listens on 127.0.0.1 explicitly (else its default host).
        public var brokerHost: String? = "127.0.0.1"
        /// Adjusts the service's configuration (tokens, keys, limits, witnesses).
        public var configureService: @Sendable (inout ServiceConfiguration) -> Void = { _ in }
        /// The service's router (the API alone, or with the pages).
        public var router: @Sendable (PetitionService) -> Router<BasicRequestContext> = { buildServiceRouter(service: $0) }

        public init() {}
    }

    public let clock: TestClock
    public let broker: Broker
    public let brokerClient: any TestClientProtocol
    public let service: PetitionService
    public let client: any TestClientProtocol
    /// The service's Ed25519 key (its checkpoint and certificate key).
    public let serviceKey: Ed25519.PrivateKey

    /// The broker's root URL, `http://127.0.0.1:<port>`.
    public var brokerURL: String { "http://127.0.0.1:\(brokerClient.port!)" }
    /// The service's root URL, `http://127.0.0.1:<port>`.
    public var serviceURL: String { "http://127.0.0.1:\(client.port!)" }

    /// Starts both servers with `options`, runs `body`, stops everything.
    public static func run(_ options: Options = Options(), _ body: @Sendable (LiveServers) async throws -> Void) async throws {
        let clock = TestClock()
        let cluster = try await PrivateCluster.sharedTemporary()
        let brokerDatabase = try await cluster.createDatabase()
        let serviceDatabase = try await cluster.createDatabase()
        let serviceKey = Ed25519.PrivateKey()
        var brokerConfiguration = try TestServers.brokerConfiguration(
            adminToken: options.brokerAdminToken, databaseURL: brokerDatabase, trusting: serviceKey.publicKey, k: options.k)
        if let host = options.brokerHost { brokerConfiguration.host = host }
        try await TestServers.withBroker(brokerConfiguration, now: { clock.now }) { broker in
            _ = try await broker.residents.importRegister(areasCSV: options.areasCSV, residentsCSV: options.residentsCSV)
            try await buildBrokerApplication(broker: broker).testLive { brokerClient in
                var configuration = ServiceConfiguration(
                    databaseURL: serviceDatabase, brokerURL: "http://127.0.0.1:\(brokerClient.port!)", serviceKey: serviceKey,
                    keyName: "service.pnyx.test", logOriginPrefix: "pnyx.test/poll/", checkpointInterval: .seconds(3600),
                    bodyLimit: 65_536, poolSize: 4, port: 0)
                options.configureService(&configuration)
                try await TestServers.withService(configuration, now: { clock.now }) { service in
                    let app = Application(
                        router: options.router(service),
                        configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "pnyx-service"))
                    try await app.testLive { client in
                        try await body(LiveServers(clock: clock, broker: broker, brokerClient: brokerClient, service: service,
                                                   client: client, serviceKey: serviceKey))
                    }
                }
            }
        }
    }
}
