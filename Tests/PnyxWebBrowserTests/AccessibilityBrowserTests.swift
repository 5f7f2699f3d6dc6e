import Foundation
import PnyxCore
import PnyxService
import PnyxWeb
import Testing

extension WebDriver {
    /// Emulates a screen through Chromium's DevTools: `width`×`height` CSS pixels at `scale`
    /// device pixels each (200 % zoom of a 1280-pixel window is 640 CSS pixels at scale 2).
    func emulate(width: Int, height: Int, scale: Double, mobile: Bool) async throws {
        let parameters: [String: Any] = ["width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile]
        let body: [String: Any] = ["cmd": "Emulation.setDeviceMetricsOverride", "params": parameters]
        try await command("POST", "goog/cdp/execute", body)
    }

    /// Presses and releases one key (WebDriver key codes: Tab is U+E004, Enter U+E007).
    func press(_ key: String) async throws {
        let strokes: [[String: String]] = [["type": "keyDown", "value": key], ["type": "keyUp", "value": key]]
        let source: [String: Any] = ["type": "key", "id": "keyboard", "actions": strokes]
        let body: [String: Any] = ["actions": [source]]
        try await command("POST", "actions", body)
    }

    /// Problems of the current page: sideways scrolling, form fields without a label, buttons
    /// and links without text, and images without a text alternative.
    func accessibilityProblems() async throws -> [String] {
        try await script("""
            const problems = [];
            if (document.documentElement.scrollWidth > window.innerWidth + 1)
              problems.push(`scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
            for (const e of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
              if (e.labels.length === 0 && !e.getAttribute('aria-label')) problems.push(`no label: #${e.id}`);
            }
            for (const e of document.querySelectorAll('button, a[href]')) {
              if (!e.hidden && e.offsetParent !== null && !e.textContent.trim() && !e.getAttribute('aria-label')) problems.push(`no text: ${e.outerHTML.slice(0, 80)}`);
            }
            for (const e of document.querySelectorAll('svg')) {
              if (!e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby') && !e.querySelector('title') && e.getAttribute('aria-hidden') !== 'true')
                problems.push('svg without a text alternative');
            }
            if (!document.documentElement.lang) problems.push('no lang');
            if (!document.querySelector('h1')) problems.push('no h1');
            return problems;
            """) as? [String] ?? ["the check did not run"]
    }
}

extension ChromiumSuites {
    @Suite("PnyxWeb: every page on a phone and at 200 % zoom, in a real headless Chromium", .serialized)
    struct AccessibilityBrowserTests {
        @Test func everyPageFitsAPhoneAndTwiceTheZoomWithLabelledControls() async throws {
            try await WebWorld.with { world in
                let polls = try await world.openPolls([world.petitionDraft(), world.consultationDraft()])
                let pages = ["/", "/p/\(polls[0].id.hex)", "/p/\(polls[1].id.hex)", "/p/\(polls[0].id.hex)/take-part",
                             "/p/\(polls[1].id.hex)/take-part", "/receipt", "/me", "/propose", "/audit", "/admin"]
                try await withBrowser { browser in
                    for (name, width, height, scale, mobile) in [("phone", 390, 844, 3.0, true), ("zoom200", 640, 500, 2.0, false)] {
                        try await browser.emulate(width: width, height: height, scale: scale, mobile: mobile)
                        for language in ["fr", "en"] {
                            for (index, path) in pages.enumerated() {
                                try await browser.go(world.serviceURL + path + "?lang=\(language)")
                                let problems = try await browser.accessibilityProblems()
                                #expect(problems.isEmpty, "\(name) \(language) \(path): \(problems)")
                                if language == "fr" { try await browser.screenshot("40-\(name)-\(index)") }
                            }
                        }
                    }

                    // The keyboard alone: the skip link comes first and leads to the content.
                    try await browser.emulate(width: 1280, height: 1000, scale: 1, mobile: false)
                    try await browser.go(world.serviceURL + "/?lang=en")
                    try await browser.press("\u{E004}")
                    #expect(try await browser.script("return document.activeElement.className;") as? String == "skip")
                    try await browser.press("\u{E007}")
                    #expect(try await browser.script("return location.hash;") as? String == "#main")
                }
            }
        }
    }
}
