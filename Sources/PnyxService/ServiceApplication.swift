public import Foundation
public import Hummingbird
public import Logging
import PnyxCore
import PnyxCrypto
public import PnyxHTTP
public import NIOCore
import PnyxLogStore
import PnyxPostgres
import PnyxTransparency

extension PetitionService {
    /// Connects to the service database, applies the migrations and starts the background
    /// checkpointer. The broker is reached over HTTP at ``ServiceConfiguration/brokerURL``
    /// unless `broker` is given.
    public static func start(
        configuration: ServiceConfiguration, broker: (any BrokerClient)? = nil,
        logger: Logger = Logger(label: "pnyx.service"), now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> PetitionService {
        guard let url = URL(string: configuration.brokerURL), url.scheme == "http" || url.scheme == "https" else {
            throw ServiceError(.configurationInvalid, .internalServerError, "PNYX_BROKER_URL must be an http(s) URL")
        }
        let pool = PostgresPool(url: configuration.databaseURL, size: configuration.poolSize, logger: logger)
        let service = try PetitionService(
            configuration: configuration, pool: pool, broker: broker ?? HTTPBrokerClient(baseURL: url), logger: logger, now: now)
        try await service.migrate()
        service.start()
        return service
    }
}

/// Builds the service's HTTP application over a started ``PetitionService`` (a thin `main`
/// starts the service, calls this and runs the result; tests run the same application
/// in-process with HummingbirdTesting).
///
/// Routes, all under `/v1` but `/healthz` (JSON unless said; errors are `{"error":{"code","reason"}}` with a stable code):
/// - public reads (cacheable: `ETag`, `Cache-Control`, `If-None-Match` → 304):
///   `GET /service`, `GET /polls`, `GET /polls/{poll}`, `GET /polls/{poll}/directory`,
///   `GET /polls/{poll}/tally`, `GET /polls/{poll}/tally/check`,
///   `GET /polls/{poll}/certificates`, `GET /polls/{poll}/certificates/{index}` (`{index}.html`
///   for people), `GET /polls/{poll}/export.json`, `GET /polls/{poll}/export.csv`;
/// - proofs: `GET /polls/{poll}/proofs/inclusion?position=N[&size=M]`,
///   `GET /polls/{poll}/proofs/consistency?from=A[&to=B]`;
/// - the public log, in the log export layout: `GET /polls/{poll}/log/checkpoint`,
///   `…/log/checkpoints/{size}`, `…/log/tile/{L}/{N}[.p/{W}]`, `…/log/tile/entries/{N}[.p/{W}]`,
///   `…/log/log.json`, `…/log/verifier.txt` (checkpoints carry the witnesses' cosignatures);
/// - witnesses: `POST /polls/{poll}/log/cosignatures[?size=N]`; fresh receipts:
///   `GET /polls/{poll}/receipts/{position}` (``ServiceRoutes/addCosignatureRoutes(to:)``);
/// - citizens: `POST /polls/{poll}/entries` (an ``PnyxCore/Entry``; answers a receipt),
///   `GET /polls/{poll}/entries/{digest}` (the receipt of a committed entry by the SHA-256
///   of its canonical bytes, for a wallet whose answer was lost),
///   `POST /proposals` (a petition ``PollDraft``);
/// - officials (`Authorization: Bearer <official token>`): `POST /official/polls/{poll}/entries`
///   (kiosk and paper entries);
/// - administrators (`Authorization: Bearer <admin token>`): `POST /admin/polls`,
///   `POST /admin/polls/{poll}/publish|open|close|answer|certify`, `GET /admin/proposals`,
///   `POST /admin/proposals/{id}/accept|reject`,
///   `POST /admin/polls/{poll}/certificates/{index}/countersignatures` (an official's);
/// - auditors: `POST /polls/{poll}/certificates/{index}/countersignatures`;
/// - `GET /openapi.json`: every endpoint (``ServiceAPI``).
///
/// With the read cache on (``ServiceConfiguration/readRefreshInterval``), the crowd's reads
/// whose copy is in memory are answered by ``CrowdFastPath`` on the connection's event loop
/// before the router (counted in `pnyx_http_fast_reads_total`), and citizens'
/// `POST /polls/{poll}/entries` are collected there and submitted in a task by
/// ``EntrySubmitFastPath``, whose answers are the router's (counted in the router's
/// `pnyx_http_requests_total` series and in `pnyx_http_fast_entries_total`). `onServerRunning` is called
/// with the listening channel (tests and benchmarks read its port).
/// `entryFastPath: false` leaves the citizens' entries to the router (for comparisons: tests,
/// benchmarks).
public func buildServiceApplication(
    service: PetitionService, entryFastPath: Bool = true,
    onServerRunning: @escaping @Sendable (any NIOCore.Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    buildServiceApplication(
        service: service, router: buildServiceRouter(service: service), entryFastPath: entryFastPath, onServerRunning: onServerRunning)
}

/// ``buildServiceApplication(service:onServerRunning:)`` with another router built over the
/// service's (``buildServiceRouter(service:metrics:)``; the `pnyx` executable adds the citizen
/// pages), listening on `address` (default: the configuration's host and port).
public func buildServiceApplication(
    service: PetitionService, router: Router<BasicRequestContext>, address: BindAddress? = nil, entryFastPath: Bool = true,
    onServerRunning: @escaping @Sendable (any NIOCore.Channel) async -> Void = { _ in }
) -> some ApplicationProtocol {
    let serverName = "pnyx-service"
    let entries = EntrySubmitResponder(service: service, serverName: serverName)
    let date = HTTPDateHeader()
    return Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: entryFastPath
            ? [CrowdFastPath(service: service, metrics: service.metrics, serverName: serverName, date: date),
               EntrySubmitFastPath(responder: entries)]
            : [CrowdFastPath(service: service, metrics: service.metrics, serverName: serverName, date: date)])),
        configuration: .init(address: address ?? .hostname(service.configuration.host, port: service.configuration.port),
                             serverName: serverName),
        onServerRunning: onServerRunning,
        logger: service.logger)
}

