import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
@testable import PnyxService
import Testing

/// The schemas of `/v1/openapi.json` against the bodies the service really takes and sends:
/// every request body of a full flow (drafts, entries of every payload kind, countersignatures,
/// moderation) and every JSON answer (poll lists and pages, receipts, proofs, tallies,
/// exports, certificates, proposals, errors) is validated against the schema its endpoint
/// documents — objects are closed (`additionalProperties: false`), so an undocumented member
/// fails as surely as a missing one.
@Suite("OpenAPI schemas match the real bodies (real broker, real PostgreSQL)")
struct OpenAPISchemaTests: Sendable {
    var validator: SchemaValidator { SchemaValidator(schemas: ServiceAPI.schemas) }

    /// The endpoint documented for `method path`.
    static func endpoint(_ method: String, _ path: String) throws -> ServiceAPI.Endpoint {
        try #require(ServiceAPI.endpoints.first { $0.method == method && $0.path == path }, "\(method) \(path) is not documented")
    }

    static func schemaName(_ body: ServiceAPI.Body?) -> (name: String, array: Bool)? {
        switch body {
        case .json(let name): (name, false)
        case .jsonArray(let name): (name, true)
        case .text, nil: nil
        }
    }

    /// Validates `bytes` against the schema `body` names.
    func check(_ bytes: [UInt8], against body: ServiceAPI.Body?, _ label: String) throws {
        let (name, array) = try #require(Self.schemaName(body), "\(label) has no JSON schema")
        let value = try JSONValue.parse(bytes)
        var errors: [String] = []
        if array {
            guard case .array(let items) = value else {
                Issue.record("\(label): not an array")
                return
            }
            for item in items { errors += validator.errors(item, schemaNamed: name) }
        } else {
            errors = validator.errors(value, schemaNamed: name)
        }
        #expect(errors.isEmpty, "\(label) against \(name): \(errors)")
    }

    /// Sends `body` to `method path` (validating it against the documented request schema)
    /// and validates the answer against the documented answer (or the Error schema).
    @discardableResult
    func call(
        _ world: PnyxWorld, _ method: String, _ path: String, _ uri: String, token: String? = nil, body: some Encodable
    ) async throws -> TestResponse {
        try await send(world, method, path, uri, token: token, bytes: Array(try JSONEncoder().encode(body)))
    }

    @discardableResult
    func call(_ world: PnyxWorld, _ method: String, _ path: String, _ uri: String, token: String? = nil) async throws -> TestResponse {
        try await send(world, method, path, uri, token: token, bytes: nil)
    }

    func send(
        _ world: PnyxWorld, _ method: String, _ path: String, _ uri: String, token: String?, bytes: [UInt8]?
    ) async throws -> TestResponse {
        let endpoint = try Self.endpoint(method, path)
        let response: TestResponse
        if let bytes {
            try check(bytes, against: endpoint.request, "request of \(method.uppercased()) \(path)")
            response = try await world.client.raw(method == "post" ? .post : .get, uri, token: token, bytes: bytes)
        } else {
            var headers: HTTPFields = [:]
            if let token { headers[.authorization] = "Bearer \(token)" }
            response = try await world.client.execute(uri: uri, method: method == "post" ? .post : .get, headers: headers)
        }
        let label = "\(method.uppercased()) \(uri) → \(response.status.code)"
        if response.status.code == endpoint.status {
            try check(response.bytes, against: endpoint.answer, label)
        } else {
            Issue.record("\(label): expected \(endpoint.status): \(String(buffer: response.body))")
            try check(response.bytes, against: .json("Error"), label)
        }
        return response
    }

