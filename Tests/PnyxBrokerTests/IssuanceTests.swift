import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxTransparency
import Testing

/// Key sets, issuance, the register and partial names (one broker per test; RSA-2048 keys
/// are generated per class, so the registers are kept small).
@Suite("Poll key sets, issuance and the issuance register")
struct IssuanceTests {
    /// 4 residents in C1-1 aged 30, 3 in C1-2 aged 30, 3 in C2-1 aged 40, one 17-year-old in C1-1.
    static let people: [(String, String, Int)] =
        (1...4).map { ("A\($0)", "C1-1", 30) } + (1...3).map { ("B\($0)", "C1-2", 30) } + (1...3).map { ("C\($0)", "C2-1", 40) }
        + [("Y1", "C1-1", 17)]

    struct Credential: Decodable {
        var blindSignature: String
        var retry: Bool
        var `class`: String
    }

    struct KeySet: Decodable {
        var directory: SignedKeyDirectory
        var counts: [String: UInt64]
    }

    struct Blinded: Encodable { var blindedMessage: String }

    /// Registers `signed` over HTTP and returns the key set.
    static func registerPoll(_ client: some TestClientProtocol, _ signed: SignedPollDefinition) async throws -> KeySet {
        let response = try await client.json(.post, "/v1/polls", body: signed)
        #expect(response.status == .ok, "\(String(buffer: response.body))")
        return try response.decode(KeySet.self)
    }

    @Test func keySetCountsAndSignature() async throws {
        let h = try await BrokerHarness.make(k: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            let signed = try h.definition(level: .commune, ageBands: true)
            let set = try await Self.registerPoll(client, signed)
            try set.directory.verify(for: signed.definition)
            #expect(set.counts == ["area=C1;age=25-34": 7, "area=C2;age=35-49": 3])
            #expect(set.directory.directory.k == 3)
            #expect(set.directory.directory.entries.allSatisfy { $0.publicKey.modulusBitCount == 2048 })
            // Idempotent; the directory is public and cacheable.
            #expect(try await Self.registerPoll(client, signed).directory == set.directory)
            let directory = try await client.get("/v1/polls/\(signed.definition.pollID.hex)/directory")
            #expect(directory.status == .ok)
            #expect(directory.headers[.eTag] != nil)

            // A forged service signature, an untrusted service, an open poll: refused.
            var tampered = signed.definition
            tampered.title = "Moins d'arbres"
            let forged = try await client.json(.post, "/v1/polls", body: SignedPollDefinition(definition: tampered, signature: signed.signature))
            #expect(forged.status == .unprocessableContent)
            #expect(forged.errorCode == "poll.invalid_signature")
            let stranger = Ed25519.PrivateKey()
            var foreign = try h.definition().definition
            foreign.serviceKey = stranger.publicKey
            let untrusted = try await client.json(.post, "/v1/polls", body: try SignedPollDefinition(signing: foreign, with: stranger))
            #expect(untrusted.errorCode == "poll.untrusted")
            var open = try h.definition().definition
            open.opensAt = Int64(h.clock.now.timeIntervalSince1970) - 10
            let late = try await client.json(.post, "/v1/polls", body: try SignedPollDefinition(signing: open, with: BrokerHarness.serviceKey))
            #expect(late.errorCode == "poll.already_open")
            // Same poll id, other definition.
            var other = signed.definition
            other.title = "Autre"
            let conflict = try await client.json(.post, "/v1/polls", body: try SignedPollDefinition(signing: other, with: BrokerHarness.serviceKey))
            #expect(conflict.errorCode == "poll.conflict")
        }
    }

