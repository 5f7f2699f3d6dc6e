import Foundation
import Hummingbird
import HummingbirdTesting
@testable import PnyxBroker
import PnyxHTTP
import Testing

/// A strict reader of the Prometheus text format 0.0.4 (what the tests expect a scraper to accept).
struct PrometheusText {
    struct Sample: Hashable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    var samples: [Sample] = []
    var types: [String: String] = [:]

    init(_ text: String) throws {
        struct Malformed: Error, CustomStringConvertible { var description: String }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                guard parts.count == 2, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[1]) else {
                    throw Malformed(description: "bad TYPE line: \(line)")
                }
                guard types[String(parts[0])] == nil else { throw Malformed(description: "TYPE repeated: \(line)") }
                types[String(parts[0])] = String(parts[1])
                continue
            }
            if line.hasPrefix("#") { continue }
            var chars = Array(line)
            var i = 0
            var name = ""
            while i < chars.count, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" || chars[i] == ":" {
                name.append(chars[i]); i += 1
            }
            guard !name.isEmpty, !name.first!.isNumber else { throw Malformed(description: "bad name: \(line)") }
            var labels: [String: String] = [:]
            if i < chars.count, chars[i] == "{" {
                i += 1
                while i < chars.count, chars[i] != "}" {
                    var label = ""
                    while i < chars.count, chars[i] != "=" { label.append(chars[i]); i += 1 }
                    guard i + 1 < chars.count, chars[i + 1] == "\"" else { throw Malformed(description: "bad label: \(line)") }
                    i += 2
                    var value = ""
                    while i < chars.count, chars[i] != "\"" {
                        if chars[i] == "\\", i + 1 < chars.count {
                            i += 1
                            value.append(chars[i] == "n" ? "\n" : chars[i])
                        } else {
                            value.append(chars[i])
                        }
                        i += 1
                    }
                    guard i < chars.count else { throw Malformed(description: "unterminated label value: \(line)") }
                    i += 1
                    labels[label] = value
                    if i < chars.count, chars[i] == "," { i += 1 }
                }
                guard i < chars.count else { throw Malformed(description: "unterminated labels: \(line)") }
                i += 1
            }
            guard i < chars.count, chars[i] == " " else { throw Malformed(description: "no value: \(line)") }
            chars.removeFirst(i + 1)
            let text = String(chars)
            let value: Double? = switch text {
            case "+Inf": .infinity
            case "-Inf": -.infinity
            default: Double(text)
            }
            guard let value else { throw Malformed(description: "bad value: \(line)") }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
    }

    /// The value of the one sample named `name` whose labels include `labels`; nil if none.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples.filter { s in s.name == name && labels.allSatisfy { s.labels[$0.key] == $0.value } }
        return matching.count == 1 ? matching[0].value : nil
    }
}

@Suite("Prometheus /metrics")
struct MetricsTests {
    @Test func registryRendersTheTextFormat() throws {
        let registry = MetricsRegistry()
        registry.counter("a_total", help: "A \\ count\nwith two lines.", labels: ["path": "x\"y\\z\nw"]).increment(by: 3)
        registry.counter("a_total", help: "ignored", labels: ["path": "x\"y\\z\nw"]).increment()
        let gauge = registry.gauge("g", help: "G.")
        gauge.set(2.5)
        gauge.decrement()
        let histogram = registry.histogram("h_seconds", help: "H.", buckets: [0.1, 1])
        for value in [0.05, 0.1, 0.5, 3] { histogram.observe(value) }
        let text = registry.render()
        #expect(text.contains("# HELP a_total A \\\\ count\\nwith two lines.\n"))
        let parsed = try PrometheusText(text)
        #expect(parsed.types == ["a_total": "counter", "g": "gauge", "h_seconds": "histogram"])
        #expect(parsed.value("a_total", ["path": "x\"y\\z\nw"]) == 4)
        #expect(parsed.value("g") == 1.5)
        #expect(parsed.value("h_seconds_bucket", ["le": "0.1"]) == 2)
        #expect(parsed.value("h_seconds_bucket", ["le": "1"]) == 3)
        #expect(parsed.value("h_seconds_bucket", ["le": "+Inf"]) == 4)
        #expect(parsed.value("h_seconds_count") == 4)
        #expect(parsed.value("h_seconds_sum") == 3.65)
        // The reader itself refuses what a scraper refuses.
        #expect(throws: (any Error).self) { try PrometheusText("a_total{path=\"x} 1\n") }
        #expect(throws: (any Error).self) { try PrometheusText("a_total one\n") }
    }

    @Test func brokerCountsRequestsAndDomainEvents() async throws {
        let h = try await BrokerHarness.make(lockoutAttempts: 2)
        defer { Task { await h.broker.shutdown() } }
        try await h.importPeople([("R1", "C1-1", 30)])
        let app = buildBrokerApplication(broker: h.broker)
        try await app.test(.router) { client in
            struct Login: Encodable { var residentID: String; var passphrase: String }
            _ = try await h.enrolAndLogin("R1", passphrase: "right passphrase")
            for _ in 0..<2 {
                let wrong = try await client.json(.post, "/v1/login", body: Login(residentID: "R1", passphrase: "wrong passphrase"))
                #expect(wrong.errorCode == "auth.invalid_credentials")
            }
            let locked = try await client.json(.post, "/v1/login", body: Login(residentID: "R1", passphrase: "right passphrase"))
            #expect(locked.errorCode == "auth.locked_out")
            #expect(try await client.get("/healthz").status == .ok)
            #expect(try await client.get("/nowhere/\(UUID())").status == .notFound)

            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let metrics = try PrometheusText(String(buffer: response.body))
            #expect(metrics.types["pnyx_http_requests_total"] == "counter")
            #expect(metrics.types["pnyx_http_request_duration_seconds"] == "histogram")
            #expect(metrics.value("pnyx_http_requests_total", ["route": "/v1/login", "method": "POST", "status": "401"]) == 2)
            #expect(metrics.value("pnyx_http_requests_total", ["route": "/v1/login", "method": "POST", "status": "429"]) == 1)
            #expect(metrics.value("pnyx_http_requests_total", ["route": "/healthz", "method": "GET", "status": "200"]) == 1)
            // Unknown paths share one series.
            #expect(metrics.value("pnyx_http_requests_total", ["route": "NotFound", "status": "404"]) == 1)
            #expect(metrics.value("pnyx_http_request_duration_seconds_count", ["route": "/v1/login", "method": "POST"]) == 3)
            // The library login in enrolAndLogin counts too: one success, two failures, one lockout.
            #expect(metrics.value("pnyx_broker_logins_total", ["outcome": "ok"]) == 1)
            #expect(metrics.value("pnyx_broker_logins_total", ["outcome": "invalid_credentials"]) == 2)
            #expect(metrics.value("pnyx_broker_logins_total", ["outcome": "locked_out"]) == 1)
            #expect(metrics.value("pnyx_broker_lockouts_total") == 1)
            #expect(metrics.value("pnyx_broker_enrolments_total") == 1)
            #expect(metrics.value("pnyx_broker_register_imports_total") == 1)
            #expect(metrics.value("pnyx_broker_credentials_issued_total") == 0)
        }
        // Two brokers in one process keep separate counts.
        let other = try await BrokerHarness.make()
        defer { Task { await other.broker.shutdown() } }
        #expect(other.broker.metrics.registry.render().contains("pnyx_broker_lockouts_total 0\n"))
    }
}
