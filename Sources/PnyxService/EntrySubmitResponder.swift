import Foundation
import Hummingbird
import Logging
import NIOCore
import PnyxCore
import PnyxHTTP

/// The answer ``EntrySubmitFastPath`` writes: a response head and its body.
struct FastAnswer: Sendable {
    var head: HTTPResponse
    var body: ByteBuffer
}

/// What ``EntrySubmitFastPath`` does with a collected `POST /v1/polls/{poll}/entries`, shared
/// by every connection of a server: the router's handler (`ServiceRoutes+Entries.swift`) and
/// its middleware, without the router. The body is decoded by `Request.decodeJSON(_:from:fast:)`
/// (the ``EntryBodyDecoder`` fast path, else the strict decoding), the entry submitted as a
/// citizen's, and the answer built with the router's bytes and headers: 201 with
/// ``ReceiptJSON`` and ``ReceiptJSON/headers``, or the error middleware's
/// `{"error":{"code","reason"}}` (``PnyxHTTP/APIError/from(_:mappers:)`` with the service's
/// mappers, 5xx logged), then `Content-Length`, `Date` and `Server` as Hummingbird adds them.
///
/// Counted as the router's metrics middleware counts that route:
/// `pnyx_http_requests_total{route="/v1/polls/{poll}/entries",method="POST",status}`,
/// `pnyx_http_request_duration_seconds` and `pnyx_http_requests_in_flight`, so dashboards see
/// the same series whichever path answered; `pnyx_http_fast_entries_total` counts the answers
/// given here.
final class EntrySubmitResponder: Sendable {
    /// The route pattern the router's metrics name this route by.
    static let route = "/v1/polls/{poll}/entries"

    let service: PetitionService
    /// The service's body limit (``ServiceConfiguration/bodyLimit``).
    let bodyLimit: Int
    /// The `Server` header (the application's `serverName`).
    let serverName: String?
    private let date = HTTPDateHeader()
    private let registry: MetricsRegistry
    private let inFlight: MetricsGauge
    private let histogram: MetricsHistogram
    private let answered: MetricsCounter
    private let counters = StatusCounters()

    init(service: PetitionService, serverName: String?) {
        self.service = service
        self.bodyLimit = service.configuration.bodyLimit
        self.serverName = serverName
        registry = service.metrics
        inFlight = registry.gauge("pnyx_http_requests_in_flight", help: "HTTP requests being handled.")
        histogram = registry.histogram(
            "pnyx_http_request_duration_seconds", help: "Time to handle an HTTP request, by route pattern and method.",
            labels: ["route": Self.route, "method": "POST"])
        answered = registry.counter(
            "pnyx_http_fast_entries_total",
            help: "Citizens' entries answered before the router (also counted in pnyx_http_requests_total).")
    }

    /// The answer to a complete request body for poll `id` (submitted as a citizen's entry).
    func answer(_ body: ByteBuffer, poll id: PollID, since start: ContinuousClock.Instant) async -> FastAnswer {
        inFlight.increment()
        defer { inFlight.decrement() }
        let answer: FastAnswer
        do {
            let entry = try Request.decodeJSON(Entry.self, from: body, fast: EntryBodyDecoder.decode)
            let receipt = try await service.submit(entry, to: id, by: .citizen)
            answer = make(.created, ReceiptJSON.headers, try ReceiptJSON.bytes(receipt))
        } catch {
            answer = errorAnswer(error, poll: id)
        }
        record(answer.head.status, since: start)
        return answer
    }

    /// The router's 413 for a body beyond ``bodyLimit`` (`request.too_large`).
    func tooLarge(since start: ContinuousClock.Instant) -> FastAnswer {
        let answer = errorAnswer(APIError.tooLarge(limit: bodyLimit), poll: nil)
        record(answer.head.status, since: start)
        return answer
    }

    /// The error middleware's answer to `error` (5xx logged with the error, never sent).
    private func errorAnswer(_ error: any Error, poll id: PollID?) -> FastAnswer {
        let api = APIError.from(error, mappers: [serviceErrorMapper])
        if api.status.code >= 500 {
            service.logger.error("request failed", metadata: [
                "path": "/v1/polls/\(id?.hex ?? "")/entries", "code": "\(api.code)", "error": "\(String(reflecting: error))",
            ])
        }
        return make(api.status, api.responseHeaders, api.bodyBytes)
    }

    /// `headers`, then `Content-Length`, `Date` and `Server`, in the order the router's
    /// responses carry them.
    private func make(_ status: HTTPResponse.Status, _ headers: HTTPFields, _ bytes: [UInt8]) -> FastAnswer {
        var fields = headers
        fields.reserveCapacity(fields.count + 3)
        fields[.contentLength] = String(bytes.count)
        fields[.date] = date.value
        if let serverName { fields[.server] = serverName }
        return FastAnswer(head: HTTPResponse(status: status, headerFields: fields), body: ByteBuffer(bytes: bytes))
    }

    private func record(_ status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        answered.increment()
        counters.counter(status.code) {
            registry.counter(
                "pnyx_http_requests_total", help: "HTTP requests answered, by route pattern, method and status.",
                labels: ["route": Self.route, "method": "POST", "status": String(status.code)])
        }.increment()
        histogram.observe(ContinuousClock.now - start)
    }

    /// The request counter of each status seen, so a request costs a lookup, not a label text.
    private final class StatusCounters: @unchecked Sendable {
        private let lock = NSLock()
        private var known: [Int: MetricsCounter] = [:]

        func counter(_ status: Int, make: () -> MetricsCounter) -> MetricsCounter {
            if let found = lock.withLock({ known[status] }) { return found }
            let made = make()
            lock.withLock { known[status] = made }
            return made
        }
    }
}
