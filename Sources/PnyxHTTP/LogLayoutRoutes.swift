public import Hummingbird
public import PnyxLogStore
import PnyxCrypto
import PnyxTransparency

/// Serves logs of a ``PnyxLogStore/LogStore`` over HTTP in the layout of the log export
/// (``PnyxTransparency/LogExport``): `checkpoint`, `checkpoints/{size}`,
/// `tile/{L}/{N}[.p/{W}]`, `tile/entries/{N}[.p/{W}]`, `log.json`, `verifier.txt` — so an
/// auditor reads HTTP and export folders with the same code, and a CDN can cache it.
///
/// Caching: full tiles and numbered checkpoints never change (`immutable`); the latest
/// checkpoint, the manifest and partial tiles are fresh for a few seconds, with an ETag.
public struct LogLayoutRoutes: Sendable {
    /// The store holding the logs.
    public let store: LogStore
    /// Finds the log id of a request (from its path parameters); throws a not-found API error
    /// for an unknown log.
    public let logID: @Sendable (Parameters) async throws -> [UInt8]
    /// Called before the latest checkpoint is served, for logs checkpointed on demand (the
    /// broker's registers sign a checkpoint when one is asked for and the log grew).
    public let refreshCheckpoint: (@Sendable ([UInt8]) async throws -> Void)?

    public init(
        store: LogStore, refreshCheckpoint: (@Sendable ([UInt8]) async throws -> Void)? = nil,
        logID: @escaping @Sendable (Parameters) async throws -> [UInt8]
    ) {
        self.store = store
        self.refreshCheckpoint = refreshCheckpoint
        self.logID = logID
    }

    /// Adds the layout's routes under `prefix` (for example `polls/:poll/log`).
    public func add<Context: RequestContext>(to router: RouterGroup<Context>, prefix: String) {
        let text = "text/plain; charset=utf-8"
        router.get("\(prefix)/checkpoint") { request, context -> Response in
            let id = try await logID(context.parameters)
            try await refreshCheckpoint?(id)
            guard let latest = try await store.latestCheckpoint(logID: id) else {
                throw APIError(.notFound, code: "log.no_checkpoint", reason: "this log has no checkpoint yet; retry in a second")
            }
            return JSONResponse.cacheable(Array(latest.note.utf8), request: request, policy: .maxAge(seconds: 1), contentType: text)
        }
        router.get("\(prefix)/checkpoints/:size") { request, context -> Response in
            let id = try await logID(context.parameters)
            guard let size = context.parameters.get("size", as: Int64.self),
                  let checkpoint = try await store.checkpoints(logID: id, after: size - 1, limit: 1).first,
                  checkpoint.treeSize == size else {
                throw APIError(.notFound, code: "log.not_found", reason: "this log has no checkpoint of that size")
            }
            return JSONResponse.cacheable(Array(checkpoint.note.utf8), request: request, policy: .immutable, contentType: text)
        }
        router.get("\(prefix)/verifier.txt") { request, context -> Response in
            let id = try await logID(context.parameters)
            guard let info = try await store.info(logID: id) else {
                throw APIError(.notFound, code: "log.not_found", reason: "no such log")
            }
            return JSONResponse.cacheable(Array((info.verifierKey + "\n").utf8), request: request,
                                          policy: .maxAge(seconds: 3600), contentType: text)
        }
        router.get("\(prefix)/log.json") { request, context -> Response in
            let id = try await logID(context.parameters)
            try await refreshCheckpoint?(id)
            guard let info = try await store.info(logID: id) else {
                throw APIError(.notFound, code: "log.not_found", reason: "no such log")
            }
            let manifest = LogExport.Manifest(
                logID: Hex.encode(info.logID), origin: info.origin,
                treeSize: try await store.latestCheckpoint(logID: id)?.treeSize ?? 0,
                checkpoints: try await checkpointSizes(id))
            return try JSONResponse.cacheable(manifest, request: request, policy: .maxAge(seconds: 2))
        }
        router.get("\(prefix)/tile/**") { request, context -> Response in
            let id = try await logID(context.parameters)
            let path = "tile/" + context.parameters.getCatchAll().joined(separator: "/")
            let isEntries = path.hasPrefix("tile/entries/")
            guard let tile = try? (isEntries ? Tile(entriesPath: path) : Tile(path: path)) else {
                throw APIError(.notFound, code: "log.not_found", reason: "\(path) is not a c2sp.org/tlog-tiles path")
            }
            let data = isEntries ? try await store.entryBundle(logID: id, tile) : try await store.tile(logID: id, tile)
            return JSONResponse.cacheable(data, request: request, policy: tile.isPartial ? .maxAge(seconds: 60) : .immutable,
                                          contentType: "application/octet-stream")
        }
    }

    /// Every checkpoint size of a log, in increasing order.
    private func checkpointSizes(_ id: [UInt8]) async throws -> [Int64] {
        var sizes: [Int64] = []
        var after: Int64? = nil
        while true {
            let page = try await store.checkpoints(logID: id, after: after, limit: 1000)
            guard let last = page.last else { return sizes }
            sizes += page.map(\.treeSize)
            after = last.treeSize
        }
    }
}