/// The router alone. `metrics` (default: the service's ``PetitionService/metrics``) is served
/// at `GET /metrics` (Prometheus text format) with the HTTP request counters; pass one registry
/// to add counters of your own.
public func buildServiceRouter(
    service: PetitionService, metrics: MetricsRegistry? = nil
) -> Router<BasicRequestContext> {
    let metrics = metrics ?? service.metrics
    let router = Router(context: BasicRequestContext.self)
    router.addMetrics(registry: metrics)
    router.add(middleware: APIErrorMiddleware(mappers: [serviceErrorMapper]))
    let routes = ServiceRoutes(service: service)
    let v1 = router.group("v1")
    routes.addPollRoutes(to: v1)
    routes.addEntryRoutes(to: v1)
    routes.addEntryLookupRoutes(to: v1)
    routes.addProofRoutes(to: v1)
    routes.addTallyRoutes(to: v1)
    routes.addLogRoutes(to: v1)
    routes.addCosignatureRoutes(to: v1)
    routes.addCertificateRoutes(to: v1)
    routes.addAdminRoutes(to: v1)
    router.addHealthRoute(pool: service.pool)
    routes.addOpenAPIRoute(to: v1, registered: ServiceAPI.registered(router))
    return router
}

/// Maps errors of modules PnyxHTTP does not know.
let serviceErrorMapper: APIErrorMapper = { error in
    if let error = error as? PostgresError {
        switch error.code {
        case .connectionFailed, .connectionLost, .poolClosed:
            return APIError(.serviceUnavailable, code: error.code.rawValue, reason: "the database is unavailable; retry later")
        case .serializationFailure, .deadlockDetected:
            return APIError(.serviceUnavailable, code: error.code.rawValue, reason: "concurrent update; retry")
        default:
            return nil
        }
    }
    if let error = error as? LogStoreError, error.code == .beyondHead {
        return APIError(.notFound, code: ServiceError.Code.logNotFound.rawValue, reason: error.reason)
    }
    return nil
}

/// The handlers, grouped by concern in `ServiceRoutes+*.swift`.
struct ServiceRoutes: Sendable {
    let service: PetitionService

    var bodyLimit: Int { service.configuration.bodyLimit }

    /// The poll id of the path (`poll.unknown` when it is not 32 hex digits).
    func pollID(_ context: BasicRequestContext) throws -> PollID {
        let text = context.parameters.get("poll") ?? ""
        guard let id = try? PollID(hex: text) else { throw ServiceError.unknownPoll(text) }
        return id
    }

    /// The name behind the request's bearer token among `tokens`, compared in constant time.
    static func holder(of request: Request, in tokens: [String: String]) -> String? {
        guard let given = request.bearerToken else { return nil }
        let digest = SHA256.hash(Array(given.utf8))
        var found: String? = nil
        for (token, name) in tokens where ConstantTime.equals(digest, SHA256.hash(Array(token.utf8))) { found = name }
        return found
    }

    /// The administrator making the request, or `auth.required` / `auth.forbidden`.
    func administrator(_ request: Request) throws -> String {
        if let name = Self.holder(of: request, in: service.configuration.adminTokens) { return name }
        if Self.holder(of: request, in: service.configuration.officialTokens) != nil {
            throw ServiceError(.authForbidden, .forbidden, "an official token cannot administer polls; use an admin token")
        }
        throw ServiceError.authRequired
    }

    /// The official making the request, or `auth.required` / `auth.forbidden`.
    func official(_ request: Request) throws -> String {
        if let name = Self.holder(of: request, in: service.configuration.officialTokens) { return name }
        if Self.holder(of: request, in: service.configuration.adminTokens) != nil {
            throw ServiceError(.authForbidden, .forbidden, "kiosk and paper entries are recorded with an official token")
        }
        throw ServiceError.authRequired
    }

    /// An integer query parameter (`request.malformed` if present and not an integer).
    static func integer(_ request: Request, _ name: String) throws -> Int64? {
        guard let text = request.uri.queryParameters.get(name) else { return nil }
        guard let value = Int64(text) else { throw APIError.malformed("the query parameter \(name) must be an integer") }
        return value
    }
}
