import Foundation
import HummingbirdTesting
import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxPostgres
@testable import PnyxService
import Testing

/// HMAC-SHA-256 (RFC 2104), as the broker computes pseudonyms.
func hmac(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
    var k = key.count > 64 ? SHA256.hash(key) : key
    k += [UInt8](repeating: 0, count: 64 - k.count)
    return SHA256.hash(k.map { $0 ^ 0x5c } + SHA256.hash(k.map { $0 ^ 0x36 } + message))
}

@Suite("No identity in the service database (real broker, real PostgreSQL)")
struct IdentityScanTests {
    @Test("after a full flow, no table of the service holds a name, birth date, resident id, session token or pseudonym")
    func scanEveryTable() async throws {
        try await PnyxWorld.with { world in
            // A petition showing certified partial names, and a consultation.
            let petition = try await world.openPoll(world.petitionDraft(thresholds: [.absolute(count: 2)], names: true))
            var tokens: [String] = []
            for id in ["R1", "R2"] {
                let token = try await world.login(id)
                tokens.append(token)
                let oneTime = Ed25519.PrivateKey()
                struct NameBody: Encodable { var oneTimeKey: String }
                struct NameAnswer: Decodable { var attestation: NameAttestation; var signature: String }
                let named = try await world.brokerClient.json(
                    .post, "/v1/polls/\(petition.id.hex)/name-attestation", token: token,
                    body: NameBody(oneTimeKey: Base64.encode(oneTime.publicKey.rawRepresentation)))
                #expect(named.status == .ok, "\(String(buffer: named.body))")
                let answer = try named.decode(NameAnswer.self)
                #expect(answer.attestation.partialName == "Arnaud R.")
                let (credential, key) = try await world.credential(
                    token: token, poll: petition, attributeClass: try PnyxWorld.attributeClass(id, poll: petition), oneTime: oneTime)
                let voter = Voter(pollID: petition.id, credential: credential, key: key)
                let name = PartialName(name: answer.attestation.partialName, attestation: try Base64.decode(answer.signature))
                let signed = try await world.submit(try voter.entry(.sign(name)))
                #expect(signed.status == .created, "\(String(buffer: signed.body))")
            }
            let consultation = try await world.openPoll(world.consultationDraft())
            for id in ["R3", "R4", "R5"] {
                let token = try await world.login(id)
                tokens.append(token)
                let (credential, key) = try await world.credential(
                    token: token, poll: consultation, attributeClass: try PnyxWorld.attributeClass(id, poll: consultation))
                let voter = Voter(pollID: consultation.id, credential: credential, key: key)
                let first = ConsultationTests.vote(0, [0, 1], [2])
                #expect(try await world.submit(try voter.entry(first)).status == .created)
                let changed = ConsultationTests.vote(1, [2], [0, 1])
                #expect(try await world.submit(try voter.entry(changed)).status == .created)
                if id == "R5" { #expect(try await world.submit(try voter.entry(.withdraw)).status == .created) }
            }
            // A citizen's proposal in moderation, an official's kiosk entry, certificates.
            #expect(try await world.client.json(.post, "/v1/proposals", body: world.petitionDraft()).status == .created)
            for poll in [petition.id, consultation.id] {
                let certified = try await world.client.json(
                    .post, "/v1/admin/polls/\(poll.hex)/certify", token: PnyxWorld.adminToken, body: ["thresholdIndex": 0])
                #expect(certified.status == .created, "\(String(buffer: certified.body))")
                #expect(try await world.client.json(.post, "/v1/admin/polls/\(poll.hex)/close", token: PnyxWorld.adminToken, body: Empty()).status == .ok)
            }

            // What must not be there, as text (in text columns and in the printable bytes of
            // bytea columns) and as bytes (hex of bytea columns).
            var words: [String] = ["Arnaud Robert", "Robert Arnaud", "ROBERT", "Robert"]
            for (_, _, age) in PnyxWorld.people {
                let year = 2024 - age
                words += ["\(year)-06-15", "15/06/\(year)"]
            }
            words += tokens
            // The broker's per-poll pseudonyms of every resident, computed as the broker does,
            // checked against its issuance register so that the list is the real one.
            let secret = try await world.broker.pool.query("SELECT value FROM broker_secrets WHERE name = 'pseudonym'").scalar([UInt8].self)
            var pseudonyms: [[UInt8]] = []
            for poll in [petition.id, consultation.id] {
                for (resident, _, _) in PnyxWorld.people {
                    pseudonyms.append(hmac(Array("pnyx/pseudonym/v1".utf8) + poll.bytes + Array(resident.utf8), key: secret))
                }
            }
            let register = try await world.broker.pool.query("SELECT payload FROM log_entries")
            let registered = register.compactMap { row in
                (try? row.decode([UInt8].self, at: 0)).flatMap { try? IssuanceRecord(canonicalBytes: $0) }?.pseudonym
            }
            #expect(!registered.isEmpty)
            #expect(registered.allSatisfy { pseudonyms.contains($0) })
            words += pseudonyms.map { Base64.encode($0) }
            var hexNeedles = pseudonyms.map { Hex.encode($0) }
            // Resident ids are short ("R1"): as whole tokens in text, and as canonical strings
            // (u32 length ‖ UTF-8) in bytes.
            hexNeedles += PnyxWorld.people.map { person in
                var encoder = CanonicalEncoder(reservingCapacity: 8)
                encoder.writeString(person.0)
                return Hex.encode(encoder.bytes)
            }
            let residentPattern = try NSRegularExpression(
                pattern: "(^|[^A-Za-z0-9+/_-])(\(PnyxWorld.people.map(\.0).joined(separator: "|")))($|[^A-Za-z0-9+/=_-])")

            // Every table of the service's database, every column of every row.
            let pool = world.service.pool
            let tables = try await pool.query(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1")
                .map { try $0.decode(String.self, at: 0) }
            #expect(Set(ServiceSchema.tables).isSubset(of: Set(tables)))
            #expect(tables.contains("log_entries"))
            var scannedRows = 0
            for table in tables {
                let columns = try await pool.query(
                    "SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 ORDER BY ordinal_position",
                    [.text(table)]).map { (try $0.decode(String.self, at: 0), try $0.decode(String.self, at: 1)) }
                let text = columns.filter { $0.1 != "bytea" }.map { "coalesce(\"\($0.0)\"::text, '')" }
                let bytes = columns.filter { $0.1 == "bytea" }.map { "coalesce(\"\($0.0)\", ''::bytea)" }
                let select = [
                    text.isEmpty ? "''" : text.joined(separator: " || ' | ' || "),
                    bytes.isEmpty ? "''" : "encode(" + bytes.joined(separator: " || '\\x00'::bytea || ") + ", 'escape')",
                    bytes.isEmpty ? "''" : "encode(" + bytes.joined(separator: " || '\\x00'::bytea || ") + ", 'hex')",
                ]
                let rows = try await pool.query("SELECT \(select.joined(separator: ", ")) FROM \"\(table)\"")
                for row in rows {
                    scannedRows += 1
                    let plain = try row.decode(String.self, at: 0)
                    let printable = try row.decode(String.self, at: 1)
                    let hex = try row.decode(String.self, at: 2)
                    for word in words {
                        #expect(!plain.contains(word) && !printable.contains(word), "\(table) holds \(word)")
                    }
                    for needle in hexNeedles { #expect(!hex.contains(needle), "\(table) holds the bytes \(needle)") }
                    if let match = residentPattern.firstMatch(in: plain, range: NSRange(plain.startIndex..., in: plain)) {
                        Issue.record("\(table) holds a resident id: \((plain as NSString).substring(with: match.range))")
                    }
                }
            }
            // The scan saw the flow: the partial names are there (they are meant to be).
            #expect(scannedRows > 30)
            let log = try await pool.query("SELECT count(*) FROM log_entries WHERE position('Arnaud R.'::bytea IN payload) > 0").scalar(Int64.self)
            #expect(log == 2)
        }
    }
}
