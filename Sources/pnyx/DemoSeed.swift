import Foundation
import PnyxBroker
import PnyxCore
import PnyxCrypto
import PnyxService

/// Fills a fresh demo: the synthetic municipality in the broker's register, a petition close
/// to its threshold, an open consultation, and a handful of enrolment codes for people to
/// try the citizen pages with.
///
/// The demo's participants go through the real protocol — a one-time Ed25519 key, a
/// credential message blinded on the client side, an RFC 9474 blind signature from the
/// broker for the resident's class, an entry signed with the one-time key, submitted to the
/// service — except that they skip the passphrase login (the seeding calls the broker's
/// issuance as the already-authenticated resident).
struct DemoSeed {
    let broker: Broker
    let service: PetitionService

    struct Summary: Codable {
        var petition: String
        var consultation: String
        var enrolmentCodes: [EnrolmentCode]
    }

    func run(codesFile: String) async throws -> Summary {
        let town = DemoMunicipality()
        let imported = try await broker.residents.importRegister(areasCSV: town.areasCSV, residentsCSV: town.residentsCSV)
        Console.say("register: \(imported.areas) areas, \(imported.added) residents imported")

        let now = Int64(Date().timeIntervalSince1970)
        let reference = CivilDate(year: 2025, month: 1, day: 1)!
        let petitionDraft = (PollDraft(
            kind: .petition, title: "Des pistes cyclables protégées sur le boulevard",
            text: "Nous demandons au conseil municipal d'aménager des pistes cyclables protégées sur tout le boulevard, "
                + "de la gare au lycée, avant la rentrée prochaine.",
            opensAt: now + 20, closesAt: now + 30 * 86_400,
            eligibility: Eligibility(minimumAge: 16, referenceDate: reference),
            disclosure: Disclosure(areaLevel: .commune, ageBands: true), allowPartialNames: true,
            thresholds: [.absolute(count: 100), .shareOfEligible(basisPoints: 150)]))
        let consultationDraft = (PollDraft(
            kind: .consultation, title: "Budget participatif 2027",
            text: "Choisissez les projets que la commune financera l'an prochain.",
            opensAt: now + 20, closesAt: now + 14 * 86_400,
            eligibility: Eligibility(minimumAge: 16, referenceDate: reference),
            disclosure: Disclosure(areaLevel: .commune, ageBands: false),
            questions: [
                Question(id: 1, text: "Quel projet principal ?", kind: .single, options: ["Parc urbain", "Piscine", "Médiathèque"]),
                Question(id: 2, text: "Quelles deux priorités ?", kind: .multiple, maxChoices: 2,
                         options: ["Éclairage", "Bancs", "Arbres", "Fontaines"]),
            ],
            thresholds: [.absolute(count: 50)]))

        // Key sets are made before a poll opens: publish both, then open both at their time.
        let drafts = [petitionDraft, consultationDraft]
        var published: [PollState] = []
        for draft in drafts {
            let created = try await service.createPoll(draft)
            published.append(try await service.publish(created.id))
        }
        let wait = Double(now + 20) - Date().timeIntervalSince1970
        if wait > 0 {
            Console.say(String(format: "key sets ready; the polls open in %.0f s", wait))
            try await Task.sleep(for: .milliseconds(Int(wait * 1000) + 50))
        }
        let petition = try await service.open(published[0].id)
        let consultation = try await service.open(published[1].id)

        // Residents 0..<92 sign the petition (8 short of 100); 30 others vote.
        let residents = town.residents.filter { $0.birthDate.year <= 2000 }
        var signed = 0
        for resident in residents.prefix(92) {
            if try await participate(resident.residentID, in: petition, payload: .sign(nil)) { signed += 1 }
        }
        var voted = 0
        for (index, resident) in residents.dropFirst(100).prefix(30).enumerated() {
            let payload = EntryPayload.vote([
                Answer(questionID: 1, choices: [UInt16(index % 3)]),
                Answer(questionID: 2, choices: [UInt16(index % 4), UInt16((index + 1) % 4)]),
            ])
            if try await participate(resident.residentID, in: consultation, payload: payload) { voted += 1 }
        }
        Console.say("seeded \(signed) petition signatures and \(voted) consultation votes through the real protocol")

        let codes = try await broker.enrolment.issueCodes(residentIDs: residents.dropFirst(200).prefix(5).map(\.residentID))
        try EnrolmentStore.csv(codes).write(toFile: codesFile, atomically: true, encoding: .utf8)
        return Summary(petition: petition.id.hex, consultation: consultation.id.hex, enrolmentCodes: codes)
    }

    /// One resident takes part: returns false when they are not eligible for the poll.
    private func participate(_ residentID: String, in poll: PollState, payload: EntryPayload) async throws -> Bool {
        guard let directory = poll.directory?.directory else { throw DemoError("poll \(poll.id) has no key directory") }
        let attributeClass: AttributeClass
        do { attributeClass = try await broker.issuance.memberClass(residentID: residentID, pollID: poll.id) } catch {
            return false
        }
        let oneTime = Ed25519.PrivateKey()
        let message = CredentialMessage(pollID: poll.id, attributeClass: attributeClass, oneTimeKey: oneTime.publicKey)
        let request = try CredentialRequest(message: message, directory: directory)
        let issued = try await broker.issuance.issue(residentID: residentID, pollID: poll.id, blindedMessage: request.blindedMessage)
        let credential = try request.finalize(blindSignature: issued.blindSignature)
        let entry = try Entry(pollID: poll.id, credential: credential, channel: .online, payload: payload, signingWith: oneTime)
        _ = try await service.submit(entry, to: poll.id)
        return true
    }
}
