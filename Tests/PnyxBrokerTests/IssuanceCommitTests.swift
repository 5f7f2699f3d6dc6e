import Foundation
@testable import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxLogStore
import PnyxPostgres
import Testing

/// The issuance row and its register record commit together, in a group commit shared by
/// concurrent credentials: one row and one record per (resident, poll) under concurrency,
/// also from two broker processes on one database; rows left by older versions are recorded
/// exactly once; and enrolment refuses a bad code before hashing the passphrase.
@Suite("Issuance group commit: row and register record together")
struct IssuanceCommitTests {
    /// Residents `P1…P40`, all eligible (k = 1, one anonymous class).
    static let people: [(String, String, Int)] = (1...40).map { ("P\($0)", $0 % 2 == 0 ? "C1-1" : "C2-1", 20 + $0) }

    /// A poll with one anonymous class, registered; its key directory.
    static func anonymousPoll(_ h: BrokerHarness) async throws -> (PollID, KeyDirectory) {
        let signed = try h.definition(level: .none, ageBands: false)
        let set = try await h.broker.polls.register(signed)
        return (signed.definition.pollID, set.directory.directory)
    }

    static func blinded(_ pollID: PollID, _ directory: KeyDirectory) throws -> [UInt8] {
        let message = CredentialMessage(pollID: pollID, attributeClass: .anonymous, oneTimeKey: Ed25519.PrivateKey().publicKey)
        return try CredentialRequest(message: message, directory: directory).blindedMessage
    }

    /// Every issuance row of the poll: resident → (class, register position).
    static func rows(_ h: BrokerHarness, _ pollID: PollID) async throws -> [String: (String, Int64?)] {
        var out: [String: (String, Int64?)] = [:]
        for row in try await h.broker.pool.query(
            "SELECT resident_id, class, register_position FROM broker_issuances WHERE poll_id = $1", [.bytea(pollID.bytes)]) {
            out[try row.decode(String.self, at: 0)] = (try row.decode(String.self, at: 1), try row.decode(Int64?.self, at: 2))
        }
        return out
    }

    /// Every register record of the poll, by position.
    static func records(_ h: BrokerHarness, _ pollID: PollID) async throws -> [Int64: IssuanceRecord] {
        let size = try await h.broker.register.store.head(logID: IssuanceRegister.logID(pollID: pollID)).size
        var out: [Int64: IssuanceRecord] = [:]
        for entry in try await h.broker.register.entries(pollID: pollID, 0..<size) {
            out[entry.position] = try IssuanceRecord(canonicalBytes: entry.payload)
        }
        return out
    }

    /// Rows and records match one to one: each row's position holds a record with the
    /// resident's pseudonym and the row's class, and no row lacks a position.
    static func expectRowsMatchRecords(_ h: BrokerHarness, _ pollID: PollID, count: Int,
                                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let rows = try await rows(h, pollID)
        let records = try await records(h, pollID)
        #expect(rows.count == count, sourceLocation: sourceLocation)
        #expect(records.count == count, sourceLocation: sourceLocation)
        #expect(Set(rows.values.compactMap(\.1)) == Set((0..<Int64(count))), sourceLocation: sourceLocation)
        for (resident, (cls, position)) in rows {
            let position = try #require(position, "\(resident) has no register position", sourceLocation: sourceLocation)
            let record = try #require(records[position], sourceLocation: sourceLocation)
            #expect(record.pseudonym == h.broker.pseudonyms.pseudonym(pollID: pollID, residentID: resident), sourceLocation: sourceLocation)
            #expect(record.attributeClass.text == cls, sourceLocation: sourceLocation)
        }
        let unregistered = try await h.broker.pool.query(
            "SELECT count(*) FROM broker_issuances WHERE register_position IS NULL").scalar(Int.self)
        #expect(unregistered == 0, sourceLocation: sourceLocation)
    }

