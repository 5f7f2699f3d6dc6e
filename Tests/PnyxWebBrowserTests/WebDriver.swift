#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A minimal W3C WebDriver client for chromedriver on loopback: one headless Chromium session.
final class WebDriver: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    static let chromium = ["/usr/bin/chromium", "/usr/lib/chromium/chromium"]
    static let chromedriver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]

    /// The first existing path, or a failure that says how to install it.
    static func binary(_ candidates: [String], package: String) throws -> String {
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) { return found }
        throw Failure(description: "\(candidates[0]) is missing: the browser tests need Debian's \(package) (`make test` installs it: apt-get install chromium chromium-driver)")
    }

    let process: Process
    let port: Int
    let sessionID: String

    /// The package's `.artifacts/` folder (gitignored): screenshots and chromedriver logs.
    static let artifacts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".artifacts")

    /// Starts chromedriver on a free loopback port and opens a headless Chromium session.
    init() async throws {
        let chromium = try Self.binary(Self.chromium, package: "chromium")
        let driver = try Self.binary(Self.chromedriver, package: "chromium-driver")
        try FileManager.default.createDirectory(at: Self.artifacts, withIntermediateDirectories: true)
        var lastError: (any Error)? = nil
        for _ in 0..<3 {
            let port = try LoopbackHTTP.freePort()
            let process = Process()
            process.executableURL = URL(fileURLWithPath: driver)
            process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1",
                                 "--log-path=\(Self.artifacts.appendingPathComponent("chromedriver-\(port).log").path)"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            var ready = false
            for _ in 0..<100 {
                try await Task.sleep(for: .milliseconds(100))
                do {
                    let (_, data) = try await Self.http(port, "GET", "/status", nil, timeout: 5)
                    if String(decoding: data, as: UTF8.self).replacingOccurrences(of: " ", with: "").contains("\"ready\":true") {
                        ready = true
                        break
                    }
                } catch {
                    lastError = error
                }
                if !process.isRunning { break }
            }
            guard ready else {
                await Self.stop(process)
                lastError = Failure(description: "chromedriver did not start on port \(port): \(String(describing: lastError))")
                continue
            }
            let capabilities: [String: Any] = [
                "capabilities": ["alwaysMatch": [
                    "browserName": "chrome",
                    "timeouts": ["script": 60_000, "pageLoad": 60_000, "implicit": 0],
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                 "--window-size=1280,1000", "--lang=en-GB", "--no-first-run", "--disable-extensions",
                                 "--disable-background-networking", "--disable-component-update", "--no-default-browser-check"],
                    ],
                ]],
            ]
            do {
                let answer = try await Self.call(port, "POST", "session", capabilities, timeout: 90)
                guard let value = answer as? [String: Any], let id = value["sessionId"] as? String else {
                    throw Failure(description: "no session id in \(String(describing: answer))")
                }
                self.process = process
                self.port = port
                self.sessionID = id
                return
            } catch {
                await Self.stop(process)
                lastError = error
            }
        }
        throw lastError ?? Failure(description: "chromedriver did not start")
    }

    /// Ends the session (Chromium exits) and stops chromedriver and anything it left running.
    func quit() async {
        _ = try? await Self.call(port, "DELETE", "session/\(sessionID)", nil, timeout: 20)
        await Self.stop(process)
    }

    /// Stops chromedriver by its process id, then any of its descendants (Chromium) still alive.
    static func stop(_ process: Process) async {
        let pid = process.processIdentifier
        let descendants = Self.descendants(of: pid)
        if process.isRunning { process.terminate() }
        for _ in 0..<50 where process.isRunning { try? await Task.sleep(for: .milliseconds(100)) }
        if process.isRunning { kill(pid, SIGKILL) }
        for child in descendants { kill(child, SIGKILL) }
    }

    /// The process ids descending from `pid` (read from /proc).
    static func descendants(of pid: Int32) -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        var parents: [Int32: Int32] = [:]
        for name in names {
            guard let id = Int32(name), let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            if fields.count > 1, let parent = Int32(fields[1]) { parents[id] = parent }
        }
        var out: [Int32] = []
        var frontier = [pid]
        while let next = frontier.popLast() {
            for (child, parent) in parents where parent == next {
                out.append(child)
                frontier.append(child)
            }
        }
        return out
    }

    /// One HTTP exchange with chromedriver (loopback; never longer than `timeout` seconds of silence).
    static func http(_ port: Int, _ method: String, _ path: String, _ body: Data?, timeout: Int = 120) async throws -> (Int, Data) {
        let (status, bytes) = try await LoopbackHTTP.exchange(port: port, method: method, path: path, body: body.map { Array($0) }, timeout: timeout)
        return (status, Data(bytes))
    }

    static func call(_ port: Int, _ method: String, _ path: String, _ body: Any?, timeout: Int = 120) async throws -> Any? {
        var data: Data? = nil
        if let body { data = try JSONSerialization.data(withJSONObject: body) }
        else if method == "POST" { data = Data("{}".utf8) }
        let (status, answer) = try await http(port, method, "/" + path, data, timeout: timeout)
        let json = try? JSONSerialization.jsonObject(with: answer, options: [.fragmentsAllowed]) as? [String: Any]
        if status != 200 {
            let value = json?["value"] as? [String: Any]
            throw Failure(description: "WebDriver \(method) \(path): \(status) \(value?["error"] ?? "") \(value?["message"] ?? String(decoding: answer, as: UTF8.self))")
        }
        return json?["value"]
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: Any? = nil) async throws -> Any? {
        try await Self.call(port, method, "session/\(sessionID)" + (path.isEmpty ? "" : "/" + path), body)
    }

    func go(_ url: String) async throws { try await command("POST", "url", ["url": url]) }

    /// The element matching a CSS selector (waits up to `timeout` seconds).
    func element(_ css: String, timeout: Double = 10) async throws -> String {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            do {
                let value = try await command("POST", "element", ["using": "css selector", "value": css]) as? [String: Any]
                if let id = value?.values.first as? String { return id }
            } catch where Date() < deadline {
                try await Task.sleep(for: .milliseconds(100))
                continue
            }
            throw Failure(description: "no element \(css)")
        }
    }

    func type(_ css: String, _ text: String) async throws {
        let id = try await element(css)
        try await command("POST", "element/\(id)/clear")
        try await command("POST", "element/\(id)/value", ["text": text])
    }

    func click(_ css: String) async throws {
        let id = try await element(css)
        try await command("POST", "element/\(id)/click")
    }

    func text(_ css: String) async throws -> String {
        let id = try await element(css)
        return (try await command("GET", "element/\(id)/text") as? String) ?? ""
    }

    /// Runs a synchronous script; answers its return value.
    func script(_ source: String, _ arguments: [Any] = []) async throws -> Any? {
        try await command("POST", "execute/sync", ["script": source, "args": arguments])
    }

    /// Runs a script that returns a promise (wrapped for WebDriver's async execution).
    func asyncScript(_ body: String, _ arguments: [Any] = []) async throws -> Any? {
        let source = """
            const done = arguments[arguments.length - 1];
            const args = Array.prototype.slice.call(arguments, 0, arguments.length - 1);
            (async () => { \(body) })().then((v) => done({ ok: v }), (e) => done({ error: String(e && e.stack || e) }));
            """
        let answer = try await command("POST", "execute/async", ["script": source, "args": arguments]) as? [String: Any]
        if let error = answer?["error"] { throw Failure(description: "script failed: \(error)") }
        return answer?["ok"]
    }

    /// Waits until `predicate` (a JS expression) is truthy.
    func wait(until predicate: String, timeout: Double = 30, what: String) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let value = try await script("return !!(\(predicate));") as? Bool, value { return }
            try await Task.sleep(for: .milliseconds(150))
        }
        let status = (try? await script("const s = document.getElementById('status'); return s ? s.textContent : '';")) as? String ?? ""
        throw Failure(description: "timed out waiting for \(what); status: \(status)")
    }

    /// Saves a PNG screenshot to `.artifacts/screenshots/<name>.png` (relative to the package).
    func screenshot(_ name: String) async throws {
        guard let base64 = try await command("GET", "screenshot") as? String, let data = Data(base64Encoded: base64) else {
            throw Failure(description: "no screenshot")
        }
        let directory = Self.artifacts.appendingPathComponent("screenshots")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try data.write(to: directory.appendingPathComponent(name + ".png"))
    }

    /// Sets the window size (phone-sized screens).
    func resize(width: Int, height: Int) async throws {
        try await command("POST", "window/rect", ["width": width, "height": height])
    }
}
