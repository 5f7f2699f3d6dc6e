import Foundation
import Hummingbird
import PnyxCore
import PnyxHTTP
import PnyxLogStore
import PnyxTransparency

extension ServiceRoutes {
    /// The public log of each poll under `/polls/{poll}/log/`, in the layout of the log
    /// export (``PnyxTransparency/LogExport``), so an auditor reads HTTP and export folders
    /// with the same code: `checkpoint`, `checkpoints/{size}`, `tile/{L}/{N}[.p/{W}]`,
    /// `tile/entries/{N}[.p/{W}]`, `log.json`, `verifier.txt`.
    ///
    /// Caching: full tiles and numbered checkpoints never change (`immutable`); the latest
    /// checkpoint, the manifest and partial tiles are fresh for a few seconds, with an ETag.
    /// The latest checkpoint and tiles are served from ``ReadCache`` (refreshed every
    /// ``ServiceConfiguration/readRefreshInterval``; tiles kept, since a tile path always
    /// names the same bytes).
    func addLogRoutes(to router: RouterGroup<BasicRequestContext>) {
        let text = "text/plain; charset=utf-8"
        router.get("polls/:poll/log/checkpoint") { request, context -> Response in
            let id = try pollID(context)
            let note = try await service.cachedRead(.checkpoint, id, contentType: text) {
                _ = try await service.poll(id)
                guard let latest = try await service.store.latestCheckpoint(logID: id.bytes) else {
                    throw ServiceError(.logNotFound, .notFound, "poll \(id) has no checkpoint yet; retry in a second")
                }
                return Array(try await service.cosigned(latest, poll: id).utf8)
            }
            return note.response(to: request, policy: .maxAge(seconds: 1))
        }
        router.get("polls/:poll/log/checkpoints/:size") { request, context -> Response in
            let id = try pollID(context)
            guard let size = context.parameters.get("size", as: Int64.self),
                  let checkpoint = try await service.checkpoint(id, size: size) else {
                throw ServiceError(.logNotFound, .notFound, "poll \(id) has no checkpoint of that size")
            }
            // Witnesses may cosign a checkpoint later: immutable only without witnesses.
            let note = try await service.cosigned(checkpoint, poll: id)
            let policy: CachePolicy = service.configuration.witnessKeys.isEmpty ? .immutable : .maxAge(seconds: 10)
            return JSONResponse.cacheable(Array(note.utf8), request: request, policy: policy, contentType: text)
        }
        router.get("polls/:poll/log/verifier.txt") { request, context -> Response in
            let id = try pollID(context)
            guard let info = try await service.store.info(logID: id.bytes) else { throw ServiceError.unknownPoll(id.hex) }
            return JSONResponse.cacheable(Array((info.verifierKey + "\n").utf8), request: request,
                                          policy: .maxAge(seconds: 3600), contentType: text)
        }
        router.get("polls/:poll/log/log.json") { request, context -> Response in
            let id = try pollID(context)
            guard let info = try await service.store.info(logID: id.bytes) else { throw ServiceError.unknownPoll(id.hex) }
            let manifest = LogExport.Manifest(
                logID: id.hex, origin: info.origin, treeSize: try await service.store.latestCheckpoint(logID: id.bytes)?.treeSize ?? 0,
                checkpoints: try await allCheckpointSizes(id))
            return try JSONResponse.cacheable(manifest, request: request, policy: .maxAge(seconds: 2))
        }
        router.get("polls/:poll/log/tile/**") { request, context -> Response in
            let id = try pollID(context)
            let path = "tile/" + context.parameters.getCatchAll().joined(separator: "/")
            let isEntries = path.hasPrefix("tile/entries/")
            guard let tile = try? (isEntries ? Tile(entriesPath: path) : Tile(path: path)) else {
                throw ServiceError(.logNotFound, .notFound, "\(path) is not a c2sp.org/tlog-tiles path")
            }
            // A tile path (full, or partial of width W) always names the same bytes.
            let data = try await service.cachedRead(.tile, id, path, contentType: "application/octet-stream") {
                isEntries
                    ? try await service.store.entryBundle(logID: id.bytes, tile)
                    : try await service.store.tile(logID: id.bytes, tile)
            }
            return data.response(to: request, policy: tile.isPartial ? .maxAge(seconds: 60) : .immutable)
        }
    }

    /// Every checkpoint size of a poll, in increasing order.
    private func allCheckpointSizes(_ id: PollID) async throws -> [Int64] {
        var sizes: [Int64] = []
        var after: Int64? = nil
        while true {
            let page = try await service.store.checkpoints(logID: id.bytes, after: after, limit: 1000)
            guard let last = page.last else { return sizes }
            sizes += page.map(\.treeSize)
            after = last.treeSize
        }
    }
}
