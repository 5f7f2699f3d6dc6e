import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PnyxBroker
import Testing

@Suite("Enrolment, login, lockout and sessions")
struct EnrolmentTests {
    @Test func codesAreOneTimeAndANewCodeResetsThePassphrase() async throws {
        let h = try await BrokerHarness.make()
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30), ("R2", "C1-2", 40)])
        let codes = try await h.broker.enrolment.issueCodes(residentIDs: nil)
        #expect(Set(codes.map(\.residentID)) == ["R1", "R2"])
        let code = codes.first { $0.residentID == "R1" }!.code
        #expect(try await h.broker.enrolment.enrol(code: code, passphrase: "first passphrase") == "R1")
        await expectBrokerError(.codeUsed) { _ = try await h.broker.enrolment.enrol(code: code, passphrase: "other passphrase") }
        await expectBrokerError(.invalidCode) { _ = try await h.broker.enrolment.enrol(code: "AAAAA-BBBBB-CCCCC-DDDDD", passphrase: "other passphrase") }
        await expectBrokerError(.weakPassphrase) {
            let fresh = try await h.broker.enrolment.issueCodes(residentIDs: ["R2"])[0].code
            _ = try await h.broker.enrolment.enrol(code: fresh, passphrase: "short")
        }
        _ = try await h.broker.enrolment.login(residentID: "R1", passphrase: "first passphrase")
        // A new code replaces the old passphrase (and ends sessions).
        let second = try await h.broker.enrolment.issueCodes(residentIDs: ["R1"])[0].code
        _ = try await h.broker.enrolment.enrol(code: second.lowercased(), passphrase: "second passphrase")
        await expectBrokerError(.invalidCredentials) { _ = try await h.broker.enrolment.login(residentID: "R1", passphrase: "first passphrase") }
        _ = try await h.broker.enrolment.login(residentID: "R1", passphrase: "second passphrase")
        // Only unused codes of the latest batch work: an older unused code is revoked.
        let old = try await h.broker.enrolment.issueCodes(residentIDs: ["R2"])[0].code
        _ = try await h.broker.enrolment.issueCodes(residentIDs: ["R2"])
        await expectBrokerError(.invalidCode) { _ = try await h.broker.enrolment.enrol(code: old, passphrase: "another passphrase") }
    }

    @Test func lockoutAfterRepeatedFailures() async throws {
        let h = try await BrokerHarness.make(lockoutAttempts: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30)])
        _ = try await h.enrolAndLogin("R1", passphrase: "right passphrase")
        for _ in 0..<3 {
            await expectBrokerError(.invalidCredentials) { _ = try await h.broker.enrolment.login(residentID: "R1", passphrase: "wrong passphrase") }
        }
        await expectBrokerError(.lockedOut) { _ = try await h.broker.enrolment.login(residentID: "R1", passphrase: "right passphrase") }
        h.clock.advance(301)
        _ = try await h.broker.enrolment.login(residentID: "R1", passphrase: "right passphrase")
        await expectBrokerError(.invalidCredentials) { _ = try await h.broker.enrolment.login(residentID: "nobody", passphrase: "right passphrase") }
    }

    @Test func sessionsExpire() async throws {
        let h = try await BrokerHarness.make(sessionSeconds: 60)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30)])
        let token = try await h.enrolAndLogin("R1")
        #expect(try await h.broker.enrolment.session(token: token).residentID == "R1")
        h.clock.advance(61)
        await expectBrokerError(.sessionExpired) { _ = try await h.broker.enrolment.session(token: token) }
        await expectBrokerError(.sessionRequired) { _ = try await h.broker.enrolment.session(token: "forged") }
    }

    @Test func enrolmentOverHTTP() async throws {
        let h = try await BrokerHarness.make(lockoutAttempts: 2)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30)])
        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            struct CodesBody: Encodable { var residentIDs: [String]? }
            let csv = try await client.json(.post, "/v1/admin/enrolment-codes", token: BrokerHarness.adminToken, body: CodesBody(residentIDs: ["R1"]))
            #expect(csv.status == .ok)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = String(buffer: csv.body).split(separator: "\n")
            #expect(lines.count == 2)
            let code = String(lines[1].split(separator: ",")[4])

            struct Enrol: Encodable { var code: String; var passphrase: String }
            let enrolled = try await client.json(.post, "/v1/enrol", body: Enrol(code: code, passphrase: "my long passphrase"))
            #expect(enrolled.status == .created)
            let again = try await client.json(.post, "/v1/enrol", body: Enrol(code: code, passphrase: "my long passphrase"))
            #expect(again.status == .conflict)
            #expect(again.errorCode == "enrolment.code_used")

            struct Login: Encodable { var residentID: String; var passphrase: String }
            struct Token: Decodable { var token: String }
            let wrong = try await client.json(.post, "/v1/login", body: Login(residentID: "R1", passphrase: "not my passphrase"))
            #expect(wrong.status == .unauthorized)
            #expect(wrong.errorCode == "auth.invalid_credentials")
            let ok = try await client.json(.post, "/v1/login", body: Login(residentID: "R1", passphrase: "my long passphrase"))
            #expect(ok.status == .ok)
            let token = try ok.decode(Token.self).token
            let me = try await client.get("/v1/me", token: token)
            #expect(me.status == .ok)
            #expect(String(buffer: me.body).contains("Arnaud R."))
            let anonymous = try await client.get("/v1/me")
            #expect(anonymous.errorCode == "auth.session_required")
            for _ in 0..<2 { _ = try await client.json(.post, "/v1/login", body: Login(residentID: "R1", passphrase: "not my passphrase")) }
            let locked = try await client.json(.post, "/v1/login", body: Login(residentID: "R1", passphrase: "my long passphrase"))
            #expect(locked.status == .tooManyRequests)
            #expect(locked.errorCode == "auth.locked_out")
            #expect(locked.headers[.retryAfter] != nil)
        }
    }
}