    @Test func fiftyConcurrentRequestsOfOneResidentFromTwoBrokersGiveOneRowAndOneRecord() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let (pollID, directory) = try await Self.anonymousPoll(h)
        // A second broker process on the same database: its appends race through PostgreSQL.
        let clock = h.clock
        let other = try await Broker.start(configuration: h.broker.configuration, now: { clock.now })
        defer { Task { await other.shutdown() } }
        let token = try await h.enrolAndLogin("P1")
        let shared = try Self.blinded(pollID, directory)
        let messages = try (0..<50).map { i in i % 2 == 0 ? shared : try Self.blinded(pollID, directory) }
        let outcomes = try await withThrowingTaskGroup(of: (Int, Result<IssuedBlindSignature, BrokerError>).self) { group in
            for (i, message) in messages.enumerated() {
                let broker = i % 4 < 2 ? h.broker : other
                group.addTask {
                    do {
                        return (i, .success(try await broker.issuance.issue(sessionToken: token, pollID: pollID, blindedMessage: message)))
                    } catch let error as BrokerError {
                        return (i, .failure(error))
                    }
                }
            }
            return try await group.reduce(into: [(Int, Result<IssuedBlindSignature, BrokerError>)]()) { $0.append($1) }
        }
        let issued = outcomes.compactMap { outcome -> (Int, IssuedBlindSignature)? in
            if case .success(let answer) = outcome.1 { return (outcome.0, answer) }
            return nil
        }
        for case (_, .failure(let error)) in outcomes { #expect(error.code == .alreadyIssued, "\(error)") }
        #expect(issued.filter { !$0.1.isRetry }.count == 1)
        #expect(Set(issued.map(\.1.blindSignature)).count == 1)
        let winners = Set(issued.map(\.0))
        #expect(winners.allSatisfy { $0 % 2 == 0 } ? winners.count == 25 : winners.count == 1)
        try await Self.expectRowsMatchRecords(h, pollID, count: 1)
        #expect(h.broker.metrics.credentialsIssued.value + other.metrics.credentialsIssued.value == 1)
    }

    @Test func concurrentResidentsGetOneRecordEachAtTheirRowsPositions() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let (pollID, directory) = try await Self.anonymousPoll(h)
        var tokens: [String: String] = [:]
        for (id, _, _) in Self.people { tokens[id] = try await h.enrolAndLogin(id) }
        // Each resident sends its message three times at once (a client retrying) and a
        // fourth, different message: one credential each, records for all, in one burst.
        var requests: [(String, [UInt8])] = []
        for (id, _, _) in Self.people {
            let message = try Self.blinded(pollID, directory)
            requests += [(id, message), (id, message), (id, message), (id, try Self.blinded(pollID, directory))]
        }
        let outcomes = try await withThrowingTaskGroup(of: (String, [UInt8]?, Bool, [UInt8]).self) { group in
            for (id, message) in requests.shuffled() {
                let token = tokens[id]!
                group.addTask {
                    do {
                        let answer = try await h.broker.issuance.issue(sessionToken: token, pollID: pollID, blindedMessage: message)
                        return (id, answer.blindSignature, answer.isRetry, message)
                    } catch let error as BrokerError where error.code == .alreadyIssued {
                        return (id, nil, false, message)
                    }
                }
            }
            return try await group.reduce(into: [(String, [UInt8]?, Bool, [UInt8])]()) { $0.append($1) }
        }
        for (id, _, _) in Self.people {
            let mine = outcomes.filter { $0.0 == id }
            #expect(mine.count == 4)
            #expect(mine.filter { $0.1 != nil && !$0.2 }.count == 1, "\(id)")
            #expect(Set(mine.compactMap(\.1)).count == 1, "\(id)")
        }
        try await Self.expectRowsMatchRecords(h, pollID, count: Self.people.count)
        #expect(h.broker.metrics.credentialsIssued.value == Double(Self.people.count))

