import Foundation

/// HTML building helpers: escaping and the page layout shared by every citizen page.
enum HTML {
    /// Escapes text for element content and attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// JSON for a `<script type="application/json">` element (no `</script>` can close it early).
    static func scriptJSON(_ value: some Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
            .replacingOccurrences(of: "<", with: "\\u003c")
            .replacingOccurrences(of: ">", with: "\\u003e")
            .replacingOccurrences(of: "&", with: "\\u0026")
    }

    /// A UTC date and time, `2026-11-24 14:00 UTC`.
    static func date(_ unix: Int64) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(unix)))
    }

    /// Replaces `{name}` placeholders.
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = template
        for (key, value) in values { out = out.replacingOccurrences(of: "{\(key)}", with: value) }
        return out
    }
}

/// The data every page hands to its script: strings, error sentences and settings.
struct PageData: Encodable {
    var lang: String
    var strings: [String: String]
    var errors: [String: String]
    var brokerURL: String
    var pollID: String?
    /// The poll's broker key (base64 Ed25519): the page checks the key directory's signature with it.
    var brokerKey: String?
    var kind: String?
    var questions: [QuestionData]?

    struct QuestionData: Encodable {
        var id: UInt16
        var text: String
        var kind: String
        var maxChoices: UInt16
    }
}

/// One rendered page.
struct PageLayout {
    let language: WebLanguage
    /// The request's path and query without `lang`, for the language switch link.
    let path: String
    let brokerURL: String

    func t(_ key: String, _ values: [String: String] = [:]) -> String {
        HTML.fill(language.text(key), values)
    }

    /// Escaped translation.
    func e(_ key: String, _ values: [String: String] = [:]) -> String { HTML.escape(t(key, values)) }

    /// A link to a page of the site in the current language.
    func link(_ path: String) -> String {
        path + (path.contains("?") ? "&" : "?") + "lang=\(language.rawValue)"
    }

    /// The whole document.
    func render(title: String, body: String, script: String? = nil, data: PageData? = nil) -> String {
        let other: WebLanguage = language == .fr ? .en : .fr
        let switchPath = path + (path.contains("?") ? "&" : "?") + "lang=\(other.rawValue)"
        var page = """
            <!doctype html>
            <html lang="\(language.rawValue)">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(HTML.escape(title)) — \(e("site.name"))</title>
            <link rel="stylesheet" href="/assets/pnyx.css">
            </head>
            <body>
            <a class="skip" href="#main">\(e("nav.skip"))</a>
            <header class="site">
            <p class="brand"><a href="\(link("/"))">\(e("site.name"))</a> <span>\(e("site.tagline"))</span></p>
            <nav aria-label="\(e("site.name"))">
            <ul>
            <li><a href="\(link("/"))">\(e("nav.polls"))</a></li>
            <li><a href="\(link("/receipt"))">\(e("nav.receipt"))</a></li>
            <li><a href="\(link("/me"))">\(e("nav.me"))</a></li>
            <li><a href="\(link("/propose"))">\(e("nav.propose"))</a></li>
            <li><a href="\(link("/audit"))">\(e("nav.audit"))</a></li>
            <li><a href="\(link("/admin"))">\(e("nav.admin"))</a></li>
            <li><a href="\(HTML.escape(switchPath))" hreflang="\(other.rawValue)" lang="\(other.rawValue)" id="language-switch">\(e("nav.language"))</a></li>
            </ul>
            </nav>
            </header>
            <main id="main" tabindex="-1">
            \(body)
            </main>
            <footer class="site"><p>\(e("footer.text"))</p></footer>

            """
        if let script {
            let pageData = data ?? PageData(lang: language.rawValue, strings: [:], errors: [:], brokerURL: brokerURL)
            page += """
                <script type="application/json" id="pnyx-page">\(HTML.scriptJSON(pageData))</script>
                <script type="module" src="/assets/\(script)"></script>

                """
        }
        page += "</body>\n</html>\n"
        return page
    }

    /// The page data with every string and error sentence of the language.
    func data(pollID: String? = nil, brokerKey: String? = nil, kind: String? = nil, questions: [PageData.QuestionData]? = nil) -> PageData {
        PageData(lang: language.rawValue, strings: language.strings, errors: language.errors, brokerURL: brokerURL,
                 pollID: pollID, brokerKey: brokerKey, kind: kind, questions: questions)
    }
}
