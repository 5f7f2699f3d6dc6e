import PnyxCore
import PnyxService

/// The pages for administrations and auditors, and the citizens' proposal page. Every action
/// is done by the page's script through the JSON APIs (`/v1/admin/...` with the admin token
/// kept in the tab's sessionStorage; the broker's `/v1/admin/...` with the broker's token).
struct AdminPages {
    let layout: PageLayout

    /// `/admin`: tokens, polls (create, edit as a new draft, publish, open, close, certify,
    /// exports), the moderation queue, and the broker's register import and enrolment codes.
    func admin() -> String {
        let levels = ["none", "district", "commune", "agglomeration", "departement"]
        let levelOptions = levels.map { "<option value=\"\($0)\"\($0 == "commune" ? " selected" : "")>\(layout.e("admin.level.\($0)"))</option>" }
            .joined()
        let body = """
            <h1>\(layout.e("admin.title"))</h1>
            <p>\(layout.e("admin.intro"))</p>
            <noscript><p class="message error">\(layout.e("error.noscript"))</p></noscript>
            <div id="status" class="message" role="status" aria-live="polite" hidden></div>
            <section aria-labelledby="token-title" class="step">
            <h2 id="token-title">\(layout.e("admin.tokens"))</h2>
            <p id="token-state">\(layout.e("admin.tokens.none"))</p>
            <form id="token-form">
            <p><label for="admin-token">\(layout.e("admin.token.service"))</label>
            <input id="admin-token" type="password" autocomplete="off"></p>
            <p><label for="broker-token">\(layout.e("admin.token.broker"))</label>
            <input id="broker-token" type="password" autocomplete="off"></p>
            <p><button type="submit" class="primary" id="token-submit">\(layout.e("admin.tokens.keep"))</button>
            <button type="button" id="token-forget">\(layout.e("admin.tokens.forget"))</button></p>
            </form>
            </section>
            <section aria-labelledby="polls-title" class="step">
            <h2 id="polls-title">\(layout.e("admin.polls"))</h2>
            <p><button type="button" id="polls-refresh">\(layout.e("admin.polls.refresh"))</button></p>
            <div class="table-wrap"><table id="polls">
            <caption class="visually-hidden">\(layout.e("admin.polls"))</caption>
            <thead><tr><th scope="col">\(layout.e("admin.poll.title"))</th><th scope="col">\(layout.e("admin.poll.kind"))</th><th scope="col">\(layout.e("admin.poll.status"))</th><th scope="col">\(layout.e("admin.poll.actions"))</th></tr></thead>
            <tbody></tbody></table></div>
            </section>
            <section aria-labelledby="draft-title" class="step">
            <h2 id="draft-title">\(layout.e("admin.draft"))</h2>
            <p>\(layout.e("admin.draft.help"))</p>
            <form id="poll-form">
            <p><label for="poll-kind">\(layout.e("admin.poll.kind"))</label>
            <select id="poll-kind"><option value="petition">\(layout.e("kind.petition"))</option><option value="consultation">\(layout.e("kind.consultation"))</option></select></p>
            <p><label for="poll-title">\(layout.e("admin.poll.title"))</label>
            <input id="poll-title" required maxlength="200"></p>
            <p><label for="poll-text">\(layout.e("admin.poll.text"))</label>
            <textarea id="poll-text" rows="5" required></textarea></p>
            <p><label for="poll-opens">\(layout.e("admin.poll.opens"))</label>
            <input id="poll-opens" type="datetime-local" required></p>
            <p><label for="poll-closes">\(layout.e("admin.poll.closes"))</label>
            <input id="poll-closes" type="datetime-local" required></p>
            <p><label for="poll-areas">\(layout.e("admin.poll.areas"))</label>
            <input id="poll-areas" aria-describedby="poll-areas-help"><br><small id="poll-areas-help">\(layout.e("admin.poll.areas.help"))</small></p>
            <p><label for="poll-min-age">\(layout.e("admin.poll.min_age"))</label>
            <input id="poll-min-age" type="number" min="0" max="120" value="18" required></p>
            <p><label for="poll-reference">\(layout.e("admin.poll.reference"))</label>
            <input id="poll-reference" type="date" required></p>
            <p><label for="poll-level">\(layout.e("admin.poll.level"))</label>
            <select id="poll-level">\(levelOptions)</select></p>
            <p><input type="checkbox" id="poll-age-bands" checked> <label for="poll-age-bands">\(layout.e("admin.poll.age_bands"))</label></p>
            <p><input type="checkbox" id="poll-names"> <label for="poll-names">\(layout.e("admin.poll.names"))</label></p>
            <p><label for="poll-thresholds">\(layout.e("admin.poll.thresholds"))</label>
            <textarea id="poll-thresholds" rows="2" aria-describedby="poll-thresholds-help"></textarea><br><small id="poll-thresholds-help">\(layout.e("admin.poll.thresholds.help"))</small></p>
            <p><label for="poll-questions">\(layout.e("admin.poll.questions"))</label>
            <textarea id="poll-questions" rows="4" aria-describedby="poll-questions-help"></textarea><br><small id="poll-questions-help">\(layout.e("admin.poll.questions.help"))</small></p>
            <p><button type="submit" class="primary" id="poll-create">\(layout.e("admin.draft.create"))</button>
            <button type="button" id="poll-clear">\(layout.e("admin.draft.clear"))</button></p>
            </form>
            </section>
            <section aria-labelledby="moderation-title" class="step">
            <h2 id="moderation-title">\(layout.e("admin.moderation"))</h2>
            <p>\(layout.e("admin.moderation.help"))</p>
            <p><button type="button" id="proposals-refresh">\(layout.e("admin.polls.refresh"))</button></p>
            <p id="proposals-empty" hidden>\(layout.e("admin.moderation.empty"))</p>
            <ul id="proposals" class="polls"></ul>
            </section>
            <section aria-labelledby="register-title" class="step">
            <h2 id="register-title">\(layout.e("admin.register"))</h2>
            <p>\(layout.e("admin.register.help"))</p>
            <form id="register-form">
            <p><label for="areas-csv">\(layout.e("admin.register.areas"))</label>
            <textarea id="areas-csv" rows="5" spellcheck="false"></textarea></p>
            <p><label for="areas-file">\(layout.e("admin.register.areas.file"))</label>
            <input type="file" id="areas-file" accept=".csv,text/csv"></p>
            <p><label for="residents-csv">\(layout.e("admin.register.residents"))</label>
            <textarea id="residents-csv" rows="5" spellcheck="false" required></textarea></p>
            <p><label for="residents-file">\(layout.e("admin.register.residents.file"))</label>
            <input type="file" id="residents-file" accept=".csv,text/csv"></p>
            <p><button type="submit" class="primary" id="register-submit">\(layout.e("admin.register.submit"))</button></p>
            </form>
            <h3>\(layout.e("admin.codes"))</h3>
            <form id="codes-form">
            <p><label for="codes-residents">\(layout.e("admin.codes.residents"))</label>
            <input id="codes-residents" aria-describedby="codes-help"><br><small id="codes-help">\(layout.e("admin.codes.help"))</small></p>
            <p><button type="submit" class="primary" id="codes-submit">\(layout.e("admin.codes.submit"))</button></p>
            </form>
            <p><label for="codes-output">\(layout.e("admin.codes.output"))</label>
            <textarea id="codes-output" rows="5" readonly spellcheck="false"></textarea></p>
            <p><a id="codes-download" class="button" hidden>\(layout.e("admin.codes.download"))</a></p>
            </section>

            """
        return layout.render(title: layout.t("admin.title"), body: body, script: "admin.js", data: layout.data())
    }

