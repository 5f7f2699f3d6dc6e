import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxPostgres
import PnyxTestSupport
import Testing

/// One broker on a fresh database of the shared private cluster, with test settings.
struct BrokerHarness {
    static let serviceKey = Ed25519.PrivateKey()
    static let adminToken = "test-admin-token-0123456789"

    let broker: Broker
    let clock: TestClock

    static func make(k: Int = 3, lockoutAttempts: Int = 3, sessionSeconds: Int = 600) async throws -> BrokerHarness {
        let cluster = try await PrivateCluster.sharedTemporary()
        let url = try await cluster.createDatabase()
        var configuration = BrokerConfiguration(
            adminToken: adminToken, signer: try BrokerSigner.generate(), trustedServiceKeys: [serviceKey.publicKey],
            databaseURL: url)
        configuration.k = k
        configuration.argon2 = .unsafeTestOnly
        configuration.lockoutAttempts = lockoutAttempts
        configuration.lockoutDuration = .seconds(300)
        configuration.sessionLifetime = .seconds(sessionSeconds)
        configuration.databasePoolSize = 6
        configuration.rateBurst = 1000
        configuration.ratePerSecond = 1000
        let clock = TestClock()
        let broker = try await Broker.start(configuration: configuration, now: { clock.now })
        return BrokerHarness(broker: broker, clock: clock)
    }

    /// A small register: département D ⊃ agglomeration A ⊃ communes C1, C2 ⊃ districts
    /// C1-1, C1-2, C2-1. Residents `R<n>` as given: (district, age at 2025-01-01).
    static var areasCSV: String { TestRegister.areasCSV }

    static func residentsCSV(_ people: [(String, String, Int)], names: (String, String) = ("Arnaud", "Robert")) -> String {
        TestRegister.residentsCSV(people: people, names: names)
    }

    /// Imports `people` through the library.
    func importPeople(_ people: [(String, String, Int)]) async throws {
        _ = try await broker.residents.importRegister(areasCSV: Self.areasCSV, residentsCSV: Self.residentsCSV(people))
    }

    /// Issues a code, enrols with `passphrase` and logs in; returns the session token.
    func enrolAndLogin(_ residentID: String, passphrase: String = "correct horse battery") async throws -> String {
        let codes = try await broker.enrolment.issueCodes(residentIDs: [residentID])
        _ = try await broker.enrolment.enrol(code: codes[0].code, passphrase: passphrase)
        return try await broker.enrolment.login(residentID: residentID, passphrase: passphrase).token
    }

    /// A service-signed poll definition opening in an hour.
    func definition(
        scope: Set<AreaCode> = [], minimumAge: UInt8 = 18, level: AreaLevel = .commune, ageBands: Bool = true,
        names: Bool = false, closesIn: TimeInterval = 7200, referenceDate: CivilDate = CivilDate("2025-01-01")!
    ) throws -> SignedPollDefinition {
        let now = Int64(clock.now.timeIntervalSince1970)
        let definition = PollDefinition(
            pollID: .random(), kind: .petition, title: "Plus d'arbres", text: "Plantons des arbres.",
            opensAt: now + 3600, closesAt: now + Int64(closesIn),
            eligibility: Eligibility(areaScope: scope, minimumAge: minimumAge, referenceDate: referenceDate),
            disclosure: Disclosure(areaLevel: level, ageBands: ageBands), allowPartialNames: names,
            serviceKey: Self.serviceKey.publicKey, brokerKey: broker.publicKey)
        return try SignedPollDefinition(signing: definition, with: Self.serviceKey)
    }
}

/// HTTP helpers over HummingbirdTesting.
extension TestClientProtocol {
    func json(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: some Encodable
    ) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        let data = try JSONEncoder().encode(body)
        return try await execute(uri: uri, method: method, headers: headers, body: ByteBuffer(bytes: Array(data)))
    }

    func get(_ uri: String, token: String? = nil) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await execute(uri: uri, method: .get, headers: headers)
    }
}

struct ErrorBody: Decodable {
    struct Inner: Decodable {
        var code: String
        var reason: String
        var details: [Detail]?
    }
    struct Detail: Decodable {
        var source: String?
        var line: Int?
        var reason: String
    }
    var error: Inner
}

extension TestResponse {
    var errorCode: String? { try? JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)).error.code }
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(T.self, from: Data(body.readableBytesView))
    }
}

/// Expects `body` to throw a BrokerError with `code`.
func expectBrokerError(_ code: BrokerError.Code, _ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async {
    do {
        try await body()
        Issue.record("expected \(code), nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as BrokerError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
    }
}
