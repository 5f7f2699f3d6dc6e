import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxBroker
@testable import PnyxClient
import PnyxCore
import PnyxCrypto
import PnyxPostgres
import PnyxService
import Testing

/// A settable clock shared by the broker, the service and the wallet.
final class WalletTestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current = Date()
    var now: Date { lock.withLock { current } }
    var unix: Int64 { Int64(now.timeIntervalSince1970) }
    func advance(_ seconds: TimeInterval) { lock.withLock { current = current.addingTimeInterval(seconds) } }
}

/// A real broker and a real service, both live on loopback sockets (ephemeral ports), each
/// with its own database on the shared private PostgreSQL cluster; the wallet talks to them
/// over real HTTP (URLSession), as the command line does.
struct WalletWorld: Sendable {
    static let passphrase = "correct horse battery staple"

    let clock: WalletTestClock
    let broker: Broker
    let service: PetitionService
    let brokerURL: String
    let serviceURL: String
    /// A folder for this test's wallet files (removed afterwards).
    let folder: String

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
        R5,Zoé,Petit,2010-06-15,C1-1

        """

    static func with(_ body: @Sendable (WalletWorld) async throws -> Void) async throws {
        let clock = WalletTestClock()
        let cluster = try await PrivateCluster.sharedTemporary()
        let brokerDatabase = try await cluster.createDatabase()
        let serviceDatabase = try await cluster.createDatabase()
        let serviceKey = Ed25519.PrivateKey()
        var brokerConfiguration = BrokerConfiguration(
            adminToken: "broker-admin-token-0123456789", signer: try BrokerSigner.generate(),
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
        let folder = NSTemporaryDirectory() + "pnyx-wallet-tests-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        do {
            try await buildBrokerApplication(broker: broker).test(.live) { brokerClient in
                let brokerURL = "http://127.0.0.1:\(brokerClient.port!)"
                let configuration = ServiceConfiguration(
                    databaseURL: serviceDatabase, brokerURL: brokerURL, serviceKey: serviceKey,
                    keyName: "service.pnyx.test", adminTokens: [:], officialTokens: [:],
                    logOriginPrefix: "pnyx.test/poll/", checkpointInterval: .seconds(3600), bodyLimit: 65_536, poolSize: 4,
                    port: 0)
                let service = try await PetitionService.start(configuration: configuration, now: { clock.now })
                do {
                    let app = Application(
                        router: buildServiceRouter(service: service),
                        configuration: .init(address: .hostname("127.0.0.1", port: 0), serverName: "pnyx-service"))
                    try await app.test(.live) { client in
                        try await body(WalletWorld(clock: clock, broker: broker, service: service, brokerURL: brokerURL,
                                                   serviceURL: "http://127.0.0.1:\(client.port!)", folder: folder))
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

    /// A petition that may show partial names (commune level, age bands).
    func petitionDraft() -> PollDraft {
        PollDraft(
            kind: .petition, title: "Plus d'arbres", text: "Plantons cent arbres le long du canal.",
            opensAt: clock.unix + 3600, closesAt: clock.unix + 3 * 86_400,
            eligibility: Eligibility(minimumAge: 18, referenceDate: CivilDate("2025-01-01")!),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: true,
            thresholds: [.absolute(count: 2)])
    }

    /// A consultation: a single-choice and an approval question.
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
    func openPolls(_ drafts: [PollDraft]) async throws -> [PollID] {
        var ids: [PollID] = []
        for draft in drafts {
            let state = try await service.createPoll(draft)
            _ = try await service.publish(state.id)
            ids.append(state.id)
        }
        clock.advance(3601)
        for id in ids { _ = try await service.open(id) }
        return ids
    }

    /// A wallet on a new file of this test's folder.
    func wallet(_ name: String = "wallet.json") -> WalletClient {
        WalletClient(file: WalletFile(path: folder + "/" + name), timeout: 20, now: { [clock] in clock.now })
    }

    /// A fresh enrolment code for a resident.
    func code(_ residentID: String) async throws -> String {
        try await broker.enrolment.issueCodes(residentIDs: [residentID])[0].code
    }

    /// A wallet enrolled (and logged in) as `residentID`.
    func enrolled(_ residentID: String, file: String = "wallet.json") async throws -> WalletClient {
        let wallet = wallet(file)
        let login = try await wallet.enrol(broker: brokerURL, code: try await code(residentID), passphrase: Self.passphrase)
        #expect(login.residentID == residentID)
        return wallet
    }
}

/// The mode bits of a file.
func fileMode(_ path: String) throws -> Int {
    let attributes = try FileManager.default.attributesOfItem(atPath: path)
    return (attributes[.posixPermissions] as! NSNumber).intValue & 0o777
}

/// The error a wallet call throws, or nil.
func clientError(_ body: () async throws(ClientError) -> Void) async -> ClientError? {
    do { try await body(); return nil } catch { return error }
}

/// True when every receipt checked.
func allOK(_ results: [WalletClient.CheckResult]) -> Bool { results.allSatisfy { $0.ok } }