    /// `/audit`: for each poll, its latest checkpoint with every signature line (the service's
    /// and the witnesses' cosignatures), the downloads, and how to run `pnyx-audit`.
    func auditor(polls: [PollState], origin: String) -> String {
        var body = """
            <h1>\(layout.e("audit.title"))</h1>
            <p>\(layout.e("audit.intro"))</p>
            <section aria-labelledby="run-title">
            <h2 id="run-title">\(layout.e("audit.run"))</h2>
            <p>\(layout.e("audit.run.help"))</p>
            <pre id="audit-command"><code>swift build --product pnyx-audit
            .build/debug/pnyx-audit verify --service \(HTML.escape(origin)) --poll &lt;poll id&gt;</code></pre>
            <p>\(layout.e("audit.run.more"))</p>
            </section>
            <noscript><p class="message error">\(layout.e("error.noscript"))</p></noscript>
            <div id="status" class="message" role="status" aria-live="polite" hidden></div>
            <h2>\(layout.e("audit.polls"))</h2>

            """
        if polls.isEmpty { body += "<p>\(layout.e("list.empty"))</p>\n" }
        for state in polls {
            let id = state.id.hex
            let base = "/v1/polls/\(id)"
            body += """
                <section class="poll-card audit-poll" data-poll="\(id)" aria-labelledby="audit-\(id)">
                <h3 id="audit-\(id)"><a href="\(layout.link("/p/\(id)"))">\(HTML.escape(state.definition.title))</a></h3>
                <p class="meta">\(layout.e("kind.\(state.definition.kind.name)")) · <span class="status status-\(state.status)">\(layout.e("status.\(state.status)"))</span> · <code>\(id)</code></p>
                <h4>\(layout.e("audit.checkpoint"))</h4>
                <pre class="checkpoint" id="checkpoint-\(id)" aria-live="polite">…</pre>
                <ul class="signatures" id="signatures-\(id)"></ul>
                <h4>\(layout.e("audit.downloads"))</h4>
                <ul>
                <li><a href="\(base)/log/log.json" download="log-\(id).json">\(layout.e("audit.download.log"))</a></li>
                <li><a href="\(base)/log/checkpoint" download="checkpoint-\(id).txt">\(layout.e("audit.download.checkpoint"))</a></li>
                <li><a href="\(base)/log/verifier.txt" download="verifier-\(id).txt">\(layout.e("audit.download.verifier"))</a></li>
                <li><a href="\(base)/export.json" download="export-\(id).json">\(layout.e("audit.download.export_json"))</a></li>
                <li><a href="\(base)/export.csv" download="export-\(id).csv">\(layout.e("audit.download.export_csv"))</a></li>
                <li><a href="\(base)/certificates">\(layout.e("audit.download.certificates"))</a></li>
                </ul>
                <p><code>pnyx-audit verify --service \(HTML.escape(origin)) --poll \(id)</code></p>
                </section>

                """
        }
        return layout.render(title: layout.t("audit.title"), body: body, script: "audit.js", data: layout.data())
    }

