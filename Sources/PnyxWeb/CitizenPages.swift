import PnyxCore
import PnyxCrypto
import PnyxService

/// The pages whose work is done by the browser: take part, check a receipt, issued in my name.
struct CitizenPages {
    let layout: PageLayout

    /// `/p/{poll}/take-part`: enrol, log in, and sign or vote, in one screen.
    func takePart(_ state: PollState) -> String {
        let d = state.definition
        let id = state.id.hex
        var body = """
            <h1>\(layout.e("take.title", ["title": d.title]))</h1>
            <p>\(layout.e("take.intro"))</p>
            <noscript><p class="message error">\(layout.e("error.noscript"))</p></noscript>
            <div id="status" class="message" role="status" aria-live="polite" hidden></div>

            """
        if state.status != "open" {
            body += "<p class=\"message error\">\(layout.e("take.closed"))</p>\n"
        }
        body += """
            <section aria-labelledby="enrol-title" class="step">
            <h2 id="enrol-title">\(layout.e("take.enrol"))</h2>
            <form id="enrol-form">
            <p><label for="enrol-code">\(layout.e("take.enrol.code"))</label>
            <input id="enrol-code" name="code" autocomplete="one-time-code" required></p>
            <p><label for="enrol-passphrase">\(layout.e("take.enrol.passphrase"))</label>
            <input id="enrol-passphrase" type="password" autocomplete="new-password" minlength="12" required></p>
            <p><label for="enrol-passphrase2">\(layout.e("take.enrol.passphrase2"))</label>
            <input id="enrol-passphrase2" type="password" autocomplete="new-password" minlength="12" required></p>
            <p><button type="submit" id="enrol-submit">\(layout.e("take.enrol.submit"))</button></p>
            </form>
            </section>
            <section aria-labelledby="login-title" class="step">
            <h2 id="login-title">\(layout.e("take.login"))</h2>
            <p id="session-state">\(layout.e("session.out"))</p>
            <form id="login-form">
            <p><label for="login-id">\(layout.e("take.login.id"))</label>
            <input id="login-id" name="resident" autocomplete="username" required></p>
            <p><label for="login-passphrase">\(layout.e("take.login.passphrase"))</label>
            <input id="login-passphrase" type="password" autocomplete="current-password" required></p>
            <p><button type="submit" id="login-submit">\(layout.e("take.login.submit"))</button>
            <button type="button" id="logout" hidden>\(layout.e("take.logout"))</button></p>
            </form>
            </section>
            <section aria-labelledby="choice-title" class="step">
            <h2 id="choice-title">\(layout.e("take.choice"))</h2>
            <p id="already" class="message info" hidden>\(layout.e("take.already"))</p>
            <form id="take-part-form">

            """
        if d.kind == .petition {
            if d.allowPartialNames {
                body += """
                    <p><input type="checkbox" id="show-name"> <label for="show-name">\(layout.e("take.show_name"))</label><br>
                    <small>\(layout.e("take.anonymous_note"))</small></p>

                    """
            }
        } else {
            for question in d.questions {
                let type = question.kind == .single ? "radio" : "checkbox"
                let hint: String
                switch question.kind {
                case .single: hint = layout.t("take.choose.one")
                case .multiple: hint = layout.t("take.choose.max", ["max": "\(question.maxChoices)"])
                case .approval: hint = layout.t("take.choose.any")
                }
                body += "<fieldset class=\"question\"><legend>\(HTML.escape(question.text)) <small>(\(HTML.escape(hint)))</small></legend>\n"
                for (index, option) in question.options.enumerated() {
                    let inputID = "q\(question.id)-o\(index)"
                    body += "<p><input type=\"\(type)\" name=\"q\(question.id)\" id=\"\(inputID)\" value=\"\(index)\"> <label for=\"\(inputID)\">\(HTML.escape(option))</label></p>\n"
                }
                body += "</fieldset>\n"
            }
        }
        body += """
            <p><button type="submit" class="primary" id="submit-entry">\(layout.e("take.submit.\(d.kind.name)"))</button>
            <button type="button" id="withdraw" hidden>\(layout.e("take.withdraw"))</button></p>
            </form>
            </section>
            <section id="receipt-box" aria-labelledby="receipt-title" hidden>
            <h2 id="receipt-title">\(layout.e("take.receipt"))</h2>
            <p>\(layout.e("take.receipt.help"))</p>
            <p><label for="receipt-text">\(layout.e("take.receipt"))</label>
            <textarea id="receipt-text" rows="8" readonly></textarea></p>
            <p><a id="receipt-download" class="button" hidden>\(layout.e("take.receipt.download"))</a>
            <a class="button" id="receipt-check" href="\(layout.link("/receipt"))">\(layout.e("take.receipt.check"))</a></p>
            </section>

            """
        let questions = d.questions.map {
            PageData.QuestionData(id: $0.id, text: $0.text, kind: $0.kind == .single ? "single" : $0.kind == .multiple ? "multiple" : "approval",
                                  maxChoices: $0.maxChoices)
        }
        return layout.render(title: layout.t("take.title", ["title": d.title]), body: body, script: "takepart.js",
                             data: layout.data(pollID: id, brokerKey: Base64.encode(d.brokerKey.rawRepresentation), kind: d.kind.name,
                                               questions: questions))
    }

