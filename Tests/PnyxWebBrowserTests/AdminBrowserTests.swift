import Foundation
import PnyxCore
import PnyxService
import PnyxWeb
import Testing

extension WebDriver {
    /// Sets a form field's value by script and fires `input` (date and file fields, long text).
    func setValue(_ css: String, _ value: String) async throws {
        _ = try await element(css)
        _ = try await script("const e = document.querySelector(arguments[0]); e.value = arguments[1]; e.dispatchEvent(new Event('input', { bubbles: true }));",
                             [css, value])
    }

    /// Sets a `datetime-local` field to a Unix time, in the browser's own time zone.
    func setDateTime(_ css: String, unix: Int64) async throws {
        _ = try await script("""
            const d = new Date(arguments[1] * 1000), p = (n) => String(n).padStart(2, '0');
            const e = document.querySelector(arguments[0]);
            e.value = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
            e.dispatchEvent(new Event('input', { bubbles: true }));
            """, [css, unix])
    }

    /// Clears the status so the next `waitForOK` waits for the next message.
    func clearStatus() async throws {
        _ = try await script("const s = document.getElementById('status'); if (s) { s.className = 'message'; s.textContent = ''; }")
    }

    /// Clicks, then waits for the page's status to turn ok (fails with its text on an error).
    @discardableResult
    func clickAndWait(_ css: String, _ what: String, timeout: Double = 60) async throws -> String {
        try await clearStatus()
        try await click(css)
        return try await waitForOK(what, timeout: timeout)
    }

    /// Clicks, then waits for the page's status to show an error; answers its text.
    func clickExpectingError(_ css: String, _ what: String) async throws -> String {
        try await clearStatus()
        try await click(css)
        try await wait(until: "document.getElementById('status').classList.contains('error')", what: what)
        return try await text("#status")
    }
}

extension ChromiumSuites {
    @Suite("PnyxWeb: officials and auditors in a real headless Chromium", .serialized)
    struct AdminBrowserTests {
        static let residents = WebWorld.residentsCSV + "R5,Emile,Zola,1990-04-02,C1-2\n"

        @Test func officialImportsIssuesCodesCreatesOpensClosesAndCertifiesAPoll() async throws {
            try await WebWorld.with { world in
                let base = world.serviceURL
                try await withBrowser { browser in
                    try await browser.go(base + "/admin?lang=en")
                    #expect(try await browser.text("h1") == "Administration")
                    try await browser.screenshot("20-admin")

                    // A wrong token gets the API's refusal, in words.
                    try await browser.type("#admin-token", "not-the-token")
                    let refused = try await browser.clickExpectingError("#token-submit", "the refused token")
                    #expect(refused == WebLanguageTestStrings.error("auth.required"))
                    try await browser.click("#token-forget")

                    // The tokens, entered once for the tab.
                    try await browser.type("#admin-token", WebWorld.adminToken)
                    try await browser.type("#broker-token", WebWorld.brokerAdminToken)
                    _ = try await browser.clickAndWait("#token-submit", "the token")
                    #expect(try await browser.script("return sessionStorage.getItem('pnyx.admin.token');") as? String == WebWorld.adminToken)

                    // The broker: import the register (one resident more), issue a code for the newcomer.
                    try await browser.setValue("#areas-csv", WebWorld.areasCSV)
                    try await browser.setValue("#residents-csv", Self.residents)
                    let imported = try await browser.clickAndWait("#register-submit", "the register import")
                    #expect(imported.contains("added: 1"), "\(imported)")
                    try await browser.type("#codes-residents", "R5")
                    let issued = try await browser.clickAndWait("#codes-submit", "the enrolment codes")
                    #expect(issued.hasPrefix("1 enrolment code"))
                    let csv = try await browser.script("return document.getElementById('codes-output').value;") as? String ?? ""
                    let line = try #require(csv.split(separator: "\n").first { $0.hasPrefix("R5,") })
                    let code = String(line.split(separator: ",")[4])
                    #expect(!(try await browser.script("return document.getElementById('codes-download').hidden;") as? Bool ?? true))

                    // A poll the form cannot read is refused before any request.
                    try await browser.setValue("#poll-thresholds", "a lot")
                    try await browser.type("#poll-title", "Un banc devant l'école")
                    try await browser.setValue("#poll-text", "Installons un banc devant l'école Jules-Ferry.")
                    let unreadable = try await browser.clickExpectingError("#poll-create", "the unreadable threshold")
                    #expect(unreadable == "This threshold is not understood: a lot")

                    // Create the draft, publish it, open it.
                    try await browser.setValue("#poll-thresholds", "1\n75%")
                    try await browser.setDateTime("#poll-opens", unix: world.clock.unix + 120)
                    try await browser.setDateTime("#poll-closes", unix: world.clock.unix + 7 * 86_400)
                    try await browser.setValue("#poll-reference", "2025-01-01")
                    try await browser.click("#poll-names")
                    let created = try await browser.clickAndWait("#poll-create", "the draft")
                    let idText = try #require(created.split(separator: " ").last.map { String($0.dropLast()) })
                    let id = try PollID(hex: idText)
                    #expect(try await world.service.poll(id).status == "draft")
                    #expect(try await world.service.poll(id).definition.thresholds == [.absolute(count: 1), .shareOfEligible(basisPoints: 7500)])
                    try await browser.screenshot("21-admin-draft")
                    _ = try await browser.clickAndWait("#publish-\(id.hex)", "publishing")
                    _ = try await browser.clickAndWait("#open-\(id.hex)", "opening")
                    #expect(try await world.service.poll(id).status == "open")
                    try await browser.wait(until: "document.getElementById('certify-\(id.hex)-0')", what: "the certify button")
                    let early = try await browser.clickExpectingError("#certify-\(id.hex)-0", "the early certification")
                    #expect(early == WebLanguageTestStrings.error("certificate.threshold_not_reached"))

                    // The newcomer enrols with the printed code and signs.
                    world.clock.advance(180)  // into the poll's window
                    try await browser.go(base + "/p/\(id.hex)/take-part?lang=en")
                    try await browser.type("#enrol-code", code)
                    try await browser.type("#enrol-passphrase", "a bench for the school please")
                    try await browser.type("#enrol-passphrase2", "a bench for the school please")
                    _ = try await browser.clickAndWait("#enrol-submit", "the enrolment")
                    _ = try await browser.clickAndWait("#login-submit", "the login")
                    _ = try await browser.clickAndWait("#submit-entry", "the signature", timeout: 90)
                    #expect(try await world.service.tally(id).summary().participants == 1)

                    // Back at the administration (the token is still there): close and certify.
                    try await browser.go(base + "/admin?lang=en")
                    _ = try await browser.waitForOK("the polls")
                    _ = try await browser.clickAndWait("#close-\(id.hex)", "closing")
                    #expect(try await world.service.poll(id).status == "closed")
                    _ = try await browser.clickAndWait("#certify-\(id.hex)-0", "the certification")
                    #expect(try await world.service.certificates(id).count == 1)
                    try await browser.wait(until: "document.getElementById('certificate-\(id.hex)-0')", what: "the certificate link")
                    #expect(try await browser.script("return !!document.getElementById('certify-\(id.hex)-1');") as? Bool == true)
                    try await browser.screenshot("22-admin-certified")
                    try await browser.click("#certificate-\(id.hex)-0")
                    try await browser.wait(until: "location.pathname.endsWith('/certificates/0.html')", what: "the printable certificate")
                    let certificate = try await browser.text("body")
                    #expect(certificate.contains("Un banc devant l'école"))
                    try await browser.screenshot("23-certificate")
                }
            }
        }

