import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxBroker
import PnyxClient
import PnyxCore
import PnyxCrypto
import PnyxHTTP
import PnyxPostgres
import PnyxService
import PnyxTestSupport
import Testing

/// A real broker and a real service, both live on loopback (ephemeral ports, their own
/// databases); the ``AdminClient`` talks to the service over real HTTP (URLSession).
struct AdminWorld: Sendable {
    static let adminToken = "admin-client-test-token-0123456789"
    static let countersigner = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x31, count: 32))

    let clock: TestClock
    let broker: Broker
    let service: PetitionService
    let brokerURL: URL
    let serviceURL: URL
    let folder: String

    var admin: AdminClient { AdminClient(serviceURL: serviceURL, token: Self.adminToken) }

    static func with(_ body: @Sendable (AdminWorld) async throws -> Void) async throws {
        var options = LiveServers.Options()
        options.residentsCSV = TestRegister.residentsCSV("A1,Ada,Lovelace,1980-03-01,C1-1\nA2,Alan,Turing,1970-05-02,C1-1\n")
        options.configureService = { configuration in
            configuration.adminTokens = [adminToken: "Alice (admin)"]
            configuration.officialKeys = [Base64.encode(countersigner.publicKey.rawRepresentation): "Claire (mayor's office)"]
        }
        let folder = NSTemporaryDirectory() + "pnyx-admin-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await LiveServers.run(options) { servers in
            try await body(AdminWorld(clock: servers.clock, broker: servers.broker, service: servers.service,
                                      brokerURL: URL(string: servers.brokerURL + "/v1")!, serviceURL: URL(string: servers.serviceURL)!,
                                      folder: folder))
        }
    }

    /// A petition (no disclosure) with two thresholds: 1 signature, 100 signatures.
    func draftJSON(title: String = "Un banc au square") throws -> Data {
        let draft = PollDraft(
            kind: .petition, title: title, text: "Installons un banc.", opensAt: clock.unix + 3600, closesAt: clock.unix + 86_400,
            eligibility: Eligibility(minimumAge: 18, referenceDate: CivilDate("2025-01-01")!),
            disclosure: Disclosure(areaLevel: .none, ageBands: false), thresholds: [.absolute(count: 1), .absolute(count: 100)])
        return try JSONEncoder().encode(draft)
    }

    /// Enrols and logs `residentID` in, obtains a credential and signs `poll` over HTTP.
    func sign(_ residentID: String, poll pollID: String) async throws {
        let broker = APIClient(baseURL: brokerURL)
        let code = try await self.broker.enrolment.issueCodes(residentIDs: [residentID])[0].code
        struct Enrolled: Decodable {}
        struct Token: Decodable { let token: String }
        let _: Enrolled = try await broker.send("POST", "enrol", json: ["code": code, "passphrase": "correct horse battery"])
        let token: Token = try await broker.send("POST", "login", json: ["residentID": residentID, "passphrase": "correct horse battery"])
        let poll = try await service.poll(try PollID(hex: pollID))
        let oneTime = Ed25519.PrivateKey()
        let request = try CredentialRequest(
            message: CredentialMessage(pollID: poll.id, attributeClass: try AttributeClass(areaCode: nil, ageBand: nil), oneTimeKey: oneTime.publicKey),
            directory: poll.directory!.directory)
        struct Signed: Decodable { let blindSignature: String }
        let signed: Signed = try await broker.send(
            "POST", "polls/\(pollID)/credential", json: ["blindedMessage": Base64.encode(request.blindedMessage)], token: token.token)
        let credential = try request.finalize(blindSignature: try Base64.decode(signed.blindSignature))
        let entry = try Entry(pollID: poll.id, credential: credential, channel: .online, payload: .sign(nil), signingWith: oneTime)
        struct Receipt: Decodable { let position: Int }
        let _: Receipt = try await APIClient(baseURL: admin.api.baseURL).send("POST", "polls/\(pollID)/entries", json: entry)
    }
}

/// The ``ClientError`` `body` throws (nil if it succeeds).
func adminError(_ body: () async throws -> Void) async -> ClientError? {
    do { try await body() } catch let error as ClientError { return error } catch { return ClientError(code: "unexpected \(error)", status: 0, reason: "") }
    return nil
}

