import Foundation
import PnyxCore
import PnyxCrypto
import PnyxService
import PnyxTransparency
import Testing
import PnyxWeb

/// Runs `body` with a headless Chromium (chromedriver on loopback); always quits it.
func withBrowser(_ body: (WebDriver) async throws -> Void) async throws {
    let driver = try await WebDriver()
    do { try await body(driver) } catch {
        try? await driver.screenshot("failure-\(Int(Date().timeIntervalSince1970))")
        await driver.quit()
        throw error
    }
    await driver.quit()
}

extension WebDriver {
    /// Waits for the page's status message to become `ok`; fails with its text when it shows an error.
    func waitForOK(_ what: String, timeout: Double = 60) async throws -> String {
        try await wait(until: "document.getElementById('status') && /\\b(ok|error)\\b/.test(document.getElementById('status').className)",
                       timeout: timeout, what: what)
        let status = try await text("#status")
        let isError = (try await script("return document.getElementById('status').classList.contains('error');")) as? Bool ?? true
        if isError { throw Failure(description: "\(what) failed: \(status)") }
        return status
    }
}

/// Checks a receipt with the Swift verifiers (PnyxTransparency).
func swiftVerifyReceipt(_ receipt: Receipt, verifierKey: String) throws {
    let note = try NoteVerifierSet([try NoteVerifier(verifierKey: verifierKey)]).open(receipt.checkpoint)
    let checkpoint = try Checkpoint(note: note)
    try MerkleProofVerification.verifyInclusion(
        leafHash: try MerkleHash(hex: receipt.entryHash), index: Int64(receipt.position), treeSize: Int64(checkpoint.size),
        proof: try receipt.inclusionProof.map { try MerkleHash(hex: $0) }, rootHash: try MerkleHash(bytes: checkpoint.rootHash))
}

