public import Hummingbird
public import NIOCore
import Logging
import PnyxHTTP
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

/// Builds the broker's HTTP application over a started ``Broker`` (the thin `main` starts
/// the broker, calls this and runs the result). Tests run the same application in-process
/// with HummingbirdTesting.
///
/// Routes (JSON; errors are `{"error":{"code","reason"}}`):
/// - admin, `Authorization: Bearer <admin token>`: `POST /v1/admin/register`,
///   `POST /v1/admin/enrolment-codes`;
/// - service, authenticated by the poll definition's signature: `POST /v1/polls`;
/// - public: `GET /v1/broker`, `GET /v1/polls/{poll}/directory`, `GET /v1/polls/{poll}/register`,
///   `GET /v1/polls/{poll}/register/entries`;
/// - residents: `POST /v1/enrol`, `POST /v1/login`, `POST /v1/logout`, and with
///   `Authorization: Bearer <session token>`: `GET /v1/me`, `GET /v1/me/issuances`,
///   `GET /v1/polls/{poll}/class`, `POST /v1/polls/{poll}/credential`,
///   `POST /v1/polls/{poll}/name-attestation`.
/// - every route answers CORS (any origin, bearer tokens only) for the citizen web pages;
/// - operations: `GET /healthz` and `GET /metrics` (Prometheus text format, ``BrokerMetrics``
///   and the HTTP counters), both at the root.
///
/// Residents' `POST /v1/polls/{poll}/credential` (without query string or `Origin` header) is
/// answered before the router, on the connection's event loop, by a ``PnyxHTTP/FastRouteHandler``
/// with ``CredentialResponder``, whose answers and metrics are the router's (plus
/// `pnyx_http_fast_credentials_total`); `credentialFastPath: false` leaves it to the router
/// (for comparisons: tests, benchmarks). `address` defaults to the configuration's host and
/// port; `onServerRunning` is called with the listening channel (benchmarks read its port).
public func buildBrokerApplication(
    broker: Broker, address: BindAddress? = nil, credentialFastPath: Bool = true,
    onServerRunning: @escaping @Sendable (any NIOCore.Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let router = buildBrokerRouter(broker: broker)
    let serverName = "pnyx-broker"
    let credentials = CredentialResponder(broker: broker, serverName: serverName)
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: credentialFastPath
            ? [FastRouteHandler(responder: credentials)] : [])),
        configuration: .init(address: address ?? .hostname(broker.configuration.host, port: broker.configuration.port),
                             serverName: serverName),
        onServerRunning: onServerRunning,
        logger: broker.logger)
}

/// The router alone (for embedding the broker's routes elsewhere).
public func buildBrokerRouter(broker: Broker) -> Router<BrokerRequestContext> {
    let router = Router(context: BrokerRequestContext.self)
    router.addMetrics(registry: broker.metrics.registry)
    router.add(middleware: brokerCORSMiddleware)
    router.add(middleware: APIErrorMiddleware(mappers: [brokerErrorMapper]))
    let routes = BrokerRoutes(broker: broker)
    let v1 = router.group("v1")
    routes.addAdminRoutes(to: v1.group("admin"))
    routes.addPollRoutes(to: v1)
    routes.addEnrolmentRoutes(to: v1)
    routes.addIssuanceRoutes(to: v1)
    routes.addRegisterRoutes(to: v1)
    routes.addCitizenRoutes(to: v1)
    router.addHealthRoute(pool: broker.pool)
    return router
}

/// Maps the errors of modules PnyxHTTP does not know: PostgreSQL (unique violations are
/// conflicts; connection trouble is 503), log store and transparency errors (500).
let brokerErrorMapper: APIErrorMapper = { error in
    if let error = error as? PostgresError {
        switch error.code {
        case .connectionFailed, .connectionLost, .poolClosed:
            return APIError(.serviceUnavailable, code: error.code.rawValue, reason: "the database is unavailable; retry later")
        case .serializationFailure, .deadlockDetected:
            return APIError(.serviceUnavailable, code: error.code.rawValue, reason: "concurrent update; retry")
        default:
            return APIError(.internalServerError, code: "internal", reason: "an internal error occurred; it was logged")
        }
    }
    if error is LogStoreError || error is TransparencyError {
        return APIError(.internalServerError, code: "internal", reason: "an internal error occurred; it was logged")
    }
    return nil
}

/// The handlers, grouped by concern in `BrokerRoutes+*.swift`.
struct BrokerRoutes: Sendable {
    let broker: Broker
    let limiter: RateLimiter

    init(broker: Broker) {
        self.broker = broker
        self.limiter = RateLimiter(rate: broker.configuration.ratePerSecond, burst: broker.configuration.rateBurst)
    }

    var bodyLimit: Int { broker.configuration.maximumBodyBytes }

    /// The session of the request's bearer token.
    func session(_ request: Request) async throws -> Session {
        try await broker.enrolment.session(token: request.bearerToken)
    }
}
