import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxBroker
@testable import PnyxClient
import PnyxCore
import PnyxCrypto
import PnyxPostgres
import PnyxService
import PnyxTestSupport
import Testing

/// A real broker and a real service, both live on loopback sockets (ephemeral ports), each
/// with its own database on the shared private PostgreSQL cluster; the wallet talks to them
/// over real HTTP (URLSession), as the command line does.
struct WalletWorld: Sendable {
    static let passphrase = "correct horse battery staple"

    let clock: TestClock
    let broker: Broker
    let service: PetitionService
    let brokerURL: String
    let serviceURL: String
    /// A folder for this test's wallet files (removed afterwards).
    let folder: String

    static let residentsCSV = TestRegister.residentsCSV(TestRegister.residentRows + "R5,Zoé,Petit,2010-06-15,C1-1\n")

    static func with(_ body: @Sendable (WalletWorld) async throws -> Void) async throws {
        var options = LiveServers.Options()
        options.residentsCSV = residentsCSV
        let folder = NSTemporaryDirectory() + "pnyx-wallet-tests-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try await LiveServers.run(options) { servers in
            try await body(WalletWorld(clock: servers.clock, broker: servers.broker, service: servers.service,
                                       brokerURL: servers.brokerURL, serviceURL: servers.serviceURL, folder: folder))
        }
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
