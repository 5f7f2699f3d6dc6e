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
        TestDrafts.petition(
            clock: clock, text: "Plantons cent arbres le long du canal.", disclosure: Disclosure(areaLevel: .commune, ageBands: true),
            allowPartialNames: true, thresholds: [.absolute(count: 2)])
    }

    /// A consultation: a single-choice and an approval question.
    func consultationDraft() -> PollDraft { TestDrafts.consultation(clock: clock) }

    /// Creates, publishes and opens polls (the clock moves into their windows).
    func openPolls(_ drafts: [PollDraft]) async throws -> [PollID] {
        try await TestServers.openPolls(drafts, service: service, clock: clock).map(\.id)
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