    /// `/propose`: a citizen proposes a petition; it waits in the moderation queue.
    func propose() -> String {
        let body = """
            <h1>\(layout.e("propose.title"))</h1>
            <p>\(layout.e("propose.intro"))</p>
            <noscript><p class="message error">\(layout.e("error.noscript"))</p></noscript>
            <form id="propose-form">
            <p><label for="propose-title">\(layout.e("admin.poll.title"))</label>
            <input id="propose-title" required maxlength="200"></p>
            <p><label for="propose-text">\(layout.e("admin.poll.text"))</label>
            <textarea id="propose-text" rows="6" required></textarea></p>
            <p><label for="propose-areas">\(layout.e("admin.poll.areas"))</label>
            <input id="propose-areas" aria-describedby="propose-areas-help"><br><small id="propose-areas-help">\(layout.e("admin.poll.areas.help"))</small></p>
            <p><label for="propose-days">\(layout.e("propose.days"))</label>
            <input id="propose-days" type="number" min="1" max="365" value="60" required></p>
            <p><input type="checkbox" id="propose-names"> <label for="propose-names">\(layout.e("admin.poll.names"))</label></p>
            <p><label for="propose-threshold">\(layout.e("propose.threshold"))</label>
            <input id="propose-threshold" type="number" min="1" value="100" required></p>
            <p><button type="submit" class="primary" id="propose-submit">\(layout.e("propose.submit"))</button></p>
            </form>
            <div id="status" class="message" role="status" aria-live="polite" hidden></div>

            """
        return layout.render(title: layout.t("propose.title"), body: body, script: "propose.js", data: layout.data())
    }
}
