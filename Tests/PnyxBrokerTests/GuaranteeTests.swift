import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import Testing

/// Eligibility edges, one credential under 50 concurrent HTTP requests, lockouts, one name
/// attestation per poll, plain RSASSA-PSS credentials, and what the broker's database never holds.
@Suite("Broker guarantees: eligibility, one credential, unlinkability")
struct GuaranteeTests {
    struct Blinded: Encodable { var blindedMessage: String }
    struct Credential: Decodable { var blindSignature: String; var retry: Bool; var `class`: String }
    struct NameBody: Encodable { var oneTimeKey: String }
    struct NameAnswer: Decodable { var attestation: NameAttestation; var signature: String }

    /// Imports `rows` (`id,district,birth date`) with the harness areas.
    static func importRows(_ h: BrokerHarness, _ rows: [(String, String, String)]) async throws {
        var csv = "resident_id,given_name,family_name,birth_date,area_code\n"
        for (id, area, birth) in rows { csv += "\(id),Arnaud,Robert,\(birth),\(area)\n" }
        _ = try await h.broker.residents.importRegister(areasCSV: BrokerHarness.areasCSV, residentsCSV: csv)
    }

    /// The class of each resident for the poll, `-` when ineligible.
    static func classes(_ h: BrokerHarness, _ pollID: PollID, _ ids: [String]) async throws -> [String: String] {
        var out: [String: String] = [:]
        for id in ids {
            do {
                out[id] = try await h.broker.issuance.memberClass(residentID: id, pollID: pollID).text
            } catch let error as BrokerError where error.code == .ineligible {
                out[id] = "-"
            }
        }
        return out
    }

