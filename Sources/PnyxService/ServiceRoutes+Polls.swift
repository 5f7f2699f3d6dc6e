import Hummingbird
import PnyxCore
import PnyxCrypto
import PnyxHTTP

/// A poll as the API shows it.
struct PollView: Encodable {
    let pollID: PollID
    let status: String
    let kind: PollKind
    let title: String
    let opensAt: Int64
    let closesAt: Int64
    /// The signed definition (entry 0 of the log).
    let definition: SignedPollDefinition
    /// The broker's signed key directory, once published.
    let directory: SignedKeyDirectory?

    init(_ state: PollState) {
        pollID = state.id
        status = state.status
        kind = state.definition.kind
        title = state.definition.title
        opensAt = state.definition.opensAt
        closesAt = state.definition.closesAt
        definition = state.signed
        directory = state.directory
    }
}

/// The data of a poll's page: the poll, its counts, its history (answers included) and certificates.
struct PollPage: Encodable {
    struct Record: Encodable {
        let position: Int64
        let event: LifecycleEvent
    }

    let poll: PollView
    let tally: TallySummary?
    let lifecycle: [Record]
    let certificates: [SignedCertificate]
    /// The note verifier key of the poll's checkpoints.
    let verifierKey: String
}

/// The service's identity.
struct ServiceInfo: Encodable {
    /// Base64 Ed25519 key: poll definitions, checkpoints, certificates.
    let publicKey: String
    /// C2SP note verifier key of every poll's checkpoints.
    let verifierKey: String
    /// Checkpoint origins are `<originPrefix><poll id hex>`.
    let originPrefix: String
    /// The keys whose certificate countersignatures the service accepts, base64 key → name.
    let countersigningKeys: CountersigningKeys

    struct CountersigningKeys: Encodable {
        let officials: [String: String]
        let auditors: [String: String]
    }
}

extension ServiceRoutes {
    func addPollRoutes(to router: RouterGroup<BasicRequestContext>) {
        router.get("service") { request, _ -> Response in
            try JSONResponse.cacheable(
                ServiceInfo(publicKey: Base64.encode(service.serviceKey.rawRepresentation), verifierKey: service.verifierKey,
                            originPrefix: service.configuration.logOriginPrefix,
                            countersigningKeys: .init(officials: service.configuration.officialKeys,
                                                      auditors: service.configuration.auditorKeys)),
                request: request, policy: .maxAge(seconds: 300))
        }
        router.get("polls") { request, _ -> Response in
            let polls = try await service.polls().filter { $0.status != "draft" && $0.status != "rejected" }
            return try JSONResponse.cacheable(polls.map(PollView.init), request: request, policy: .maxAge(seconds: 5))
        }
        router.get("polls/:poll") { request, context -> Response in
            let id = try pollID(context)
            let cached = try await service.cachedRead(.page, id) {
                let state = try await service.poll(id)
                let page = PollPage(
                    poll: PollView(state), tally: try? await service.tally(id).summary(),
                    lifecycle: try await service.lifecycle(id).map { PollPage.Record(position: $0.position, event: $0.event) },
                    certificates: try await service.certificates(id), verifierKey: service.verifierKey)
                return Array(try JSONResponse.encoder().encode(page))
            }
            return cached.response(to: request, policy: service.crowdPolicy)
        }
        router.get("polls/:poll/directory") { request, context -> Response in
            let state = try await service.poll(try pollID(context))
            guard let directory = state.directory else {
                throw ServiceError(.logNotFound, .notFound, "poll \(state.id) has no key directory until it is published")
            }
            return try JSONResponse.cacheable(directory, request: request, policy: .immutable)
        }
        router.post("proposals") { request, _ -> Response in
            let draft = try await request.decodeJSON(PollDraft.self, limit: bodyLimit)
            return try JSONResponse.make(try await service.propose(draft), status: .created, headers: [.cacheControl: "no-store"])
        }
    }
}