    @Test func issuanceEndToEndWithRetryAndRefusals() async throws {
        let h = try await BrokerHarness.make(k: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            let signed = try h.definition(scope: ["C1"], level: .commune, ageBands: true)
            let pollID = signed.definition.pollID
            let set = try await Self.registerPoll(client, signed)
            #expect(set.counts == ["area=C1;age=25-34": 7])
            let token = try await h.enrolAndLogin("A1")

            // Client side: one-time key, credential message, prepare + blind under the class key.
            let oneTime = Ed25519.PrivateKey()
            let message = CredentialMessage(pollID: pollID, attributeClass: try AttributeClass(text: "area=C1;age=25-34"), oneTimeKey: oneTime.publicKey)
            let request = try CredentialRequest(message: message, directory: set.directory.directory)
            let uri = "/v1/polls/\(pollID.hex)/credential"
            let first = try await client.json(.post, uri, token: token, body: Blinded(blindedMessage: Base64.encode(request.blindedMessage)))
            #expect(first.status == .ok, "\(String(buffer: first.body))")
            let issued = try first.decode(Credential.self)
            #expect(!issued.retry)
            let credential = try request.finalize(blindSignature: try Base64.decode(issued.blindSignature))
            try credential.verify(directory: set.directory.directory, pollID: pollID)

            // A retry of the same blinded message: the same blind signature, no second credential.
            let retry = try await client.json(.post, uri, token: token, body: Blinded(blindedMessage: Base64.encode(request.blindedMessage)))
            #expect(try retry.decode(Credential.self).blindSignature == issued.blindSignature)
            #expect(try retry.decode(Credential.self).retry)
            // Another blinded message: refused.
            let second = try CredentialRequest(message: message, directory: set.directory.directory)
            let refused = try await client.json(.post, uri, token: token, body: Blinded(blindedMessage: Base64.encode(second.blindedMessage)))
            #expect(refused.status == .conflict)
            #expect(refused.errorCode == "issuance.already_issued")

            // Wrong size, ineligible by area, ineligible by age, unknown poll, no session.
            let t2 = try await h.enrolAndLogin("A2")
            let short = try await client.json(.post, uri, token: t2, body: Blinded(blindedMessage: Base64.encode([1, 2, 3])))
            #expect(short.status == .unprocessableContent)
            #expect(short.errorCode == "issuance.wrong_size")
            let outside = try await h.enrolAndLogin("C1")
            let area = try await client.json(.post, uri, token: outside, body: Blinded(blindedMessage: Base64.encode(second.blindedMessage)))
            #expect(area.status == .forbidden)
            #expect(area.errorCode == "issuance.ineligible")
            let young = try await h.enrolAndLogin("Y1")
            let age = try await client.json(.post, uri, token: young, body: Blinded(blindedMessage: Base64.encode(second.blindedMessage)))
            #expect(age.errorCode == "issuance.ineligible")
            let unknown = try await client.json(.post, "/v1/polls/\(PollID.random().hex)/credential", token: t2,
                                                body: Blinded(blindedMessage: Base64.encode(second.blindedMessage)))
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "poll.unknown")
            let anonymous = try await client.json(.post, uri, body: Blinded(blindedMessage: Base64.encode(second.blindedMessage)))
            #expect(anonymous.status == .unauthorized)

            // Personal view.
            let mine = try await client.get("/v1/me/issuances", token: token)
            let statuses = try mine.decode([IssuanceStatus].self)
            #expect(statuses.map(\.pollID) == [pollID])
            #expect(statuses.first?.registerPosition == 0)
            let none = try await client.get("/v1/me/issuances", token: t2)
            #expect(try none.decode([IssuanceStatus].self).isEmpty)

            // Closed poll.
            h.clock.advance(7201)
            let t3 = try await h.enrolAndLogin("A3")
            let closed = try await client.json(.post, uri, token: t3, body: Blinded(blindedMessage: Base64.encode(second.blindedMessage)))
            #expect(closed.status == .gone)
            #expect(closed.errorCode == "poll.closed")
        }
    }

    @Test func concurrentRequestsYieldExactlyOneIssuance() async throws {
        let h = try await BrokerHarness.make(k: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let signed = try h.definition(level: .none, ageBands: false)
        let pollID = signed.definition.pollID
        let set = try await h.broker.polls.register(signed)
        _ = try await h.enrolAndLogin("A1")
        let message = CredentialMessage(pollID: pollID, attributeClass: .anonymous, oneTimeKey: Ed25519.PrivateKey().publicKey)
        let requests = try (0..<20).map { _ in try CredentialRequest(message: message, directory: set.directory.directory) }
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
            for request in requests {
                group.addTask {
                    do {
                        _ = try await h.broker.issuance.issue(residentID: "A1", pollID: pollID, blindedMessage: request.blindedMessage)
                        return "ok"
                    } catch let error as BrokerError {
                        return error.code.rawValue
                    }
                }
            }
            return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "ok" }.count == 1)
        #expect(outcomes.filter { $0 == "issuance.already_issued" }.count == 19)
        let rows = try await h.broker.pool.query("SELECT count(*) FROM broker_issuances").scalar(Int.self)
        #expect(rows == 1)
        let head = try await h.broker.register.store.head(logID: IssuanceRegister.logID(pollID: pollID))
        #expect(head.size == 1)

        // The same blinded message 10 times at once: one issuance, one signature for all.
        _ = try await h.enrolAndLogin("A2")
        let same = requests[0].blindedMessage
        let signatures = try await withThrowingTaskGroup(of: [UInt8].self) { group in
            for _ in 0..<10 {
                group.addTask { try await h.broker.issuance.issue(residentID: "A2", pollID: pollID, blindedMessage: same).blindSignature }
            }
            return try await group.reduce(into: Set<[UInt8]>()) { $0.insert($1) }
        }
        #expect(signatures.count == 1)
        #expect(try await h.broker.register.store.head(logID: IssuanceRegister.logID(pollID: pollID)).size == 2)
    }

    @Test func registerChainCheckpointAndCounts() async throws {
        let h = try await BrokerHarness.make(k: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let signed = try h.definition(level: .commune, ageBands: false)
        let pollID = signed.definition.pollID
        let set = try await h.broker.polls.register(signed)
        for id in ["A1", "A2", "B1", "C1", "C2"] {
            let cls = try await h.broker.issuance.memberClass(residentID: id, pollID: pollID)
            let message = CredentialMessage(pollID: pollID, attributeClass: cls, oneTimeKey: Ed25519.PrivateKey().publicKey)
            let request = try CredentialRequest(message: message, directory: set.directory.directory)
            _ = try await h.broker.issuance.issue(residentID: id, pollID: pollID, blindedMessage: request.blindedMessage)
        }
        // Re-import: C2 leaves the register; what was issued stays.
        try await h.importPeople(Self.people.filter { $0.0 != "C2" })

        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            struct Register: Decodable {
                var origin: String
                var verifierKey: String
                var checkpoint: String?
                var size: Int64
                var counts: [String: UInt64]
                var eligible: [String: UInt64]
            }
            struct Entry: Decodable { var position: Int64; var payload: String; var entryHash: String; var previousHash: String }
            let response = try await client.get("/v1/polls/\(pollID.hex)/register")
            #expect(response.status == .ok)
            let register = try response.decode(Register.self)
            #expect(register.size == 5)
            #expect(register.counts == ["area=C1": 3, "area=C2": 2])
            #expect(register.eligible == ["area=C1": 7, "area=C2": 3])

            // The checkpoint is signed by the broker's note key, and its root is the Merkle
            // root of the hash-chained entries.
            let verifiers = try NoteVerifierSet([try NoteVerifier(verifierKey: register.verifierKey)])
            let note = try verifiers.open(register.checkpoint!)
            let checkpoint = try Checkpoint(note: note)
            #expect(checkpoint.origin == register.origin)
            #expect(checkpoint.size == 5)
            let entries = try await client.get("/v1/polls/\(pollID.hex)/register/entries").decode([Entry].self)
            #expect(entries.count == 5)
            var previous = LogLeaf.genesisHash(logID: IssuanceRegister.logID(pollID: pollID))
            var hashes: [MerkleHash] = []
            var classes: [String: Int] = [:]
            for entry in entries {
                let leaf = try LogLeaf(position: UInt64(entry.position), previousHash: previous, payload: try Base64.decode(entry.payload))
                let hash = MerkleHash.leafHash(leaf.bytes)
                #expect(Hex.encode(hash.bytes) == entry.entryHash)
                let record = try IssuanceRecord(canonicalBytes: try Base64.decode(entry.payload))
                #expect(record.pollID == pollID)
                classes[record.attributeClass.text, default: 0] += 1
                hashes.append(hash)
                previous = hash
            }
            #expect(MerkleTree(leafHashes: hashes).rootHash.bytes == checkpoint.rootHash)
            #expect(classes == ["area=C1": 3, "area=C2": 2])
            // Pseudonyms are distinct and do not contain the resident id.
            let pseudonyms = Set(try entries.map { try IssuanceRecord(canonicalBytes: try Base64.decode($0.payload)).pseudonym })
            #expect(pseudonyms.count == 5)
        }
        // The departed resident can no longer obtain anything, but their issuance stays counted.
        await expectBrokerError(.ineligible) { _ = try await h.broker.issuance.memberClass(residentID: "C2", pollID: pollID) }
        #expect(try await h.broker.pool.query("SELECT count(*) FROM broker_issuances").scalar(Int.self) == 5)
    }

    @Test func partialNames() async throws {
        let h = try await BrokerHarness.make(k: 3)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            struct NameBody: Encodable { var oneTimeKey: String }
            struct NameAnswer: Decodable { var attestation: NameAttestation; var signature: String }
            let named = try h.definition(level: .none, ageBands: false, names: true)
            let plain = try h.definition(level: .none, ageBands: false, names: false)
            _ = try await Self.registerPoll(client, named)
            _ = try await Self.registerPoll(client, plain)
            let token = try await h.enrolAndLogin("A1")
            let key = Ed25519.PrivateKey().publicKey
            let answer = try await client.json(.post, "/v1/polls/\(named.definition.pollID.hex)/name-attestation", token: token,
                                               body: NameBody(oneTimeKey: Base64.encode(key.rawRepresentation)))
            #expect(answer.status == .ok, "\(String(buffer: answer.body))")
            let decoded = try answer.decode(NameAnswer.self)
            #expect(decoded.attestation.partialName == "Arnaud R.")
            #expect(decoded.attestation.oneTimeKey == key)
            try decoded.attestation.verify(try Base64.decode(decoded.signature), brokerKey: h.broker.publicKey)
            let refused = try await client.json(.post, "/v1/polls/\(plain.definition.pollID.hex)/name-attestation", token: token,
                                                body: NameBody(oneTimeKey: Base64.encode(key.rawRepresentation)))
            #expect(refused.errorCode == "issuance.names_not_allowed")
        }
    }
}
