import Foundation
import Hummingbird
import PnyxHTTP

extension BrokerRoutes {
    struct EnrolRequest: Codable {
        var code: String
        var passphrase: String
    }

    struct EnrolResponse: Encodable {
        var residentID: String
    }

    struct LoginRequest: Codable {
        var residentID: String
        var passphrase: String
    }

    struct LoginResponse: Encodable {
        /// Opaque bearer token; the broker keeps only its SHA-256.
        var token: String
        var expiresAt: Date
    }

    struct MeResponse: Encodable {
        var residentID: String
        var givenName: String
        var partialName: String
        var areaCode: String
        var sessionExpiresAt: Date
    }

    func addEnrolmentRoutes(to group: RouterGroup<BrokerRequestContext>) {
        group.post("enrol") { request, context -> Response in
            try limiter.take(context.remoteAddress)
            let body = try await request.decodeJSON(EnrolRequest.self, limit: bodyLimit)
            let id = try await broker.enrolment.enrol(code: body.code, passphrase: body.passphrase)
            return try JSONResponse.make(EnrolResponse(residentID: id), status: .created, headers: [.cacheControl: "no-store"])
        }
        group.post("login") { request, context -> Response in
            try limiter.take(context.remoteAddress)
            let body = try await request.decodeJSON(LoginRequest.self, limit: bodyLimit)
            let (token, session) = try await broker.enrolment.login(residentID: body.residentID, passphrase: body.passphrase)
            return try JSONResponse.make(LoginResponse(token: token, expiresAt: session.expiresAt), headers: [.cacheControl: "no-store"])
        }
        group.post("logout") { request, _ -> Response in
            if let token = request.bearerToken { try await broker.enrolment.logout(token: token) }
            return Response(status: .noContent)
        }
        group.get("me") { request, _ -> Response in
            let session = try await session(request)
            guard let resident = try await broker.residents.resident(id: session.residentID)?.resident else {
                throw BrokerError(.sessionRequired, "unknown resident; log in again")
            }
            return try JSONResponse.make(
                MeResponse(residentID: resident.residentID, givenName: resident.givenName, partialName: resident.partialName,
                           areaCode: resident.areaCode, sessionExpiresAt: session.expiresAt),
                headers: [.cacheControl: "no-store"])
        }
    }
}
