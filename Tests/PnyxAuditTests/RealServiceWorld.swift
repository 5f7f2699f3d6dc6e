import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxAudit
import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxHTTP
import PnyxLogStore
import PnyxPostgres
import PnyxService
import PnyxTestSupport
import PnyxTransparency
import Testing

/// The real broker and the real service, each with its own database on the shared private
/// PostgreSQL cluster, both live on loopback sockets so the auditor reaches them over HTTP as
/// it would in the field. The service accepts cosignatures from ``witness``.
struct RealWorld: Sendable {
    static let adminToken = "audit-admin-token-0123456789"
    static let serviceKeyName = "service.pnyx.test"

    let clock: TestClock
    let broker: Broker
    let brokerClient: any TestClientProtocol
    let service: PetitionService
    let client: any TestClientProtocol
    let serviceKey: Ed25519.PrivateKey
    /// The witness the service is configured with.
    let witness: Cosigner

    /// The service's API base, `http://127.0.0.1:<port>/v1/`.
    var serviceURL: URL { URL(string: "http://127.0.0.1:\(client.port!)/v1/")! }
    /// The broker's API base.
    var brokerURL: URL { URL(string: "http://127.0.0.1:\(brokerClient.port!)/v1/")! }
    /// The note signer the service signs checkpoints with (a lying service re-signs with it).
    var serviceSigner: NoteSigner { try! NoteSigner(name: Self.serviceKeyName, privateKey: serviceKey) }

    /// Residents (id, district, age at 2025-01-01): communes C1 and C2; R6 is a minor.
    static let people: [(String, String, Int)] = [
        ("R1", "C1-1", 40), ("R2", "C1-2", 30), ("R3", "C2-1", 60), ("R4", "C2-1", 20), ("R5", "C1-1", 70),
        ("R6", "C1-1", 17), ("R7", "C2-1", 45), ("R8", "C1-2", 52),
    ]

    static var residentsCSV: String {
        TestRegister.residentsCSV(people.map { id, district, age in "\(id),Arnaud,Robert,\(2024 - age)-06-15,\(district)\n" }.joined())
    }

    /// Runs `body` with a fresh world; everything is stopped afterwards.
    static func with(_ body: @Sendable (RealWorld) async throws -> Void) async throws {
        let witness = try Cosigner(name: "witness.audit.test", privateKey: Ed25519.PrivateKey())
        var options = LiveServers.Options()
        options.residentsCSV = residentsCSV
        options.configureService = { configuration in
            configuration.keyName = serviceKeyName
            configuration.adminTokens = [adminToken: "Alice (admin)"]
            configuration.bodyLimit = 16_384
            configuration.witnessKeys = [witness.verifier]
        }
        try await LiveServers.run(options) { servers in
            try await body(RealWorld(clock: servers.clock, broker: servers.broker, brokerClient: servers.brokerClient,
                                     service: servers.service, client: servers.client, serviceKey: servers.serviceKey, witness: witness))
        }
    }

    // MARK: HTTP

    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: some Encodable) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.execute(uri: uri, method: method, headers: headers,
                                        body: ByteBuffer(bytes: Array(try JSONEncoder().encode(body))))
    }

    func text(_ method: HTTPRequest.Method, _ uri: String, _ text: String) async throws -> TestResponse {
        try await client.execute(uri: uri, method: method, headers: [.contentType: "text/plain; charset=utf-8"],
                                 body: ByteBuffer(bytes: Array(text.utf8)))
    }

    // MARK: Citizens

    /// Enrols and logs `residentID` in with the broker over HTTP; returns the session token.
    func login(_ residentID: String) async throws -> String {
        let codes = try await broker.enrolment.issueCodes(residentIDs: [residentID])
        struct Enrol: Encodable { let code: String; let passphrase: String }
        struct Login: Encodable { let residentID: String; let passphrase: String }
        struct Token: Decodable { let token: String }
        let enrolled = try await brokerClient.execute(
            uri: "/v1/enrol", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: Array(try JSONEncoder().encode(Enrol(code: codes[0].code, passphrase: "correct horse battery")))))
        #expect(enrolled.status == .created, "\(String(buffer: enrolled.body))")
        let login = try await brokerClient.execute(
            uri: "/v1/login", method: .post, headers: [.contentType: "application/json"],
            body: ByteBuffer(bytes: Array(try JSONEncoder().encode(Login(residentID: residentID, passphrase: "correct horse battery")))))
        return try login.decode(Token.self).token
    }

    /// A real credential from the broker for `residentID` (class: its commune).
    func citizen(_ residentID: String, poll: PollState, oneTime: Ed25519.PrivateKey = Ed25519.PrivateKey()) async throws -> RealVoter {
        let token = try await login(residentID)
        let district = Self.people.first { $0.0 == residentID }!.1
        let attributeClass = try AttributeClass(areaCode: String(district.prefix(2)), ageBand: nil)
        let message = CredentialMessage(pollID: poll.id, attributeClass: attributeClass, oneTimeKey: oneTime.publicKey)
        let request = try CredentialRequest(message: message, directory: poll.directory!.directory)
        struct Blinded: Encodable { let blindedMessage: String }
        struct Signed: Decodable { let blindSignature: String }
        let answer = try await brokerClient.execute(
            uri: "/v1/polls/\(poll.id.hex)/credential", method: .post,
            headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
            body: ByteBuffer(bytes: Array(try JSONEncoder().encode(Blinded(blindedMessage: Base64.encode(request.blindedMessage))))))
        #expect(answer.status == .ok, "\(String(buffer: answer.body))")
        let credential = try request.finalize(blindSignature: try Base64.decode(try answer.decode(Signed.self).blindSignature))
        return RealVoter(pollID: poll.id, credential: credential, key: oneTime)
    }

    /// POSTs an entry; returns its receipt.
    func submit(_ entry: Entry) async throws -> Receipt {
        let response = try await call(.post, "/v1/polls/\(entry.pollID.hex)/entries", body: entry)
        #expect(response.status == .created, "\(String(buffer: response.body))")
        return try response.decode(Receipt.self)
    }
}

