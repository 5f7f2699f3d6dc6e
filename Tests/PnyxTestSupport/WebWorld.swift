import Foundation
public import Hummingbird
public import HummingbirdTesting
public import PnyxBroker
public import PnyxCore
public import PnyxService
import PnyxWeb

/// A real broker and a real service with the web pages (``LiveServers`` with the web
/// router and an admin token), for the page tests and the browser tests.
public struct WebWorld: Sendable {
    public static let adminToken = "web-admin-token-0123456789"
    public static let brokerAdminToken = LiveServers.Options().brokerAdminToken
    public static var areasCSV: String { TestRegister.areasCSV }
    public static var residentsCSV: String { TestRegister.residentsCSV() }

    public let clock: TestClock
    public let broker: Broker
    public let service: PetitionService
    /// The service (and pages) base URL, `http://127.0.0.1:<port>`.
    public let serviceURL: String
    public let brokerURL: String
    public let client: any TestClientProtocol

    public static func with(_ body: @Sendable (WebWorld) async throws -> Void) async throws {
        var options = LiveServers.Options()
        options.configureService = { $0.adminTokens = [adminToken: "Alice (admin)"] }
        options.router = { buildWebRouter(service: $0) }
        try await LiveServers.run(options) { servers in
            try await body(WebWorld(clock: servers.clock, broker: servers.broker, service: servers.service,
                                    serviceURL: servers.serviceURL, brokerURL: servers.brokerURL, client: servers.client))
        }
    }

    /// A petition that shows partial names (commune level, age bands).
    public func petitionDraft() -> PollDraft {
        TestDrafts.petition(
            clock: clock, title: "Plus d'arbres dans la commune", text: "Plantons cent arbres le long du canal.\nLa mairie s'engage à répondre.",
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: true,
            thresholds: [.absolute(count: 2), .shareOfEligible(basisPoints: 5000)])
    }

    /// A consultation with a single-choice and an approval question.
    public func consultationDraft() -> PollDraft { TestDrafts.consultation(clock: clock) }

    /// Creates, publishes and opens polls (the clock moves into their windows).
    public func openPolls(_ drafts: [PollDraft]) async throws -> [PollState] {
        try await TestServers.openPolls(drafts, service: service, clock: clock)
    }

    /// A fresh enrolment code for a resident.
    public func enrolmentCode(_ residentID: String) async throws -> String {
        try await broker.enrolment.issueCodes(residentIDs: [residentID])[0].code
    }

    /// GETs a page; answers status and body text.
    public func get(_ path: String, headers: HTTPFields = [:]) async throws -> (HTTPResponse.Status, String) {
        let response = try await client.execute(uri: path, method: .get, headers: headers)
        return (response.status, String(buffer: response.body))
    }
}
