import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxHTTP
import PnyxPostgres
import PnyxService
import PnyxWeb
import Testing

/// A settable clock shared by the broker and the service.
final class WebTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()
    var now: Date { lock.withLock { current } }
    var unix: Int64 { Int64(now.timeIntervalSince1970) }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// A real broker and a real service with the web pages, both live on loopback sockets
/// (ephemeral ports), each with its own database on the shared private PostgreSQL cluster.
struct WebWorld: Sendable {
    static let adminToken = "web-admin-token-0123456789"
    static let brokerAdminToken = "broker-admin-token-0123456789"

    let clock: WebTestClock
    let broker: Broker
    let service: PetitionService
    /// The service (and pages) base URL, `http://127.0.0.1:<port>`.
    let serviceURL: String
    let brokerURL: String
    let client: any TestClientProtocol

    static let areasCSV = """
        code,name,level,parent_code
        D,Dept,departement,
        A,Agglo,agglomeration,D
        C1,Commune 1,commune,A
        C2,Commune 2,commune,A
        C1-1,District 1-1,district,C1
        C1-2,District 1-2,district,C1
        C2-1,District 2-1,district,C2

        """

    static let residentsCSV = """
        resident_id,given_name,family_name,birth_date,area_code
        R1,Arnaud,Robert,1984-06-15,C1-1
        R2,Berthe,Morisot,1994-06-15,C1-2
        R3,Claude,Monet,1964-06-15,C2-1
        R4,Camille,Claudel,2004-06-15,C2-1

        """

    static func with(_ body: @Sendable (WebWorld) async throws -> Void) async throws {
        let clock = WebTestClock()
        let cluster = try await PrivateCluster.sharedTemporary()
        let brokerDatabase = try await cluster.createDatabase()
        let serviceDatabase = try await cluster.createDatabase()
        let serviceKey = Ed25519.PrivateKey()
        var brokerConfiguration = BrokerConfiguration(
            adminToken: brokerAdminToken, signer: try BrokerSigner.generate(),
            trustedServiceKeys: [serviceKey.publicKey], databaseURL: brokerDatabase)
        brokerConfiguration.k = 1
        brokerConfiguration.argon2 = .unsafeTestOnly
        brokerConfiguration.port = 0
        brokerConfiguration.host = "127.0.0.1"
        brokerConfiguration.databasePoolSize = 4
        brokerConfiguration.rateBurst = 10_000
        brokerConfiguration.ratePerSecond = 10_000
        let broker = try await Broker.start(configuration: brokerConfiguration, now: { clock.now })
        _ = try await broker.residents.importRegister(areasCSV: areasCSV, residentsCSV: residentsCSV)
        do {
            try await buildBrokerApplication(broker: broker).test(.live) { brokerClient in
                let brokerURL = "http://127.0.0.1:\(brokerClient.port!)"
                let configuration = ServiceConfiguration(
                    databaseURL: serviceDatabase, brokerURL: brokerURL, serviceKey: serviceKey,
                    keyName: "service.pnyx.test", adminTokens: [adminToken: "Alice (admin)"], officialTokens: [:],
                    logOriginPrefix: "pnyx.test/poll/", checkpointInterval: .seconds(3600), bodyLimit: 65_536, poolSize: 4,
                    port: 0)
                let service = try await PetitionService.start(configuration: configuration, now: { clock.now })
                do {
                    let app = Application(
                        router: buildWebRouter(service: service),
                        configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "pnyx-service"))
                    try await app.test(.live) { client in
                        try await body(WebWorld(clock: clock, broker: broker, service: service,
                                                serviceURL: "http://127.0.0.1:\(client.port!)", brokerURL: brokerURL, client: client))
                    }
                } catch {
                    await service.shutdown()
                    throw error
                }
                await service.shutdown()
            }
        } catch {
            await broker.shutdown()
            throw error
        }
        await broker.shutdown()
    }

    /// A petition that shows partial names (commune level, age bands).
    func petitionDraft() -> PollDraft {
        PollDraft(
            kind: .petition, title: "Plus d'arbres dans la commune", text: "Plantons cent arbres le long du canal.\nLa mairie s'engage à répondre.",
            opensAt: clock.unix + 3600, closesAt: clock.unix + 3 * 86_400,
            eligibility: Eligibility(minimumAge: 18, referenceDate: CivilDate("2025-01-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: true,
            thresholds: [.absolute(count: 2), .shareOfEligible(basisPoints: 5000)])
    }

    /// A consultation with a single-choice and an approval question.
    func consultationDraft() -> PollDraft {
        PollDraft(
            kind: .consultation, title: "Budget participatif", text: "Choisissez vos projets.",
            opensAt: clock.unix + 3600, closesAt: clock.unix + 3 * 86_400,
            eligibility: Eligibility(minimumAge: 18, referenceDate: CivilDate("2025-01-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: false),
            questions: [
                Question(id: 1, text: "Projet principal ?", kind: .single, options: ["Parc", "Piscine", "Pistes cyclables"]),
                Question(id: 2, text: "Lesquels approuvez-vous ?", kind: .approval, options: ["X", "Y", "Z"]),
            ],
            thresholds: [.absolute(count: 3)])
    }

    /// Creates, publishes and opens polls (the clock moves into their windows).
    func openPolls(_ drafts: [PollDraft]) async throws -> [PollState] {
        var ids: [PollID] = []
        for draft in drafts {
            let state = try await service.createPoll(draft)
            _ = try await service.publish(state.id)
            ids.append(state.id)
        }
        clock.advance(3601)
        var states: [PollState] = []
        for id in ids { states.append(try await service.open(id)) }
        return states
    }

    /// A fresh enrolment code for a resident.
    func enrolmentCode(_ residentID: String) async throws -> String {
        try await broker.enrolment.issueCodes(residentIDs: [residentID])[0].code
    }

    /// GETs a page; answers status and body text.
    func get(_ path: String, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, String) {
        let response = try await client.execute(uri: path, method: .get, headers: headers)
        return (response.status, String(buffer: response.body))
    }
}

/// Every suite that drives Chromium, one after another: one browser at a time on a loaded
/// machine instead of four (each suite starts its own chromedriver and stops it).
@Suite("PnyxWeb in a real headless Chromium", .serialized)
enum ChromiumSuites {}