extension ChromiumSuites {
    @Suite("PnyxWeb: citizens in a real headless Chromium", .serialized)
    struct BrowserTests {
        @Test func citizenEnrolsSignsDownloadsAndChecksTheReceiptAnotherChangesAVote() async throws {
            try await WebWorld.with { world in
                let polls = try await world.openPolls([world.petitionDraft(), world.consultationDraft()])
                let petition = polls[0], consultation = polls[1]
                let base = world.serviceURL
                try await withBrowser { browser in
                    // The list and the poll page.
                    try await browser.go(base + "/?lang=en")
                    #expect(try await browser.text("h1") == "Petitions and consultations")
                    try await browser.screenshot("01-list")
                    try await browser.go(base + "/p/\(petition.id.hex)?lang=en")
                    try await browser.screenshot("02-poll")
                    try await browser.click("#take-part")
                    try await browser.wait(until: "document.getElementById('enrol-form')", what: "the take-part page")
                    try await browser.screenshot("03-take-part")

                    // A wrong enrolment code gets a clear message.
                    try await browser.type("#enrol-code", "WRONG-CODE")
                    try await browser.type("#enrol-passphrase", "correct horse battery staple")
                    try await browser.type("#enrol-passphrase2", "correct horse battery staple")
                    try await browser.click("#enrol-submit")
                    try await browser.wait(until: "document.getElementById('status').classList.contains('error')", what: "the error")
                    #expect(try await browser.text("#status") == WebLanguageTestStrings.error("enrolment.invalid_code"))

                    // Enrol, log in, sign with the partial name.
                    try await browser.type("#enrol-code", try await world.enrolmentCode("R1"))
                    try await browser.click("#enrol-submit")
                    let enrolled = try await browser.waitForOK("enrolment")
                    #expect(enrolled.contains("R1"))
                    try await browser.click("#login-submit")
                    _ = try await browser.waitForOK("login")
                    try await browser.click("#show-name")
                    try await browser.click("#submit-entry")
                    try await browser.wait(until: "!document.getElementById('receipt-box').hidden || document.getElementById('status').classList.contains('error')",
                                           timeout: 90, what: "the receipt")
                    let signed = try await browser.waitForOK("signing")
                    #expect(signed.hasPrefix("Signed."))
                    try await browser.screenshot("04-signed")

                    // Download the receipt (the link's blob) and check it with Swift.
                    let downloaded = try await browser.asyncScript(
                        "const a = document.getElementById('receipt-download'); return [a.download, await (await fetch(a.href)).text()];") as? [String]
                    let (fileName, receiptText) = (downloaded?[0] ?? "", downloaded?[1] ?? "")
                    #expect(fileName.hasPrefix("pnyx-receipt-\(petition.id.hex)"))
                    let receipt = try JSONDecoder().decode(Receipt.self, from: Data(receiptText.utf8))
                    try swiftVerifyReceipt(receipt, verifierKey: world.service.verifierKey)
                    let tally = try await world.service.tally(petition.id).summary()
                    #expect(tally.participants == 1 && tally.named == 1)

                    // The log grows (an official answer), then the citizen checks the receipt in the browser:
                    // signature, inclusion, and consistency with the newer checkpoint.
                    _ = try await world.service.answer(petition.id, text: "The council will debate it on 12 March.", links: ["https://example.org/agenda"])
                    _ = try await world.service.latestCheckpoint(petition.id)  // what the periodic checkpointer does
                    try await browser.go(base + "/receipt?lang=en")
                    _ = try await browser.script("document.getElementById('receipt-input').value = arguments[0];", [receiptText])
                    try await browser.click("#check-submit")
                    let checked = try await browser.waitForOK("the receipt check")
                    #expect(checked == "Everything checks: your entry is in the public log.")
                    let steps = try await browser.text("#steps")
                    #expect(steps.contains("without changing earlier ones"), "\(steps)")
                    try await browser.screenshot("05-receipt-checked")

                    // A tampered receipt fails.
                    var tampered = receiptText
                    tampered = tampered.replacingOccurrences(of: receipt.entryHash, with: String(repeating: "0", count: 64))
                    _ = try await browser.script("document.getElementById('receipt-input').value = arguments[0];", [tampered])
                    try await browser.click("#check-submit")
                    try await browser.wait(until: "document.getElementById('status').classList.contains('error')", what: "the failed check")
                    try await browser.screenshot("06-receipt-tampered")

                    // Was a credential issued in my name?
                    try await browser.go(base + "/me?lang=en")
                    try await browser.type("#login-id", "R1")
                    try await browser.type("#login-passphrase", "correct horse battery staple")
                    try await browser.click("#me-submit")
                    let mine = try await browser.waitForOK("the issuance list")
                    #expect(mine.hasPrefix("1 credential"))
                    #expect(try await browser.text("#issuances tbody").contains(petition.id.hex))
                    try await browser.screenshot("07-me")

                    // The poll page shows the signer's certified partial name and the answer.
                    try await browser.go(base + "/p/\(petition.id.hex)?lang=fr")
                    let page = try await browser.text("main")
                    #expect(page.contains("Arnaud R."))
                    #expect(page.contains("The council will debate it on 12 March."))
                    try await browser.screenshot("08-poll-after-fr")

                    // Another citizen (fresh storage) votes, then changes the vote.
                    _ = try await browser.script("localStorage.clear(); sessionStorage.clear();")
                    try await browser.go(base + "/p/\(consultation.id.hex)/take-part?lang=en")
                    try await browser.type("#enrol-code", try await world.enrolmentCode("R3"))
                    try await browser.type("#enrol-passphrase", "another long passphrase")
                    try await browser.type("#enrol-passphrase2", "another long passphrase")
                    try await browser.click("#enrol-submit")
                    _ = try await browser.waitForOK("second enrolment")
                    try await browser.click("#login-submit")
                    _ = try await browser.waitForOK("second login")
                    try await browser.click("#q1-o0")
                    try await browser.click("#q2-o0")
                    try await browser.click("#q2-o2")
                    try await browser.click("#submit-entry")
                    let voted = try await browser.waitForOK("the vote", timeout: 90)
                    #expect(voted.hasPrefix("Vote recorded"))
                    try await browser.screenshot("09-voted")
                    var counts = try await world.service.tally(consultation.id).summary()
                    #expect(counts.questions.first { $0.questionID == 1 }?.options == [1, 0, 0])
                    try await browser.wait(until: "!document.getElementById('withdraw').hidden", what: "the change-vote state")
                    try await browser.click("#q1-o2")
                    try await browser.click("#q2-o0")
                    _ = try await browser.script("document.getElementById('status').className = 'message';")
                    try await browser.click("#submit-entry")
                    let changed = try await browser.waitForOK("the changed vote", timeout: 90)
                    #expect(changed.hasPrefix("Vote recorded") && changed != voted)
                    try await browser.screenshot("10-vote-changed")
                    counts = try await world.service.tally(consultation.id).summary()
                    #expect(counts.participants == 1)
                    #expect(counts.entriesRecorded == 2)
                    #expect(counts.questions.first { $0.questionID == 1 }?.options == [0, 0, 1])
                    #expect(counts.questions.first { $0.questionID == 2 }?.options == [0, 0, 1])
                    let issuances = try await world.broker.issuance.statuses(residentID: "R3")
                    #expect(issuances.count == 1)

                    // A phone-sized screen: no horizontal scrolling.
                    try await browser.resize(width: 390, height: 844)
                    for path in ["/?lang=fr", "/p/\(consultation.id.hex)?lang=en", "/p/\(petition.id.hex)/take-part?lang=fr", "/receipt?lang=fr"] {
                        try await browser.go(base + path)
                        let fits = try await browser.script("return document.documentElement.scrollWidth <= window.innerWidth + 1;") as? Bool
                        #expect(fits == true, "\(path) scrolls sideways on a phone")
                    }
                    try await browser.screenshot("11-phone-receipt-fr")
                    try await browser.go(base + "/p/\(consultation.id.hex)?lang=en")
                    try await browser.screenshot("12-phone-consultation")
                }
            }
        }
    }
}

/// The English error sentences, as the browser shows them.
enum WebLanguageTestStrings {
    static func error(_ code: String) -> String { WebErrorMessages.english[code] ?? code }
}