/// A citizen holding a credential for one poll.
struct RealVoter: Sendable {
    let pollID: PollID
    let credential: Credential
    let key: Ed25519.PrivateKey

    func entry(_ payload: EntryPayload = .sign(nil)) throws -> Entry {
        try Entry(pollID: pollID, credential: credential, channel: .online, payload: payload, signingWith: key)
    }
}

/// A small petition run end to end through HTTP on the real servers, then exported with the
/// log store's exporter (the poll's log with the published tally, and the broker's register).
struct RealPoll: Sendable {
    let poll: PollState
    /// The clean export of the poll's log, with `tally.json`.
    let export: String
    /// The clean export of the broker's issuance register.
    let register: String
    /// The register exported when only R1's credential was issued.
    let earlyRegister: String
    /// Credentials issued but never used, for a lying service to inject: R5's (class C1),
    /// and R7's (class C2) made with R3's one-time key.
    let spare: RealVoter
    let spareWithReusedKey: RealVoter
    /// Position of the first citizen entry, and of the certificate.
    let firstEntry: Int64
    let certificatePosition: Int64
    /// The poll's window.
    var closesAt: Int64 { poll.definition.closesAt }

    struct Empty: Codable {}
    struct Created: Decodable { let pollID: String }
    struct Certify: Encodable { let thresholdIndex: Int }

