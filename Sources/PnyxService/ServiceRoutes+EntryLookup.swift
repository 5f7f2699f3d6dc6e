import Hummingbird
import PnyxCore
import PnyxCrypto
import PnyxHTTP

extension ServiceRoutes {
    func addEntryLookupRoutes(to router: RouterGroup<BasicRequestContext>) {
        // The receipt of a committed entry found by its digest (SHA-256 of its canonical
        // bytes, 64 hex digits): what a wallet whose submission's answer was lost asks.
        router.get("polls/:poll/entries/:digest") { request, context -> Response in
            let id = try pollID(context)
            let text = context.parameters.get("digest") ?? ""
            guard text.utf8.count == 64, let digest = try? Hex.decode(text) else {
                throw APIError.malformed("the entry digest must be 64 hex digits (SHA-256 of the entry's canonical bytes)")
            }
            let receipt = try await service.receipt(id, entryDigest: digest)
            // A later checkpoint may cover it: short caching, as GET /polls/{poll}/receipts/{position}.
            return try JSONResponse.cacheable(receipt, request: request, policy: .maxAge(seconds: 2))
        }
    }
}
