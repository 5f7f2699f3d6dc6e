public import Hummingbird
public import NIOCore
public import NIOHTTPTypes

/// Answers one route on the connection's event loop, before Hummingbird's router (whose
/// per-request machinery — async channel bridging, routing, per-request logger metadata — is a
/// large part of the CPU of a small request): the requests `Responder` recognises
/// (``FastRouteResponder/route(for:)``) are collected here up to its body limit (beyond:
/// its too-large answer, and the rest of the body is dropped), then answered by the responder
/// in a task and the answer — the router's status, headers and bytes — written back on the
/// event loop. Everything else goes to the router unchanged. Used by the service's citizens'
/// entries and the broker's credential issuance.
///
/// HTTP/1.1 order is kept: while an answer of this handler is pending, the parts of later
/// requests on the connection (pipelining) are held, and socket reads paused, then replayed
/// through the same logic once it is written; while a request passed to the router is not
/// answered yet, matching requests go to the router too. A connection closed before the answer
/// does not stop the responder's work (only the write is dropped). A graceful shutdown's quiesce
/// event is held until the pending answer is written, so in-flight requests are answered before
/// the connection closes, as on the router.
public final class FastRouteHandler<Responder: FastRouteResponder>: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// The route's responder, shared by every connection.
    public let responder: Responder
    /// Requests passed to the router and not fully answered yet.
    private var forwarded = 0
    /// Where the parts of the request being read go.
    private var reading = Reading.router
    /// The route and body of the request being collected.
    private var route: Responder.Route?
    private var body: ByteBuffer?
    private var started = ContinuousClock.now
    /// An answer of this handler is not written yet (its request may still be being read).
    private var answerPending = false
    /// Parts read while an answer was pending, in order.
    private var held = CircularBuffer<HTTPRequestPart>()
    /// A read asked for while parts were held.
    private var readHeld = false
    /// A quiesce event arrived while an answer was pending.
    private var quiesce = false

    private enum Reading {
        /// Parts go to the router (no request, or one forwarded).
        case router
        /// Parts are collected here.
        case collecting
        /// Parts are dropped (the rest of a body refused with 413).
        case dropping
    }

    /// A handler for one connection (create one per channel: it holds the connection's state).
    public init(responder: Responder) {
        self.responder = responder
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = unwrapInboundIn(data)
        if !held.isEmpty || (answerPending && reading != .collecting) {
            held.append(part)
            return
        }
        handle(part, context: context)
    }

    /// One part, in order.
    private func handle(_ part: HTTPRequestPart, context: ChannelHandlerContext) {
        switch part {
        case .head(let request):
            if forwarded == 0, let matched = responder.route(for: request) {
                route = matched
                body = nil
                started = .now
                reading = .collecting
                answerPending = true
                return
            }
            forwarded += 1
            reading = .router
            context.fireChannelRead(wrapInboundOut(part))
        case .body(let chunk):
            switch reading {
            case .router:
                context.fireChannelRead(wrapInboundOut(part))
            case .dropping:
                break
            case .collecting:
                if (body?.readableBytes ?? 0) + chunk.readableBytes > responder.bodyLimit {
                    body = nil
                    reading = .dropping
                    if let route, let answer = responder.tooLargeAtOnce(for: route, since: started) {
                        answerPending = false
                        write(answer, context: context)
                    } else {
                        respond(nil, context: context)
                    }
                } else if body == nil {
                    body = chunk
                } else {
                    body!.writeImmutableBuffer(chunk)
                }
            }
        case .end:
            switch reading {
            case .router:
                context.fireChannelRead(wrapInboundOut(part))
            case .dropping:
                reading = .router
            case .collecting:
                reading = .router
                let collected = body ?? ByteBuffer()
                body = nil
                respond(collected, context: context)
            }
        }
    }

    /// Asks the responder in a task (`collected` nil: the body was too large); the answer is
    /// written on the event loop.
    private func respond(_ collected: ByteBuffer?, context: ChannelHandlerContext) {
        guard let matched = route else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let responder = responder
        let start = started
        Task {
            let answer: FastAnswer
            if let collected {
                answer = await responder.answer(collected, for: matched, since: start)
            } else {
                answer = await responder.tooLarge(for: matched, since: start)
            }
            loop.execute {
                let (handler, context) = bound.value
                handler.answered(answer, context: context)
            }
        }
    }

    /// Writes the pending answer, then replays the parts held meanwhile (or, when the server
    /// is quiescing, lets the connection close once the answer is out).
    private func answered(_ answer: FastAnswer, context: ChannelHandlerContext) {
        answerPending = false
        guard context.channel.isActive else {
            held.removeAll()
            return
        }
        if quiesce {
            quiesce = false
            held.removeAll()
            let written = context.eventLoop.makePromise(of: Void.self)
            write(answer, context: context, promise: written)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            written.futureResult.whenComplete { _ in bound.value.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent()) }
            return
        }
        write(answer, context: context)
        var replayed = false
        while !held.isEmpty, !(answerPending && reading != .collecting) {
            handle(held.removeFirst(), context: context)
            replayed = true
        }
        if replayed { context.fireChannelReadComplete() }
        if readHeld, held.isEmpty {
            readHeld = false
            context.read()
        }
    }

    private func write(_ answer: FastAnswer, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        context.write(wrapOutboundOut(.head(answer.head)), promise: nil)
        context.write(wrapOutboundOut(.body(answer.body)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    public func read(context: ChannelHandlerContext) {
        if answerPending, reading != .collecting {
            readHeld = true  // the next request waits for the pending answer: no unbounded holding
            return
        }
        context.read()
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), forwarded > 0 { forwarded -= 1 }
        context.write(data, promise: promise)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, answerPending {
            quiesce = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
