import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxHTTP
import PnyxLogStore
import PnyxPostgres
import PnyxTestSupport
@testable import PnyxService
import PnyxTransparency
import Testing

/// A real broker (live on a loopback socket, its own database) and a real service (its own
/// database, in-process router) on the shared private PostgreSQL cluster.
struct PnyxWorld: Sendable {
    static let adminToken = "service-admin-token-0123456789"
    static let officialToken = "service-official-token-0123456789"
    /// The administration official's countersigning key (configured on the service).
    static let countersigner = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x21, count: 32))
    /// An auditor's countersigning key (configured on the service).
    static let auditor = try! Ed25519.PrivateKey(seed: [UInt8](repeating: 0x22, count: 32))

    let clock: TestClock
    let broker: Broker
    let brokerClient: any TestClientProtocol
    let service: PetitionService
    let client: any TestClientProtocol

    /// Residents (id, district, age at 2025-01-01).
    static let people: [(String, String, Int)] = [
        ("R1", "C1-1", 40), ("R2", "C1-2", 30), ("R3", "C2-1", 60), ("R4", "C2-1", 20), ("R5", "C1-1", 70),
        ("R6", "C1-1", 17), ("R7", "C2-1", 45), ("R8", "C1-2", 52),
    ]

    /// The commune of a test district.
    static func commune(_ district: String) -> String { String(district.prefix(2)) }

    /// Runs `body` with a fresh world; everything is stopped afterwards. `readRefresh`: the
    /// service's ``ServiceConfiguration/readRefreshInterval`` (nil: public reads uncached).
    static func with(k: Int = 1, readRefresh: Duration? = nil, _ body: @Sendable (PnyxWorld) async throws -> Void) async throws {
        let clock = TestClock()
        let cluster = try await PrivateCluster.sharedTemporary()
        let brokerDatabase = try await cluster.createDatabase()
        let serviceDatabase = try await cluster.createDatabase()
        let serviceKey = Ed25519.PrivateKey()
        let brokerConfiguration = try TestServers.brokerConfiguration(
            adminToken: "broker-admin-token-0123456789", databaseURL: brokerDatabase, trusting: serviceKey.publicKey, k: k)
        try await TestServers.withBroker(brokerConfiguration, now: { clock.now }) { broker in
            _ = try await broker.residents.importRegister(areasCSV: TestRegister.areasCSV, residentsCSV: TestRegister.residentsCSV(people: people))
            try await buildBrokerApplication(broker: broker).testLive { brokerClient in
                var configuration = ServiceConfiguration(
                    databaseURL: serviceDatabase, brokerURL: "http://127.0.0.1:\(brokerClient.port!)", serviceKey: serviceKey,
                    keyName: "service.pnyx.test", adminTokens: [adminToken: "Alice (admin)"],
                    officialTokens: [officialToken: "Bob (town hall kiosk)"],
                    officialKeys: [Base64.encode(countersigner.publicKey.rawRepresentation): "Claire (mayor's office)"],
                    auditorKeys: [Base64.encode(auditor.publicKey.rawRepresentation): "Citizens' audit collective"],
                    logOriginPrefix: "pnyx.test/poll/",
                    checkpointInterval: .seconds(3600), bodyLimit: 16_384, poolSize: 4, port: 0)
                configuration.readRefreshInterval = readRefresh
                try await TestServers.withService(configuration, now: { clock.now }) { service in
                    try await buildServiceApplication(service: service).test(.router) { client in
                        try await body(PnyxWorld(clock: clock, broker: broker, brokerClient: brokerClient, service: service, client: client))
                    }
                }
            }
        }
    }

    // MARK: Polls

    /// A petition draft opening in an hour.
    func petitionDraft(
        thresholds: [Threshold] = [.absolute(count: 2)], level: AreaLevel = .commune, ageBands: Bool = true,
        names: Bool = false
    ) -> PollDraft {
        TestDrafts.petition(
            clock: clock, text: "Plantons des arbres dans la commune.", disclosure: Disclosure(areaLevel: level, ageBands: ageBands),
            allowPartialNames: names, thresholds: thresholds)
    }

    /// A consultation draft with single, multiple (≤ 2) and approval questions.
    func consultationDraft() -> PollDraft {
        TestDrafts.consultation(clock: clock, questions: [
            Question(id: 1, text: "Projet principal ?", kind: .single, options: ["Parc", "Piscine", "Pistes cyclables"]),
            Question(id: 2, text: "Deux priorités ?", kind: .multiple, maxChoices: 2, options: ["A", "B", "C", "D"]),
            Question(id: 3, text: "Lesquels approuvez-vous ?", kind: .approval, options: ["X", "Y", "Z"]),
        ])
    }

    /// Creates, publishes (real broker) and opens a poll; moves the clock into its window.
    func openPoll(_ draft: PollDraft) async throws -> PollState {
        let created = try await client.json(.post, "/v1/admin/polls", token: Self.adminToken, body: draft)
        #expect(created.status == .created, "\(String(buffer: created.body))")
        let view = try created.decode(PollViewBody.self)
        let published = try await client.json(.post, "/v1/admin/polls/\(view.pollID)/publish", token: Self.adminToken, body: Empty())
        #expect(published.status == .ok, "\(String(buffer: published.body))")
        clock.advance(3601)
        let opened = try await client.json(.post, "/v1/admin/polls/\(view.pollID)/open", token: Self.adminToken, body: Empty())
        #expect(opened.status == .ok, "\(String(buffer: opened.body))")
        return try await service.poll(try PollID(hex: view.pollID))
    }

    // MARK: Citizens

    /// Enrols `residentID` with the broker over HTTP and logs in; returns the session token.
    func login(_ residentID: String) async throws -> String {
        let codes = try await broker.enrolment.issueCodes(residentIDs: [residentID])
        struct Enrol: Encodable { let code: String; let passphrase: String }
        struct Login: Encodable { let residentID: String; let passphrase: String }
        struct Token: Decodable { let token: String }
        let enrolled = try await brokerClient.json(.post, "/v1/enrol", body: Enrol(code: codes[0].code, passphrase: "correct horse battery"))
        #expect(enrolled.status == .created, "\(String(buffer: enrolled.body))")
        let login = try await brokerClient.json(.post, "/v1/login", body: Login(residentID: residentID, passphrase: "correct horse battery"))
        return try login.decode(Token.self).token
    }

    /// A real credential from the broker: one-time key, prepare + blind, blind-sign over
    /// HTTP, finalize. `attributeClass` is the class the citizen knows they are in.
    func credential(
        token: String, poll: PollState, attributeClass: AttributeClass, oneTime: Ed25519.PrivateKey = Ed25519.PrivateKey()
    ) async throws -> (Credential, Ed25519.PrivateKey) {
        let message = CredentialMessage(pollID: poll.id, attributeClass: attributeClass, oneTimeKey: oneTime.publicKey)
        let request = try CredentialRequest(message: message, directory: poll.directory!.directory)
        struct Blinded: Encodable { let blindedMessage: String }
        struct Signed: Decodable { let blindSignature: String }
        let answer = try await brokerClient.json(
            .post, "/v1/polls/\(poll.id.hex)/credential", token: token, body: Blinded(blindedMessage: Base64.encode(request.blindedMessage)))
        #expect(answer.status == .ok, "\(String(buffer: answer.body))")
        let credential = try request.finalize(blindSignature: try Base64.decode(try answer.decode(Signed.self).blindSignature))
        return (credential, oneTime)
    }

    /// Logs `residentID` in and obtains their credential (class from the test register).
    func citizen(_ residentID: String, poll: PollState, oneTime: Ed25519.PrivateKey = Ed25519.PrivateKey()) async throws -> Voter {
        let (credential, key) = try await credential(
            token: try await login(residentID), poll: poll, attributeClass: try Self.attributeClass(residentID, poll: poll),
            oneTime: oneTime)
        return Voter(pollID: poll.id, credential: credential, key: key)
    }

    /// The class of a test resident in `poll` (k = 1: no merging).
    static func attributeClass(_ residentID: String, poll: PollState) throws -> AttributeClass {
        let person = people.first { $0.0 == residentID }!
        let disclosure = poll.definition.disclosure
        let area: String? = disclosure.areaLevel == .none ? nil : commune(person.1)
        let band = disclosure.ageBands ? AgeBand(age: person.2) : nil
        return try AttributeClass(areaCode: area, ageBand: band)
    }

    /// POSTs an entry; returns the response.
    func submit(_ entry: Entry, to poll: PollID? = nil, official: Bool = false, token: String? = nil) async throws -> TestResponse {
        let path = official ? "/v1/official/polls/\((poll ?? entry.pollID).hex)/entries" : "/v1/polls/\((poll ?? entry.pollID).hex)/entries"
        return try await client.json(.post, path, token: token ?? (official ? Self.officialToken : nil), body: entry)
    }

    /// The stored tally.
    func tally(_ id: PollID) async throws -> TallySummary { try await service.tally(id).summary() }

    /// The log size.
    func logSize(_ id: PollID) async throws -> Int64 { try await service.store.head(logID: id.bytes).size }
}

