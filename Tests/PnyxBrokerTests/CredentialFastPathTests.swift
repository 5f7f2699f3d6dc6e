import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxHTTP
import PnyxTestSupport
import Testing

/// `POST /v1/polls/{poll}/credential` answered by the broker's ``PnyxHTTP/FastRouteHandler``
/// (``CredentialResponder``) before the router, on raw loopback connections to the live broker:
/// the router's status, headers and bytes for each outcome (the router answers the same request
/// with a query string), the route's order of refusals, its metrics, pipelining.
@Suite("Credential fast path (live socket, real PostgreSQL)")
struct CredentialFastPathTests {
    /// A counter of the broker's registry: the first line starting with `prefix` that contains `parts`.
    static func count(_ broker: Broker, _ prefix: String, _ parts: [String] = []) -> Int {
        let line = broker.metrics.registry.render().split(separator: "\n").first { line in
            line.hasPrefix(prefix) && parts.allSatisfy { line.contains($0) }
        }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? 0
    }

    static func fastCount(_ broker: Broker) -> Int { count(broker, "pnyx_http_fast_credentials_total ") }

    static func routeCount(_ broker: Broker, status: Int) -> Int {
        count(broker, "pnyx_http_requests_total{", [#"route="/v1/polls/{poll}/credential""#, #"method="POST""#, #"status="\#(status)""#])
    }

    static func code(_ answer: RawHTTPConnection.Answer) -> String? {
        try? JSONDecoder().decode(ErrorBody.self, from: Data(answer.body)).error.code
    }

    static func body(_ blinded: [UInt8]) -> [UInt8] { Array(#"{"blindedMessage":"\#(Base64.encode(blinded))"}"#.utf8) }

    static func auth(_ token: String?) -> [String] { token.map { ["Authorization: Bearer \($0)"] } ?? [] }

    /// A broker with the issuance test's residents, its live port, a poll scoped to C1 and a blinded request for it.
    static func live(
        _ body: @Sendable (BrokerHarness, Int, PollID, SignedKeyDirectory, CredentialMessage) async throws -> Void
    ) async throws {
        let h = try await BrokerHarness.make(k: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(IssuanceTests.people)
        try await buildBrokerApplication(broker: h.broker).testLive { client in
            let signed = try h.definition(scope: ["C1"], level: .commune, ageBands: true)
            let set = try await IssuanceTests.registerPoll(client, signed)
            let message = CredentialMessage(
                pollID: signed.definition.pollID, attributeClass: try AttributeClass(text: "area=C1;age=25-34"),
                oneTimeKey: Ed25519.PrivateKey().publicKey)
            try await body(h, try #require(client.port), signed.definition.pollID, set.directory, message)
        }
    }

    @Test("the fast path answers with the router's status, headers and bytes: a credential, a retry, each refusal")
    func sameAnswers() async throws {
        try await Self.live { h, port, pollID, directory, message in
            let path = "/v1/polls/\(pollID.hex)/credential"
            let fastBefore = Self.fastCount(h.broker)
            var fastCount = 0

            /// One request on a fresh connection.
            func send(_ path: String, _ body: [UInt8], token: String?, extra: [String] = []) async throws -> RawHTTPConnection.Answer {
                let connection = try await RawHTTPConnection.connect(port: port)
                try await connection.send(RawHTTPConnection.post(path, body, extra: Self.auth(token) + extra))
                return try await connection.answer()
            }
            /// The same request answered by the fast path, then by the router (a query string selects it).
            func both(_ body: [UInt8], token: String?, path: String = path) async throws -> (RawHTTPConnection.Answer, RawHTTPConnection.Answer) {
                let fast = try await send(path, body, token: token)
                fastCount += 1
                return (fast, try await send(path + "?via=router", body, token: token))
            }

            // A fresh credential by each path: same status and headers (but the length), a valid blind signature each.
            let a1 = try await h.enrolAndLogin("A1")
            let a2 = try await h.enrolAndLogin("A2")
            let request1 = try CredentialRequest(message: message, directory: directory.directory)
            let request2 = try CredentialRequest(message: message, directory: directory.directory)
            let fresh = try await send(path, Self.body(request1.blindedMessage), token: a1)
            fastCount += 1
            let routed = try await send(path + "?via=router", Self.body(request2.blindedMessage), token: a2)
            #expect(fresh.status == 200, "\(String(decoding: fresh.body, as: UTF8.self))")
            #expect(fresh.statusLine == routed.statusLine)
            let withoutLength = { (answer: RawHTTPConnection.Answer) in
                answer.headerLinesWithoutDate.filter { !$0.lowercased().hasPrefix("content-length:") }
            }
            #expect(withoutLength(fresh) == withoutLength(routed))
            #expect(fresh.header("cache-control") == "no-store")
            #expect(fresh.header("server") == "pnyx-broker")
            for (answer, request) in [(fresh, request1), (routed, request2)] {
                let issued = try JSONDecoder().decode(IssuanceTests.Credential.self, from: Data(answer.body))
                #expect(!issued.retry)
                let credential = try request.finalize(blindSignature: try Base64.decode(issued.blindSignature))
                try credential.verify(directory: directory.directory, pollID: pollID)
            }
            #expect(Self.routeCount(h.broker, status: 200) == 2)

            // A retry of the same blinded message: the same signature, `retry: true`, the same bytes by both paths.
            let (retry, routedRetry) = try await both(Self.body(request1.blindedMessage), token: a1)
            #expect(retry.status == 200)
            let retried = try JSONDecoder().decode(IssuanceTests.Credential.self, from: Data(retry.body))
            #expect(retried.retry)
            #expect(retried.blindSignature == (try JSONDecoder().decode(IssuanceTests.Credential.self, from: Data(fresh.body))).blindSignature)
            #expect(retry.statusLine == routedRetry.statusLine)
            #expect(retry.headerLinesWithoutDate == routedRetry.headerLinesWithoutDate)
            #expect(retry.body == routedRetry.body)

            // Refusals leave nothing behind, so the same request goes to both paths.
            let a3 = try await h.enrolAndLogin("A3")
            let outside = try await h.enrolAndLogin("C1")
            let another = try CredentialRequest(message: message, directory: directory.directory).blindedMessage
            let valid = Self.body(another)
            let oversized = Array(#"{"blindedMessage":""#.utf8) + [UInt8](repeating: UInt8(ascii: "A"), count: 70_000) + Array(#""}"#.utf8)
            let cases: [(String, [UInt8], String?, String, String, Int)] = [
                ("no session", valid, nil, path, "auth.session_required", 401),
                ("unknown session", valid, "not-a-session", path, "auth.session_required", 401),
                ("malformed body, bad session", Array("{\"blinded".utf8), "not-a-session", path, "auth.session_required", 401),
                ("malformed body", Array("{\"blinded".utf8), a3, path, "request.malformed", 400),
                ("not base64", Array(#"{"blindedMessage":"%%%"}"#.utf8), a3, path, "request.malformed", 400),
                ("unknown field", Array(#"{"blindedMessage":"AAAA","extra":1}"#.utf8), a3, path, "request.unknown_field", 400),
                ("oversized body", oversized, a3, path, "request.too_large", 413),
                ("oversized body, bad session", oversized, "not-a-session", path, "auth.session_required", 401),
                ("unknown poll", valid, a3, "/v1/polls/\(PollID.random().hex)/credential", "poll.unknown", 404),
                ("ineligible resident", valid, outside, path, "issuance.ineligible", 403),
                ("wrong size", Self.body([1, 2, 3]), a3, path, "issuance.wrong_size", 422),
                ("already issued", valid, a1, path, "issuance.already_issued", 409),
            ]
            for (name, body, token, casePath, code, status) in cases {
                let (fast, routed) = try await both(body, token: token, path: casePath)
                #expect(fast.status == status, "\(name): \(String(decoding: fast.body, as: UTF8.self))")
                #expect(Self.code(fast) == code, "\(name): \(String(decoding: fast.body, as: UTF8.self))")
                #expect(fast.statusLine == routed.statusLine, "\(name)")
                #expect(fast.headerLinesWithoutDate == routed.headerLinesWithoutDate, "\(name)")
                #expect(fast.body == routed.body, "\(name)")
            }

            // An expired session (the clock moved past the session lifetime; an expired session is then deleted,
            // so each path gets its own).
            let a4 = try await h.enrolAndLogin("A4")
            h.clock.advance(3600)
            let expired = try await send(path, valid, token: a3)
            fastCount += 1
            let routedExpired = try await send(path + "?via=router", valid, token: a4)
            #expect(expired.status == 401)
            #expect(Self.code(expired) == "auth.session_expired", "\(String(decoding: expired.body, as: UTF8.self))")
            #expect(expired.headerLinesWithoutDate == routedExpired.headerLinesWithoutDate)
            #expect(expired.body == routedExpired.body)

            #expect(Self.fastCount(h.broker) - fastBefore == fastCount)
            #expect(Self.routeCount(h.broker, status: 413) == 2)
            #expect(Self.routeCount(h.broker, status: 401) >= 10)

            // A CORS request (with `Origin`) stays on the router and gets its CORS headers.
            let cors = try await send(path, valid, token: a1, extra: ["Origin: https://example.org"])
            #expect(cors.header("access-control-allow-origin") == "*")
            #expect(Self.fastCount(h.broker) - fastBefore == fastCount)
        }
    }

    @Test("pipelined requests on one connection are answered in order: credential, GET, retry; GET, credential")
    func pipelined() async throws {
        try await Self.live { h, port, pollID, directory, message in
            let path = "/v1/polls/\(pollID.hex)/credential"
            let token = try await h.enrolAndLogin("B1")
            let request = try CredentialRequest(message: message, directory: directory.directory)
            let connection = try await RawHTTPConnection.connect(port: port)
            let post = RawHTTPConnection.post(path, Self.body(request.blindedMessage), extra: Self.auth(token))
            try await connection.send(post + RawHTTPConnection.get("/v1/broker") + post)
            let answers = [try await connection.answer(), try await connection.answer(), try await connection.answer()]
            #expect(answers.map(\.status) == [200, 200, 200], "\(answers.map { String(decoding: $0.body, as: UTF8.self) })")
            let first = try JSONDecoder().decode(IssuanceTests.Credential.self, from: Data(answers[0].body))
            let third = try JSONDecoder().decode(IssuanceTests.Credential.self, from: Data(answers[2].body))
            #expect(!first.retry && third.retry && first.blindSignature == third.blindSignature)

            try await connection.send(RawHTTPConnection.get("/v1/polls/\(pollID.hex)/directory") + post)
            let more = [try await connection.answer(), try await connection.answer()]
            #expect(more.map(\.status) == [200, 200])
            #expect(try JSONDecoder().decode(IssuanceTests.Credential.self, from: Data(more[1].body)).retry)
        }
    }
}
