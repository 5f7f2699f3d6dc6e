import Hummingbird
import PnyxCore
import PnyxCrypto
import PnyxHTTP

extension BrokerRoutes {
    struct RegisterResponse: Encodable {
        var pollID: PollID
        var origin: String
        /// C2SP note verifier key of the checkpoint.
        var verifierKey: String
        /// The signed checkpoint note (c2sp.org/tlog-checkpoint); nil while the register is empty.
        var checkpoint: String?
        var size: Int64
        /// Credentials issued per class among the checkpoint's `size` records.
        var counts: [String: UInt64]
        /// Eligible residents per class (the bound on each count).
        var eligible: [String: UInt64]
    }

    struct RegisterEntry: Encodable {
        var position: Int64
        /// Hex.
        var previousHash: String
        /// Base64 canonical ``IssuanceRecord``.
        var payload: String
        /// Hex RFC 9162 leaf hash of the leaf bytes.
        var entryHash: String
        var record: IssuanceRecord?
    }

    func addRegisterRoutes(to group: RouterGroup<BrokerRequestContext>) {
        // The register of each poll in the log layout, for auditors (`pnyx-audit --broker`).
        LogLayoutRoutes(store: broker.register.store, refreshCheckpoint: { [broker] logID in
            _ = try await broker.register.checkpoint(pollID: PollID(bytes: Array(logID.dropFirst())))
        }) { [broker] parameters in
            guard let text = parameters.get("poll"), let id = try? PollID(hex: text),
                  try await broker.polls.keySet(pollID: id, required: false) != nil else {
                throw BrokerError(.pollUnknown, "no such poll at this broker")
            }
            return IssuanceRegister.logID(pollID: id)
        }.add(to: group, prefix: "polls/:poll/register/log")
        group.get("polls/:poll/register") { request, context -> Response in
            let id = try pollID(context)
            let set = try await broker.polls.keySet(pollID: id)!
            let checkpoint = try await broker.register.checkpoint(pollID: id)
            let size = checkpoint?.treeSize ?? 0
            let counts = try await broker.issuance.counts(pollID: id, registerSize: size)
            let response = RegisterResponse(
                pollID: id, origin: broker.register.origin(pollID: id), verifierKey: broker.register.verifierKey,
                checkpoint: checkpoint?.note, size: size,
                counts: Dictionary(uniqueKeysWithValues: counts.map { ($0.key.text, $0.value) }),
                eligible: Dictionary(uniqueKeysWithValues: set.counts.map { ($0.key.text, $0.value) }))
            return try JSONResponse.cacheable(response, request: request, policy: .revalidate)
        }
        group.get("polls/:poll/register/entries") { request, context -> Response in
            let id = try pollID(context)
            _ = try await broker.polls.keySet(pollID: id)
            let head = try await broker.register.store.head(logID: IssuanceRegister.logID(pollID: id))
            let start = request.uri.queryParameters.get("start", as: Int64.self) ?? 0
            let end = min(request.uri.queryParameters.get("end", as: Int64.self) ?? head.size, head.size, start + 1000)
            guard start >= 0, start <= end else { throw APIError.malformed("need 0 ≤ start ≤ end") }
            let entries = try await broker.register.entries(pollID: id, start..<end).map { entry in
                RegisterEntry(position: entry.position, previousHash: Hex.encode(entry.previousHash.bytes),
                              payload: Base64.encode(entry.payload), entryHash: Hex.encode(entry.entryHash.bytes),
                              record: try? IssuanceRecord(canonicalBytes: entry.payload))
            }
            return try JSONResponse.make(entries)
        }
        group.get("me/issuances") { request, _ -> Response in
            let session = try await session(request)
            return try JSONResponse.make(try await broker.issuance.statuses(residentID: session.residentID),
                                         headers: [.cacheControl: "no-store"])
        }
    }
}