    @Test("every documented JSON body of a full petition and consultation flow matches its schema")
    func fullFlow() async throws {
        try await PnyxWorld.with { world in
            let admin = PnyxWorld.adminToken
            // A petition with every kind of threshold and certified partial names.
            let draft = world.petitionDraft(
                thresholds: [.absolute(count: 2), .shareOfEligible(basisPoints: 1000),
                             .areas(minimumPerArea: 1, minimumAreas: 1, areaLevel: .commune)],
                names: true)
            let created = try await call(world, "post", "/v1/admin/polls", "/v1/admin/polls", token: admin, body: draft)
            let pollHex = try created.decode(PollViewBody.self).pollID
            try await call(world, "get", "/v1/polls/{poll}", "/v1/polls/\(pollHex)")  // a draft's page
            try await call(world, "post", "/v1/admin/polls/{poll}/publish", "/v1/admin/polls/\(pollHex)/publish", token: admin, body: Empty())
            world.clock.advance(3601)
            try await call(world, "post", "/v1/admin/polls/{poll}/open", "/v1/admin/polls/\(pollHex)/open", token: admin, body: Empty())
            let petition = try await world.service.poll(try PollID(hex: pollHex))

            // Named signatures, a plain one, and a withdrawal.
            for id in ["R1", "R2"] {
                let token = try await world.login(id)
                let oneTime = Ed25519.PrivateKey()
                struct NameBody: Encodable { var oneTimeKey: String }
                struct NameAnswer: Decodable { var attestation: NameAttestation; var signature: String }
                let named = try await world.brokerClient.json(
                    .post, "/v1/polls/\(pollHex)/name-attestation", token: token,
                    body: NameBody(oneTimeKey: Base64.encode(oneTime.publicKey.rawRepresentation)))
                let answer = try named.decode(NameAnswer.self)
                let (credential, key) = try await world.credential(
                    token: token, poll: petition, attributeClass: try PnyxWorld.attributeClass(id, poll: petition), oneTime: oneTime)
                let voter = Voter(pollID: petition.id, credential: credential, key: key)
                let name = PartialName(name: answer.attestation.partialName, attestation: try Base64.decode(answer.signature))
                try await call(world, "post", "/v1/polls/{poll}/entries", "/v1/polls/\(pollHex)/entries", body: try voter.entry(.sign(name)))
            }
            let third = try await world.citizen("R3", poll: petition)
            let thirdEntry = try third.entry(.sign(nil))
            try await call(world, "post", "/v1/polls/{poll}/entries", "/v1/polls/\(pollHex)/entries", body: thirdEntry)
            // The same receipt found again by the entry's digest; an unknown digest answers the Error schema.
            try await call(world, "get", "/v1/polls/{poll}/entries/{digest}",
                           "/v1/polls/\(pollHex)/entries/\(SHA256.hash(thirdEntry.canonicalBytes).hex)")
            let unknown = try await world.client.get("/v1/polls/\(pollHex)/entries/\(String(repeating: "0", count: 64))")
            #expect(unknown.status == .notFound)
            try check(unknown.bytes, against: .json("Error"), "an unknown entry digest")
            let official = try await world.citizen("R4", poll: petition)
            try await call(world, "post", "/v1/official/polls/{poll}/entries", "/v1/official/polls/\(pollHex)/entries",
                           token: PnyxWorld.officialToken, body: try official.entry(.sign(nil), channel: .paper))
            try await call(world, "post", "/v1/polls/{poll}/entries", "/v1/polls/\(pollHex)/entries", body: try third.entry(.withdraw))

            // Certificates, countersigned by an official and an auditor; an answer to the petition.
            let certified = try await call(world, "post", "/v1/admin/polls/{poll}/certify", "/v1/admin/polls/\(pollHex)/certify",
                                           token: admin, body: ["thresholdIndex": 0])
            let certificate = try certified.decode(CertificateBundle.self).certificate
            struct Countersign: Encodable { let publicKey: String; let signature: String }
            func countersign(_ key: Ed25519.PrivateKey) -> Countersign {
                Countersign(publicKey: Base64.encode(key.publicKey.rawRepresentation),
                            signature: Base64.encode(Countersignature.sign(certificate, with: key)))
            }
            try await call(world, "post", "/v1/admin/polls/{poll}/certificates/{index}/countersignatures",
                           "/v1/admin/polls/\(pollHex)/certificates/0/countersignatures", token: admin, body: countersign(PnyxWorld.countersigner))
            try await call(world, "post", "/v1/polls/{poll}/certificates/{index}/countersignatures",
                           "/v1/polls/\(pollHex)/certificates/0/countersignatures", body: countersign(PnyxWorld.auditor))
            struct AnswerBody: Encodable { let text: String; let links: [String] }
            try await call(world, "post", "/v1/admin/polls/{poll}/answer", "/v1/admin/polls/\(pollHex)/answer", token: admin,
                           body: AnswerBody(text: "Le conseil municipal en débattra.", links: ["https://example.org/conseil"]))

            // A consultation with single, multiple and approval questions, a vote and a change.
            let consultation = try await world.openPoll(world.consultationDraft())
            let consultationHex = consultation.id.hex
            let voter = try await world.citizen("R5", poll: consultation)
            for payload in [ConsultationTests.vote(0, [0, 1], [0, 2]), ConsultationTests.vote(2, [3], [])] {
                try await call(world, "post", "/v1/polls/{poll}/entries", "/v1/polls/\(consultationHex)/entries", body: try voter.entry(payload))
            }

            // Every public read of both polls.
            try await call(world, "get", "/v1/service", "/v1/service")
            try await call(world, "get", "/v1/polls", "/v1/polls")
            for hex in [pollHex, consultationHex] {
                try await call(world, "get", "/v1/polls/{poll}", "/v1/polls/\(hex)")
                try await call(world, "get", "/v1/polls/{poll}/directory", "/v1/polls/\(hex)/directory")
                try await call(world, "get", "/v1/polls/{poll}/tally", "/v1/polls/\(hex)/tally")
                try await call(world, "get", "/v1/polls/{poll}/tally/check", "/v1/polls/\(hex)/tally/check")
                try await call(world, "get", "/v1/polls/{poll}/export.json", "/v1/polls/\(hex)/export.json")
                try await call(world, "get", "/v1/polls/{poll}/log/log.json", "/v1/polls/\(hex)/log/log.json")
                try await call(world, "get", "/v1/polls/{poll}/receipts/{position}", "/v1/polls/\(hex)/receipts/3")
                try await call(world, "get", "/v1/polls/{poll}/proofs/inclusion", "/v1/polls/\(hex)/proofs/inclusion?position=3")
                try await call(world, "get", "/v1/polls/{poll}/proofs/consistency", "/v1/polls/\(hex)/proofs/consistency?from=2")
                try await call(world, "get", "/v1/polls/{poll}/certificates", "/v1/polls/\(hex)/certificates")
            }
            try await call(world, "get", "/v1/polls/{poll}/certificates/{index}", "/v1/polls/\(pollHex)/certificates/0")

            // Moderation: a proposal rejected with a reason, another accepted.
            let proposed = try await call(world, "post", "/v1/proposals", "/v1/proposals", body: world.petitionDraft())
            var second = world.petitionDraft()
            second.title = "Un banc au square"
            let accepted = try await call(world, "post", "/v1/proposals", "/v1/proposals", body: second)
            struct Proposed: Decodable { let proposalID: Int64 }
            try await call(world, "post", "/v1/admin/proposals/{proposal}/reject",
                           "/v1/admin/proposals/\(try proposed.decode(Proposed.self).proposalID)/reject", token: admin,
                           body: ["reason": "Hors compétence communale"])
            try await call(world, "post", "/v1/admin/proposals/{proposal}/accept",
                           "/v1/admin/proposals/\(try accepted.decode(Proposed.self).proposalID)/accept", token: admin,
                           body: ["closesAt": world.clock.unix + 7 * 86_400])
            try await call(world, "get", "/v1/admin/proposals", "/v1/admin/proposals", token: admin)
            try await call(world, "get", "/v1/polls", "/v1/polls")
            try await call(world, "post", "/v1/admin/polls/{poll}/close", "/v1/admin/polls/\(consultationHex)/close", token: admin, body: Empty())
            try await call(world, "get", "/v1/polls/{poll}", "/v1/polls/\(consultationHex)")

            // An error body.
            let refused = try await world.client.get("/v1/polls/\(PollID.random().hex)")
            try check(refused.bytes, against: .json("Error"), "an unknown poll")
        }
    }

