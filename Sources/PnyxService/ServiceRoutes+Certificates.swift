import Hummingbird
import PnyxCore
import PnyxCrypto
import PnyxHTTP

extension ServiceRoutes {
    /// A countersignature as posted: the countersigner's key and its Ed25519 signature over
    /// the certificate's countersigned bytes, both base64.
    struct CountersignRequest: Decodable {
        var publicKey: String
        var signature: String

        func decoded() throws -> (Ed25519.PublicKey, [UInt8]) {
            guard let key = try? Ed25519.PublicKey(rawRepresentation: try Base64.decode(publicKey)) else {
                throw APIError.malformed("publicKey must be a base64 Ed25519 public key (32 bytes)")
            }
            guard let bytes = try? Base64.decode(signature), bytes.count == Ed25519.signatureByteCount else {
                throw APIError.malformed("signature must be a base64 Ed25519 signature (64 bytes)")
            }
            return (key, bytes)
        }
    }

    /// The threshold index of the path (`certificate.unknown` unless an integer).
    func certificateIndex(_ context: BasicRequestContext) throws -> Int {
        guard let index = context.parameters.get("index", as: Int.self) else {
            throw ServiceError(.certificateUnknown, .notFound, "the certificate index in the path must be an integer")
        }
        return index
    }

    /// Certificates: `GET /polls/{poll}/certificates` (all, signed), and
    /// `GET /polls/{poll}/certificates/{index}` (the re-checkable bundle with its
    /// countersignatures, JSON) or `…/{index}.html` (the same, readable by a person);
    /// `POST /polls/{poll}/certificates/{index}/countersignatures` (an auditor's, no token)
    /// and `POST /admin/polls/{poll}/certificates/{index}/countersignatures` (an official's,
    /// admin token).
    func addCertificateRoutes(to router: RouterGroup<BasicRequestContext>) {
        router.post("polls/:poll/certificates/:index/countersignatures") { request, context -> Response in
            let id = try pollID(context)
            let index = try certificateIndex(context)
            let (key, signature) = try await request.decodeJSON(CountersignRequest.self, limit: bodyLimit).decoded()
            let bundle = try await service.countersign(id, thresholdIndex: index, role: .auditor, publicKey: key, signature: signature)
            return try JSONResponse.make(bundle, headers: [.cacheControl: "no-store"])
        }
        router.post("admin/polls/:poll/certificates/:index/countersignatures") { request, context -> Response in
            let admin = try administrator(request)
            let id = try pollID(context)
            let index = try certificateIndex(context)
            let (key, signature) = try await request.decodeJSON(CountersignRequest.self, limit: bodyLimit).decoded()
            let bundle = try await service.countersign(id, thresholdIndex: index, role: .official, publicKey: key, signature: signature)
            service.logger.info("certificate countersigned", metadata: ["poll": "\(id)", "index": "\(index)", "admin": "\(admin)"])
            return try JSONResponse.make(bundle, headers: [.cacheControl: "no-store"])
        }
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
                return JSONResponse.cacheable(Array(page.utf8), request: request, policy: .maxAge(seconds: 10),
                                              contentType: "text/html; charset=utf-8")
            }
            // Not immutable: countersignatures are added after the certificate.
            return try JSONResponse.cacheable(bundle, request: request, policy: .maxAge(seconds: 10))
        }
    }
}