/// A citizen holding a credential for one poll.
struct Voter: Sendable {
    let pollID: PollID
    let credential: Credential
    let key: Ed25519.PrivateKey

    func entry(_ payload: EntryPayload, channel: Channel = .online) throws -> Entry {
        try Entry(pollID: pollID, credential: credential, channel: channel, payload: payload, signingWith: key)
    }
}

struct Empty: Codable {}

/// The parts of a poll view the tests read.
struct PollViewBody: Decodable {
    let pollID: String
    let status: String
}

/// Checks a receipt against the service's checkpoint key with the PnyxTransparency verifiers.
func verifyReceipt(_ receipt: Receipt, verifierKey: String) throws -> Checkpoint {
    let verifier = try NoteVerifier(verifierKey: verifierKey)
    let note = try NoteVerifierSet([verifier]).open(receipt.checkpoint)
    let checkpoint = try Checkpoint(note: note)
    try MerkleProofVerification.verifyInclusion(
        leafHash: try MerkleHash(hex: receipt.entryHash), index: Int64(receipt.position), treeSize: Int64(checkpoint.size),
        proof: try receipt.inclusionProof.map { try MerkleHash(hex: $0) }, rootHash: try MerkleHash(bytes: checkpoint.rootHash))
    return checkpoint
}

/// HTTP helpers over HummingbirdTesting.
extension TestClientProtocol {
    func json(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: some Encodable) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: Array(try JSONEncoder().encode(body))))
    }

    func raw(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, bytes: [UInt8]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    /// The stable error code of an error body.
    var errorCode: String? {
        try? JSONDecoder().decode(APIError.Body.self, from: Data(body.readableBytesView)).error.code
    }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    var bytes: [UInt8] { Array(body.readableBytesView) }
}

/// The raw loopback connection of the shared test support (``PnyxTestSupport/RawHTTPConnection``).
typealias RawHTTPConnection = PnyxTestSupport.RawHTTPConnection