    @Test func birthdaysOnTheReferenceDate() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        try await Self.importRows(h, [
            ("ON18", "C1-1", "2007-01-01"),    // 18 on the reference date 2025-01-01
            ("EVE18", "C1-1", "2007-01-02"),   // 18 the day after: 17
            ("ON16", "C1-1", "2009-01-01"),    // 16 on the reference date
            ("EVE16", "C1-1", "2009-01-02"),   // 15
            ("ON25", "C1-1", "2000-01-01"),    // 25 that day: the next band
            ("LEAP", "C1-2", "2008-02-29"),    // leap-day birthday
        ])
        let adults = try h.definition(minimumAge: 18, level: .none, ageBands: true)
        _ = try await h.broker.polls.register(adults)
        #expect(try await Self.classes(h, adults.definition.pollID, ["ON18", "EVE18", "ON25", "LEAP"]) == [
            "ON18": "age=18-24", "EVE18": "-", "ON25": "age=25-34", "LEAP": "-",
        ])
        let youth = try h.definition(minimumAge: 16, level: .none, ageBands: true)
        _ = try await h.broker.polls.register(youth)
        #expect(try await Self.classes(h, youth.definition.pollID, ["ON16", "EVE16", "EVE18", "LEAP"]) == [
            "ON16": "age=16-17", "EVE16": "-", "EVE18": "age=16-17", "LEAP": "age=16-17",
        ])
        // Born on 29 February: a year older on 1 March in common years, not on 28 February.
        let eve = try h.definition(minimumAge: 18, level: .none, ageBands: false, referenceDate: CivilDate("2026-02-28")!)
        let day = try h.definition(minimumAge: 18, level: .none, ageBands: false, referenceDate: CivilDate("2026-03-01")!)
        _ = try await h.broker.polls.register(eve)
        _ = try await h.broker.polls.register(day)
        #expect(try await Self.classes(h, eve.definition.pollID, ["LEAP"]) == ["LEAP": "-"])
        #expect(try await Self.classes(h, day.definition.pollID, ["LEAP"]) == ["LEAP": "*"])
    }

    @Test func areaBoundariesAndMovedResidents() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        let born = "1990-05-05"
        try await Self.importRows(h, [("P11", "C1-1", born), ("P12", "C1-2", born), ("P21", "C2-1", born),
                                      ("MOVER", "C2-1", born), ("LEAVER", "C1-1", born)])
        let everyone = ["P11", "P12", "P21", "MOVER", "LEAVER"]
        _ = try await h.enrolAndLogin("LEAVER")
        // A commune takes in its districts only; a district only itself; the agglomeration all.
        let commune = try h.definition(scope: ["C1"], level: .commune, ageBands: false)
        _ = try await h.broker.polls.register(commune)
        #expect(try await Self.classes(h, commune.definition.pollID, everyone) == [
            "P11": "area=C1", "P12": "area=C1", "P21": "-", "MOVER": "-", "LEAVER": "area=C1",
        ])
        let district = try h.definition(scope: ["C1-2"], level: .district, ageBands: false)
        _ = try await h.broker.polls.register(district)
        #expect(try await Self.classes(h, district.definition.pollID, everyone) == [
            "P11": "-", "P12": "area=C1-2", "P21": "-", "MOVER": "-", "LEAVER": "-",
        ])
        let twoAreas = try h.definition(scope: ["C1-1", "C2"], level: .district, ageBands: false)
        _ = try await h.broker.polls.register(twoAreas)
        #expect(try await Self.classes(h, twoAreas.definition.pollID, everyone) == [
            "P11": "area=C1-1", "P12": "-", "P21": "area=C2-1", "MOVER": "area=C2-1", "LEAVER": "area=C1-1",
        ])

        // Re-import: MOVER moves from C2-1 into C1-1, LEAVER leaves the register.
        try await Self.importRows(h, [("P11", "C1-1", born), ("P12", "C1-2", born), ("P21", "C2-1", born),
                                      ("MOVER", "C1-1", born)])
        // A key set is a snapshot of the register when the poll was registered (its signed
        // eligible counts must stay true): the mover keeps the class of that time; whoever
        // left the register gets nothing.
        #expect(try await Self.classes(h, commune.definition.pollID, ["MOVER", "LEAVER", "P11"]) == [
            "MOVER": "-", "LEAVER": "-", "P11": "area=C1",
        ])
        #expect(try await Self.classes(h, twoAreas.definition.pollID, ["MOVER"]) == ["MOVER": "area=C2-1"])
        // A poll registered after the move sees the new address.
        let after = try h.definition(scope: ["C1"], level: .commune, ageBands: false)
        let set = try await h.broker.polls.register(after)
        #expect(try await Self.classes(h, after.definition.pollID, everyone) == [
            "P11": "area=C1", "P12": "area=C1", "P21": "-", "MOVER": "area=C1", "LEAVER": "-",
        ])
        #expect(set.counts == [try AttributeClass(text: "area=C1"): 3])
        // The departed resident cannot log in any more either.
        await expectBrokerError(.invalidCredentials) {
            _ = try await h.broker.enrolment.login(residentID: "LEAVER", passphrase: "correct horse battery")
        }
    }

    @Test func fiftyConcurrentCredentialRequestsOverHTTPGiveOneCredential() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30), ("R2", "C1-1", 40)])
        let signed = try h.definition(level: .none, ageBands: false)
        let pollID = signed.definition.pollID
        let set = try await h.broker.polls.register(signed)
        let token = try await h.enrolAndLogin("R1")
        let message = CredentialMessage(pollID: pollID, attributeClass: .anonymous, oneTimeKey: Ed25519.PrivateKey().publicKey)
        // Even tasks send one blinded message (a client retrying), odd tasks each another one.
        let shared = try CredentialRequest(message: message, directory: set.directory.directory)
        let requests = try (0..<50).map { i in
            i % 2 == 0 ? shared : try CredentialRequest(message: message, directory: set.directory.directory)
        }
        let app = buildBrokerApplication(broker: h.broker)
        try await app.testLive { client in
            let port = try #require(client.port)
            // 50 connections, all requests in flight at once.
            let outcomes = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status, String).self) { group in
                for (i, request) in requests.enumerated() {
                    group.addTask {
                        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(120))) { c in
                            let body = try JSONEncoder().encode(Blinded(blindedMessage: Base64.encode(request.blindedMessage)))
                            let response = try await c.execute(TestClient.Request(
                                "/v1/polls/\(pollID.hex)/credential", method: .post,
                                headers: [.contentType: "application/json", .authorization: "Bearer \(token)"],
                                body: ByteBuffer(bytes: Array(body))))
                            return (i, response.status, String(buffer: response.body ?? ByteBuffer()))
                        }
                    }
                }
                return try await group.reduce(into: [(Int, HTTPResponse.Status, String)]()) { $0.append($1) }
            }
            #expect(outcomes.count == 50)
            let accepted = outcomes.filter { $0.1 == .ok }
            let refused = outcomes.filter { $0.1 != .ok }
            for (_, status, body) in refused {
                #expect(status == .conflict, "\(body)")
                #expect(body.contains("\"issuance.already_issued\""), "\(body)")
            }
            let answers = try accepted.map { try JSONDecoder().decode(Credential.self, from: Data($0.2.utf8)) }
            #expect(Set(answers.map(\.blindSignature)).count == 1)
            #expect(answers.filter { !$0.retry }.count == 1)
            // Either the shared message won (every even task got the same signature back) or
            // one odd task won alone.
            let winners = Set(accepted.map(\.0))
            #expect(winners.allSatisfy { $0 % 2 == 0 } ? winners.count == 25 : winners.count == 1)
            // The one signature finalizes into a valid credential for the winning request.
            let winner = requests[accepted[0].0]
            let credential = try winner.finalize(blindSignature: try Base64.decode(answers[0].blindSignature))
            try credential.verify(directory: set.directory.directory, pollID: pollID)
        }
        #expect(try await h.broker.pool.query("SELECT count(*) FROM broker_issuances").scalar(Int.self) == 1)
        #expect(try await h.broker.register.store.head(logID: IssuanceRegister.logID(pollID: pollID)).size == 1)
        #expect(h.broker.metrics.credentialsIssued.value == 1)
    }

    @Test func lockoutCountsFailuresInARowAndANewCodeLiftsIt() async throws {
        let h = try await BrokerHarness.make(lockoutAttempts: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30), ("R2", "C1-1", 30)])
        _ = try await h.enrolAndLogin("R1", passphrase: "right passphrase")
        _ = try await h.enrolAndLogin("R2", passphrase: "right passphrase")
        let login: @Sendable (String, String) async throws -> Void = { id, passphrase in
            _ = try await h.broker.enrolment.login(residentID: id, passphrase: passphrase)
        }
        // Two failures, a success, two failures: never three in a row, so no lockout.
        for _ in 0..<2 { await expectBrokerError(.invalidCredentials) { try await login("R1", "wrong passphrase") } }
        try await login("R1", "right passphrase")
        for _ in 0..<2 { await expectBrokerError(.invalidCredentials) { try await login("R1", "wrong passphrase") } }
        try await login("R1", "right passphrase")
        // Three in a row: locked, even with the right passphrase; other residents are not.
        for _ in 0..<3 { await expectBrokerError(.invalidCredentials) { try await login("R1", "wrong passphrase") } }
        await expectBrokerError(.lockedOut) { try await login("R1", "right passphrase") }
        await expectBrokerError(.lockedOut) { try await login("R1", "wrong passphrase") }
        try await login("R2", "right passphrase")
        // Attempts while locked do not extend the lock (300 s from the third failure).
        h.clock.advance(299)
        await expectBrokerError(.lockedOut) { try await login("R1", "wrong passphrase") }
        h.clock.advance(2)
        try await login("R1", "right passphrase")
        // Locked again; a new enrolment code lifts the lockout at once, with the new passphrase.
        for _ in 0..<3 { await expectBrokerError(.invalidCredentials) { try await login("R1", "wrong passphrase") } }
        await expectBrokerError(.lockedOut) { try await login("R1", "right passphrase") }
        let code = try await h.broker.enrolment.issueCodes(residentIDs: ["R1"])[0].code
        _ = try await h.broker.enrolment.enrol(code: code, passphrase: "new passphrase here")
        try await login("R1", "new passphrase here")
        await expectBrokerError(.invalidCredentials) { try await login("R1", "right passphrase") }
        #expect(h.broker.metrics.lockouts.value == 2)
    }

    @Test func oneNameAttestationPerResidentAndPoll() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30)])
        let poll = try h.definition(level: .none, ageBands: false, names: true)
        let pollID = poll.definition.pollID
        _ = try await h.broker.polls.register(poll)
        let first = Ed25519.PrivateKey().publicKey
        let a = try await h.broker.attestName(residentID: "R1", pollID: pollID, oneTimeKey: first)
        // A retry with the same key: the same attestation, byte for byte.
        let again = try await h.broker.attestName(residentID: "R1", pollID: pollID, oneTimeKey: first)
        #expect(again.signature == a.signature)
        // Another key: refused, over HTTP too.
        await expectBrokerError(.nameAlreadyAttested) {
            _ = try await h.broker.attestName(residentID: "R1", pollID: pollID, oneTimeKey: Ed25519.PrivateKey().publicKey)
        }
        let token = try await h.enrolAndLogin("R1")
        try await buildBrokerApplication(broker: h.broker).test(.router) { client in
            let refused = try await client.json(
                .post, "/v1/polls/\(pollID.hex)/name-attestation", token: token,
                body: NameBody(oneTimeKey: Base64.encode(Ed25519.PrivateKey().publicKey.rawRepresentation)))
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "issuance.name_already_attested")
        }
        // Another poll is another attestation.
        let other = try h.definition(level: .none, ageBands: false, names: true)
        _ = try await h.broker.polls.register(other)
        _ = try await h.broker.attestName(residentID: "R1", pollID: other.definition.pollID, oneTimeKey: Ed25519.PrivateKey().publicKey)
        #expect(try await h.broker.pool.query("SELECT count(*) FROM broker_name_attestations").scalar(Int.self) == 2)
    }

    @Test func fullFlowLeavesNoOneTimeKeyEntryOrSignatureInTheBrokerDatabase() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        let app = buildBrokerApplication(broker: h.broker)
        let (needles, storedBlindSignature) = try await app.test(.router) { client -> ([(String, [UInt8])], [UInt8]) in
            // The administration imports and issues a code; the resident enrols and logs in.
            struct Import: Encodable { var areasCSV: String?; var residentsCSV: String }
            struct Codes: Encodable { var residentIDs: [String]? }
            struct Enrol: Encodable { var code: String; var passphrase: String }
            struct Login: Encodable { var residentID: String; var passphrase: String }
            struct Token: Decodable { var token: String }
            struct ClassAnswer: Decodable { var `class`: String }
            let admin = BrokerHarness.adminToken
            let imported = try await client.json(.post, "/v1/admin/register", token: admin, body: Import(
                areasCSV: BrokerHarness.areasCSV, residentsCSV: BrokerHarness.residentsCSV([("R1", "C1-1", 30), ("R2", "C1-2", 30)])))
            #expect(imported.status == .ok)
            let csv = try await client.json(.post, "/v1/admin/enrolment-codes", token: admin, body: Codes(residentIDs: ["R1"]))
            let code = String(String(buffer: csv.body).split(separator: "\n")[1].split(separator: ",")[4])
            #expect(try await client.json(.post, "/v1/enrol", body: Enrol(code: code, passphrase: "a long passphrase")).status == .created)
            let token = try await client.json(.post, "/v1/login", body: Login(residentID: "R1", passphrase: "a long passphrase"))
                .decode(Token.self).token

            // The service registers a petition that shows partial names.
            let signed = try h.definition(level: .commune, ageBands: true, names: true)
            let pollID = signed.definition.pollID
            let keySet = try await IssuanceTests.registerPoll(client, signed)
            let directory = keySet.directory.directory

            // The citizen side, entirely client-side: one-time key, message, blinding.
            let oneTime = Ed25519.PrivateKey()
            let cls = try await client.get("/v1/polls/\(pollID.hex)/class", token: token).decode(ClassAnswer.self).class
            let message = CredentialMessage(pollID: pollID, attributeClass: try AttributeClass(text: cls), oneTimeKey: oneTime.publicKey)
            let request = try CredentialRequest(message: message, directory: directory)
            let answer = try await client.json(.post, "/v1/polls/\(pollID.hex)/credential", token: token,
                                               body: Blinded(blindedMessage: Base64.encode(request.blindedMessage)))
            #expect(answer.status == .ok, "\(String(buffer: answer.body))")
            let storedBlindSignature = try Base64.decode(try answer.decode(Credential.self).blindSignature)
            let credential = try request.finalize(blindSignature: storedBlindSignature)
            let name = try await client.json(.post, "/v1/polls/\(pollID.hex)/name-attestation", token: token,
                                             body: NameBody(oneTimeKey: Base64.encode(oneTime.publicKey.rawRepresentation)))
                .decode(NameAnswer.self)
            let entry = try Entry(
                pollID: pollID, credential: credential, channel: .online,
                payload: .sign(PartialName(name: name.attestation.partialName, attestation: try Base64.decode(name.signature))),
                signingWith: oneTime)
            try entry.verify(definition: signed.definition, directory: directory)
            // The resident checks the register; the public reads it.
            #expect(try await client.get("/v1/me/issuances", token: token).status == .ok)
            #expect(try await client.get("/v1/polls/\(pollID.hex)/register").status == .ok)

            // A finalized credential is a plain RSASSA-PSS signature (SHA-384, MGF1-SHA-384,
            // 48-byte salt) over prefix ‖ message: PnyxCrypto's OpenSSL verify, then the
            // openssl command line, knowing nothing of blind signatures.
            let key = try #require(directory.entry(keyID: credential.keyID)).publicKey
            let prepared = credential.prefix + message.canonicalBytes
            try BlindRSA.verify(credential.signature, preparedMessage: prepared, publicKey: key)
            try Self.opensslVerifiesPSS(message: prepared, signature: credential.signature, publicKeyDER: key.derRepresentation)
            var tampered = prepared
            tampered[tampered.count - 1] ^= 1
            #expect(!(try BlindRSA.isValidSignature(credential.signature, preparedMessage: tampered, publicKey: key)))

            let needles: [(String, [UInt8])] = [
                ("one-time public key", oneTime.publicKey.rawRepresentation),
                ("credential message", message.canonicalBytes),
                ("finalized signature", credential.signature),
                ("credential", credential.canonicalBytes),
                ("entry", entry.canonicalBytes),
                ("entry signature", entry.signature),
            ]
            return (needles, storedBlindSignature)
        }
        let dump = try await Self.dumpEveryTable(h.broker.pool)
        #expect(dump.tables.contains("broker_issuances") && dump.tables.contains("broker_name_attestations"))
        // The scan sees what is stored: the blind signature is kept for retries.
        #expect(dump.contains(storedBlindSignature))
        for (what, bytes) in needles {
            #expect(!dump.contains(bytes), "the broker's database holds the \(what)")
            let inBytea = try await Self.anyByteaColumn(h.broker.pool, contains: bytes)
            #expect(!inBytea, "a bytea column holds the \(what)")
        }
    }

    // MARK: Helpers

    /// Every row of every table of the broker's database, as text (`row::text`: bytea as hex).
    struct Dump {
        var tables: [String]
        var text: String

        /// True when `bytes` appear in hex, base64 or base64url in any row.
        func contains(_ bytes: [UInt8]) -> Bool {
            let forms = [Hex.encode(bytes), Base64.encode(bytes), Base64URL.encode(bytes)]
            return forms.contains { text.contains($0) }
        }
    }

    static func tables(_ pool: PostgresPool) async throws -> [String] {
        try await pool.query("""
            SELECT table_name FROM information_schema.tables
            WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' ORDER BY table_name
            """).map { try $0.decode(String.self, at: 0) }
    }

    static func dumpEveryTable(_ pool: PostgresPool) async throws -> Dump {
        let tables = try await tables(pool)
        var text = ""
        for table in tables {
            for row in try await pool.query("SELECT t::text FROM \"\(table)\" t") {
                text += try row.decode(String.self, at: 0) + "\n"
            }
        }
        return Dump(tables: tables, text: text)
    }

    /// True when any bytea column of any table holds `bytes` as a substring.
    static func anyByteaColumn(_ pool: PostgresPool, contains bytes: [UInt8]) async throws -> Bool {
        let columns = try await pool.query("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND data_type = 'bytea'
            """).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
        #expect(columns.count > 5)
        for (table, column) in columns {
            let hits = try await pool.query(
                "SELECT count(*) FROM \"\(table)\" WHERE position($1::bytea IN \"\(column)\") > 0", [.bytea(bytes)]
            ).scalar(Int.self)
            if hits > 0 { return true }
        }
        return false
    }

    /// `openssl dgst -sha384` with PSS padding, MGF1-SHA-384 and a 48-byte salt.
    static func opensslVerifiesPSS(message: [UInt8], signature: [UInt8], publicKeyDER: [UInt8]) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("pnyx-pss-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data(message).write(to: dir.appendingPathComponent("msg"))
        try Data(signature).write(to: dir.appendingPathComponent("sig"))
        try Data(publicKeyDER).write(to: dir.appendingPathComponent("key.der"))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl", "dgst", "-sha384", "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:48",
                             "-sigopt", "rsa_mgf1_md:sha384", "-keyform", "DER", "-verify", dir.appendingPathComponent("key.der").path,
                             "-signature", dir.appendingPathComponent("sig").path, dir.appendingPathComponent("msg").path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "openssl: \(text)")
        #expect(text.contains("Verified OK"), "openssl: \(text)")
    }
}