    @Test("the validator refuses what the schemas forbid: an undocumented member, a missing one, a wrong type, a bad enum")
    func validatorRefuses() throws {
        let poll = String(repeating: "0", count: 32), hash = String(repeating: "ab", count: 32)
        func errors(_ json: String, _ schema: String) throws -> [String] {
            validator.errors(try JSONValue.parse(Array(json.utf8)), schemaNamed: schema)
        }
        let receipt = #"{"pollID":"\#(poll)","position":1,"entryHash":"\#(hash)","checkpoint":"c","inclusionProof":["\#(hash)"]"#
        #expect(try errors(receipt + "}", "Receipt").isEmpty)
        #expect(try errors(receipt + #","extra":1}"#, "Receipt") == [#"$: undocumented member "extra""#])
        let missing = #"{"pollID":"\#(poll)","position":1,"entryHash":"\#(hash)","inclusionProof":[]}"#
        #expect(try errors(missing, "Receipt") == [#"$: missing required "checkpoint""#])
        let wrong = #"{"pollID":"\#(poll)","position":"1","entryHash":"\#(hash.uppercased())","checkpoint":"c","inclusionProof":[]}"#
        #expect(try errors(wrong, "Receipt").count == 2)
        let negative = #"{"pollID":"\#(poll)","position":-1,"entryHash":"\#(hash)","checkpoint":"c","inclusionProof":[]}"#
        #expect(try errors(negative, "Receipt") == ["$.position: -1 < 0"])
        // Nested: a draft whose kind, threshold and eligibility are wrong.
        let draft = #"{"kind":"referendum","title":"t","text":"t","opensAt":1,"closesAt":2,"#
            + #""eligibility":{"areaScope":[],"minimumAge":18},"disclosure":{"areaLevel":"none","ageBands":false},"#
            + #""thresholds":[{"kind":"absolute","basisPoints":10}]}"#
        let found = try errors(draft, "PollDraft")
        #expect(found.contains { $0.hasPrefix("$.kind: ") })
        #expect(found.contains(#"$.eligibility: missing required "referenceDate""#))
        #expect(found.contains { $0.hasPrefix("$.thresholds[0]: ") && $0.contains("matches 0 of the oneOf") })
        // Payload kinds are told apart by their constant.
        #expect(try errors(#"{"kind":"withdraw"}"#, "EntryPayload").isEmpty)
        #expect(try errors(#"{"kind":"withdraw","answers":[]}"#, "EntryPayload").count == 1)
        #expect(try errors(#"{"kind":"vote","answers":[{"questionID":1,"choices":[0,2]}]}"#, "EntryPayload").isEmpty)
    }

}
