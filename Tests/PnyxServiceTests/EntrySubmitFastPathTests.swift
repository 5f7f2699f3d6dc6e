import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
import PnyxHTTP
@testable import PnyxService
import Testing

/// `POST /v1/polls/{poll}/entries` answered by ``EntrySubmitFastPath`` before the router, on
/// raw loopback connections to the live service: the router's bytes, HTTP/1.1 order under
/// pipelining, a connection closed before its answer, `Connection: close`.
@Suite("Entry fast path (live socket, real broker, real PostgreSQL)")
struct EntrySubmitFastPathTests {
    /// `pnyx_http_fast_entries_total` of `service`.
    static func fastEntries(_ service: PetitionService) -> Int {
        let line = service.metrics.render().split(separator: "\n").first { $0.hasPrefix("pnyx_http_fast_entries_total ") }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? 0
    }

    /// `pnyx_http_requests_total` of the citizens' entry route with `status`.
    static func routeCount(_ service: PetitionService, status: Int) -> Int {
        let line = service.metrics.render().split(separator: "\n").first {
            $0.hasPrefix("pnyx_http_requests_total{") && $0.contains(#"route="/v1/polls/{poll}/entries""#)
                && $0.contains(#"method="POST""#) && $0.contains(#"status="\#(status)""#)
        }
        return line.flatMap { Int(Double($0.split(separator: " ").last ?? "") ?? -1) } ?? 0
    }

    /// Runs `body` with the port of the service's application live on a loopback socket (the
    /// world's own client calls the router in-process).
    static func live(_ world: PnyxWorld, _ body: @Sendable (Int) async throws -> Void) async throws {
        try await buildServiceApplication(service: world.service).testLive { live in
            try await body(try #require(live.port))
        }
    }

    static func bytes(_ entry: Entry) throws -> [UInt8] { Array(try JSONEncoder().encode(entry)) }

    static func code(_ answer: RawHTTPConnection.Answer) -> String? {
        try? JSONDecoder().decode(APIError.Body.self, from: Data(answer.body)).error.code
    }

    @Test("the fast path answers with the router's status, headers and bytes: a receipt, and each refusal class")
    func sameAnswers() async throws {
        try await PnyxWorld.with { world in try await Self.live(world) { port in
            let poll = try await world.openPoll(world.petitionDraft())
            let base = try await world.logSize(poll.id)
            let connection = try await RawHTTPConnection.connect(port: port)
            let path = "/v1/polls/\(poll.id.hex)/entries"
            let fastBefore = Self.fastEntries(world.service)
            var fastCount = 0

            /// The same request, answered by the fast path then by the router (which a query string selects).
            func both(_ body: [UInt8], path: String = path) async throws -> (RawHTTPConnection.Answer, RawHTTPConnection.Answer) {
                try await connection.send(RawHTTPConnection.post(path, body))
                let fast = try await connection.answer()
                try await connection.send(RawHTTPConnection.post(path + "?via=router", body))
                fastCount += 1
                return (fast, try await connection.answer())
            }

            // Accepted: one entry by each path, the same status and headers (but the length), a receipt each.
            let first = try await world.citizen("R1", poll: poll).entry(.sign(nil))
            let second = try await world.citizen("R2", poll: poll).entry(.sign(nil))
            try await connection.send(RawHTTPConnection.post(path, try Self.bytes(first)))
            let fastReceipt = try await connection.answer()
            fastCount += 1
            try await connection.send(RawHTTPConnection.post(path + "?via=router", try Self.bytes(second)))
            let routedReceipt = try await connection.answer()
            #expect(fastReceipt.status == 201, "\(String(decoding: fastReceipt.body, as: UTF8.self))")
            #expect(fastReceipt.statusLine == routedReceipt.statusLine)
            let withoutLength = { (answer: RawHTTPConnection.Answer) in
                answer.headerLinesWithoutDate.filter { !$0.lowercased().hasPrefix("content-length:") }
            }
            #expect(withoutLength(fastReceipt) == withoutLength(routedReceipt))
            #expect(fastReceipt.header("date") != nil)
            #expect(fastReceipt.header("server") == "pnyx-service")
            #expect(fastReceipt.header("cache-control") == "no-store")
            for answer in [fastReceipt, routedReceipt] {
                let receipt = try JSONDecoder().decode(Receipt.self, from: Data(answer.body))
                #expect(try ReceiptJSON.bytes(receipt) == answer.body)
                #expect(Array(try JSONResponse.encoder().encode(receipt)) == answer.body)
                _ = try verifyReceipt(receipt, verifierKey: world.service.verifierKey)
            }
            #expect(Self.routeCount(world.service, status: 201) == 2)

            // Refusals leave nothing behind, so the same request goes to both paths.
            let voter = try await world.citizen("R3", poll: poll)
            let valid = try JSONSerialization.jsonObject(with: JSONEncoder().encode(try voter.entry(.sign(nil)))) as! [String: Any]
            var extra = valid
            extra["comment"] = "ignored?"
            let good = try voter.entry(.sign(nil))
            var flipped = good.signature
            flipped[5] ^= 1
            let badSignature = Entry(pollID: poll.id, credential: good.credential, channel: .online, payload: good.payload,
                                     nonce: good.nonce, signature: flipped)
            let created = try await world.client.json(.post, "/v1/admin/polls", token: PnyxWorld.adminToken, body: world.petitionDraft())
            let notOpen = try created.decode(PollViewBody.self).pollID
            let oversized = Array("{\"pad\":\"".utf8) + [UInt8](repeating: UInt8(ascii: "a"), count: 20_000) + Array("\"}".utf8)
            let cases: [(String, [UInt8], String, String, Int)] = [
                ("malformed JSON", Array("{\"pollID\": ".utf8), path, "request.malformed", 400),
                ("malformed value", Array("{\"pollID\": \"zz\"}".utf8), path, "request.malformed", 400),
                ("unknown field", Array(try JSONSerialization.data(withJSONObject: extra)), path, "request.unknown_field", 400),
                ("oversized body", oversized, path, "request.too_large", 413),
                ("unknown poll", try Self.bytes(good), "/v1/polls/\(PollID.random().hex)/entries", "poll.unknown", 404),
                ("poll not open", try Self.bytes(good), "/v1/polls/\(notOpen)/entries", "poll.not_open", 409),
                ("bad signature", try Self.bytes(badSignature), path, "entry.invalid_signature", 422),
                ("replay", try Self.bytes(first), path, "entry.replayed", 409),
                ("kiosk channel", try Self.bytes(try voter.entry(.sign(nil), channel: .kiosk)), path, "entry.channel_not_allowed", 403),
            ]
            for (name, body, casePath, code, status) in cases {
                let (fast, routed) = try await both(body, path: casePath)
                #expect(Self.code(fast) == code, "\(name): \(String(decoding: fast.body, as: UTF8.self))")
                #expect(fast.status == status, "\(name)")
                #expect(fast.statusLine == routed.statusLine, "\(name)")
                #expect(fast.headerLinesWithoutDate == routed.headerLinesWithoutDate, "\(name)")
                #expect(fast.body == routed.body, "\(name)")
            }
            #expect(try await world.logSize(poll.id) == base + 2)
            #expect(Self.fastEntries(world.service) - fastBefore == fastCount)
            #expect(Self.routeCount(world.service, status: 413) == 2)

            // The official's route stays on the router (authenticated): not counted as a fast entry.
            try await connection.send(RawHTTPConnection.post(
                "/v1/official/polls/\(poll.id.hex)/entries", try Self.bytes(try voter.entry(.sign(nil), channel: .kiosk)),
                extra: ["Authorization: Bearer \(PnyxWorld.officialToken)"]))
            let official = try await connection.answer()
            #expect(official.status == 201, "\(String(decoding: official.body, as: UTF8.self))")
            #expect(Self.fastEntries(world.service) - fastBefore == fastCount)
            #expect(try await world.logSize(poll.id) == base + 3)
        } }
    }

    @Test("pipelined requests on one connection are answered in order: POST, POST, GET of the second's receipt; GET, POST, GET")
    func pipelined() async throws {
        try await PnyxWorld.with { world in try await Self.live(world) { port in
            let poll = try await world.openPoll(world.petitionDraft())
            let base = try await world.logSize(poll.id)
            let connection = try await RawHTTPConnection.connect(port: port)
            let path = "/v1/polls/\(poll.id.hex)/entries"
            let a = try await world.citizen("R1", poll: poll).entry(.sign(nil))
            let b = try await world.citizen("R2", poll: poll).entry(.sign(nil))
            let lookup = { (entry: Entry) in "\(path)/\(SHA256.hash(entry.canonicalBytes).hex)" }
            // The lookups are 404 `entry.unknown` unless answered after the entries' commits.
            try await connection.send(RawHTTPConnection.post(path, try Self.bytes(a)) + RawHTTPConnection.post(path, try Self.bytes(b))
                                      + RawHTTPConnection.get(lookup(b)) + RawHTTPConnection.get(lookup(a)))
            let answers = [try await connection.answer(), try await connection.answer(), try await connection.answer(),
                           try await connection.answer()]
            #expect(answers.map(\.status) == [201, 201, 200, 200], "\(answers.map { String(decoding: $0.body, as: UTF8.self) })")
            let positions = try answers.map { try JSONDecoder().decode(Receipt.self, from: Data($0.body)).position }
            #expect(positions == [0, 1, 1, 0].map { $0 + positions[0] })

            // A request the router answers first: the entry behind it waits for it.
            let c = try await world.citizen("R3", poll: poll).entry(.sign(nil))
            try await connection.send(RawHTTPConnection.get("/v1/polls/\(poll.id.hex)") + RawHTTPConnection.post(path, try Self.bytes(c))
                                      + RawHTTPConnection.get(lookup(c)))
            let more = [try await connection.answer(), try await connection.answer(), try await connection.answer()]
            #expect(more.map(\.status) == [200, 201, 200], "\(more.map { String(decoding: $0.body, as: UTF8.self) })")
            #expect(try await world.logSize(poll.id) == base + 3)
        } }
    }

    @Test("a connection closed before its answer: the entry is still committed, exactly once")
    func closedBeforeAnswer() async throws {
        try await PnyxWorld.with { world in try await Self.live(world) { port in
            let poll = try await world.openPoll(world.petitionDraft())
            let size = try await world.logSize(poll.id)
            let entry = try await world.citizen("R1", poll: poll).entry(.sign(nil))
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(RawHTTPConnection.post("/v1/polls/\(poll.id.hex)/entries", try Self.bytes(entry)))
            connection.close()
            // Wait for the commit through the public lookup (bounded, so a lost entry fails rather than hangs).
            let lookup = "/v1/polls/\(poll.id.hex)/entries/\(SHA256.hash(entry.canonicalBytes).hex)"
            var found = try await world.client.get(lookup)
            for _ in 0..<600 where found.status != .ok {
                try await Task.sleep(for: .milliseconds(100))
                found = try await world.client.get(lookup)
            }
            #expect(found.status == .ok, "\(String(buffer: found.body))")
            let again = try await world.submit(entry)
            #expect(again.errorCode == "entry.replayed")
            #expect(try await world.logSize(poll.id) == size + 1)
            #expect(try await world.tally(poll.id).participants == 1)
        } }
    }

    @Test("Connection: close: the entry is answered, then the server closes the connection")
    func connectionClose() async throws {
        try await PnyxWorld.with { world in try await Self.live(world) { port in
            let poll = try await world.openPoll(world.petitionDraft())
            let base = try await world.logSize(poll.id)
            let entry = try await world.citizen("R1", poll: poll).entry(.sign(nil))
            let connection = try await RawHTTPConnection.connect(port: port)
            try await connection.send(RawHTTPConnection.post(
                "/v1/polls/\(poll.id.hex)/entries", try Self.bytes(entry), extra: ["Connection: close"]))
            let answer = try await connection.answer()
            #expect(answer.status == 201, "\(String(decoding: answer.body, as: UTF8.self))")
            #expect(try await connection.isClosedByServer())
            #expect(try await world.logSize(poll.id) == base + 1)
        } }
    }
}
