import Hummingbird
import PnyxCore
import PnyxHTTP

extension ServiceRoutes {
    /// Certificates: `GET /polls/{poll}/certificates` (all, signed), and
    /// `GET /polls/{poll}/certificates/{index}` (the re-checkable bundle, JSON) or
    /// `…/{index}.html` (the same, readable by a person).
    func addCertificateRoutes(to router: RouterGroup<BasicRequestContext>) {
        router.get("polls/:poll/certificates") { request, context -> Response in
            let list = try await service.certificates(try pollID(context))
            return try JSONResponse.cacheable(list, request: request, policy: .maxAge(seconds: 10))
        }
        router.get("polls/:poll/certificates/:index") { request, context -> Response in
            let id = try pollID(context)
            var text = context.parameters.get("index") ?? ""
            let html = text.hasSuffix(".html")
            if html { text.removeLast(5) }
            guard let index = Int(text),
                  let bundle = try await service.certificate(id, thresholdIndex: index) else {
                throw ServiceError(.certificateUnknown, .notFound, "poll \(id) has no certificate \(text); see GET /polls/\(id)/certificates")
            }
            if html {
                let state = try await service.poll(id)
                let page = CertificatePage.html(bundle, definition: state.definition)
                return JSONResponse.cacheable(Array(page.utf8), request: request, policy: .immutable,
                                              contentType: "text/html; charset=utf-8")
            }
            return try JSONResponse.cacheable(bundle, request: request, policy: .immutable)
        }
    }
}
