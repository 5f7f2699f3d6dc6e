import Foundation
import Hummingbird
import PnyxCore
import PnyxCrypto
import PnyxHTTP
import PnyxService

/// A poll as the administration page lists it: drafts included, with the draft it was made
/// from (to edit it as a new draft) and its thresholds.
struct AdminPollRow: Encodable {
    let pollID: String
    let status: String
    let kind: String
    let title: String
    let opensAt: Int64
    let closesAt: Int64
    let draft: PollDraft
    let certified: [Int]
}

extension WebRoutes {
    /// Adds `GET /admin`, `GET /audit`, `GET /propose` and `GET /admin/polls.json` (every
    /// poll, drafts included; needs `Authorization: Bearer <admin token>` like `/v1/admin/...`).
    func addAdminRoutes(to router: Router<BasicRequestContext>) {
        router.get("admin") { request, _ in html(AdminPages(layout: layout(request)).admin()) }
        router.get("propose") { request, _ in html(AdminPages(layout: layout(request)).propose()) }
        router.get("audit") { request, _ in
            let polls = try await service.polls().filter(PollListPage.isPublic)
            let host = request.head.authority ?? "127.0.0.1"
            return html(AdminPages(layout: layout(request)).auditor(polls: polls, origin: "http://\(host)/v1"))
        }
        router.get("admin/polls.json") { request, _ -> Response in
            try checkAdministrator(request)
            var rows: [AdminPollRow] = []
            for state in try await service.polls() {
                let d = state.definition
                let certified = (try? await service.certificates(state.id))?.map { Int($0.certificate.thresholdIndex) } ?? []
                rows.append(AdminPollRow(
                    pollID: state.id.hex, status: state.status, kind: d.kind.name, title: d.title, opensAt: d.opensAt, closesAt: d.closesAt,
                    draft: PollDraft(kind: d.kind, title: d.title, text: d.text, opensAt: d.opensAt, closesAt: d.closesAt,
                                     eligibility: d.eligibility, disclosure: d.disclosure, allowPartialNames: d.allowPartialNames,
                                     questions: d.questions, thresholds: d.thresholds),
                    certified: certified))
            }
            return try JSONResponse.make(rows, headers: [.cacheControl: "no-store"])
        }
    }

    /// `auth.required` unless the request carries one of the service's admin tokens
    /// (compared in constant time).
    func checkAdministrator(_ request: Request) throws {
        let given = request.bearerToken.map { SHA256.hash(Array($0.utf8)) }
        var found = false
        for token in service.configuration.adminTokens.keys {
            if let given, ConstantTime.equals(given, SHA256.hash(Array(token.utf8))) { found = true }
        }
        guard found else {
            throw APIError(.unauthorized, code: "auth.required", reason: "this endpoint needs `Authorization: Bearer <admin token>` with a configured admin token")
        }
    }
}
