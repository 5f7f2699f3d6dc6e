import Hummingbird
import PnyxCore
import PnyxHTTP

/// The JSON export of a poll's results.
struct PollExport: Encodable {
    let poll: PollView
    let tally: TallySummary
    let certificates: [SignedCertificate]
    let lifecycle: [PollPage.Record]
}

extension ServiceRoutes {
    func addTallyRoutes(to router: RouterGroup<BasicRequestContext>) {
        // The stored counts (one row, rewritten by every append transaction).
        router.get("polls/:poll/tally") { request, context -> Response in
            let id = try pollID(context)
            let tally = try await service.cachedRead(.tally, id) { try await service.tally(id).summaryJSON }
            return tally.response(to: request, policy: service.crowdPolicy)
        }
        // Recomputes the counts from the log and compares.
        router.get("polls/:poll/tally/check") { request, context -> Response in
            let check = try await service.checkTally(try pollID(context))
            return try JSONResponse.cacheable(check, request: request, policy: .maxAge(seconds: 2))
        }
        router.get("polls/:poll/export.json") { request, context -> Response in
            let id = try pollID(context)
            let export = PollExport(
                poll: PollView(try await service.poll(id)), tally: try await service.tally(id).summary(),
                certificates: try await service.certificates(id),
                lifecycle: try await service.lifecycle(id).map { PollPage.Record(position: $0.position, event: $0.event) })
            return try JSONResponse.cacheable(export, request: request, policy: .maxAge(seconds: 10))
        }
        router.get("polls/:poll/export.csv") { request, context -> Response in
            let id = try pollID(context)
            let state = try await service.poll(id)
            let csv = TallyExport.csv(definition: state.definition, summary: try await service.tally(id).summary())
            return JSONResponse.cacheable(Array(csv.utf8), request: request, policy: .maxAge(seconds: 10),
                                          contentType: "text/csv; charset=utf-8")
        }
    }
}
