import Hummingbird
import PnyxCrypto
import PnyxHTTP

extension BrokerRoutes {
    struct ImportRequest: Codable {
        /// The area hierarchy CSV; omitted: keep the stored hierarchy.
        var areasCSV: String?
        /// The complete residents CSV.
        var residentsCSV: String
    }

    struct CodesRequest: Codable {
        /// Residents to (re)issue codes for; omitted: every active resident without an account.
        var residentIDs: [String]?
    }

    func addAdminRoutes(to group: RouterGroup<BrokerRequestContext>) {
        let admin = group.add(middleware: AdminAuthMiddleware(token: broker.configuration.adminToken))
        // Import a register: all rows valid or nothing imported.
        admin.post("register") { request, _ -> Response in
            let body = try await request.decodeJSON(ImportRequest.self, limit: broker.configuration.maximumImportBytes)
            let summary = try await broker.residents.importRegister(areasCSV: body.areasCSV, residentsCSV: body.residentsCSV)
            return try JSONResponse.make(summary)
        }
        // Enrolment codes for a mail merge (text/csv). Shown once: only hashes are kept.
        admin.post("enrolment-codes") { request, _ -> Response in
            let body = try await request.decodeJSON(CodesRequest.self, limit: broker.configuration.maximumImportBytes)
            let codes = try await broker.enrolment.issueCodes(residentIDs: body.residentIDs)
            var headers: HTTPFields = [:]
            headers[.cacheControl] = CachePolicy.noStore.headerValue
            return JSONResponse.bytesResponse(
                Array(EnrolmentStore.csv(codes).utf8), headers: headers, contentType: "text/csv; charset=utf-8")
        }
    }
}

/// Requires `Authorization: Bearer <admin token>` (compared in constant time).
struct AdminAuthMiddleware: RouterMiddleware {
    typealias Context = BrokerRequestContext
    let token: String

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let given = request.bearerToken,
              ConstantTime.equals(SHA256.hash(Array(given.utf8)), SHA256.hash(Array(token.utf8))) else {
            throw BrokerError(.adminRequired, "this endpoint needs `Authorization: Bearer <admin token>`")
        }
        return try await next(request, context)
    }
}
