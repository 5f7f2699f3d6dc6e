import Hummingbird
import PnyxHTTP

extension ServiceRoutes {
    /// `GET /v1/openapi.json`: the OpenAPI 3.1 document of ``ServiceAPI``, restricted to what
    /// `registered` (the router's routes) holds for the parts other engineers own.
    func addOpenAPIRoute(to router: RouterGroup<BasicRequestContext>, registered: Set<String>) {
        let document = ServiceAPI.document(registered: registered)
        router.get("openapi.json") { request, _ -> Response in
            JSONResponse.cacheable(document, request: request, policy: .maxAge(seconds: 300), contentType: "application/json")
        }
    }
}
