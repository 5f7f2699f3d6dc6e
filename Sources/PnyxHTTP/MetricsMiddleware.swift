public import Hummingbird
import Foundation

/// Counts every request and its latency in a ``MetricsRegistry``:
///
/// - `pnyx_http_requests_total{route,method,status}` (counter);
/// - `pnyx_http_request_duration_seconds{route,method}` (histogram, until the handler returns);
/// - `pnyx_http_requests_in_flight` (gauge).
///
/// `route` is the matched route pattern (e.g. `/v1/polls/{poll}/credential`), or `NotFound`,
/// so that paths chosen by clients never create new series. Add it first (outermost), so that
/// it sees the status the error middleware answers with.
public struct HTTPMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let registry: MetricsRegistry
    let inFlight: MetricsGauge
    /// The series already looked up, so a request costs a dictionary lookup, not a label text.
    let known = KnownRouteSeries()

    public init(registry: MetricsRegistry) {
        self.registry = registry
        self.inFlight = registry.gauge("pnyx_http_requests_in_flight", help: "HTTP requests being handled.")
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        inFlight.increment()
        defer { inFlight.decrement() }
        do {
            let response = try await next(request, context)
            record(request, context: context, status: response.status, since: start)
            return response
        } catch {
            // Normally the error middleware inside has answered already; if not, its mapping.
            let status = (error as? any HTTPResponseError)?.status ?? APIError.from(error).status
            record(request, context: context, status: status, since: start)
            throw error
        }
    }

    func record(_ request: Request, context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        let route = context.endpointPath ?? "NotFound"
        let method = request.method.rawValue
        let key = KnownRouteSeries.Key(route: route, method: method, status: status.code)
        let (counter, histogram) = known.series(key) {
            (registry.counter(
                "pnyx_http_requests_total", help: "HTTP requests answered, by route pattern, method and status.",
                labels: ["route": route, "method": method, "status": String(status.code)]),
             registry.histogram(
                "pnyx_http_request_duration_seconds", help: "Time to handle an HTTP request, by route pattern and method.",
                labels: ["route": route, "method": method]))
        }
        counter.increment()
        histogram.observe(ContinuousClock.now - start)
    }
}

/// The request counter and duration histogram of each (route, method, status) seen.
final class KnownRouteSeries: @unchecked Sendable {
    struct Key: Hashable {
        let route: String
        let method: String
        let status: Int
    }

    private let lock = NSLock()
    private var known: [Key: (MetricsCounter, MetricsHistogram)] = [:]

    func series(_ key: Key, make: () -> (MetricsCounter, MetricsHistogram)) -> (MetricsCounter, MetricsHistogram) {
        if let found = lock.withLock({ known[key] }) { return found }
        let made = make()
        lock.withLock { known[key] = made }
        return made
    }
}

extension Router {
    /// `GET /metrics`: every metric of `registry` in the Prometheus text format 0.0.4. No
    /// authentication (it holds counts, never identities or tokens): expose it only where
    /// the scraper can reach it, or filter it at the reverse proxy.
    public func addMetricsRoute(registry: MetricsRegistry) {
        get("metrics") { _, _ -> Response in
            var headers: HTTPFields = [:]
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: registry.render())))
        }
    }

    /// ``HTTPMetricsMiddleware`` over `registry` and `GET /metrics`, in one call. Call it before
    /// adding the other middleware.
    public func addMetrics(registry: MetricsRegistry) {
        add(middleware: HTTPMetricsMiddleware(registry: registry))
        addMetricsRoute(registry: registry)
    }
}
