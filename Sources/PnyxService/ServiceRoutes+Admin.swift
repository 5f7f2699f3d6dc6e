import Hummingbird
import PnyxCore
import PnyxHTTP

extension ServiceRoutes {
    struct AnswerRequest: Decodable {
        var text: String
        var links: [String]?
    }

    struct CertifyRequest: Decodable {
        var thresholdIndex: Int
    }

    struct AcceptRequest: Decodable {
        var opensAt: Int64?
        var closesAt: Int64?
    }

    struct RejectRequest: Decodable {
        var reason: String
    }

    /// Administration endpoints, each requiring `Authorization: Bearer <admin token>`.
    func addAdminRoutes(to router: RouterGroup<BasicRequestContext>) {
        let noStore: HTTPFields = [.cacheControl: "no-store"]
        router.post("admin/polls") { request, _ -> Response in
            let admin = try administrator(request)
            let draft = try await request.decodeJSON(PollDraft.self, limit: bodyLimit)
            let state = try await service.createPoll(draft)
            service.logger.info("poll created", metadata: ["poll": "\(state.id)", "admin": "\(admin)"])
            return try JSONResponse.make(PollView(state), status: .created, headers: noStore)
        }
        for (step, action) in [("publish", PetitionService.publish), ("open", PetitionService.open), ("close", PetitionService.close)] {
            router.post("admin/polls/:poll/\(step)") { request, context -> Response in
                let admin = try administrator(request)
                let id = try pollID(context)
                let state = try await action(service)(id)
                service.logger.info("poll \(step)", metadata: ["poll": "\(id)", "admin": "\(admin)"])
                return try JSONResponse.make(PollView(state), headers: noStore)
            }
        }
        router.post("admin/polls/:poll/answer") { request, context -> Response in
            _ = try administrator(request)
            let id = try pollID(context)
            let body = try await request.decodeJSON(AnswerRequest.self, limit: bodyLimit)
            let receipt = try await service.answer(id, text: body.text, links: body.links ?? [])
            return try JSONResponse.make(["position": receipt.position], status: .created, headers: noStore)
        }
        router.post("admin/polls/:poll/certify") { request, context -> Response in
            _ = try administrator(request)
            let id = try pollID(context)
            let body = try await request.decodeJSON(CertifyRequest.self, limit: bodyLimit)
            let bundle = try await service.certify(id, thresholdIndex: body.thresholdIndex)
            return try JSONResponse.make(bundle, status: .created, headers: noStore)
        }
        router.get("admin/proposals") { request, _ -> Response in
            _ = try administrator(request)
            let proposals = try await service.proposals(status: request.uri.queryParameters.get("status").map { String($0) })
            return try JSONResponse.make(proposals, headers: noStore)
        }
        router.post("admin/proposals/:proposal/accept") { request, context -> Response in
            _ = try administrator(request)
            let id = try proposalID(context)
            let body = try await request.decodeJSON(AcceptRequest.self, limit: bodyLimit)
            let state = try await service.accept(proposal: id, opensAt: body.opensAt, closesAt: body.closesAt)
            return try JSONResponse.make(PollView(state), status: .created, headers: noStore)
        }
        router.post("admin/proposals/:proposal/reject") { request, context -> Response in
            _ = try administrator(request)
            let id = try proposalID(context)
            let body = try await request.decodeJSON(RejectRequest.self, limit: bodyLimit)
            let state = try await service.reject(proposal: id, reason: body.reason)
            return try JSONResponse.make(PollView(state), status: .created, headers: noStore)
        }
    }

    func proposalID(_ context: BasicRequestContext) throws -> Int64 {
        guard let id = context.parameters.get("proposal", as: Int64.self) else {
            throw ServiceError(.proposalUnknown, .notFound, "the proposal id in the path must be an integer")
        }
        return id
    }
}
