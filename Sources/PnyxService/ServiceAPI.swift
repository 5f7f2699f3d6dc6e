import Foundation
import Hummingbird

/// Every HTTP endpoint of the service in one place: the OpenAPI 3.1 document served at
/// `GET /v1/openapi.json` is made from this list, and a test checks it against the routes
/// the router really registers (both ways).
enum ServiceAPI {
    /// Who may call an endpoint.
    enum Auth: String, Sendable {
        case none
        /// `Authorization: Bearer <admin token>` (`PNYX_SERVICE_ADMIN_TOKENS`).
        case admin
        /// `Authorization: Bearer <official token>` (`PNYX_SERVICE_OFFICIAL_TOKENS`).
        case official
    }

    /// A request or answer body: a JSON schema (by component name, or inline), or text.
    enum Body: Sendable {
        case json(String)
        case jsonArray(String)
        case text(String)
    }

    /// Which engineer's part of the service an endpoint belongs to; the document lists the
    /// endpoints of other parts only when the router registers them.
    enum Part: Sendable { case service, witnesses, metrics }

    struct Endpoint: Sendable {
        let method: String
        /// OpenAPI path: `/v1/polls/{poll}`.
        let path: String
        let auth: Auth
        let summary: String
        var query: [(name: String, required: Bool, description: String)] = []
        var request: Body? = nil
        var status: Int = 200
        let answer: Body
        /// The stable error codes it may answer, beyond `internal` (500).
        var errors: [String] = []
        /// Caching of a public read.
        var cache: String? = nil
        var part: Part = .service
    }

    /// The HTTP status of each error code.
    static let errorStatus: [String: Int] = [
        "request.malformed": 400, "request.too_large": 413, "encoding.invalid_value": 400, "encoding.truncated": 400,
        "encoding.trailing_bytes": 400, "encoding.limit_exceeded": 400, "encoding.unknown_tag": 400, "encoding.wrong_domain": 400,
        "auth.required": 401, "auth.forbidden": 403,
        "poll.unknown": 404, "poll.invalid": 422, "poll.not_open": 409, "poll.invalid_state": 409,
        "entry.wrong_poll": 422, "entry.invalid_signature": 422, "entry.wrong_payload": 422, "entry.invalid_choice": 422,
        "entry.invalid_name": 422, "entry.nullifier_reused": 409, "entry.replayed": 409, "entry.channel_not_allowed": 403,
        "credential.unknown_key": 422, "credential.class_mismatch": 422, "credential.invalid_signature": 422,
        "class.invalid": 422,
        "proposal.unknown": 404, "proposal.decided": 409,
        "certificate.threshold_not_reached": 409, "certificate.unknown": 404,
        "countersignature.invalid_signature": 422, "countersignature.unknown_key": 403,
        "broker.unavailable": 502, "broker.refused": 409, "broker.invalid_directory": 502,
        "proof.invalid_range": 400, "log.not_found": 404, "log.no_checkpoint": 404, "tally.mismatch": 500,
        "db.connection_failed": 503, "cosignature.malformed": 400, "cosignature.unknown_witness": 403,
        "cosignature.invalid": 422, "cosignature.unknown_checkpoint": 404,
    ]

    static let entryErrors = [
        "poll.unknown", "request.malformed", "request.too_large", "poll.not_open", "entry.wrong_poll", "entry.invalid_signature",
        "entry.wrong_payload", "entry.invalid_choice", "entry.invalid_name", "entry.nullifier_reused", "entry.replayed",
        "entry.channel_not_allowed", "credential.unknown_key", "credential.class_mismatch", "credential.invalid_signature",
        "class.invalid",
    ]

    static let admin = ["auth.required", "auth.forbidden"]

