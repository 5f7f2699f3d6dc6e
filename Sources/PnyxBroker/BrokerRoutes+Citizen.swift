import Hummingbird
import PnyxCore
import PnyxHTTP

extension BrokerRoutes {
    struct ClassResponse: Encodable {
        var pollID: PollID
        /// The text form of the resident's attribute class for the poll (what the credential message carries).
        var attributeClass: AttributeClass

        enum CodingKeys: String, CodingKey { case pollID, attributeClass = "class" }
    }

    /// What a browser needs before blinding: `GET /v1/polls/{poll}/class` (session) answers the
    /// resident's own attribute class for the poll, which the credential message must carry
    /// (`issuance.ineligible` when the resident is not eligible).
    func addCitizenRoutes(to group: RouterGroup<BrokerRequestContext>) {
        group.get("polls/:poll/class") { request, context -> Response in
            let session = try await session(request)
            let id = try pollID(context)
            let cls = try await broker.issuance.memberClass(residentID: session.residentID, pollID: id)
            return try JSONResponse.make(ClassResponse(pollID: id, attributeClass: cls), headers: [.cacheControl: "no-store"])
        }
    }
}

/// Cross-origin access for the citizen pages, which the service's origin serves: any origin
/// may call the broker with a bearer token (no cookies are used, so no credentials mode).
let brokerCORSMiddleware = CORSMiddleware<BrokerRequestContext>(
    allowOrigin: .all, allowHeaders: [.contentType, .authorization], allowMethods: [.get, .post, .options],
    maxAge: .seconds(600))
