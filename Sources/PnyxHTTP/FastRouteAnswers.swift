public import Hummingbird
import Foundation
import NIOCore

/// The answers and metrics of one route answered by a ``FastRouteHandler``, as the router
/// gives them: responses carry `Content-Length`, `Date` and `Server` after the route's own
/// headers, in the order Hummingbird adds them, and every answer is counted as
/// ``HTTPMetricsMiddleware`` counts the route — `pnyx_http_requests_total{route,method,status}`,
/// `pnyx_http_request_duration_seconds{route,method}` and `pnyx_http_requests_in_flight` — so
/// dashboards see the same series whichever path answered, plus a counter of the answers given
/// before the router.
public final class FastRouteAnswers: Sendable {
    /// The route pattern the router's metrics name the route by (e.g. `/v1/polls/{poll}/entries`).
    public let route: String
    /// The route's method.
    public let method: HTTPRequest.Method
    /// The `Server` header (the application's `serverName`).
    public let serverName: String?
    private let date = HTTPDateHeader()
    private let registry: MetricsRegistry
    private let inFlight: MetricsGauge
    private let histogram: MetricsHistogram
    private let answered: MetricsCounter
    private let counters = StatusCounters()

    /// - Parameters:
    ///   - fastCounter: the name and help of the counter of answers given before the router.
    public init(registry: MetricsRegistry, route: String, method: HTTPRequest.Method, serverName: String?,
                fastCounter: (name: String, help: String)) {
        self.registry = registry
        self.route = route
        self.method = method
        self.serverName = serverName
        inFlight = registry.gauge("pnyx_http_requests_in_flight", help: "HTTP requests being handled.")
        histogram = registry.histogram(
            "pnyx_http_request_duration_seconds", help: "Time to handle an HTTP request, by route pattern and method.",
            labels: ["route": route, "method": method.rawValue])
        answered = registry.counter(fastCounter.name, help: fastCounter.help)
    }

    /// Runs `body` counted in `pnyx_http_requests_in_flight`.
    public func inFlight<T>(_ body: () async -> T) async -> T {
        inFlight.increment()
        defer { inFlight.decrement() }
        return await body()
    }

    /// `headers`, then `Content-Length`, `Date` and `Server`, in the order the router's
    /// responses carry them.
    public func make(_ status: HTTPResponse.Status, _ headers: HTTPFields, _ bytes: [UInt8]) -> FastAnswer {
        var fields = headers
        fields.reserveCapacity(fields.count + 3)
        fields[.contentLength] = String(bytes.count)
        fields[.date] = date.value
        if let serverName { fields[.server] = serverName }
        return FastAnswer(head: HTTPResponse(status: status, headerFields: fields), body: ByteBuffer(bytes: bytes))
    }

    /// Counts an answer with `status` to a request that started at `start`.
    public func record(_ status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        answered.increment()
        counters.counter(status.code) {
            registry.counter(
                "pnyx_http_requests_total", help: "HTTP requests answered, by route pattern, method and status.",
                labels: ["route": route, "method": method.rawValue, "status": String(status.code)])
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

extension FastRouteAnswers {
    /// The path's 32-hex-digit segment when `request` is `method` on exactly
    /// `prefix` + 32 characters + `suffix` (no query string) and does not ask `Connection: close`;
    /// nil otherwise.
    public static func hexSegment(of request: HTTPRequest, method: HTTPRequest.Method, prefix: String, suffix: String) -> Substring? {
        guard request.method == method, let path = request.path else { return nil }
        let utf8 = path.utf8
        guard utf8.count == prefix.utf8.count + 32 + suffix.utf8.count, utf8.starts(with: prefix.utf8),
              utf8.reversed().starts(with: suffix.utf8.reversed())
        else { return nil }
        if let connection = request.headerFields[.connection], connection.lowercased().contains("close") { return nil }
        return Substring(path.utf8.dropFirst(prefix.utf8.count).prefix(32))
    }
}
