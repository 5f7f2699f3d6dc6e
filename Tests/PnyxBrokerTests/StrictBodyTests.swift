import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import Testing

/// Every broker request body refuses a field its endpoint does not define
/// (`request.unknown_field`, docs/API.md), before anything is done with it: no code used, no
/// login counted, no credential issued.
@Suite("Broker request bodies are strict")
struct StrictBodyTests {
    @Test func unknownFieldsAreRefusedOnEveryBodyAndChangeNothing() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30), ("R2", "C1-1", 40)])
        let signed = try h.definition(level: .none, ageBands: false)
        let pollID = signed.definition.pollID
        let set = try await h.broker.polls.register(signed)
        let token = try await h.enrolAndLogin("R1")
        let code = try await h.broker.enrolment.issueCodes(residentIDs: ["R2"])[0].code
        let message = CredentialMessage(pollID: pollID, attributeClass: .anonymous, oneTimeKey: Ed25519.PrivateKey().publicKey)
        let blinded = Base64.encode(try CredentialRequest(message: message, directory: set.directory.directory).blindedMessage)
        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            func post(_ uri: String, token: String? = nil, _ json: String) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: json))
            }
            let refused: [(String, String?, String, String)] = [
                ("/v1/enrol", nil, #"{"code":"\#(code)","passphrase":"my long passphrase","admin":true}"#, "admin"),
                ("/v1/login", nil, #"{"residentID":"R1","passphrase":"correct horse battery","remember":true}"#, "remember"),
                ("/v1/polls/\(pollID.hex)/credential", token, #"{"blindedMessage":"\#(blinded)","class":"*"}"#, "class"),
                ("/v1/polls/\(pollID.hex)/credential", token, #"{"class":"*","blindedMessage":"\#(blinded)"}"#, "class"),
                ("/v1/polls/\(pollID.hex)/name-attestation", token,
                 #"{"oneTimeKey":"\#(Base64.encode(message.oneTimeKey.rawRepresentation))","name":"X"}"#, "name"),
                ("/v1/admin/enrolment-codes", BrokerHarness.adminToken, #"{"residentIDs":["R2"],"all":true}"#, "all"),
            ]
            for (uri, bearer, body, field) in refused {
                let answer = try await post(uri, token: bearer, body)
                #expect(answer.status == .badRequest, "\(uri)")
                #expect(answer.errorCode == "request.unknown_field", "\(uri): \(String(buffer: answer.body))")
                #expect(String(buffer: answer.body).contains(field), "\(uri): the reason names the field")
            }
            // Nothing happened: the code is still unused, no credential was issued.
            let enrolled = try await post("/v1/enrol", #"{"code":"\#(code)","passphrase":"my long passphrase"}"#)
            #expect(enrolled.status == .created)
            #expect(try await h.broker.pool.query("SELECT count(*) FROM broker_issuances").scalar(Int.self) == 0)
            // The credential body without the extra field is accepted.
            let issued = try await post("/v1/polls/\(pollID.hex)/credential", token: token, #"{ "blindedMessage" : "\#(blinded)" }"#)
            #expect(issued.status == .ok, "\(String(buffer: issued.body))")
        }
        #expect(try await h.broker.pool.query("SELECT count(*) FROM broker_issuances").scalar(Int.self) == 1)
    }
}
