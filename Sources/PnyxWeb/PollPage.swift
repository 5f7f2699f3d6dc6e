import PnyxCore
import PnyxService

/// `/p/{poll}`: the text, progress to each threshold, breakdowns by area and age band (SVG),
/// the history curve, results of a consultation, named signers, official answers, certificates.
struct PollPage {
    let layout: PageLayout
    let state: PollState
    let tally: TallySummary?
    let lifecycle: [(position: Int64, event: LifecycleEvent)]
    let signers: [String]

    func thresholdLabel(_ threshold: Threshold, target: UInt64?) -> String {
        switch threshold {
        case .absolute(let count):
            return layout.t("poll.threshold.absolute", ["target": "\(count)"])
        case .shareOfEligible(let basisPoints):
            let percent = Double(basisPoints) / 100
            return layout.t("poll.threshold.share", ["percent": percent == percent.rounded() ? "\(Int(percent))" : "\(percent)",
                                                     "target": target.map { "\($0)" } ?? "?"])
        case .areas(let minimumPerArea, let minimumAreas, _):
            return layout.t("poll.threshold.areas", ["minimum": "\(minimumPerArea)", "areas": "\(minimumAreas)"])
        }
    }

    func render() -> String {
        let d = state.definition
        let id = state.id.hex
        var body = """
            <article class="poll">
            <p class="meta"><span class="tag">\(layout.e("kind.\(d.kind.name)"))</span> <span class="status status-\(state.status)">\(layout.e("status.\(state.status)"))</span></p>
            <h1>\(HTML.escape(d.title))</h1>
            <div class="poll-text">\(d.text.split(separator: "\n", omittingEmptySubsequences: true).map { "<p>\(HTML.escape(String($0)))</p>" }.joined(separator: "\n"))</div>
            <dl class="dates">
            <dt>\(layout.e("poll.opens"))</dt><dd>\(HTML.escape(HTML.date(d.opensAt)))</dd>
            <dt>\(layout.e("poll.closes"))</dt><dd>\(HTML.escape(HTML.date(d.closesAt)))</dd>
            </dl>
            <p>\(layout.e("poll.eligibility", ["age": "\(d.eligibility.minimumAge)"]))\(d.eligibility.areaScope.isEmpty ? "" : " " + layout.e("poll.scope", ["areas": d.eligibility.areaScope.sorted().joined(separator: ", ")])).</p>

            """
        if state.status == "open" {
            body += "<p><a class=\"button primary\" id=\"take-part\" href=\"\(layout.link("/p/\(id)/take-part"))\">\(layout.e("poll.take_part.\(d.kind.name)"))</a></p>\n"
        }
        body += answers()
        if let tally {
            body += "<p class=\"participants\"><strong>\(layout.e("poll.participants", ["count": "\(tally.participants)"]))</strong></p>\n"
            body += progress(tally)
            body += results(tally)
            body += breakdowns(tally)
        } else {
            body += "<p>\(layout.e("poll.no_tally"))</p>\n"
        }
        body += named()
        body += certificates()
        body += """
            <section aria-labelledby="verify-title"><h2 id="verify-title">\(layout.e("poll.verify"))</h2>
            <p>\(layout.e("poll.verify.text")) <a href="/v1/polls/\(id)/log/log.json"><code>/v1/polls/\(id)/log/</code></a>.
            <a href="/v1/polls/\(id)/export.csv">CSV</a> · <a href="/v1/polls/\(id)/export.json">JSON</a></p></section>
            </article>

            """
        return layout.render(title: d.title, body: body)
    }

    func progress(_ tally: TallySummary) -> String {
        guard !tally.thresholds.isEmpty else { return "" }
        var out = "<section aria-labelledby=\"progress-title\"><h2 id=\"progress-title\">\(layout.e("poll.progress"))</h2>\n<ul class=\"thresholds\">\n"
        for threshold in tally.thresholds {
            let label = thresholdLabel(threshold.threshold, target: threshold.target)
            let target = threshold.target ?? 0
            let value = min(threshold.current, max(target, 1))
            let reached = threshold.reached != nil
            let count = layout.t("poll.threshold.progress", ["current": "\(threshold.current)", "target": "\(target)"])
            out += """
                <li><label for="threshold-\(threshold.index)">\(HTML.escape(label))\(reached ? " — <strong>\(layout.e("poll.threshold.reached"))</strong>" : "")</label>
                <progress id="threshold-\(threshold.index)" max="\(max(target, 1))" value="\(value)">\(HTML.escape(count))</progress>
                <span class="count">\(HTML.escape(count))</span></li>

                """
        }
        return out + "</ul></section>\n"
    }

