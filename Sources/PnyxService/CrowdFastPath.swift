import Foundation
import Hummingbird
import NIOCore
import NIOHTTPTypes
import PnyxCore
import PnyxHTTP
import PnyxTransparency

/// Answers the crowd's reads on the connection's event loop, before Hummingbird's router:
/// a `GET` of a poll's page data, counts, latest checkpoint or a tile whose prepared copy is
/// in ``ReadCache`` (and servable: not past ``ReadCache/maxStale``) is answered from it
/// directly, with the same bytes, `ETag`, `Cache-Control` and `304` as the routes; a due copy
/// starts its refresh exactly as the routes do, with the router's `Date` and `Server` headers.
/// Everything else (no copy yet, another path,
/// a query string, `Connection: close`, or a request arriving while an earlier one on the
/// connection is still being answered by the router, so answers keep their order) goes on
/// to the router unchanged. No blocking work: a dictionary lookup under a lock.
final class CrowdFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let service: PetitionService
    let counter: MetricsCounter?
    /// The `Server` header (the application's `serverName`), after `Date`, as on the router's answers.
    let serverName: String?
    /// The `Date` header, shared by the application's connections.
    let date: HTTPDateHeader
    /// Requests passed to the router and not fully answered yet.
    private var forwarded = 0
    /// The request being answered here (its body and end are dropped).
    private var answering = false

    init(service: PetitionService, metrics: MetricsRegistry?, serverName: String?, date: HTTPDateHeader) {
        self.service = service
        self.serverName = serverName
        self.date = date
        self.counter = metrics?.counter(
            "pnyx_http_fast_reads_total", help: "Public reads answered from memory before the router (not in pnyx_http_requests_total).")
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        switch part {
        case .head(let request):
            if forwarded == 0, request.method == .get,
               !(request.headerFields[.connection]?.lowercased().contains("close") ?? false),
               let (copy, policy) = lookup(request.path ?? "") {
                answering = true
                var headers: HTTPFields = [:]
                headers.reserveCapacity(7)
                headers[.eTag] = copy.etag
                headers[.cacheControl] = policy.headerValue
                let notModified = request.headerFields[.ifNoneMatch].map { Self.matches($0, copy.etag) } ?? false
                counter?.increment()
                if notModified {
                    headers[.contentLength] = "0"
                    addDateAndServer(&headers)
                    context.write(wrapOutboundOut(.head(HTTPResponse(status: .notModified, headerFields: headers))), promise: nil)
                } else {
                    headers[.contentType] = copy.contentType
                    headers[.contentLength] = String(copy.body.readableBytes)
                    addDateAndServer(&headers)
                    context.write(wrapOutboundOut(.head(HTTPResponse(status: .ok, headerFields: headers))), promise: nil)
                    context.write(wrapOutboundOut(.body(copy.body)), promise: nil)
                }
                context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                return
            }
            forwarded += 1
            context.fireChannelRead(data)
        case .body, .end:
            if answering {
                if case .end = part { answering = false }
                return
            }
            context.fireChannelRead(data)
        }
    }

    /// `Date` (RFC 9110 §6.6.1: an origin server with a clock sends it; caches in front use it
    /// to age the copy) and `Server`, last, as Hummingbird adds them to the router's answers.
    private func addDateAndServer(_ headers: inout HTTPFields) {
        headers[.date] = date.value
        if let serverName { headers[.server] = serverName }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), forwarded > 0 { forwarded -= 1 }
        context.write(data, promise: promise)
    }

    /// `If-None-Match` lists `etag` (or `*`), weak comparison.
    static func matches(_ header: String, _ etag: String) -> Bool {
        for part in header.split(separator: ",") {
            var candidate = part.trimmingCharacters(in: .whitespaces)
            if candidate == "*" { return true }
            if candidate.hasPrefix("W/") { candidate.removeFirst(2) }
            if candidate == etag { return true }
        }
        return false
    }

    /// The servable copy for `path` and its caching policy, if any.
    func lookup(_ path: String) -> (CachedRepresentation, CachePolicy)? {
        let prefix = "/v1/polls/"
        guard path.hasPrefix(prefix), !path.contains("?") else { return nil }
        let rest = path.utf8.dropFirst(prefix.utf8.count)
        guard rest.count >= 32, let id = try? PollID(hex: String(Substring(rest.prefix(32)))) else { return nil }
        let tail = String(Substring(rest.dropFirst(32)))
        let cache = service.readCache
        switch tail {
        case "":
            return cache.peek(.init(kind: .page, poll: id, detail: "")).map { ($0, service.crowdPolicy) }
        case "/tally":
            return cache.peek(.init(kind: .tally, poll: id, detail: "")).map { ($0, service.crowdPolicy) }
        case "/log/checkpoint":
            return cache.peek(.init(kind: .checkpoint, poll: id, detail: "")).map { ($0, .maxAge(seconds: 1)) }
        default:
            guard tail.hasPrefix("/log/tile/") else { return nil }
            let tilePath = String(tail.dropFirst("/log/".count))
            guard let tile = try? (tilePath.hasPrefix("tile/entries/") ? Tile(entriesPath: tilePath) : Tile(path: tilePath)) else {
                return nil
            }
            return cache.peek(.init(kind: .tile, poll: id, detail: tilePath)).map { ($0, tile.isPartial ? .maxAge(seconds: 60) : .immutable) }
        }
    }
}