    /// Creates, publishes and opens a petition (threshold: 2 signatures, commune classes), has
    /// R1, R2, R3 sign and R1 withdraw through HTTP, certifies the threshold, closes the poll
    /// and exports it.
    static func run(_ world: RealWorld) async throws -> RealPoll {
        let clock = world.clock
        let draft = PollDraft(
            kind: .petition, title: "Plus d'arbres", text: "Plantons des arbres dans la commune.",
            opensAt: clock.unix + 3600, closesAt: clock.unix + 3 * 86_400,
            eligibility: Eligibility(minimumAge: 18, referenceDate: CivilDate("2025-01-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: false), thresholds: [.absolute(count: 2)])
        let created = try await world.call(.post, "/v1/admin/polls", token: RealWorld.adminToken, body: draft)
        #expect(created.status == .created, "\(String(buffer: created.body))")
        let idHex = try created.decode(Created.self).pollID
        let published = try await world.call(.post, "/v1/admin/polls/\(idHex)/publish", token: RealWorld.adminToken, body: Empty())
        #expect(published.status == .ok, "\(String(buffer: published.body))")
        clock.advance(3601)
        let opened = try await world.call(.post, "/v1/admin/polls/\(idHex)/open", token: RealWorld.adminToken, body: Empty())
        #expect(opened.status == .ok, "\(String(buffer: opened.body))")
        let poll = try await world.service.poll(try PollID(hex: idHex))

        let r1 = try await world.citizen("R1", poll: poll)
        let earlyRegister = try await exportRegister(world, poll.id, to: TestFolders.make("early-register"))
        let r2 = try await world.citizen("R2", poll: poll)
        let r3 = try await world.citizen("R3", poll: poll)
        let spare = try await world.citizen("R5", poll: poll)
        let spareWithReusedKey = try await world.citizen("R7", poll: poll, oneTime: r3.key)

        clock.advance(60)
        let first = try await world.submit(try r1.entry())
        clock.advance(60)
        _ = try await world.submit(try r2.entry())
        clock.advance(60)
        let certified = try await world.call(.post, "/v1/admin/polls/\(idHex)/certify", token: RealWorld.adminToken,
                                             body: Certify(thresholdIndex: 0))
        #expect(certified.status == .created, "\(String(buffer: certified.body))")
        let certificatePosition = try await world.service.store.head(logID: poll.id.bytes).size - 1
        clock.advance(60)
        _ = try await world.submit(try r3.entry())
        clock.advance(60)
        _ = try await world.submit(try r1.entry(.withdraw))
        clock.advance(3 * 86_400)
        let closed = try await world.call(.post, "/v1/admin/polls/\(idHex)/close", token: RealWorld.adminToken, body: Empty())
        #expect(closed.status == .ok, "\(String(buffer: closed.body))")

        let export = try await exportPoll(world, poll.id, to: TestFolders.make("real-export"))
        let register = try await exportRegister(world, poll.id, to: TestFolders.make("real-register"))
        return RealPoll(poll: poll, export: export, register: register, earlyRegister: earlyRegister, spare: spare,
                        spareWithReusedKey: spareWithReusedKey, firstEntry: Int64(first.position),
                        certificatePosition: certificatePosition)
    }

    /// Signs a checkpoint of everything so far and exports the poll's log with the log store's
    /// exporter, with the service's published tally as `tally.json`.
    static func exportPoll(_ world: RealWorld, _ id: PollID, to folder: String) async throws -> String {
        _ = try await world.service.latestCheckpoint(id)
        _ = try await LogExporter(store: world.service.store).export(logID: id.bytes, to: folder)
        let tally = try await world.client.execute(uri: "/v1/polls/\(id.hex)/tally", method: .get)
        #expect(tally.status == .ok)
        try Data(tally.body.readableBytesView).write(to: URL(fileURLWithPath: folder + "/tally.json"))
        return folder
    }

    /// Checkpoints and exports the broker's issuance register of the poll.
    static func exportRegister(_ world: RealWorld, _ id: PollID, to folder: String) async throws -> String {
        _ = try await world.broker.register.checkpoint(pollID: id)
        _ = try await LogExporter(store: world.broker.register.store).export(logID: IssuanceRegister.logID(pollID: id), to: folder)
        return folder
    }

    // MARK: Reading and rewriting the export

    /// The records of the clean export, in order.
    func records() throws -> [LogRecord] {
        try leaves().map { try LogRecord(leafPayload: try LogLeaf(bytes: $0).payload) }
    }

    /// The leaves of the clean export.
    func leaves() throws -> [[UInt8]] {
        let bytes = try Audit.read(export + "/" + entryBundlePath)
        return try LogExport.parseEntryBundle(bytes, count: Int(size), path: entryBundlePath)
    }

    /// The size of the exported log.
    var size: Int64 {
        let manifest = try! JSONDecoder().decode(LogExport.Manifest.self, from: Data(try! Audit.read(export + "/log.json")))
        return Int64(manifest.treeSize)
    }

    /// The partial entry bundle holding every leaf (the poll has fewer than 256 records).
    var entryBundlePath: String { "tile/entries/000.p/\(size)" }

    /// The log a lying service would publish instead: `records`, chained, in a tree, with a
    /// checkpoint signed by the service's own key and a tally consistent with them.
    func rewritten(_ records: [LogRecord], world: RealWorld, checkpointAt sizes: [Int] = []) throws -> String {
        var builder = PollLogBuilder(logID: poll.id.bytes, origin: try origin(), signer: world.serviceSigner)
        for (index, record) in records.enumerated() {
            if sizes.contains(index) { builder.checkpoint() }
            builder.append(record)
        }
        builder.checkpoint()
        return try builder.export(to: TestFolders.make("rewritten"), tally: try builder.publishedTally())
    }

    /// The checkpoint origin of the poll's log.
    func origin() throws -> String {
        let note = try Note(parsing: try Audit.read(export + "/checkpoint"))
        return try Checkpoint(note: note).origin
    }

    /// Position of the close record (the last one).
    var closePosition: Int { Int(size) - 1 }
}

/// Runs blocking auditor code on a thread of its own, so the servers in this process keep
/// the cooperative pool.
func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try work() }) }.start()
    }
}

extension TestResponse {
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(body.readableBytesView))
    }

    /// The stable error code of an error body.
    var errorCode: String? {
        try? JSONDecoder().decode(APIError.Body.self, from: Data(body.readableBytesView)).error.code
    }

    var text: String { String(buffer: body) }
}
