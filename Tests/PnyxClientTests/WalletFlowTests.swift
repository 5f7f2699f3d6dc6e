import Foundation
@testable import PnyxClient
import PnyxCore
import PnyxCrypto
import Testing

/// The wallet end to end against a real broker and a real service on loopback (real
/// PostgreSQL, real HTTP through URLSession).
@Suite(.serialized) struct WalletFlowTests {
    @Test func enrolCredentialSignReceiptsCheck() async throws {
        try await WalletWorld.with { world in
            let poll = try await world.openPolls([world.petitionDraft()])[0]
            let wallet = try await world.enrolled("R1")
            #expect(try fileMode(wallet.file.path) == 0o600)
            #expect(try fileMode((wallet.file.path as NSString).deletingLastPathComponent) == 0o700)

            // A separate login works too (sessions expire).
            let login = try await wallet.login(passphrase: WalletWorld.passphrase)
            #expect(login.residentID == "R1")

            let listed = try await wallet.polls(service: world.serviceURL)
            #expect(listed.map(\.pollID) == [poll])
            #expect(listed[0].hasCredential == false)

            let outcome = try await wallet.credential(poll: poll)  // the service URL is remembered
            #expect(outcome.issuedNow && !outcome.retry)
            #expect(outcome.attributeClass.text == "area=C1;age=35-49")

            let stored = try await wallet.sign(poll: poll)
            #expect(stored.kind == "sign")
            #expect(stored.payload == .sign(nil))

            // The wallet file keeps credential, one-time key and receipt; no blinding state is left.
            let saved = try wallet.file.load()
            let record = try #require(saved.record(poll))
            #expect(record.pending == nil)
            #expect(record.credential != nil && record.oneTimeKey != nil)
            let directory = try #require(try await world.service.poll(poll).directory)
            try record.credential!.verify(directory: directory.directory, pollID: poll)

            let receipts = try wallet.receipts()
            #expect(receipts.count == 1)
            #expect(receipts[0].counts && receipts[0].position == stored.receipt.position)

            // The log grows after the receipt: the check uses a newer checkpoint.
            let other = try await world.enrolled("R2", file: "other.json")
            _ = try await other.sign(poll: poll, service: world.serviceURL)
            _ = try await world.service.latestCheckpoint(poll)
            let results = try await wallet.check()
            #expect(results.count == 1)
            #expect(allOK(results), "\(results)")
            #expect(results[0].latestSize > results[0].receiptSize)
            // The wallet remembers the checkpoint it verified; a second check starts from it.
            #expect(try wallet.file.load().record(poll)?.latestCheckpoint != nil)
            #expect(allOK(try await wallet.check(poll: poll)))

            #expect(try await world.service.tally(poll).summary().participants == 2)
            #expect(try fileMode(wallet.file.path) == 0o600)
        }
    }

    @Test func signWithTheAttestedPartialName() async throws {
        try await WalletWorld.with { world in
            let poll = try await world.openPolls([world.petitionDraft()])[0]
            let wallet = try await world.enrolled("R3")
            let stored = try await wallet.sign(poll: poll, service: world.serviceURL, showName: true)
            guard case .sign(let name?) = stored.payload else { Issue.record("no partial name: \(stored.payload)"); return }
            #expect(name.name == "Claude M.")
            #expect(try await world.service.tally(poll).summary().named == 1)
        }
    }

