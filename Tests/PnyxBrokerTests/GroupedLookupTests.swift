import Foundation
import Hummingbird
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxHTTP
import PnyxPostgres
import Testing

/// The credential route's grouped lookup (one statement for the concurrent requests of a
/// batch), the hand-written JSON of the credential route and the issuance day.
@Suite("Issuance: grouped lookups, credential JSON, issuance day")
struct GroupedLookupTests {
    /// A1…A6 aged 30 (eligible), Y1 aged 17 (not: minimum age 18).
    static let people: [(String, String, Int)] = (1...6).map { ("A\($0)", "C1-1", 30) } + [("Y1", "C1-1", 17)]

    /// What each resident's session is set up to be in ``mixedWorld(_:)``.
    struct World {
        let pollID: PollID
        let otherPollID: PollID
        let directory: KeyDirectory
        /// Resident → session token.
        let tokens: [String: String]
        /// A2's first blinded message and its blind signature (issued before).
        let a2Blinded: [UInt8]
        let a2Signature: [UInt8]
    }

    /// Two anonymous polls; sessions for A1…A6 and Y1; A2 and A6 hold a credential of the
    /// first poll; A3's session expired; A4 logged out; A5 left the register.
    static func mixedWorld(_ h: BrokerHarness) async throws -> World {
        try await h.importPeople(Self.people)
        let signed = try h.definition(level: .none, ageBands: false)
        let set = try await h.broker.polls.register(signed)
        let other = try h.definition(level: .none, ageBands: false)
        _ = try await h.broker.polls.register(other)
        let pollID = signed.definition.pollID
        var tokens: [String: String] = [:]
        for (id, _, _) in Self.people { tokens[id] = try await h.enrolAndLogin(id) }
        let a2Blinded = try IssuanceCommitTests.blinded(pollID, set.directory.directory)
        let a2 = try await h.broker.issuance.issue(residentID: "A2", pollID: pollID, blindedMessage: a2Blinded)
        _ = try await h.broker.issuance.issue(
            residentID: "A6", pollID: pollID, blindedMessage: try IssuanceCommitTests.blinded(pollID, set.directory.directory))
        try await h.broker.pool.execute(
            "UPDATE broker_sessions SET expires_at = $1 WHERE resident_id = 'A3'", [.timestamp(h.clock.now.addingTimeInterval(-1))])
        try await h.broker.enrolment.logout(token: tokens["A4"]!)
        try await h.broker.pool.execute("UPDATE broker_residents SET active = false WHERE resident_id = 'A5'")
        return World(pollID: pollID, otherPollID: other.definition.pollID, directory: set.directory.directory, tokens: tokens,
                      a2Blinded: a2Blinded, a2Signature: a2.blindSignature)
    }

    static func hash(_ token: String) -> [UInt8] { SHA256.hash(Array(token.utf8)) }

