import Hummingbird
import PnyxCore
import PnyxCrypto
import PnyxHTTP

extension BrokerRoutes {
    struct KeySetResponse: Encodable {
        var directory: SignedKeyDirectory
        /// Eligible residents per class (text form of the class → count).
        var counts: [String: UInt64]
    }

    struct BrokerInfo: Encodable {
        /// Base64 Ed25519 key: key directories and name attestations.
        var publicKey: String
        /// C2SP note verifier key of the issuance registers' checkpoints.
        var registerVerifierKey: String
        var k: Int
    }

    func addPollRoutes(to group: RouterGroup<BrokerRequestContext>) {
        group.get("broker") { request, _ -> Response in
            try JSONResponse.cacheable(
                BrokerInfo(publicKey: Base64.encode(broker.publicKey.rawRepresentation),
                           registerVerifierKey: broker.register.verifierKey, k: broker.configuration.k),
                request: request, policy: .maxAge(seconds: 300))
        }
        // The service registers a poll it signed; the signature is the authentication.
        group.post("polls") { request, _ -> Response in
            let signed = try await request.decodeJSON(SignedPollDefinition.self, limit: 1 << 20)
            let set = try await broker.polls.register(signed)
            return try JSONResponse.make(KeySetResponse(
                directory: set.directory, counts: Dictionary(uniqueKeysWithValues: set.counts.map { ($0.key.text, $0.value) })))
        }
        group.get("polls/:poll/directory") { request, context -> Response in
            let set = try await broker.polls.keySet(pollID: try pollID(context))!
            return try JSONResponse.cacheable(set.directory, request: request, policy: .immutable)
        }
    }

    func pollID(_ context: BrokerRequestContext) throws -> PollID {
        guard let text = context.parameters.get("poll"), let id = try? PollID(hex: text) else {
            throw APIError.malformed("the poll id in the path must be 32 hex digits")
        }
        return id
    }
}
