import Foundation
import HummingbirdTesting
import PnyxCore
import PnyxCrypto
@testable import PnyxService
import PnyxTransparency
import Testing

@Suite("Petition flow (real broker, real PostgreSQL)")
struct PetitionFlowTests {
    @Test("create → publish → open → sign → receipt → withdraw → thresholds → close → certify")
    func petitionEndToEnd() async throws {
        try await PnyxWorld.with { world in
            let thresholds: [Threshold] = [
                .absolute(count: 2), .shareOfEligible(basisPoints: 5_000),
                .areas(minimumPerArea: 1, minimumAreas: 2, areaLevel: .commune),
            ]
            let poll = try await world.openPoll(world.petitionDraft(thresholds: thresholds))
            #expect(poll.status == "open")
            // Entry 0 definition, 1 published (key directory), 2 opened.
            #expect(try await world.logSize(poll.id) == 3)
            var tally = try await world.tally(poll.id)
            #expect(tally.eligible == 7)  // R6 is 17
            #expect(tally.thresholds[1].target == 4)  // ceil(7 × 50 %)

            // R1 signs: a receipt that verifies against the signed checkpoint.
            let r1 = try await world.citizen("R1", poll: poll)
            let signed = try await world.submit(try r1.entry(.sign(nil)))
            #expect(signed.status == .created, "\(String(buffer: signed.body))")
            let receipt = try signed.decode(Receipt.self)
            #expect(receipt.position == 3)
            let checkpoint = try verifyReceipt(receipt, verifierKey: world.service.verifierKey)
            #expect(checkpoint.size >= 4)
            #expect(checkpoint.origin == "pnyx.test/poll/\(poll.id.hex)")
            tally = try await world.tally(poll.id)
            #expect(tally.participants == 1)
            #expect(tally.byArea == ["C1": 1])
            #expect(tally.byAgeBand == ["35-49": 1])

            // Withdraw: every entry stays, the latest counts.
            let withdrawn = try await world.submit(try r1.entry(.withdraw))
            #expect(withdrawn.status == .created)
            _ = try verifyReceipt(try withdrawn.decode(Receipt.self), verifierKey: world.service.verifierKey)
            tally = try await world.tally(poll.id)
            #expect(tally.participants == 0)
            #expect(tally.entriesRecorded == 2)

            // R2 (C1) and R3 (C2) sign: absolute 2 and 1-in-2-areas reached at log size 7.
            for id in ["R2", "R3"] {
                let voter = try await world.citizen(id, poll: poll)
                #expect(try await world.submit(try voter.entry(.sign(nil))).status == .created)
            }
            tally = try await world.tally(poll.id)
            #expect(tally.participants == 2)
            #expect(tally.thresholds[0].reached?.logSize == 7)
            #expect(tally.thresholds[2].reached?.logSize == 7)
            #expect(tally.thresholds[1].reached == nil)
            // R4, R5: 4 participants = 50 % of 7 eligible, reached at log size 9.
            for id in ["R4", "R5"] {
                let voter = try await world.citizen(id, poll: poll)
                #expect(try await world.submit(try voter.entry(.sign(nil))).status == .created)
            }
            tally = try await world.tally(poll.id)
            #expect(tally.participants == 4)
            #expect(tally.thresholds[1].reached?.logSize == 9)
            #expect(tally.byChannel == ["online": 4])
            #expect(tally.hourly.count == 1)

            // The stored counts equal the recomputation from the log, over HTTP too.
            let check = try await world.client.get("/v1/polls/\(poll.id.hex)/tally/check")
            #expect(try check.decode(TallyCheck.self).consistent)
            // And after forgetting the in-memory tally (refold from the database on next append).
            world.service.keeper.reset()

            // Close, then certify threshold 0.
            let closed = try await world.client.json(.post, "/v1/admin/polls/\(poll.id.hex)/close", token: PnyxWorld.adminToken, body: Empty())
            #expect(closed.status == .ok)
            let certified = try await world.client.json(
                .post, "/v1/admin/polls/\(poll.id.hex)/certify", token: PnyxWorld.adminToken, body: ["thresholdIndex": 0])
            #expect(certified.status == .created, "\(String(buffer: certified.body))")
            let bundle = try certified.decode(CertificateBundle.self)
            try await verifyCertificate(bundle, poll: poll, world: world)
            #expect(try await world.service.checkTally(poll.id).consistent)

            // The certificate is served as JSON and HTML, and listed on the poll page.
            let json = try await world.client.get("/v1/polls/\(poll.id.hex)/certificates/0")
            #expect(try json.decode(CertificateBundle.self) == bundle)
            let html = try await world.client.get("/v1/polls/\(poll.id.hex)/certificates/0.html")
            #expect(html.status == .ok)
            #expect(html.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: html.body).contains(CertificatePage.escape(bundle.certificate.certificate.statement)))
            let page = try await world.client.get("/v1/polls/\(poll.id.hex)")
            #expect(page.status == .ok)
            #expect(String(buffer: page.body).contains("\"certified\""))
            // Certifying twice gives the same certificate (no second record).
            let size = try await world.logSize(poll.id)
            let again = try await world.client.json(
                .post, "/v1/admin/polls/\(poll.id.hex)/certify", token: PnyxWorld.adminToken, body: ["thresholdIndex": 0])
            #expect(try again.decode(CertificateBundle.self) == bundle)
            #expect(try await world.logSize(poll.id) == size)
        }
    }