@Suite("AdminClient against a real service and broker over HTTP")
struct AdminClientTests {
    @Test("create → publish → open → sign → certify → countersign → export → close; proposals accepted and rejected")
    func administerAPetition() async throws {
        try await AdminWorld.with { world in
            let admin = world.admin
            let created = try await admin.create(draftJSON: try world.draftJSON())
            #expect(created.status == "draft")
            #expect(created.title == "Un banc au square")
            #expect(try await admin.publish(created.pollID).status == "published")
            world.clock.advance(3601)
            #expect(try await admin.open(created.pollID).status == "open")
            #expect(try await admin.open(created.pollID).status == "open")  // idempotent

            // Not reached yet.
            #expect(await adminError { _ = try await admin.certify(created.pollID, threshold: 0) }?.code == "certificate.threshold_not_reached")
            try await world.sign("A1", poll: created.pollID)
            let certificate = try await admin.certify(created.pollID, threshold: 0)
            #expect(certificate.certificate.certificate.reachedAtSize == 4)
            #expect(certificate.countersignatures.isEmpty)
            #expect(await adminError { _ = try await admin.certify(created.pollID, threshold: 1) }?.code == "certificate.threshold_not_reached")

            // Countersign with the official's key from a key file.
            let keyPath = world.folder + "/official.key"
            try Data((Base64.encode(AdminWorld.countersigner.seed) + "\n").utf8).write(to: URL(fileURLWithPath: keyPath))
            let countersigned = try await admin.countersign(created.pollID, threshold: 0, key: try AdminClient.readKey(at: keyPath))
            #expect(countersigned.countersignatures.count == 1)
            #expect(countersigned.countersignatures.first?.name == "Claire (mayor's office)")
            try countersigned.countersignatures[0].verify(countersigned.certificate)
            // A key the service does not know.
            let stranger = try AdminClient.writeKey(to: world.folder + "/stranger.key")
            #expect(FileManager.default.fileExists(atPath: world.folder + "/stranger.key"))
            #expect(await adminError { _ = try await admin.countersign(created.pollID, threshold: 0, key: stranger) }?.code
                    == "countersignature.unknown_key")
            #expect(await adminError { _ = try AdminClient.writeKey(to: world.folder + "/stranger.key") }?.code == "client.invalid_input")
            #expect(await adminError { _ = try AdminClient.readKey(at: world.folder + "/missing.key") }?.code == "client.invalid_input")

            // Exports.
            let csv = String(decoding: try await admin.export(created.pollID, format: .csv), as: UTF8.self)
            #expect(csv.contains("participants"))
            let json = try await admin.export(created.pollID, format: .json)
            #expect((try JSONSerialization.jsonObject(with: json)) is [String: Any])

            #expect(try await admin.close(created.pollID).status == "closed")
            #expect(try await admin.close(created.pollID).status == "closed")
            #expect(await adminError { _ = try await admin.open(created.pollID) }?.code == "poll.invalid_state")

            // Moderation: two citizens' proposals; one rejected with its reason, one accepted.
            let citizens = APIClient(baseURL: admin.api.baseURL)
            struct Proposed: Decodable { let proposalID: Int64 }
            let first: Proposed = try await citizens.send("POST", "proposals", body: try world.draftJSON(title: "Proposition A"))
                .adminDecoded()
            let second: Proposed = try await citizens.send("POST", "proposals", body: try world.draftJSON(title: "Proposition B"))
                .adminDecoded()
            let pending = try await admin.proposals(status: "pending")
            #expect(Set(pending.map(\.proposalID)) == [first.proposalID, second.proposalID])
            #expect(await adminError { _ = try await admin.reject(first.proposalID, reason: "") }?.code == "client.invalid_input")
            let rejected = try await admin.reject(first.proposalID, reason: "Hors compétence communale")
            #expect(rejected.status == "rejected")
            let accepted = try await admin.accept(second.proposalID, closesAt: world.clock.unix + 7 * 86_400)
            #expect(accepted.status == "draft")
            #expect(accepted.closesAt == world.clock.unix + 7 * 86_400)
            #expect(await adminError { _ = try await admin.accept(first.proposalID) }?.code == "proposal.decided")
            let all = try await admin.proposals()
            #expect(all.first { $0.proposalID == first.proposalID }?.reason == "Hors compétence communale")
            #expect(all.first { $0.proposalID == second.proposalID }?.pollID == accepted.pollID)
        }
    }

    @Test("refusals keep the service's codes: no token, wrong token, unknown poll, malformed id, invalid draft")
    func refusals() async throws {
        try await AdminWorld.with { world in
            let stranger = AdminClient(serviceURL: world.serviceURL, token: "not-a-configured-token-0000")
            let refused = await adminError { _ = try await stranger.create(draftJSON: try world.draftJSON()) }
            #expect(refused?.code == "auth.required")
            #expect(refused?.status == 401)
            let unknown = await adminError { _ = try await world.admin.publish(PollID.random().hex) }
            #expect(unknown?.code == "poll.unknown")
            #expect(await adminError { _ = try await world.admin.open("not-a-poll") }?.code == "client.invalid_input")
            #expect(await adminError { _ = try await world.admin.create(draftJSON: Data("{\"kind\":\"petition\"}".utf8)) }?.code
                    == "request.malformed")
            let none = try await world.admin.proposals()
            #expect(none.isEmpty)
            // The service's root URL and its /v1 URL work alike; an unreachable service is client.unreachable.
            let v1 = AdminClient(serviceURL: world.serviceURL.appendingPathComponent("v1"), token: AdminWorld.adminToken)
            let viaV1 = try await v1.proposals()
            #expect(viaV1.isEmpty)
            let down = AdminClient(serviceURL: URL(string: "http://127.0.0.1:1")!, token: AdminWorld.adminToken, timeout: 5)
            #expect(await adminError { _ = try await down.proposals() }?.code == "client.unreachable")
        }
    }
}

extension Data {
    /// Decodes JSON (test helper).
    func adminDecoded<T: Decodable>() throws -> T { try JSONDecoder().decode(T.self, from: self) }
}