    /// The endpoints, in the order of docs/API.md.
    static let endpoints: [Endpoint] = [
        Endpoint(method: "get", path: "/healthz", auth: .none, summary: "Liveness and database ping (503 with the database code when it is down).",
                 answer: .json("Health"), errors: ["db.connection_failed"]),
        Endpoint(method: "get", path: "/metrics", auth: .none, summary: "Prometheus metrics (text exposition format).",
                 answer: .text("text/plain; version=0.0.4"), part: .metrics),
        Endpoint(method: "get", path: "/v1/openapi.json", auth: .none, summary: "This OpenAPI 3.1 document.",
                 answer: .json("OpenAPI"), cache: "max-age=300"),
        Endpoint(method: "get", path: "/v1/service", auth: .none,
                 summary: "The service's keys: Ed25519 key, checkpoint verifier key, origin prefix, accepted countersigning keys.",
                 answer: .json("ServiceInfo"), cache: "max-age=300"),
        Endpoint(method: "get", path: "/v1/polls", auth: .none, summary: "Every published poll, newest first (drafts and rejected proposals are not listed).",
                 answer: .jsonArray("PollView"), cache: "max-age=5"),
        Endpoint(method: "get", path: "/v1/polls/{poll}", auth: .none,
                 summary: "A poll's page data: the poll, its counts, its lifecycle history (answers included) and certificates.",
                 answer: .json("PollPage"), errors: ["poll.unknown"], cache: "max-age=2"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/directory", auth: .none, summary: "The broker's signed key directory of the poll, once published.",
                 answer: .json("SignedKeyDirectory"), errors: ["poll.unknown", "log.not_found"], cache: "immutable"),
        Endpoint(method: "post", path: "/v1/proposals", auth: .none, summary: "A citizen proposes a petition; it waits for moderation.",
                 request: .json("PollDraft"), status: 201, answer: .json("Proposal"),
                 errors: ["request.malformed", "request.too_large", "poll.invalid"]),
        Endpoint(method: "post", path: "/v1/polls/{poll}/entries", auth: .none,
                 summary: "A citizen's signed entry (sign, vote, change, withdraw); answered with a receipt after the durable commit.",
                 request: .json("Entry"), status: 201, answer: .json("Receipt"), errors: entryErrors),
        Endpoint(method: "post", path: "/v1/official/polls/{poll}/entries", auth: .official,
                 summary: "A kiosk or paper entry recorded by an official (channel kiosk or paper); answered with a receipt.",
                 request: .json("Entry"), status: 201, answer: .json("Receipt"), errors: entryErrors + admin),
        Endpoint(method: "get", path: "/v1/polls/{poll}/proofs/inclusion", auth: .none,
                 summary: "A fresh RFC 9162 inclusion proof of the entry at `position` in the tree of `size` (default: the latest checkpoint).",
                 query: [("position", true, "the entry's position"), ("size", false, "the tree size")],
                 answer: .json("InclusionProofAnswer"), errors: ["poll.unknown", "request.malformed", "proof.invalid_range"]),
        Endpoint(method: "get", path: "/v1/polls/{poll}/proofs/consistency", auth: .none,
                 summary: "An RFC 9162 consistency proof between the trees of sizes `from` and `to` (default: the latest checkpoint).",
                 query: [("from", true, "the older tree size"), ("to", false, "the newer tree size")],
                 answer: .json("ConsistencyProofAnswer"), errors: ["poll.unknown", "request.malformed", "proof.invalid_range"]),
        Endpoint(method: "get", path: "/v1/polls/{poll}/tally", auth: .none,
                 summary: "The counts, maintained by the append transaction: totals, per option, area, age band, channel, thresholds, hourly.",
                 answer: .json("TallySummary"), errors: ["poll.unknown"], cache: "max-age=2"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/tally/check", auth: .none,
                 summary: "Recomputes the tally from the log and compares it with the stored one.",
                 answer: .json("TallyCheck"), errors: ["poll.unknown", "tally.mismatch"]),
        Endpoint(method: "get", path: "/v1/polls/{poll}/export.json", auth: .none, summary: "Results and breakdowns, JSON.",
                 answer: .json("TallyExport"), errors: ["poll.unknown"], cache: "max-age=10"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/export.csv", auth: .none,
                 summary: "Results and breakdowns, CSV (`section,key,value` rows).",
                 answer: .text("text/csv; charset=utf-8"), errors: ["poll.unknown"], cache: "max-age=10"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/log/checkpoint", auth: .none,
                 summary: "The latest signed checkpoint (C2SP signed note), with the witnesses' cosignatures.",
                 answer: .text("text/plain; charset=utf-8"), errors: ["poll.unknown", "log.not_found"], cache: "max-age=1"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/log/checkpoints/{size}", auth: .none,
                 summary: "The signed checkpoint of `size` entries.",
                 answer: .text("text/plain; charset=utf-8"), errors: ["poll.unknown", "log.not_found"],
                 cache: "immutable without witnesses; max-age=10 when PNYX_WITNESS_KEYS is set (cosignatures arrive later)"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/log/verifier.txt", auth: .none, summary: "The checkpoints' note verifier key.",
                 answer: .text("text/plain; charset=utf-8"), errors: ["poll.unknown", "log.not_found"], cache: "immutable"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/log/log.json", auth: .none, summary: "The log's description (origin, verifier key, size).",
                 answer: .json("LogDescription"), errors: ["poll.unknown", "log.not_found"]),
        Endpoint(method: "get", path: "/v1/polls/{poll}/log/tile/{tilePath}", auth: .none,
                 summary: "C2SP tlog-tiles: `{L}/{N}[.p/{W}]` hash tiles and `entries/{N}[.p/{W}]` entry bundles (immutable when full).",
                 answer: .text("application/octet-stream"), errors: ["poll.unknown", "log.not_found"], cache: "immutable (full tiles)"),
        Endpoint(method: "post", path: "/v1/polls/{poll}/log/cosignatures", auth: .none,
                 summary: "A witness posts its c2sp.org/tlog-cosignature lines (text) for the checkpoint of `size` (default: the latest).",
                 query: [("size", false, "the checkpoint's tree size")], request: .text("text/plain"), status: 201,
                 answer: .json("CosignatureAnswer"),
                 errors: ["poll.unknown", "request.malformed", "request.too_large", "log.not_found", "cosignature.malformed",
                          "cosignature.unknown_witness", "cosignature.invalid", "cosignature.unknown_checkpoint"],
                 part: .witnesses),
        Endpoint(method: "get", path: "/v1/polls/{poll}/receipts/{position}", auth: .none,
                 summary: "A fresh receipt of the entry at `position`: the newest witnessed checkpoint covering it, with its cosignatures.",
                 answer: .json("Receipt"), errors: ["poll.unknown", "request.malformed", "proof.invalid_range", "log.not_found"],
                 cache: "max-age=2", part: .witnesses),
        Endpoint(method: "get", path: "/v1/polls/{poll}/certificates", auth: .none, summary: "Every certificate of the poll, signed by the service.",
                 answer: .jsonArray("SignedCertificate"), errors: ["poll.unknown"], cache: "max-age=10"),
        Endpoint(method: "get", path: "/v1/polls/{poll}/certificates/{index}", auth: .none,
                 summary: "The certificate of threshold `index` with its checkpoint, consistency proof and countersignatures; `{index}.html` is the printable page.",
                 answer: .json("CertificateBundle"), errors: ["poll.unknown", "certificate.unknown"], cache: "max-age=10"),
        Endpoint(method: "post", path: "/v1/polls/{poll}/certificates/{index}/countersignatures", auth: .none,
                 summary: "An auditor countersigns a certificate with a key the service accepts (`PNYX_SERVICE_AUDITOR_KEYS`).",
                 request: .json("CountersignRequest"), answer: .json("CertificateBundle"),
                 errors: ["request.malformed", "request.too_large", "certificate.unknown", "countersignature.unknown_key",
                          "countersignature.invalid_signature"]),
        Endpoint(method: "post", path: "/v1/admin/polls/{poll}/certificates/{index}/countersignatures", auth: .admin,
                 summary: "An administration official countersigns a certificate with an official's key (`PNYX_SERVICE_COUNTERSIGN_KEYS`).",
                 request: .json("CountersignRequest"), answer: .json("CertificateBundle"),
                 errors: admin + ["request.malformed", "request.too_large", "certificate.unknown", "countersignature.unknown_key",
                                  "countersignature.invalid_signature"]),
        Endpoint(method: "post", path: "/v1/admin/polls", auth: .admin, summary: "Creates a draft poll: its log starts with the signed definition (entry 0).",
                 request: .json("PollDraft"), status: 201, answer: .json("PollView"),
                 errors: admin + ["request.malformed", "request.too_large", "poll.invalid", "broker.unavailable"]),
        Endpoint(method: "post", path: "/v1/admin/polls/{poll}/publish", auth: .admin,
                 summary: "Publishes a draft: registers it with the broker and logs its key directory.",
                 request: .json("Empty"), answer: .json("PollView"),
                 errors: admin + ["poll.unknown", "poll.invalid_state", "broker.unavailable", "broker.refused", "broker.invalid_directory"]),
        Endpoint(method: "post", path: "/v1/admin/polls/{poll}/open", auth: .admin,
                 summary: "Opens a published poll (idempotent: an open poll is answered as it is). Polls also open by themselves at their opening time.",
                 request: .json("Empty"), answer: .json("PollView"), errors: admin + ["poll.unknown", "poll.invalid_state"]),
        Endpoint(method: "post", path: "/v1/admin/polls/{poll}/close", auth: .admin,
                 summary: "Closes an open poll (idempotent). Polls also close by themselves at their closing time.",
                 request: .json("Empty"), answer: .json("PollView"), errors: admin + ["poll.unknown", "poll.invalid_state"]),
        Endpoint(method: "post", path: "/v1/admin/polls/{poll}/answer", auth: .admin,
                 summary: "Logs the administration's official answer (text and links).",
                 request: .json("AnswerRequest"), status: 201, answer: .json("Position"),
                 errors: admin + ["request.malformed", "poll.unknown", "poll.invalid_state"]),
        Endpoint(method: "post", path: "/v1/admin/polls/{poll}/certify", auth: .admin,
                 summary: "Certifies a reached threshold (idempotent per threshold) and logs the certificate.",
                 request: .json("CertifyRequest"), status: 201, answer: .json("CertificateBundle"),
                 errors: admin + ["request.malformed", "poll.unknown", "poll.invalid_state", "certificate.unknown",
                                  "certificate.threshold_not_reached"]),
        Endpoint(method: "get", path: "/v1/admin/proposals", auth: .admin, summary: "Citizens' proposals, optionally by `status`.",
                 query: [("status", false, "pending, accepted or rejected")], answer: .jsonArray("Proposal"), errors: admin),
        Endpoint(method: "post", path: "/v1/admin/proposals/{proposal}/accept", auth: .admin,
                 summary: "Accepts a proposal: creates the poll (draft), with new opening and closing times if given.",
                 request: .json("AcceptRequest"), status: 201, answer: .json("PollView"),
                 errors: admin + ["request.malformed", "proposal.unknown", "proposal.decided", "poll.invalid"]),
        Endpoint(method: "post", path: "/v1/admin/proposals/{proposal}/reject", auth: .admin,
                 summary: "Rejects a proposal with a reason (logged with the definition).",
                 request: .json("RejectRequest"), status: 201, answer: .json("PollView"),
                 errors: admin + ["request.malformed", "proposal.unknown", "proposal.decided"]),
    ]

