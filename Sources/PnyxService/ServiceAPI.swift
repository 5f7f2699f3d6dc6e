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
        "entry.invalid_name": 422, "entry.nullifier_reused": 409, "entry.replayed": 409, "entry.unknown": 404, "entry.channel_not_allowed": 403,
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
        Endpoint(method: "get", path: "/v1/polls/{poll}/entries/{digest}", auth: .none,
                 summary: "The receipt of a committed entry found by its digest: SHA-256 of the entry's canonical bytes (`pnyx/entry/v2`), 64 hex digits. "
                     + "A wallet whose submission's answer was lost asks it after `entry.replayed`: the same receipt as `GET /v1/polls/{poll}/receipts/{position}`.",
                 answer: .json("Receipt"), errors: ["poll.unknown", "request.malformed", "entry.unknown", "log.not_found"],
                 cache: "max-age=2"),
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

    /// A closed object: every member is listed (`additionalProperties: false`), all required
    /// unless `required` says otherwise.
    static func object(_ properties: [String: Any], required: [String]? = nil, description: String? = nil) -> [String: Any] {
        var schema: [String: Any] = [
            "type": "object", "properties": properties, "required": required ?? properties.keys.sorted(),
            "additionalProperties": false,
        ]
        if let description { schema["description"] = description }
        return schema
    }

    static var string: [String: Any] { ["type": "string"] }
    static var integer: [String: Any] { ["type": "integer"] }
    static var count: [String: Any] { ["type": "integer", "minimum": 0] }
    static var boolean: [String: Any] { ["type": "boolean"] }
    static var hex: [String: Any] { ["type": "string", "pattern": "^[0-9a-f]*$"] }
    static var hash: [String: Any] { ["type": "string", "pattern": "^[0-9a-f]{64}$"] }
    static var pollID: [String: Any] { ["type": "string", "pattern": "^[0-9a-f]{32}$"] }
    static var base64: [String: Any] { ["type": "string", "contentEncoding": "base64", "pattern": "^[A-Za-z0-9+/]*={0,2}$"] }
    static var date: [String: Any] { ["type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$", "description": "a civil date, YYYY-MM-DD"] }
    static var unix: [String: Any] { ["type": "integer", "description": "Unix time, seconds"] }
    static func enumeration(_ cases: [String]) -> [String: Any] { ["type": "string", "enum": cases] }
    static func constant(_ value: String) -> [String: Any] { ["type": "string", "const": value] }
    static func ref(_ name: String) -> [String: Any] { ["$ref": "#/components/schemas/\(name)"] }
    static func array(_ items: [String: Any]) -> [String: Any] { ["type": "array", "items": items] }
    static func map(_ values: [String: Any]) -> [String: Any] { ["type": "object", "additionalProperties": values] }
    static func oneOf(_ options: [[String: Any]], description: String? = nil) -> [String: Any] {
        var schema: [String: Any] = ["oneOf": options]
        if let description { schema["description"] = description }
        return schema
    }

    static let areaLevels = ["none", "district", "commune", "agglomeration", "departement"]
    static let ageBands = ["16-17", "18-24", "25-34", "35-49", "50-64", "65+"]
    static var attributeClass: [String: Any] { [
        "type": "string", "description": "an attribute class: `*` (nothing disclosed), `area=CODE`, `age=BAND` or `area=CODE;age=BAND`",
    ] }

    /// The poll parts and signed objects of docs/PROTOCOL.md, as JSON.
    static var protocolSchemas: [String: Any] {
        [
            "Eligibility": object(["areaScope": array(string), "minimumAge": count, "referenceDate": date],
                                  description: "Who may take part: residents of these areas (none: everyone) of this age at the reference date."),
            "Disclosure": object(["areaLevel": enumeration(areaLevels), "ageBands": boolean],
                                 description: "Which attributes each entry's credential class discloses."),
            "Question": object([
                "id": count, "text": string, "kind": enumeration(["single", "multiple", "approval"]), "maxChoices": count,
                "options": array(string),
            ]),
            "Threshold": oneOf([
                object(["kind": constant("absolute"), "count": count]),
                object(["kind": constant("shareOfEligible"), "basisPoints": count]),
                object(["kind": constant("areas"), "minimumPerArea": count, "minimumAreas": count, "areaLevel": enumeration(areaLevels)]),
            ], description: "A legal threshold: a count, a share of the eligible residents (basis points), or X entries in each of K areas."),
            "PollDefinition": object([
                "pollID": pollID, "kind": enumeration(["petition", "consultation"]), "title": string, "text": string,
                "opensAt": unix, "closesAt": unix, "eligibility": ref("Eligibility"), "disclosure": ref("Disclosure"),
                "allowPartialNames": boolean, "questions": array(ref("Question")), "thresholds": array(ref("Threshold")),
                "serviceKey": base64, "brokerKey": base64,
            ]),
            "SignedPollDefinition": object(["definition": ref("PollDefinition"), "signature": base64],
                                           description: "Ed25519 by the service key over the definition's canonical bytes (entry 0 of the log)."),
            "KeyDirectory": object([
                "pollID": pollID, "issuedAt": unix, "k": count, "variant": constant("RSABSSA-SHA384-PSS-Randomized"),
                "entries": array(object(["class": attributeClass, "keyID": hash, "spki": base64, "eligibleCount": count])),
            ]),
            "SignedKeyDirectory": object(["directory": ref("KeyDirectory"), "signature": base64],
                                         description: "Ed25519 by the broker over the directory's canonical bytes."),
            "Credential": object([
                "class": attributeClass, "keyID": hash, "oneTimeKey": base64, "prefix": base64, "signature": base64,
            ], description: "An RFC 9474 blind-signed credential message: class, key id, one-time Ed25519 key; `prefix` is the 32-byte randomizing prefix."),
            "PartialName": object(["name": string, "attestation": base64],
                                  description: "\"Given F.\" and the broker's Ed25519 signature over its name attestation."),
            "Answer": object(["questionID": count, "choices": array(count)]),
            "EntryPayload": oneOf([
                object(["kind": constant("sign"), "partialName": ref("PartialName")], required: ["kind"]),
                object(["kind": constant("vote"), "answers": array(ref("Answer"))]),
                object(["kind": constant("withdraw")]),
            ]),
            "LifecycleEvent": oneOf([
                object(["kind": constant("published"), "at": unix, "directory": ref("SignedKeyDirectory")]),
                object(["kind": constant("opened"), "at": unix]),
                object(["kind": constant("closed"), "at": unix]),
                object(["kind": constant("certified"), "at": unix, "certificate": ref("SignedCertificate")]),
                object(["kind": constant("moderationAccepted"), "at": unix]),
                object(["kind": constant("moderationRejected"), "at": unix, "reason": string]),
                object(["kind": constant("answered"), "at": unix, "text": string, "links": array(string)]),
            ]),
        ]
    }

    static var schemas: [String: Any] {
        protocolSchemas.merging([
            "Error": object(["error": object(["code": string, "reason": string])]),
            "Empty": object([:], required: []),
            "Health": object(["status": string], required: ["status"], description: "`{\"status\":\"ok\"}`, or an Error with 503."),
            "OpenAPI": ["type": "object", "description": "An OpenAPI 3.1 document."],
            "Position": object(["position": count]),
            "ServiceInfo": object([
                "publicKey": base64, "verifierKey": string, "originPrefix": string,
                "countersigningKeys": object(["officials": map(string), "auditors": map(string)],
                                             description: "base64 Ed25519 public key → name"),
            ]),
            "PollDraft": object([
                "kind": enumeration(["petition", "consultation"]), "title": string, "text": string, "opensAt": unix, "closesAt": unix,
                "eligibility": ref("Eligibility"), "disclosure": ref("Disclosure"), "allowPartialNames": boolean,
                "questions": array(ref("Question")), "thresholds": array(ref("Threshold")),
            ], required: ["kind", "title", "text", "opensAt", "closesAt", "eligibility", "disclosure"],
               description: "A poll before signing."),
            "PollView": object([
                "pollID": pollID, "status": enumeration(["draft", "rejected", "published", "open", "closed"]),
                "kind": enumeration(["petition", "consultation"]), "title": string, "opensAt": unix, "closesAt": unix,
                "definition": ref("SignedPollDefinition"), "directory": ref("SignedKeyDirectory"),
            ], required: ["pollID", "status", "kind", "title", "opensAt", "closesAt", "definition"],
               description: "A poll; `directory` once published."),
            "LoggedEvent": object(["position": count, "event": ref("LifecycleEvent")]),
            "PollPage": object([
                "poll": ref("PollView"), "tally": ref("TallySummary"), "lifecycle": array(ref("LoggedEvent")),
                "certificates": array(ref("SignedCertificate")), "verifierKey": string,
            ], required: ["poll", "lifecycle", "certificates", "verifierKey"]),
            "Proposal": object([
                "proposalID": count, "draft": ref("PollDraft"), "status": enumeration(["pending", "accepted", "rejected"]),
                "reason": string, "pollID": pollID,
            ], required: ["proposalID", "draft", "status"]),
            "Entry": object([
                "pollID": pollID, "credential": ref("Credential"), "channel": enumeration(["online", "kiosk", "paper"]),
                "payload": ref("EntryPayload"), "nonce": base64, "signature": base64,
            ], description: "Ed25519 by the credential's one-time key over the entry's canonical bytes, a fresh 16-byte nonce included (docs/PROTOCOL.md)."),
            "Receipt": object([
                "pollID": pollID, "position": count, "entryHash": hash, "checkpoint": string, "inclusionProof": array(hash),
            ]),
            "InclusionProofAnswer": object([
                "pollID": pollID, "position": count, "entryHash": hash, "treeSize": count, "checkpoint": string, "proof": array(hash),
            ], required: ["pollID", "position", "entryHash", "treeSize", "proof"]),
            "ConsistencyProofAnswer": object([
                "pollID": pollID, "oldSize": count, "newSize": count, "oldCheckpoint": string, "newCheckpoint": string,
                "proof": array(hash),
            ], required: ["pollID", "oldSize", "newSize", "proof"]),
            "TallySummary": object([
                "pollID": pollID, "phase": enumeration(["empty", "defined", "published", "open", "closed"]), "logSize": count,
                "entriesRecorded": count, "participants": count, "named": count, "eligible": count,
                "byChannel": map(count), "byClass": map(count), "byArea": map(count), "byAgeBand": map(count),
                "questions": array(object(["questionID": count, "options": array(count)])),
                "hourly": array(object(["hour": unix, "entries": count, "participants": count])),
                "thresholds": array(object([
                    "index": count, "threshold": ref("Threshold"), "current": count, "target": count, "met": boolean,
                    "reached": object(["logSize": count, "recordedAt": unix]),
                ], required: ["index", "threshold", "current", "met"])),
            ], required: ["phase", "logSize", "entriesRecorded", "participants", "thresholds"]),
            "TallyCheck": object(["consistent": boolean, "stateConsistent": boolean, "contributionsChecked": count,
                                  "contributionMismatches": count, "logSize": count, "stored": ref("TallySummary"),
                                  "recomputed": ref("TallySummary")]),
            "TallyExport": object([
                "poll": ref("PollView"), "tally": ref("TallySummary"), "lifecycle": array(ref("LoggedEvent")),
                "certificates": array(ref("SignedCertificate")),
            ], description: "The poll, its counts and breakdowns (the CSV's rows as JSON)."),
            "LogDescription": object(["log_id": hex, "origin": string, "tree_size": count, "checkpoints": array(count)],
                                     description: "The log's id, checkpoint origin, size and checkpointed sizes."),
            "CosignatureAnswer": object(["pollID": pollID, "treeSize": count, "accepted": array(string), "checkpoint": string]),
            "Certificate": object([
                "pollID": pollID, "thresholdIndex": count, "reachedAtSize": count, "rootAtReached": hash, "checkpointSize": count,
                "checkpointRoot": hash, "date": unix, "statement": string,
            ]),
            "SignedCertificate": object(["certificate": ref("Certificate"), "signature": base64],
                                        description: "Ed25519 by the service key over the certificate's canonical bytes."),
            "Countersignature": object([
                "role": enumeration(["official", "auditor"]), "name": string, "publicKey": base64, "signature": base64, "recordedAt": unix,
            ], description: "Ed25519 over \"pnyx/certificate-countersignature/v1\" ‖ the signed certificate's canonical bytes."),
            "CertificateBundle": object([
                "certificate": ref("SignedCertificate"), "position": count, "checkpoint": string, "consistencyProof": array(hash),
                "verifierKey": string, "countersignatures": array(ref("Countersignature")),
            ]),
            "CountersignRequest": object(["publicKey": base64, "signature": base64]),
            "AnswerRequest": object(["text": string, "links": array(string)], required: ["text"]),
            "CertifyRequest": object(["thresholdIndex": count]),
            "AcceptRequest": object(["opensAt": unix, "closesAt": unix], required: []),
            "RejectRequest": object(["reason": string]),
        ]) { own, _ in own }
    }
}
