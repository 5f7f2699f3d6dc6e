import Foundation
import Hummingbird
import HummingbirdTesting
import PnyxCore
import PnyxService
@testable import PnyxWeb
import Testing

@Suite("PnyxWeb: languages, strings, assets")
struct WebStringTests {
    @Test func languageFromQueryAndAcceptLanguage() {
        #expect(WebLanguage(acceptLanguage: "fr-FR,fr;q=0.9,en;q=0.5") == .fr)
        #expect(WebLanguage(acceptLanguage: "de-DE, en;q=0.3, fr;q=0.7") == .fr)
        #expect(WebLanguage(acceptLanguage: "de") == .en)
        #expect(WebLanguage(acceptLanguage: "") == .en)
    }

    @Test func bothLanguagesHaveTheSameKeys() {
        #expect(Set(WebStrings.english.keys) == Set(WebStrings.french.keys))
        #expect(Set(WebErrorMessages.english.keys) == Set(WebErrorMessages.french.keys))
    }

    @Test func everyKeyUsedByTheScriptsExists() throws {
        for name in ["takepart.js", "receipt.js", "me.js", "pnyx.js", "admin.js", "audit.js", "propose.js"] {
            let source = String(decoding: try #require(WebAssets.bytes(name)), as: UTF8.self)
            let regex = try Regex(#"\bt\("([a-z_.0-9]+)""#)
            for match in source.matches(of: regex) {
                let key = String(source[match.range]).drop { $0 != "\"" }.dropFirst().dropLast()
                #expect(WebStrings.english[String(key)] != nil, "\(name) uses a missing key \(key)")
            }
        }
    }

    @Test func assetsAreBundled() {
        for name in ["pnyx.css", "pnyx.js", "encoding.js", "blindrsa.js", "merkle.js", "note.js", "takepart.js", "receipt.js", "me.js",
                     "admin.js", "audit.js", "propose.js"] {
            #expect(WebAssets.bytes(name) != nil, "missing asset \(name)")
        }
    }

    /// Every stable error code declared in the modules behind the two HTTP APIs
    /// (`Code(rawValue: "…")`, `code: "…"`) has a sentence in both languages, of its own or of
    /// its family (`db.*`). Client-side tools (PnyxClient, the executables) are not scanned.
    @Test func everyErrorCodeHasASentence() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let regex = try Regex(#"(?:rawValue|code): "([a-z_]+\.[a-z_.]+)""#)
        var codes: Set<String> = []
        for folder in ["Sources/PnyxHTTP", "Sources/PnyxService", "Sources/PnyxBroker", "Sources/PnyxCore",
                       "Sources/PnyxLogStore", "Sources/PnyxPostgres", "Crypto"] {
            let enumerator = FileManager.default.enumerator(atPath: root.appendingPathComponent(folder).path)
            while let path = enumerator?.nextObject() as? String {
                guard path.hasSuffix(".swift") else { continue }
                let text = (try? String(contentsOf: root.appendingPathComponent(folder).appendingPathComponent(path), encoding: .utf8)) ?? ""
                for match in text.matches(of: regex) {
                    if let code = match.output[1].substring { codes.insert(String(code)) }
                }
            }
        }
        #expect(codes.count > 50, "the scan found only \(codes.count) codes")
        for table in [WebErrorMessages.english, WebErrorMessages.french] {
            for code in codes.sorted() {
                let family = String(code.prefix { $0 != "." }) + ".*"
                #expect(table[code] != nil || table[family] != nil, "no sentence for \(code)")
            }
        }
    }

    @Test func escaping() {
        #expect(HTML.escape("<a href=\"x\">&'") == "&lt;a href=&quot;x&quot;&gt;&amp;&#39;")
        #expect(!HTML.scriptJSON(["k": "</script>"]).contains("</script>"))
    }
}

@Suite("PnyxWeb: server-rendered pages (real broker and service)", .serialized)
struct WebPageTests {
    @Test func pagesRenderInBothLanguages() async throws {
        try await WebWorld.with { world in
            let polls = try await world.openPolls([world.petitionDraft(), world.consultationDraft()])
            let petition = polls[0], consultation = polls[1]

            let (status, list) = try await world.get("/?lang=en")
            #expect(status == .ok)
            #expect(list.contains("Plus d&#39;arbres dans la commune"))
            #expect(list.contains("Budget participatif"))
            #expect(list.contains("<html lang=\"en\">"))
            #expect(list.contains("<label for=\"filter-kind\">"))

            let (_, petitionsOnly) = try await world.get("/?kind=petition")
            #expect(petitionsOnly.contains("/p/\(petition.id.hex)"))
            #expect(!petitionsOnly.contains("/p/\(consultation.id.hex)"))
            let (_, closedOnly) = try await world.get("/?status=closed")
            #expect(!closedOnly.contains("/p/\(petition.id.hex)"))

            let (_, french) = try await world.get("/", headers: [.acceptLanguage: "fr-FR,fr;q=0.9"])
            #expect(french.contains("<html lang=\"fr\">"))
            #expect(french.contains("Pétitions et consultations"))

            let (pollStatus, page) = try await world.get("/p/\(petition.id.hex)?lang=fr")
            #expect(pollStatus == .ok)
            #expect(page.contains("Progression vers chaque seuil"))
            #expect(page.contains("<progress id=\"threshold-0\""))
            #expect(page.contains("/p/\(petition.id.hex)/take-part?lang=fr"))

            let (_, consultationPage) = try await world.get("/p/\(consultation.id.hex)/take-part")
            #expect(consultationPage.contains("type=\"radio\" name=\"q1\""))
            #expect(consultationPage.contains("type=\"checkbox\" name=\"q2\""))
            #expect(consultationPage.contains("id=\"pnyx-page\""))
            #expect(consultationPage.contains(world.brokerURL))

            let (receiptStatus, receipt) = try await world.get("/receipt?lang=en")
            #expect(receiptStatus == .ok && receipt.contains("receipt.js"))
            let (meStatus, me) = try await world.get("/me?lang=fr")
            #expect(meStatus == .ok && me.contains("Un identifiant a-t-il été délivré à mon nom ?"))

            let (missing, _) = try await world.get("/p/00000000000000000000000000000000")
            #expect(missing == .notFound)
            let (bad, _) = try await world.get("/p/nothex")
            #expect(bad == .notFound)
            let (asset, js) = try await world.get("/assets/blindrsa.js")
            #expect(asset == .ok && js.contains("emsaPssEncode"))
            let (noAsset, _) = try await world.get("/assets/..%2FPackage.swift")
            #expect(noAsset == .notFound)

            // Administration, audit and proposal pages: labelled forms, both languages.
            let (adminStatus, admin) = try await world.get("/admin?lang=en")
            #expect(adminStatus == .ok && admin.contains("admin.js"))
            #expect(admin.contains("<label for=\"admin-token\">Service administration token</label>"))
            #expect(!admin.contains(WebWorld.adminToken))
            let (_, adminFR) = try await world.get("/admin?lang=fr")
            #expect(adminFR.contains("File de modération"))
            let (auditStatus, audit) = try await world.get("/audit?lang=en")
            #expect(auditStatus == .ok)
            #expect(audit.contains("data-poll=\"\(petition.id.hex)\""))
            #expect(audit.contains("/v1/polls/\(petition.id.hex)/log/log.json"))
            #expect(audit.contains("pnyx-audit verify --service http://"))
            let (proposeStatus, propose) = try await world.get("/propose?lang=fr")
            #expect(proposeStatus == .ok && propose.contains("<label for=\"propose-title\">"))

            // The administration's poll list needs an admin token and shows drafts.
            let draft = try await world.service.createPoll(world.petitionDraft())
            let (noToken, refusal) = try await world.get("/admin/polls.json")
            #expect(noToken == .unauthorized && refusal.contains("\"auth.required\""))
            let (wrongToken, _) = try await world.get("/admin/polls.json", headers: [.authorization: "Bearer nope"])
            #expect(wrongToken == .unauthorized)
            let (listed, rows) = try await world.get("/admin/polls.json", headers: [.authorization: "Bearer \(WebWorld.adminToken)"])
            #expect(listed == .ok)
            #expect(rows.contains("\"pollID\":\"\(draft.id.hex)\"") && rows.contains("\"status\":\"draft\""))
        }
    }
}