    func results(_ tally: TallySummary) -> String {
        let d = state.definition
        guard d.kind == .consultation, !tally.questions.isEmpty else { return "" }
        var out = "<section aria-labelledby=\"results-title\"><h2 id=\"results-title\">\(layout.e("poll.results"))</h2>\n"
        for question in d.questions {
            guard let counts = tally.questions.first(where: { $0.questionID == question.id }) else { continue }
            out += "<h3>\(HTML.escape(question.text))</h3>\n"
            let rows = question.options.enumerated().map { (index, option) in
                (label: option, count: index < counts.options.count ? counts.options[index] : 0)
            }
            out += SVGCharts.bars(title: question.text, rows: rows, id: "question-\(question.id)")
        }
        return out + "</section>\n"
    }

    func breakdowns(_ tally: TallySummary) -> String {
        var out = ""
        if !tally.byArea.isEmpty {
            out += "<section aria-labelledby=\"area-title\"><h2 id=\"area-title\">\(layout.e("poll.by_area"))</h2>\n"
            out += SVGCharts.bars(title: layout.t("poll.by_area"), rows: tally.byArea.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, id: "by-area")
            out += "</section>\n"
        }
        if !tally.byAgeBand.isEmpty {
            out += "<section aria-labelledby=\"age-title\"><h2 id=\"age-title\">\(layout.e("poll.by_age"))</h2>\n"
            out += SVGCharts.bars(title: layout.t("poll.by_age"), rows: tally.byAgeBand.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, id: "by-age")
            out += "</section>\n"
        }
        out += "<section aria-labelledby=\"history-title\"><h2 id=\"history-title\">\(layout.e("poll.history"))</h2>\n"
        if tally.hourly.isEmpty {
            out += "<p>\(layout.e("poll.history.none"))</p>\n"
        } else {
            out += SVGCharts.history(title: layout.t("poll.history"), points: tally.hourly.map { ($0.hour, $0.participants) }, id: "history")
        }
        return out + "</section>\n"
    }

    func named() -> String {
        guard state.definition.allowPartialNames, !signers.isEmpty else { return "" }
        var out = "<section aria-labelledby=\"signers-title\"><h2 id=\"signers-title\">\(layout.e("poll.signers"))</h2>\n"
        out += "<p>\(layout.e("poll.signers.count", ["count": "\(signers.count)"]))</p>\n<ul class=\"signers\">"
        for name in signers { out += "<li>\(HTML.escape(name))</li>" }
        return out + "</ul></section>\n"
    }

    func answers() -> String {
        let answered = lifecycle.compactMap { record -> (text: String, links: [String], at: Int64)? in
            if case .answered(let text, let links) = record.event.kind { return (text, links, record.event.at) }
            return nil
        }
        guard !answered.isEmpty else { return "" }
        var out = "<section aria-labelledby=\"answers-title\" class=\"answers\"><h2 id=\"answers-title\">\(layout.e("poll.answers"))</h2>\n"
        for answer in answered {
            out += "<article><p class=\"meta\">\(HTML.escape(HTML.date(answer.at)))</p>"
            out += answer.text.split(separator: "\n").map { "<p>\(HTML.escape(String($0)))</p>" }.joined()
            if !answer.links.isEmpty {
                out += "<ul>" + answer.links.map { "<li><a href=\"\(HTML.escape($0))\">\(HTML.escape($0))</a></li>" }.joined() + "</ul>"
            }
            out += "</article>\n"
        }
        return out + "</section>\n"
    }

    func certificates() -> String {
        let indexes = lifecycle.compactMap { record -> Int? in
            if case .certified(let signed) = record.event.kind { return Int(signed.certificate.thresholdIndex) }
            return nil
        }
        guard !indexes.isEmpty else { return "" }
        var out = "<section aria-labelledby=\"certificates-title\"><h2 id=\"certificates-title\">\(layout.e("poll.certificates"))</h2><ul>"
        for index in indexes {
            out += "<li><a href=\"/v1/polls/\(state.id.hex)/certificates/\(index).html\">\(layout.e("poll.certificate", ["index": "\(index)"]))</a> (<a href=\"/v1/polls/\(state.id.hex)/certificates/\(index)\">JSON</a>)</li>"
        }
        return out + "</ul></section>\n"
    }
}