    @Test func oneStatementAnswersEachRequestOfABatchWithItsOwnRow() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        let w = try await Self.mixedWorld(h)
        let t = w.tokens
        let keys: [(pollID: PollID, tokenHash: [UInt8])] = [
            (w.pollID, Self.hash(t["A1"]!)),            // fresh
            (w.pollID, Self.hash(t["A2"]!)),            // existing issuance
            (w.pollID, Self.hash("not a session")),     // unknown session
            (w.pollID, Self.hash(t["A3"]!)),            // expired session
            (w.pollID, Self.hash(t["Y1"]!)),            // not a member (too young)
            (w.pollID, Self.hash(t["A4"]!)),            // logged out
            (w.pollID, Self.hash(t["A5"]!)),            // left the register
            (w.otherPollID, Self.hash(t["A2"]!)),       // same session, another poll: no issuance there
            (w.pollID, Self.hash(t["A1"]!)),            // the same request twice in one batch
        ]
        let found = try await h.broker.pool.withBlockingConnection { conn in try IssuanceLookupBatcher.lookup(keys, on: conn) }
        #expect(found.count == keys.count)
        #expect(found[0]?.residentID == "A1" && found[0]?.active == true)
        #expect(found[0]?.attributeClass == .anonymous && found[0]?.existing == nil)
        let existing = try #require(found[1]?.existing)
        #expect(found[1]?.residentID == "A2")
        #expect(existing.blindedHash == SHA256.hash(w.a2Blinded) && existing.blindSignature == w.a2Signature && existing.registered)
        #expect(found[2] == nil)
        #expect(found[3]?.residentID == "A3" && found[3]!.expiresAt < h.clock.now)
        #expect(found[4]?.residentID == "Y1" && found[4]?.attributeClass == nil)
        #expect(found[5] == nil)
        #expect(found[6]?.residentID == "A5" && found[6]?.active == false)
        #expect(found[7]?.residentID == "A2" && found[7]?.attributeClass == .anonymous && found[7]?.existing == nil)
        #expect(found[8]?.residentID == "A1" && found[8]?.existing == nil)
        #expect(found[0]!.expiresAt > h.clock.now)
    }

    /// Every outcome at once through ``IssuanceStore/issue(sessionToken:pollID:blindedMessage:)``
    /// (the HTTP route's path, whose lookups are grouped): each request gets its own answer.
    @Test func concurrentRequestsWithMixedOutcomesGetTheirOwnAnswers() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        let w = try await Self.mixedWorld(h)
        let t = w.tokens
        let fresh = try IssuanceCommitTests.blinded(w.pollID, w.directory)
        let anyOther = try IssuanceCommitTests.blinded(w.pollID, w.directory)
        let cases: [(name: String, token: String?, pollID: PollID, blinded: [UInt8])] = [
            ("fresh", t["A1"], w.pollID, fresh),
            ("retry", t["A2"], w.pollID, w.a2Blinded),
            ("another message", t["A6"], w.pollID, anyOther),
            ("unknown session", "not a session", w.pollID, anyOther),
            ("no session", nil, w.pollID, anyOther),
            ("expired", t["A3"], w.pollID, anyOther),
            ("ineligible", t["Y1"], w.pollID, anyOther),
            ("logged out", t["A4"], w.pollID, anyOther),
            ("left the register", t["A5"], w.pollID, anyOther),
            ("wrong size", t["A2"], w.otherPollID, [1, 2, 3]),
            ("unknown poll", t["A2"], PollID.random(), anyOther),
        ]
        let outcomes = await withTaskGroup(of: (String, Result<IssuedBlindSignature, BrokerError>).self) { group in
            for c in cases {
                group.addTask {
                    do {
                        return (c.name, .success(try await h.broker.issuance.issue(
                            sessionToken: c.token, pollID: c.pollID, blindedMessage: c.blinded)))
                    } catch let error as BrokerError {
                        return (c.name, .failure(error))
                    } catch {
                        return (c.name, .failure(BrokerError(.init(rawValue: "unexpected"), "\(error)")))
                    }
                }
            }
            var out: [String: Result<IssuedBlindSignature, BrokerError>] = [:]
            for await (name, result) in group { out[name] = result }
            return out
        }
        func code(_ name: String) -> String? {
            if case .failure(let error)? = outcomes[name] { return error.code.rawValue }
            return nil
        }
        let issued = try #require(try? outcomes["fresh"]?.get())
        #expect(!issued.isRetry && issued.pollID == w.pollID && issued.attributeClass == .anonymous)
        let retried = try #require(try? outcomes["retry"]?.get())
        #expect(retried.isRetry && retried.blindSignature == w.a2Signature)
        #expect(code("another message") == "issuance.already_issued")
        #expect(code("unknown session") == "auth.session_required")
        #expect(code("no session") == "auth.session_required")
        #expect(code("expired") == "auth.session_expired")
        #expect(code("ineligible") == "issuance.ineligible")
        #expect(code("logged out") == "auth.session_required")
        #expect(code("left the register") == "auth.session_required")
        #expect(code("wrong size") == "issuance.wrong_size")
        #expect(code("unknown poll") == "poll.unknown")
        #expect(outcomes.count == cases.count)
        // The fresh credential is the one stored (a retry gets it back), with its record; the
        // expired session is gone.
        let again = try await h.broker.issuance.issue(residentID: "A1", pollID: w.pollID, blindedMessage: fresh)
        #expect(again.isRetry && again.blindSignature == issued.blindSignature)
        try await IssuanceCommitTests.expectRowsMatchRecords(h, w.pollID, count: 3)
        let expired = try await h.broker.pool.query("SELECT count(*) FROM broker_sessions WHERE resident_id = 'A3'").scalar(Int.self)
        #expect(expired == 0)
    }

    /// Migration 3 dropped the per-row foreign key check of the group commit's INSERT; the
    /// primary key that makes (poll, resident) unique stays.
    @Test func issuanceRowsHaveNoForeignKeyButKeepTheirPrimaryKey() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        let kinds = try await h.broker.pool.query(
            "SELECT contype::text FROM pg_constraint WHERE conrelid = 'broker_issuances'::regclass ORDER BY 1"
        ).map { try $0.decode(String.self, at: 0) }
        #expect(!kinds.contains("f"))
        #expect(kinds.contains("p"))
    }

    /// The grouped lookup probes every table by its primary key even when the plan is made
    /// while the tables are analysed as (nearly) empty, as in a new deployment: a sequential
    /// scan chosen then would stay in the connection's generic plan while the tables grow.
    @Test func groupedLookupProbesByPrimaryKeyEvenOnTablesAnalysedEmpty() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        let w = try await Self.mixedWorld(h)
        try await h.broker.pool.withBlockingConnection { try $0.executeScript("VACUUM ANALYZE") }
        let keys = [(pollID: w.pollID, tokenHash: Self.hash(w.tokens["A1"]!))]
        let plan = try await h.broker.pool.withBlockingConnection { conn in
            try IssuanceLookupBatcher.withGenericPlans(conn) {
                try conn.query("EXPLAIN " + IssuanceLookupBatcher.lookupSQL, [
                    BinaryArray.bytea(keys.map(\.pollID.bytes)), BinaryArray.bytea(keys.map(\.tokenHash)),
                ]).map { try $0.decode(String.self, at: 0) }.joined(separator: "\n")
            }
        }
        #expect(!plan.contains("Seq Scan"), "\(plan)")
        for index in ["broker_sessions_pkey", "broker_residents_pkey", "broker_poll_members_pkey", "broker_issuances_pkey"] {
            #expect(plan.contains(index), "\(index) not used:\n\(plan)")
        }
    }

    @Test func credentialResponseHasTheBytesOfTheJSONEncoder() throws {
        let classes = [AttributeClass.anonymous, try AttributeClass(text: "area=C1;age=25-34"), try AttributeClass(text: "age=35-49")]
        for cls in classes {
            for retry in [false, true] {
                let pollID = PollID.random()
                let keyID = try KeyID(bytes: SystemRandom().bytes(32))
                let signature = Base64.encode(SystemRandom().bytes(256))
                let expected = try Array(JSONResponse.encoder().encode(BrokerRoutes.CredentialResponse(
                    pollID: pollID, attributeClass: cls, keyID: keyID, blindSignature: signature, retry: retry)))
                let written = CredentialJSON.response(
                    pollID: pollID, attributeClass: cls, keyID: keyID, blindSignature: signature, retry: retry)
                #expect(written == expected, "\(String(decoding: written, as: UTF8.self))")
            }
        }
        for text in ["plain", "quote \" backslash \\ slash /", "controls \n\r\t\u{08}\u{0C}\u{01}\u{1F}", "é ☃"] {
            var written: [UInt8] = []
            CredentialJSON.appendString(text, to: &written)
            #expect(written == Array(try JSONResponse.encoder().encode([text]).dropFirst().dropLast()), "\(text)")
        }
    }

    @Test func credentialRequestFastPathTakesOnlyThePlainShape() {
        func parse(_ text: String) -> String? { CredentialJSON.blindedMessage(in: ByteBuffer(string: text)) }
        #expect(parse(#"{"blindedMessage":"AQID+/=="}"#) == "AQID+/==")
        #expect(parse(" {\n \"blindedMessage\" :\t\"AQID\" }\r\n") == "AQID")
        #expect(parse(#"{"blindedMessage":""}"#) == "")
        // Anything else goes to the JSON decoder (escapes, other or extra keys, other types, junk).
        #expect(parse(#"{"blindedMessage":"AQ\/D"}"#) == nil)
        #expect(parse(#"{"blindedMessage":"AQID","extra":1}"#) == nil)
        #expect(parse(#"{"blindedmessage":"AQID"}"#) == nil)
        #expect(parse(#"{"blindedMessage":12}"#) == nil)
        #expect(parse(#"{"blindedMessage":"AQID"} x"#) == nil)
        #expect(parse(#"{"blindedMessage":"AQID""#) == nil)
        #expect(parse("") == nil)
    }

    @Test func issuanceDayMatchesTheGregorianCalendarInUTC() {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        var seconds: Double = -2_208_988_800  // 1900-01-01
        while seconds < 7_258_118_400 {  // 2200-01-01
            for offset in [0.0, 0.5, 86_399.999] {
                let date = Date(timeIntervalSince1970: seconds + offset)
                let c = calendar.dateComponents([.year, .month, .day], from: date)
                #expect(IssuanceStore.day(date) == CivilDate(year: c.year!, month: c.month!, day: c.day!)!, "\(date)")
            }
            seconds += 86_400 * 13 + 3_600
        }
    }
}