    /// `/receipt`: paste or open a receipt, with plain-language steps; the browser checks it.
    func receipt() -> String {
        let body = """
            <h1>\(layout.e("receipt.title"))</h1>
            <p>\(layout.e("receipt.intro"))</p>
            <noscript><p class="message error">\(layout.e("error.noscript"))</p></noscript>
            <section aria-labelledby="how-title"><h2 id="how-title">\(layout.e("receipt.how"))</h2>
            <ol><li>\(layout.e("receipt.how.1"))</li><li>\(layout.e("receipt.how.2"))</li><li>\(layout.e("receipt.how.3"))</li><li>\(layout.e("receipt.how.4"))</li></ol>
            </section>
            <form id="check-form">
            <p><label for="receipt-input">\(layout.e("receipt.input"))</label>
            <textarea id="receipt-input" rows="10" spellcheck="false"></textarea></p>
            <p><label for="receipt-file">\(layout.e("receipt.file"))</label>
            <input type="file" id="receipt-file" accept="application/json,.json"></p>
            <p><button type="submit" class="primary" id="check-submit">\(layout.e("receipt.submit"))</button></p>
            </form>
            <div id="status" class="message" role="status" aria-live="polite" hidden></div>
            <ol id="steps" class="steps" aria-live="polite"></ol>

            """
        return layout.render(title: layout.t("receipt.title"), body: body, script: "receipt.js", data: layout.data())
    }

    /// `/me`: log in at the broker and list the credentials issued in one's name.
    func me() -> String {
        let body = """
            <h1>\(layout.e("me.title"))</h1>
            <p>\(layout.e("me.intro"))</p>
            <noscript><p class="message error">\(layout.e("error.noscript"))</p></noscript>
            <form id="me-form">
            <p><label for="login-id">\(layout.e("take.login.id"))</label>
            <input id="login-id" autocomplete="username" required></p>
            <p><label for="login-passphrase">\(layout.e("take.login.passphrase"))</label>
            <input id="login-passphrase" type="password" autocomplete="current-password" required></p>
            <p><button type="submit" class="primary" id="me-submit">\(layout.e("me.submit"))</button></p>
            </form>
            <div id="status" class="message" role="status" aria-live="polite" hidden></div>
            <div class="table-wrap"><table id="issuances" hidden>
            <thead><tr><th scope="col">\(layout.e("me.poll"))</th><th scope="col">\(layout.e("me.class"))</th><th scope="col">\(layout.e("me.day"))</th><th scope="col">\(layout.e("me.position"))</th><th scope="col">\(layout.e("me.pseudonym"))</th></tr></thead>
            <tbody></tbody></table></div>

            """
        return layout.render(title: layout.t("me.title"), body: body, script: "me.js", data: layout.data())
    }

    /// A 404 page.
    func notFound() -> String {
        layout.render(title: layout.t("notfound.title"),
                      body: "<h1>\(layout.e("notfound.title"))</h1><p>\(layout.e("notfound.text"))</p><p><a href=\"\(layout.link("/"))\">\(layout.e("nav.polls"))</a></p>")
    }
}