        // A retry after the commit: the same blind signature, marked as a retry, nothing new.
        let first = try #require(outcomes.first { $0.0 == "P7" && $0.1 != nil })
        let again = try await h.broker.issuance.issue(sessionToken: tokens["P7"]!, pollID: pollID, blindedMessage: first.3)
        #expect(again.isRetry)
        #expect(again.blindSignature == first.1)
        try await Self.expectRowsMatchRecords(h, pollID, count: Self.people.count)
    }

    @Test func rowsOfOlderVersionsWithoutARecordAreRecordedExactlyOnce() async throws {
        let h = try await BrokerHarness.make(k: 1)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople(Self.people)
        let (pollID, directory) = try await Self.anonymousPoll(h)
        _ = try await h.broker.issuance.issue(residentID: "P1", pollID: pollID, blindedMessage: try Self.blinded(pollID, directory))
        // Two rows as an older version left them after a crash: committed, not yet recorded.
        let message = try Self.blinded(pollID, directory)
        for id in ["P2", "P3"] {
            try await h.broker.pool.execute(
                """
                INSERT INTO broker_issuances (poll_id, resident_id, class, blinded_hash, blind_signature, issued_at, issued_on)
                VALUES ($1, $2, '*', $3, $4, now(), current_date)
                """, [.bytea(pollID.bytes), .text(id), .bytea(SHA256.hash(message)), .bytea([UInt8](repeating: 7, count: 256))])
        }
        // P2's retry, P2's recovery and a second broker's start-up recovery, all at once.
        let token = try await h.enrolAndLogin("P2")
        let clock = h.clock
        async let retry = h.broker.issuance.issue(sessionToken: token, pollID: pollID, blindedMessage: message)
        async let recovered = h.broker.issuance.recoverRegister()
        async let other = Broker.start(configuration: h.broker.configuration, now: { clock.now })
        let answer = try await retry
        #expect(answer.isRetry)
        #expect(answer.blindSignature == [UInt8](repeating: 7, count: 256))
        _ = try await recovered
        await (try await other).shutdown()
        try await Self.expectRowsMatchRecords(h, pollID, count: 3)
        #expect(try await h.broker.issuance.recoverRegister() == 0)
    }

    @Test func enrolmentRefusesABadCodeWithoutHashingThePassphrase() async throws {
        let h = try await BrokerHarness.make()
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30), ("R2", "C1-1", 30)])
        let hashes = h.broker.metrics.passphraseHashes
        await expectBrokerError(.invalidCode) {
            _ = try await h.broker.enrolment.enrol(code: "ABCDE-FGHJK-MNPQR-STVWX", passphrase: "a long passphrase")
        }
        #expect(hashes.value == 0)
        let codes = try await h.broker.enrolment.issueCodes(residentIDs: ["R1", "R2"])
        _ = try await h.broker.enrolment.enrol(code: codes[0].code, passphrase: "a long passphrase")
        #expect(hashes.value == 1)
        // A used code, a replaced code, the code of a resident who left the register (revoked
        // by the import): refused, no hash either.
        await expectBrokerError(.codeUsed) { _ = try await h.broker.enrolment.enrol(code: codes[0].code, passphrase: "a long passphrase") }
        let replaced = try await h.broker.enrolment.issueCodes(residentIDs: ["R2"])
        _ = try await h.broker.enrolment.issueCodes(residentIDs: ["R2"])
        await expectBrokerError(.invalidCode) { _ = try await h.broker.enrolment.enrol(code: replaced[0].code, passphrase: "a long passphrase") }
        let fresh = try await h.broker.enrolment.issueCodes(residentIDs: ["R2"])
        try await h.importPeople([("R1", "C1-1", 30)])
        await expectBrokerError(.invalidCode) { _ = try await h.broker.enrolment.enrol(code: fresh[0].code, passphrase: "a long passphrase") }
        #expect(hashes.value == 1)
        #expect(h.broker.metrics.registry.render().contains("pnyx_broker_passphrase_hashes_total 1\n"))
    }
}