    /// The routes `router` registers, as `METHOD /path` with OpenAPI parameters (`{poll}`;
    /// the tile wildcard `**` as `{tilePath}`).
    static func registered(_ router: Router<BasicRequestContext>) -> Set<String> {
        Set(router.routes.map { "\($0.method.rawValue) \($0.path.description.replacingOccurrences(of: "/**", with: "/{tilePath}"))" })
    }

    /// The endpoints as `METHOD /path`.
    static var documented: Set<String> { Set(endpoints.map { "\($0.method.uppercased()) \($0.path)" }) }

    // MARK: The document

    /// The OpenAPI 3.1 document of `endpoints` (those of other parts only when `registered`
    /// holds them, as `METHOD path` strings), as JSON bytes with sorted keys.
    static func document(registered: Set<String>? = nil) -> [UInt8] {
        var paths: [String: [String: Any]] = [:]
        for endpoint in endpoints {
            if endpoint.part != .service, let registered, !registered.contains("\(endpoint.method.uppercased()) \(endpoint.path)") {
                continue
            }
            paths[endpoint.path, default: [:]][endpoint.method] = operation(endpoint)
        }
        let document: [String: Any] = [
            "openapi": "3.1.0",
            "info": [
                "title": "Pnyx petition and ballot service",
                "version": "1",
                "description": "Every change is a signed entry in the poll's public log; counts are derived from it. "
                    + "Errors are {\"error\":{\"code\",\"reason\"}} with a stable dotted code. Byte formats: docs/PROTOCOL.md.",
            ],
            "paths": paths,
            "components": [
                "securitySchemes": [
                    "admin": ["type": "http", "scheme": "bearer", "description": "An administrator token (PNYX_SERVICE_ADMIN_TOKENS)."],
                    "official": ["type": "http", "scheme": "bearer", "description": "An official token (PNYX_SERVICE_OFFICIAL_TOKENS)."],
                ],
                "schemas": schemas,
            ],
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])) ?? Data()
        return Array(data)
    }

    static func operation(_ endpoint: Endpoint) -> [String: Any] {
        var operation: [String: Any] = [
            "summary": endpoint.summary,
            "operationId": operationID(endpoint),
        ]
        var parameters: [[String: Any]] = pathParameters(endpoint.path).map { name in
            ["name": name, "in": "path", "required": true, "schema": ["type": "string"], "description": pathParameterDescription(name)]
        }
        for item in endpoint.query {
            parameters.append(["name": item.name, "in": "query", "required": item.required,
                               "schema": ["type": item.name == "status" ? "string" : "integer"], "description": item.description])
        }
        if !parameters.isEmpty { operation["parameters"] = parameters }
        switch endpoint.auth {
        case .none: operation["security"] = [[String: [String]]]()
        case .admin: operation["security"] = [["admin": [String]()]]
        case .official: operation["security"] = [["official": [String]()]]
        }
        if let request = endpoint.request {
            operation["requestBody"] = ["required": true, "content": content(request)]
        }
        var responses: [String: Any] = [:]
        var answer: [String: Any] = ["description": endpoint.cache.map { "OK (Cache-Control: \($0); ETag, If-None-Match → 304)" } ?? "OK",
                                     "content": content(endpoint.answer)]
        if endpoint.path == "/v1/polls/{poll}/certificates/{index}" {
            answer["content"] = content(endpoint.answer).merging(["text/html; charset=utf-8": ["schema": ["type": "string"]]]) { a, _ in a }
        }
        responses["\(endpoint.status)"] = answer
        var byStatus: [Int: [String]] = [:]
        for code in endpoint.errors + ["internal"] { byStatus[errorStatus[code] ?? 500, default: []].append(code) }
        for (status, codes) in byStatus {
            responses["\(status)"] = [
                "description": "Error codes: " + codes.joined(separator: ", "),
                "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]],
            ]
        }
        operation["responses"] = responses
        operation["x-error-codes"] = endpoint.errors
        return operation
    }

    static func content(_ body: Body) -> [String: Any] {
        switch body {
        case .json(let name): ["application/json": ["schema": ["$ref": "#/components/schemas/\(name)"]]]
        case .jsonArray(let name): ["application/json": ["schema": ["type": "array", "items": ["$ref": "#/components/schemas/\(name)"]]]]
        case .text(let type): [type: ["schema": ["type": "string"]]]
        }
    }

    static func operationID(_ endpoint: Endpoint) -> String {
        let words = endpoint.path.split(separator: "/").map { part -> String in
            let text = part.hasPrefix("{") ? "by-" + part.dropFirst().dropLast() : String(part)
            return text.replacingOccurrences(of: ".", with: "-")
        }
        return ([endpoint.method] + words).joined(separator: "-")
    }

    static func pathParameters(_ path: String) -> [String] {
        path.split(separator: "/").filter { $0.hasPrefix("{") }.map { String($0.dropFirst().dropLast()) }
    }

    static func pathParameterDescription(_ name: String) -> String {
        switch name {
        case "poll": "the poll id, 32 hex digits"
        case "index": "the threshold index (`{index}.html` for the printable page)"
        case "proposal": "the proposal id"
        case "size": "a tree size"
        case "position": "an entry position"
        case "tilePath": "a c2sp.org/tlog-tiles path below tile/"
        default: name
        }
    }

    // MARK: Schemas

    static func object(_ properties: [String: Any], required: [String]? = nil, description: String? = nil) -> [String: Any] {
        var schema: [String: Any] = ["type": "object", "properties": properties, "required": required ?? properties.keys.sorted()]
        if let description { schema["description"] = description }
        return schema
    }

    static var string: [String: Any] { ["type": "string"] }
    static var integer: [String: Any] { ["type": "integer"] }
    static var boolean: [String: Any] { ["type": "boolean"] }
    static var hex: [String: Any] { ["type": "string", "pattern": "^[0-9a-f]*$"] }
    static var base64: [String: Any] { ["type": "string", "contentEncoding": "base64"] }
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    static func map(_ values: [String: Any]) -> [String: Any] { ["type": "object", "additionalProperties": values] }
    static func opaque(_ description: String) -> [String: Any] { ["type": "object", "description": description] }

    static var schemas: [String: Any] {
        [
            "Error": object(["error": object(["code": string, "reason": string])]),
            "Empty": object([:], required: []),
            "Health": object(["status": string], required: ["status"], description: "`{\"status\":\"ok\"}`, or an Error with 503."),
            "OpenAPI": opaque("An OpenAPI 3.1 document."),
            "Position": object(["position": integer]),
            "ServiceInfo": object([
                "publicKey": base64, "verifierKey": string, "originPrefix": string,
                "countersigningKeys": object(["officials": map(string), "auditors": map(string)],
                                             description: "base64 Ed25519 public key → name"),
            ]),
            "PollDraft": object([
                "kind": ["enum": ["petition", "consultation"]], "title": string, "text": string, "opensAt": integer, "closesAt": integer,
                "eligibility": opaque("`{areaScope, minimumAge, referenceDate}` (docs/PROTOCOL.md, the poll definition)"),
                "disclosure": opaque("`{areaLevel, ageBands}`"), "allowPartialNames": boolean,
                "questions": array(opaque("`{id, text, kind: single|multiple|approval, maxChoices?, options}`")),
                "thresholds": array(opaque("`{kind: absolute|share|areas, …}` (docs/PROTOCOL.md)")),
            ], required: ["kind", "title", "text", "opensAt", "closesAt", "eligibility", "disclosure"],
               description: "A poll before signing."),
            "PollView": object([
                "pollID": hex, "status": ["enum": ["draft", "rejected", "published", "open", "closed"]],
                "kind": string, "title": string, "opensAt": integer, "closesAt": integer,
                "definition": opaque("The signed poll definition (entry 0 of the log)."),
                "directory": opaque("The broker's signed key directory, once published (else absent)."),
            ], required: ["pollID", "status", "kind", "title", "opensAt", "closesAt", "definition"]),
            "PollPage": object([
                "poll": ref("PollView"), "tally": ref("TallySummary"),
                "lifecycle": array(object(["position": integer, "event": opaque("A lifecycle event (docs/PROTOCOL.md).")])),
                "certificates": array(ref("SignedCertificate")), "verifierKey": string,
            ], required: ["poll", "lifecycle", "certificates", "verifierKey"]),
            "SignedKeyDirectory": opaque("The broker's signed key directory (docs/PROTOCOL.md)."),
            "Proposal": object([
                "proposalID": integer, "draft": ref("PollDraft"), "status": ["enum": ["pending", "accepted", "rejected"]],
                "reason": string, "pollID": hex,
            ], required: ["proposalID", "draft", "status"]),
            "Entry": object([
                "pollID": hex, "credential": opaque("`{class, keyID, oneTimeKey, prefix, signature}` (base64 bytes)"),
                "channel": ["enum": ["online", "kiosk", "paper"]],
                "payload": opaque("`{kind: sign, partialName?}`, `{kind: vote, answers}` or `{kind: withdraw}`"),
                "signature": base64,
            ], description: "Ed25519 by the credential's one-time key over the entry's canonical bytes (docs/PROTOCOL.md)."),
            "Receipt": object([
                "pollID": hex, "position": integer, "entryHash": hex, "checkpoint": string, "inclusionProof": array(hex),
            ]),
            "InclusionProofAnswer": object([
                "pollID": hex, "position": integer, "entryHash": hex, "treeSize": integer, "checkpoint": string, "proof": array(hex),
            ], required: ["pollID", "position", "entryHash", "treeSize", "proof"]),
            "ConsistencyProofAnswer": object([
                "pollID": hex, "oldSize": integer, "newSize": integer, "oldCheckpoint": string, "newCheckpoint": string,
                "proof": array(hex),
            ], required: ["pollID", "oldSize", "newSize", "proof"]),
            "TallySummary": object([
                "pollID": hex, "phase": string, "logSize": integer, "entriesRecorded": integer, "participants": integer,
                "named": integer, "eligible": integer, "byChannel": map(integer), "byClass": map(integer), "byArea": map(integer),
                "byAgeBand": map(integer), "questions": array(object(["questionID": integer, "options": array(integer)])),
                "hourly": array(object(["hour": integer, "entries": integer, "participants": integer])),
                "thresholds": array(object([
                    "index": integer, "threshold": opaque("the rule"), "current": integer, "target": integer, "met": boolean,
                    "reached": object(["logSize": integer, "recordedAt": integer]),
                ], required: ["index", "threshold", "current", "met"])),
            ], required: ["phase", "logSize", "entriesRecorded", "participants", "thresholds"]),
            "TallyCheck": object(["consistent": boolean, "logSize": integer, "stored": ref("TallySummary"), "recomputed": ref("TallySummary")]),
            "TallyExport": opaque("The poll, its counts and breakdowns (the CSV's rows as JSON)."),
            "LogDescription": opaque("The log's origin, verifier key and size (C2SP layout)."),
            "CosignatureAnswer": object(["pollID": hex, "treeSize": integer, "accepted": array(string), "checkpoint": string]),
            "Certificate": object([
                "pollID": hex, "thresholdIndex": integer, "reachedAtSize": integer, "rootAtReached": hex, "checkpointSize": integer,
                "checkpointRoot": hex, "date": integer, "statement": string,
            ]),
            "SignedCertificate": object(["certificate": ref("Certificate"), "signature": base64],
                                        description: "Ed25519 by the service key over the certificate's canonical bytes."),
            "Countersignature": object([
                "role": ["enum": ["official", "auditor"]], "name": string, "publicKey": base64, "signature": base64, "recordedAt": integer,
            ], description: "Ed25519 over \"pnyx/certificate-countersignature/v1\" ‖ the signed certificate's canonical bytes."),
            "CertificateBundle": object([
                "certificate": ref("SignedCertificate"), "position": integer, "checkpoint": string, "consistencyProof": array(hex),
                "verifierKey": string, "countersignatures": array(ref("Countersignature")),
            ]),
            "CountersignRequest": object(["publicKey": base64, "signature": base64]),
            "AnswerRequest": object(["text": string, "links": array(string)], required: ["text"]),
            "CertifyRequest": object(["thresholdIndex": integer]),
            "AcceptRequest": object(["opensAt": integer, "closesAt": integer], required: []),
            "RejectRequest": object(["reason": string]),
        ]
    }
}
