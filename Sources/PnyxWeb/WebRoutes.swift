import Foundation
public import Hummingbird
import PnyxCore
import PnyxHTTP
public import PnyxService

/// Settings of the citizen pages.
public struct WebConfiguration: Sendable {
    /// The broker's public base URL as browsers reach it (another origin: the broker answers CORS).
    public var brokerURL: String
    /// At most this many log records are read to list the named signers of a petition.
    public var maximumRecordsForNames: Int64

    public init(brokerURL: String, maximumRecordsForNames: Int64 = 20_000) {
        self.brokerURL = brokerURL.hasSuffix("/") ? String(brokerURL.dropLast()) : brokerURL
        self.maximumRecordsForNames = maximumRecordsForNames
    }
}

/// The service's router with the citizen pages added (same origin as the service API, so the
/// pages' scripts call the API without CORS). `configuration.brokerURL` defaults to the
/// service's own broker URL.
public func buildWebRouter(service: PetitionService, configuration: WebConfiguration? = nil) -> Router<BasicRequestContext> {
    let router = buildServiceRouter(service: service)
    addWebRoutes(to: router, service: service, configuration: configuration ?? WebConfiguration(brokerURL: service.configuration.brokerURL))
    return router
}

/// Adds the citizen pages to a service router:
/// - `GET /` the polls, filtered by `area`, `kind` (`petition`, `consultation`) and `status` (`open`, `closed`);
/// - `GET /p/{poll}` a poll's page; `GET /p/{poll}/take-part` enrol, log in, sign or vote;
/// - `GET /receipt` check a receipt; `GET /me` credentials issued in my name;
/// - `GET /propose` propose a petition; `GET /audit` the auditor page; `GET /admin` the
///   administration page (and `GET /admin/polls.json`, admin token), see `AdminRoutes.swift`;
/// - `GET /assets/{file}` the stylesheet and the ES modules (no third-party or remote assets).
///
/// Every page takes `?lang=fr|en` (else `Accept-Language`).
public func addWebRoutes(to router: Router<BasicRequestContext>, service: PetitionService, configuration: WebConfiguration) {
    let web = WebRoutes(service: service, configuration: configuration)
    router.get("/") { request, _ in try await web.list(request) }
    router.get("p/:poll") { request, context in try await web.poll(request, context) }
    router.get("p/:poll/take-part") { request, context in try await web.takePart(request, context) }
    router.get("receipt") { request, _ in web.html(CitizenPages(layout: web.layout(request)).receipt()) }
    router.get("me") { request, _ in web.html(CitizenPages(layout: web.layout(request)).me()) }
    router.get("assets/:file") { request, context in try web.asset(request, context) }
    web.addAdminRoutes(to: router)
}

/// The handlers of the citizen pages.
struct WebRoutes: Sendable {
    let service: PetitionService
    let configuration: WebConfiguration

    func layout(_ request: Request) -> PageLayout {
        var path = request.uri.path
        let kept = request.uri.queryParameters.filter { $0.key != "lang" }
        if !kept.isEmpty {
            path += "?" + kept.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
        }
        return PageLayout(language: WebLanguage(request: request), path: path, brokerURL: configuration.brokerURL)
    }

    func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status,
                 headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache",
                           .contentSecurityPolicy: "default-src 'self'; connect-src 'self' blob: \(configuration.brokerURL); img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    func list(_ request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let area = query.get("area").map { String($0) }
        let kind = query.get("kind").map { String($0) }
        let status = query.get("status").map { String($0) }
        let polls = try await service.polls().filter(PollListPage.isPublic)
        let areas = Set(polls.flatMap { $0.definition.eligibility.areaScope }).sorted()
        var items: [PollListPage.Item] = []
        for state in polls where PollListPage.matches(state, area: area, kind: kind, status: status) {
            let participants = (try? await service.tally(state.id).summary())?.participants
            items.append(.init(state: state, participants: participants))
        }
        return html(PollListPage(layout: layout(request), items: items, area: area, kind: kind, status: status).render(allAreas: areas))
    }

    func state(_ context: BasicRequestContext) async -> PollState? {
        guard let text = context.parameters.get("poll"), let id = try? PollID(hex: text),
              let state = try? await service.poll(id), PollListPage.isPublic(state) else { return nil }
        return state
    }

    func poll(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let page = layout(request)
        guard let state = await state(context) else { return html(CitizenPages(layout: page).notFound(), status: .notFound) }
        let tally = try? await service.tally(state.id).summary()
        let lifecycle = try await service.lifecycle(state.id)
        let signers = state.definition.allowPartialNames ? try await namedSigners(state.id) : []
        return html(PollPage(layout: page, state: state, tally: tally, lifecycle: lifecycle, signers: signers).render())
    }

    func takePart(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let page = layout(request)
        guard let state = await state(context) else { return html(CitizenPages(layout: page).notFound(), status: .notFound) }
        return html(CitizenPages(layout: page).takePart(state))
    }

    /// The partial names of the signers whose latest entry is a named signature (in log order).
    func namedSigners(_ id: PollID) async throws -> [String] {
        let size = min(try await service.store.head(logID: id.bytes).size, configuration.maximumRecordsForNames)
        var latest: [[UInt8]: (position: Int64, name: String?)] = [:]
        var open = false
        var start: Int64 = 0
        while start < size {
            let end = min(start + 1000, size)
            for stored in try await service.store.entries(logID: id.bytes, start..<end) {
                guard let record = try? LogRecord(canonicalBytes: stored.payload) else { continue }
                switch record.body {
                case .lifecycle(let event):
                    if case .opened = event.kind { open = true }
                    if case .closed = event.kind { open = false }
                case .entry(let entry) where open && entry.pollID == id:
                    let key = entry.credential.oneTimeKey.rawRepresentation
                    switch entry.payload {
                    case .sign(let name): latest[key] = (stored.position, name?.name)
                    case .withdraw: latest[key] = nil
                    case .vote: break
                    }
                default: break
                }
            }
            start = end
        }
        return latest.values.sorted { $0.position < $1.position }.compactMap(\.name)
    }

    static let contentTypes = ["css": "text/css; charset=utf-8", "js": "text/javascript; charset=utf-8",
                               "html": "text/html; charset=utf-8", "svg": "image/svg+xml", "json": "application/json"]

    func asset(_ request: Request, _ context: BasicRequestContext) throws -> Response {
        let name = context.parameters.get("file") ?? ""
        let ext = name.split(separator: ".").last.map(String.init) ?? ""
        guard !name.contains("/"), !name.hasPrefix("."), let type = Self.contentTypes[ext],
              let bytes = WebAssets.bytes(name) else {
            throw APIError(.notFound, code: "asset.unknown", reason: "no asset \(name)")
        }
        return JSONResponse.cacheable(bytes, request: request, policy: .maxAge(seconds: 300), contentType: type)
    }
}

/// The bundled assets (Sources/PnyxWeb/Assets), read once.
enum WebAssets {
    static let directory: URL? = Bundle.module.url(forResource: "Assets", withExtension: nil)

    static let cache: [String: [UInt8]] = {
        guard let directory, let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [:] }
        var out: [String: [UInt8]] = [:]
        for name in names {
            if let data = FileManager.default.contents(atPath: directory.appendingPathComponent(name).path) { out[name] = Array(data) }
        }
        return out
    }()

    /// An asset's bytes.
    static func bytes(_ name: String) -> [UInt8]? { cache[name] }
}