    @Test func voteChangeTheVoteThenWithdraw() async throws {
        try await WalletWorld.with { world in
            let poll = try await world.openPolls([world.consultationDraft()])[0]
            let wallet = try await world.enrolled("R2")
            _ = try await wallet.vote(poll: poll, service: world.serviceURL, answers: try AnswerParser.parse(["1=0", "2=0,2"]))
            var tally = try await world.service.tally(poll).summary()
            #expect(tally.questions.first { $0.questionID == 1 }?.options == [1, 0, 0])

            _ = try await wallet.vote(poll: poll, answers: try AnswerParser.parse(["1=2 2=1"]))
            tally = try await world.service.tally(poll).summary()
            #expect(tally.questions.first { $0.questionID == 1 }?.options == [0, 0, 1])
            #expect(tally.questions.first { $0.questionID == 2 }?.options == [0, 1, 0])
            #expect(tally.participants == 1)

            _ = try await wallet.withdraw(poll: poll)
            tally = try await world.service.tally(poll).summary()
            #expect(tally.participants == 0)
            #expect(tally.questions.first { $0.questionID == 1 }?.options == [0, 0, 0])

            let receipts = try wallet.receipts(poll: poll)
            #expect(receipts.map(\.kind) == ["vote", "vote", "withdraw"])
            #expect(receipts.map(\.counts) == [false, false, true])
            // One credential made all three entries (one request to the broker).
            let statuses = try await world.broker.issuance.statuses(residentID: "R2")
            #expect(statuses.count == 1)
            #expect(allOK(try await wallet.check(poll: poll)))

            // An answer the poll does not allow is refused locally with the core code.
            let invalid = await clientError { () async throws(ClientError) in
                _ = try await wallet.vote(poll: poll, answers: try AnswerParser.parse(["1=0,1", "2="]))
            }
            #expect(invalid?.code == "entry.invalid_choice", "\(String(describing: invalid))")
            #expect(try wallet.receipts(poll: poll).count == 3)
        }
    }

    @Test func aLostAnswerIsRetriedWithTheSameBlindedMessage() async throws {
        try await WalletWorld.with { world in
            let poll = try await world.openPolls([world.petitionDraft()])[0]
            let wallet = try await world.enrolled("R1")
            // Prepare and send the request, then "lose" the broker's answer: only the
            // saved blinding state remains in the wallet file.
            var state = try wallet.file.load()
            let token = try wallet.session(state)
            let trusted = try await wallet.trustedPoll(poll, service: world.serviceURL, wallet: state)
            let (pending, _) = try await wallet.prepare(poll: poll, trusted: trusted, token: token, wallet: &state)
            let broker = try BrokerAPI(url: world.brokerURL)
            let lost = try await broker.requestCredential(poll: poll, blindedMessage: try Base64.decode(pending.blindedMessage), token: token)
            #expect(lost.retry == false)
            #expect(try wallet.file.load().record(poll)?.pending == pending)

            // Running the command again resends the same message and gets the same blind signature.
            let outcome = try await wallet.credential(poll: poll)
            #expect(outcome.issuedNow && outcome.retry)
            let record = try #require(try wallet.file.load().record(poll))
            #expect(record.pending == nil)
            let credential = try #require(record.credential)
            try credential.verify(directory: trusted.directory, pollID: poll)

            // Once held, asking again sends nothing and answers the same credential.
            let again = try await wallet.credential(poll: poll)
            #expect(!again.issuedNow && again.keyID == outcome.keyID)
            #expect(try wallet.file.load().record(poll)?.credential == credential)
            #expect(try await world.broker.issuance.statuses(residentID: "R1").count == 1)

            // Another wallet of the same resident blinds another message: one credential per poll.
            let second = world.wallet("second.json")
            _ = try await second.login(passphrase: WalletWorld.passphrase, broker: world.brokerURL, residentID: "R1")
            let refused = await clientError { () async throws(ClientError) in
                _ = try await second.credential(poll: poll, service: world.serviceURL)
            }
            #expect(refused?.code == "issuance.already_issued")
            #expect(refused?.exitCode == 1)

            // The entry made with the retried credential is accepted.
            _ = try await wallet.sign(poll: poll)
            #expect(try await world.service.tally(poll).summary().participants == 1)
        }
    }

    @Test func refusalsKeepTheServersCode() async throws {
        try await WalletWorld.with { world in
            let poll = try await world.openPolls([world.petitionDraft()])[0]
            let wallet = try await world.enrolled("R1")
            let wrong = await clientError { () async throws(ClientError) in
                _ = try await wallet.login(passphrase: "not the passphrase at all")
            }
            #expect(wrong?.code == "auth.invalid_credentials", "\(String(describing: wrong))")
            #expect(wrong?.status == 401)
            #expect(wrong?.exitCode == 1)

            // A resident under the minimum age is not eligible: the broker's code.
            let young = try await world.enrolled("R5", file: "young.json")
            let ineligible = await clientError { () async throws(ClientError) in
                _ = try await young.credential(poll: poll, service: world.serviceURL)
            }
            #expect(ineligible?.code == "issuance.ineligible")

            // Withdrawing without a credential is the wallet's own refusal.
            let nothing = await clientError { () async throws(ClientError) in _ = try await wallet.withdraw(poll: poll) }
            #expect(nothing?.code == "wallet.no_credential")

            // An expired session is caught before anything is sent.
            world.clock.advance(30 * 86_400)
            let expired = await clientError { () async throws(ClientError) in
                _ = try await wallet.credential(poll: poll, service: world.serviceURL)
            }
            #expect(expired?.code == "wallet.session_expired")
        }
    }

