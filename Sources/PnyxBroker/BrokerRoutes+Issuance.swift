import Foundation
import Hummingbird
import PnyxCore
import PnyxCrypto
import PnyxHTTP

extension BrokerRoutes {
    struct CredentialRequestBody: Codable {
        /// Base64 blinded message (`modulus_len` bytes).
        var blindedMessage: String
    }

    struct CredentialResponse: Encodable {
        var pollID: PollID
        var attributeClass: AttributeClass
        var keyID: KeyID
        /// Base64 blind signature, to finalize client-side.
        var blindSignature: String
        /// True when this repeats the answer to an earlier request with the same blinded message.
        var retry: Bool

        enum CodingKeys: String, CodingKey { case pollID, attributeClass = "class", keyID, blindSignature, retry }
    }

    struct NameRequestBody: Codable {
        /// Base64 one-time Ed25519 public key the name is attested for.
        var oneTimeKey: String
    }

    struct NameResponse: Encodable {
        var attestation: NameAttestation
        /// Base64 Ed25519 signature by the broker over the attestation's canonical bytes.
        var signature: String
    }

    func addIssuanceRoutes(to group: RouterGroup<BrokerRequestContext>) {
        // The session is checked in the issuance's own lookup statement (one round trip); a
        // malformed request is refused as unauthenticated first when its session is bad. The
        // body is read and the answer written by hand (``CredentialJSON``); any body but the
        // plain one-field object goes through the JSON decoder as before.
        group.post("polls/:poll/credential") { request, context -> Response in
            let blinded: [UInt8]
            let id: PollID
            do {
                let body = try await request.collectBody(upTo: bodyLimit)
                let text = try CredentialJSON.blindedMessage(in: body)
                    ?? Request.decodeJSON(CredentialRequestBody.self, from: Data(body.readableBytesView)).blindedMessage
                guard let bytes = try? Base64.decode(text) else {
                    throw APIError.malformed("blindedMessage must be standard base64")
                }
                blinded = bytes
                id = try pollID(context)
            } catch {
                _ = try await session(request)
                throw error
            }
            let issued = try await broker.issuance.issue(sessionToken: request.bearerToken, pollID: id, blindedMessage: blinded)
            return JSONResponse.bytesResponse(
                CredentialJSON.response(pollID: issued.pollID, attributeClass: issued.attributeClass, keyID: issued.keyID,
                                        blindSignature: Base64.encode(issued.blindSignature), retry: issued.isRetry),
                headers: [.cacheControl: "no-store"], contentType: "application/json; charset=utf-8")
        }
        group.post("polls/:poll/name-attestation") { request, context -> Response in
            let session = try await session(request)
            let body = try await request.decodeJSON(NameRequestBody.self, limit: bodyLimit)
            guard let bytes = try? Base64.decode(body.oneTimeKey), let key = try? Ed25519.PublicKey(rawRepresentation: bytes) else {
                throw APIError.malformed("oneTimeKey must be a base64 Ed25519 public key (32 bytes)")
            }
            let (attestation, signature) = try await broker.attestName(
                residentID: session.residentID, pollID: try pollID(context), oneTimeKey: key)
            return try JSONResponse.make(NameResponse(attestation: attestation, signature: Base64.encode(signature)),
                                         headers: [.cacheControl: "no-store"])
        }
    }
}