    /// Re-checks a certificate from public material only: the service signature, the
    /// checkpoint signature, the consistency proof from (N, R) to the checkpoint, and the
    /// tally of the first N records (met at N, not at N − 1).
    func verifyCertificate(_ bundle: CertificateBundle, poll: PollState, world: PnyxWorld) async throws {
        let certificate = bundle.certificate.certificate
        try bundle.certificate.verify(serviceKey: poll.definition.serviceKey)
        let note = try NoteVerifierSet([try NoteVerifier(verifierKey: bundle.verifierKey)]).open(bundle.checkpoint)
        let checkpoint = try Checkpoint(note: note)
        #expect(checkpoint.size == certificate.checkpointSize)
        #expect(checkpoint.rootHash == certificate.checkpointRoot.bytes)
        try MerkleProofVerification.verifyConsistency(
            oldSize: Int64(certificate.reachedAtSize), newSize: Int64(certificate.checkpointSize),
            oldRoot: certificate.rootAtReached, newRoot: certificate.checkpointRoot,
            proof: try bundle.consistencyProof.map { try MerkleHash(hex: $0) })
        let entries = try await world.service.store.entries(logID: poll.id.bytes, 0..<Int64(certificate.reachedAtSize))
        let records = try entries.map { try LogRecord(leafPayload: $0.payload) }
        let atN = try Tally(records: records)
        let before = try Tally(records: records.dropLast())
        #expect(atN.isMet(threshold: Int(certificate.thresholdIndex)))
        #expect(!before.isMet(threshold: Int(certificate.thresholdIndex)))
        // The mutated certificate does not verify.
        var tampered = bundle.certificate.signature
        tampered[0] ^= 1
        #expect(throws: CoreError.self) {
            try SignedCertificate(certificate: certificate, signature: tampered).verify(serviceKey: poll.definition.serviceKey)
        }
    }

    @Test("answers are lifecycle entries shown on the poll page; exports in JSON and CSV")
    func answersAndExports() async throws {
        try await PnyxWorld.with { world in
            let poll = try await world.openPoll(world.petitionDraft())
            let voter = try await world.citizen("R3", poll: poll)
            #expect(try await world.submit(try voter.entry(.sign(nil))).status == .created)
            let answer = try await world.client.json(
                .post, "/v1/admin/polls/\(poll.id.hex)/answer", token: PnyxWorld.adminToken,
                body: ["text": "Le conseil municipal en débattra le 12 mars.", "links": "https://example.org/deliberation/12"])
            // `links` must be a list: a malformed body is refused.
            #expect(answer.status == .badRequest)
            #expect(answer.errorCode == "request.malformed")
            struct Answer: Encodable { let text: String; let links: [String] }
            let ok = try await world.client.json(
                .post, "/v1/admin/polls/\(poll.id.hex)/answer", token: PnyxWorld.adminToken,
                body: Answer(text: "Le conseil municipal en débattra le 12 mars.", links: ["https://example.org/deliberation/12"]))
            #expect(ok.status == .created)
            let history = try await world.service.lifecycle(poll.id)
            #expect(history.map(\.event.kind.name) == ["published", "opened", "answered"])
            let csv = try await world.client.get("/v1/polls/\(poll.id.hex)/export.csv")
            #expect(csv.status == .ok)
            let text = String(buffer: csv.body)
            #expect(text.contains("total,participants,,1,"))
            #expect(text.contains("channel,kiosk,,0,"))
            #expect(text.contains("area,C2,,1,"))
            let json = try await world.client.get("/v1/polls/\(poll.id.hex)/export.json")
            #expect(json.status == .ok)
            #expect(String(buffer: json.body).contains("deliberation/12"))
        }
    }
}
