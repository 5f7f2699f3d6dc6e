import Hummingbird
import PnyxCore
import PnyxHTTP

extension ServiceRoutes {
    func addEntryRoutes(to router: RouterGroup<BasicRequestContext>) {
        // A citizen's entry (online channel): answers its receipt once durably committed.
        router.post("polls/:poll/entries") { request, context -> Response in
            let id = try pollID(context)
            let entry = try await request.decodeJSON(Entry.self, limit: bodyLimit)
            let receipt = try await service.submit(entry, to: id, by: .citizen)
            return try JSONResponse.make(receipt, status: .created, headers: [.cacheControl: "no-store"])
        }
        // A kiosk or paper entry recorded by an authenticated official.
        router.post("official/polls/:poll/entries") { request, context -> Response in
            let official = try official(request)
            let id = try pollID(context)
            let entry = try await request.decodeJSON(Entry.self, limit: bodyLimit)
            let receipt = try await service.submit(entry, to: id, by: .official(name: official))
            return try JSONResponse.make(receipt, status: .created, headers: [.cacheControl: "no-store"])
        }
    }
}