    @Test func aPollOfAnotherBrokerIsNotTrusted() async throws {
        try await WalletWorld.with { world in
            let poll = try await world.openPolls([world.petitionDraft()])[0]
            let wallet = try await world.enrolled("R1")
            var state = try wallet.file.load()
            state.broker!.publicKey = Base64.encode(Ed25519.PrivateKey().publicKey.rawRepresentation)
            try wallet.file.save(state)
            let refused = await clientError { () async throws(ClientError) in
                _ = try await wallet.credential(poll: poll, service: world.serviceURL)
            }
            #expect(refused?.code == "client.untrusted_answer")
            #expect(refused?.exitCode == 2)
            #expect(try wallet.file.load().record(poll) == nil)
        }
    }

    @Test func aTamperedReceiptFailsTheCheck() async throws {
        try await WalletWorld.with { world in
            let poll = try await world.openPolls([world.petitionDraft()])[0]
            let wallet = try await world.enrolled("R1")
            let stored = try await wallet.sign(poll: poll, service: world.serviceURL)
            #expect(allOK(try await wallet.check()))
            let original = try wallet.file.load()

            // Another entry hash at the same position.
            var state = original
            var receipt = stored.receipt
            let flipped = (receipt.entryHash.first == "0" ? "1" : "0") + receipt.entryHash.dropFirst()
            receipt = Receipt(pollID: receipt.pollID, position: receipt.position, entryHash: flipped,
                              checkpoint: receipt.checkpoint, inclusionProof: receipt.inclusionProof)
            state.polls[poll.hex]!.receipts[0].receipt = receipt
            try wallet.file.save(state)
            var results = try await wallet.check(poll: poll)
            #expect(results.count == 1)
            #expect(results[0].failure?.code == "receipt.bad_proof", "\(results)")
            #expect(results[0].failure?.exitCode == 1)
            // What `check --json` prints: ok and the failure with its code.
            let json = String(decoding: try JSONEncoder().encode(results), as: UTF8.self)
            #expect(json.contains(#""ok":false"#) && json.contains(#""code":"receipt.bad_proof""#), "\(json)")

            // A checkpoint whose text was changed (its signature no longer matches).
            state = original
            var lines = stored.receipt.checkpoint.components(separatedBy: "\n")
            lines[1] = String(try #require(UInt64(lines[1])) + 1)  // the tree size line
            let forged = lines.joined(separator: "\n")
            state.polls[poll.hex]!.receipts[0].receipt = Receipt(
                pollID: poll, position: stored.receipt.position, entryHash: stored.receipt.entryHash, checkpoint: forged,
                inclusionProof: stored.receipt.inclusionProof)
            try wallet.file.save(state)
            results = try await wallet.check(poll: poll)
            #expect(results[0].failure?.code == "receipt.bad_checkpoint", "\(results)")

            // Back to the genuine receipt: it checks again.
            try wallet.file.save(original)
            #expect(allOK(try await wallet.check(poll: poll)))
        }
    }

    @Test func anUnreachableServerIsClientUnreachable() async throws {
        let folder = NSTemporaryDirectory() + "pnyx-wallet-tests-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let wallet = WalletClient(file: WalletFile(path: folder + "/wallet.json"), timeout: 5)
        // Port 9 (discard) on loopback: nothing listens there in the test environment.
        let polls = await clientError { () async throws(ClientError) in _ = try await wallet.polls(service: "http://127.0.0.1:9") }
        #expect(polls?.code == "client.unreachable")
        #expect(polls?.exitCode == 2)
        let enrol = await clientError { () async throws(ClientError) in
            _ = try await wallet.enrol(broker: "http://127.0.0.1:9", code: "ABCD-EFGH", passphrase: "whatever passphrase")
        }
        #expect(enrol?.code == "client.unreachable")
        #expect(!wallet.file.exists)
    }
}
