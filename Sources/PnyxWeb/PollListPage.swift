import PnyxCore
import PnyxService

/// `/`: the polls, filtered by area, kind (petitions or consultations) and status (open or closed).
struct PollListPage {
    struct Item {
        let state: PollState
        let participants: UInt64?
    }

    let layout: PageLayout
    let items: [Item]
    let area: String?
    let kind: String?
    let status: String?

    /// Polls whose status is shown to the public.
    static func isPublic(_ state: PollState) -> Bool { state.status != "draft" && state.status != "rejected" }

    /// True when `state` passes the filters.
    static func matches(_ state: PollState, area: String?, kind: String?, status: String?) -> Bool {
        if let kind, !kind.isEmpty, state.definition.kind.name != kind { return false }
        if let status, !status.isEmpty {
            if status == "open", state.status != "open" { return false }
            if status == "closed", state.status != "closed" { return false }
        }
        if let area, !area.isEmpty {
            let scope = state.definition.eligibility.areaScope
            if !scope.isEmpty && !scope.contains(area) { return false }
        }
        return true
    }

    func render(allAreas: [String]) -> String {
        func option(_ value: String, _ label: String, _ selected: String?) -> String {
            "<option value=\"\(HTML.escape(value))\"\((selected ?? "") == value ? " selected" : "")>\(HTML.escape(label))</option>"
        }
        var body = "<h1>\(layout.e("list.title"))</h1>\n"
        body += """
            <form class="filters" method="get" action="/">
            <fieldset><legend>\(layout.e("list.filters"))</legend>
            <input type="hidden" name="lang" value="\(layout.language.rawValue)">
            <p><label for="filter-area">\(layout.e("list.area"))</label>
            <select id="filter-area" name="area">\(option("", layout.t("list.area.any"), area))\(allAreas.map { option($0, $0, area) }.joined())</select></p>
            <p><label for="filter-kind">\(layout.e("list.kind"))</label>
            <select id="filter-kind" name="kind">\(option("", layout.t("list.kind.any"), kind))\(option("petition", layout.t("list.kind.petition"), kind))\(option("consultation", layout.t("list.kind.consultation"), kind))</select></p>
            <p><label for="filter-status">\(layout.e("list.status"))</label>
            <select id="filter-status" name="status">\(option("", layout.t("list.status.any"), status))\(option("open", layout.t("list.status.open"), status))\(option("closed", layout.t("list.status.closed"), status))</select></p>
            <p><button type="submit">\(layout.e("list.apply"))</button></p>
            </fieldset>
            </form>

            """
        if items.isEmpty {
            body += "<p class=\"empty\">\(layout.e("list.empty"))</p>\n"
        } else {
            body += "<ul class=\"polls\">\n"
            for item in items {
                let d = item.state.definition
                body += """
                    <li class="poll-card">
                    <h2><a href="\(layout.link("/p/\(item.state.id.hex)"))">\(HTML.escape(d.title))</a></h2>
                    <p class="meta"><span class="tag">\(layout.e("kind.\(d.kind.name)"))</span> <span class="status status-\(item.state.status)">\(layout.e("status.\(item.state.status)"))</span>
                    \(item.participants.map { " · " + layout.e("list.participants", ["count": "\($0)"]) } ?? "")
                    · \(layout.e("poll.closes")) \(HTML.escape(HTML.date(d.closesAt)))</p>
                    </li>

                    """
            }
            body += "</ul>\n"
        }
        return layout.render(title: layout.t("list.title"), body: body)
    }
}