        @Test func citizenProposesTheAdministrationModeratesAndTheAuditorSeesCheckpoints() async throws {
            try await WebWorld.with { world in
                let base = world.serviceURL
                let open = try await world.openPolls([world.petitionDraft(), world.consultationDraft()])
                _ = try await world.service.latestCheckpoint(open[0].id)  // the second poll has no checkpoint yet
                try await withBrowser { browser in
                    // Two proposals from the citizens' page.
                    for title in ["Une fontaine place du marché", "Interdire les trottinettes"] {
                        try await browser.go(base + "/propose?lang=en")
                        try await browser.type("#propose-title", title)
                        try await browser.setValue("#propose-text", "Le texte de la proposition : \(title).")
                        let sent = try await browser.clickAndWait("#propose-submit", "the proposal")
                        #expect(sent.hasPrefix("Thank you"))
                    }
                    try await browser.screenshot("30-propose")
                    #expect(try await world.service.proposals(status: "pending").count == 2)

                    // The moderation queue: a rejection needs a reason; accept one, reject the other.
                    try await browser.go(base + "/admin?lang=fr")
                    try await browser.type("#admin-token", WebWorld.adminToken)
                    _ = try await browser.clickAndWait("#token-submit", "the token")
                    let pending = try await world.service.proposals(status: "pending")
                    let (first, second) = (pending[0].proposalID, pending[1].proposalID)
                    let noReason = try await browser.clickExpectingError("#reject-\(second)", "the missing reason")
                    #expect(noReason == "Écrivez d'abord le motif du refus.")
                    try await browser.screenshot("31-moderation")
                    _ = try await browser.clickAndWait("#accept-\(first)", "accepting")
                    try await browser.type("#reason-\(second)", "Hors des compétences de la commune.")
                    _ = try await browser.clickAndWait("#reject-\(second)", "rejecting")
                    let decided = try await world.service.proposals()
                    #expect(decided.map(\.status) == ["accepted", "rejected"])
                    #expect(decided[1].reason == "Hors des compétences de la commune.")
                    // The accepted proposal is a draft in the polls table, with its publish button.
                    let accepted = try #require(decided[0].pollID)
                    try await browser.wait(until: "document.getElementById('publish-\(accepted.hex)')", what: "the accepted draft")

                    // The auditor page verifies each public poll's latest checkpoint in the browser.
                    try await browser.go(base + "/audit?lang=en")
                    let loaded = try await browser.waitForOK("the checkpoints")
                    #expect(loaded.hasPrefix("1 checkpoints verified"), "\(loaded)")
                    #expect(try await browser.text("#checkpoint-\(open[1].id.hex)") == WebLanguageTestStrings.error("log.not_found"))
                    let signatures = try await browser.text("#signatures-\(open[0].id.hex)")
                    #expect(signatures.contains("Signed by the service service.pnyx.test"))
                    #expect(try await browser.text("#audit-command").contains("pnyx-audit verify --service"))
                    try await browser.screenshot("32-audit")
                }
            }
        }
    }
}
