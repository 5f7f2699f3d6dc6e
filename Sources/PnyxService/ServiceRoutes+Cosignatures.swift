import Hummingbird
import PnyxCore
import PnyxHTTP

extension ServiceRoutes {
    /// Witness cosignatures and fresh receipts:
    /// - `POST /polls/{poll}/log/cosignatures[?size=N]` — body (`text/plain`): c2sp.org/tlog-cosignature
    ///   signature lines for the checkpoint of size N (default: the latest), or the whole
    ///   cosigned checkpoint note; answers a ``CosignatureAnswer`` (201);
    /// - `GET /polls/{poll}/receipts/{position}` — the receipt of an existing entry, read now:
    ///   against the newest witnessed checkpoint covering it, with its cosignatures.
    func addCosignatureRoutes(to router: RouterGroup<BasicRequestContext>) {
        router.post("polls/:poll/log/cosignatures") { request, context -> Response in
            let id = try pollID(context)
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: 16_384) } catch let error as any HTTPResponseError
                where error.status == .contentTooLarge {
                throw APIError.tooLarge(limit: 16_384)
            }
            let answer = try await service.addCosignatures(id, body: Array(buffer.readableBytesView),
                                                           treeSize: try Self.integer(request, "size"))
            return try JSONResponse.make(answer, status: .created, headers: [.cacheControl: "no-store"])
        }
        router.get("polls/:poll/receipts/:position") { request, context -> Response in
            let id = try pollID(context)
            guard let position = context.parameters.get("position", as: Int64.self) else {
                throw APIError.malformed("the position must be an integer")
            }
            let receipt = try await service.receipt(id, position: position)
            return try JSONResponse.cacheable(receipt, request: request, policy: .maxAge(seconds: 2))
        }
    }
}
