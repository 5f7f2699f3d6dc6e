import Hummingbird
import PnyxCore
import PnyxHTTP

extension ServiceRoutes {
    func addProofRoutes(to router: RouterGroup<BasicRequestContext>) {
        // A fresh inclusion proof: against a signed checkpoint covering the entry, or against `size`.
        router.get("polls/:poll/proofs/inclusion") { request, context -> Response in
            let id = try pollID(context)
            guard let position = try Self.integer(request, "position") else {
                throw APIError.malformed("give the entry's position: ?position=N (and optionally &size=M)")
            }
            let answer = try await service.inclusionProof(id, position: position, treeSize: try Self.integer(request, "size"))
            // A proof against an explicit size never changes.
            let policy: CachePolicy = request.uri.queryParameters.get("size") == nil ? .maxAge(seconds: 2) : .immutable
            return try JSONResponse.cacheable(answer, request: request, policy: policy)
        }
        // A consistency proof between two tree sizes (`to` defaults to the latest checkpoint).
        router.get("polls/:poll/proofs/consistency") { request, context -> Response in
            let id = try pollID(context)
            guard let from = try Self.integer(request, "from") else {
                throw APIError.malformed("give the older tree size: ?from=A (and optionally &to=B)")
            }
            let answer = try await service.consistencyProof(id, oldSize: from, newSize: try Self.integer(request, "to"))
            let policy: CachePolicy = request.uri.queryParameters.get("to") == nil ? .maxAge(seconds: 2) : .immutable
            return try JSONResponse.cacheable(answer, request: request, policy: policy)
        }
    }
}
