import Hummingbird
import NIOCore
import NIOHTTPTypes
import PnyxCore

/// Answers the citizens' `POST /v1/polls/{poll}/entries` (exactly that path, `{poll}` 32 hex
/// digits, no query string, no `Connection: close`) on the connection's event loop, before
/// Hummingbird's router: the body is collected here up to the service's body limit (beyond:
/// the router's 413 `request.too_large`, at once, and the rest of the body is dropped), then
/// ``EntrySubmitResponder`` decodes and submits it in a task and the answer — the router's
/// status, headers and bytes — is written back on the event loop. The official's route and
/// everything else go to the router unchanged.
///
/// HTTP/1.1 order is kept: while an answer of this handler is pending, the parts of later
/// requests on the connection (pipelining) are held, and socket reads paused, then replayed
/// through the same logic once it is written; while a request passed to the router is not
/// answered yet, entries go to the router too. A connection closed before the answer does not
/// stop the submission (the entry is committed or refused as it would be; only the write is
/// dropped). A graceful shutdown's quiesce event is held until the pending answer is written,
/// so in-flight submissions are answered before the connection closes, as on the router.
///
/// It must come after ``CrowdFastPath`` in the pipeline: its answers then pass through the
/// crowd handler, which counts them as answers to the requests it forwarded.
final class EntrySubmitFastPath: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    let responder: EntrySubmitResponder
    /// Requests passed to the router and not fully answered yet.
    private var forwarded = 0
    /// Where the parts of the request being read go.
    private var reading = Reading.router
    /// The poll and body of the entry being collected.
    private var poll: PollID?
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

    init(responder: EntrySubmitResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
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
            if forwarded == 0, let id = Self.entryPoll(request) {
                poll = id
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
                    answerPending = false
                    write(responder.tooLarge(since: started), context: context)
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
                submit(context: context)
            }
        }
    }

    /// Submits the collected entry in a task; the answer is written on the event loop.
    private func submit(context: ChannelHandlerContext) {
        let collected = body ?? ByteBuffer()
        body = nil
        guard let id = poll else { return }
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: loop)
        let responder = responder
        let start = started
        Task {
            let answer = await responder.answer(collected, poll: id, since: start)
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

    func read(context: ChannelHandlerContext) {
        if answerPending, reading != .collecting {
            readHeld = true  // the next request waits for the pending answer: no unbounded holding
            return
        }
        context.read()
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), forwarded > 0 { forwarded -= 1 }
        context.write(data, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent, answerPending {
            quiesce = true
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    /// The poll of `POST /v1/polls/{32 hex}/entries` without `Connection: close`; nil for
    /// any other request (the router answers it).
    static func entryPoll(_ request: HTTPRequest) -> PollID? {
        guard request.method == .post, let path = request.path else { return nil }
        let utf8 = path.utf8
        let prefix = "/v1/polls/".utf8
        let suffix = "/entries".utf8
        guard utf8.count == prefix.count + 32 + suffix.count, utf8.starts(with: prefix), utf8.reversed().starts(with: suffix.reversed())
        else { return nil }
        if let connection = request.headerFields[.connection], connection.lowercased().contains("close") { return nil }
        let hex = path.utf8.dropFirst(prefix.count).prefix(32)
        return try? PollID(hex: String(Substring(hex)))
    }
}
