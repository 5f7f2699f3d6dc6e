import Foundation
import NIOCore
import NIOPosix

/// A small HTTP/1.1 load generator on SwiftNIO for the benchmarks: `connections` keep-alive
/// connections to one server, each with at most one request outstanding (no pipelining).
///
/// Requests are encoded to their wire bytes before the clock starts
/// (``request(_:_:headers:body:host:)``) and written as one shared buffer; responses are parsed
/// minimally (status code, `Content-Length`, body skipped unread: no header objects), so the
/// generator, which shares the cores with the server, spends little CPU per request. It
/// understands what the Pnyx services send: `Content-Length` bodies (a `chunked` response is
/// an error). Two modes:
///
/// - **closed loop** (``Mode/closedLoop``): every connection sends its next request as soon as
///   the previous response ended; the result's rate is the server's peak. Latency is measured
///   from the send.
/// - **open loop** (``Mode/openLoop(perSecond:)``): request `i` is due at `start + i / rate`,
///   whether or not the server kept up; latency is measured from the due time (no coordinated
///   omission: a request waiting behind a slow one counts its wait).
///
/// Request `i` goes to connection `i % connections`. With `repeating`, the request list is
/// cycled until `duration` ends; otherwise every request is sent once (or until `duration`).
/// A response with a status outside 200–399 counts as an error; its latency is still recorded.
final class HTTPLoadGenerator: Sendable {
    enum Mode: Sendable {
        case closedLoop
        case openLoop(perSecond: Double)
    }

    struct Configuration: Sendable {
        var host = "127.0.0.1"
        var port: Int
        var connections = 16
        var mode = Mode.closedLoop
        /// The longest the run may take; with `repeating`, how long it runs.
        var duration: TimeAmount = .seconds(10)
        /// Cycle through the requests until `duration` ends.
        var repeating = false
        /// Event loop threads for the generator's connections.
        var threads = 1
    }

    /// What a run measured.
    struct Result: Sendable {
        /// Responses received (any status).
        let completed: Int
        /// Responses with a status outside 200–399, plus requests lost to connection errors.
        let errors: Int
        /// How many responses had each status.
        let statuses: [Int: Int]
        /// Wall-clock seconds from the first due request to the last response.
        let seconds: Double
        /// Every response's latency in milliseconds, sorted.
        let latenciesMs: [Double]
        /// Responses received for each request of the list (index in the list given to ``run(_:)``).
        let perRequest: [Int]
        /// The first connection error, if any (for the report).
        let firstError: String?

        /// Completed responses per second.
        var perSecond: Double { seconds > 0 ? Double(completed) / seconds : 0 }
        /// Successful (2xx/3xx) responses per second.
        var successesPerSecond: Double { seconds > 0 ? Double(completed - errors) / seconds : 0 }
        var p50Ms: Double { percentileMs(0.50) }
        var p99Ms: Double { percentileMs(0.99) }

        /// The latency at quantile `q` (0…1), nearest rank.
        func percentileMs(_ q: Double) -> Double {
            guard !latenciesMs.isEmpty else { return 0 }
            let rank = Int((q * Double(latenciesMs.count)).rounded(.up)) - 1
            return latenciesMs[min(max(rank, 0), latenciesMs.count - 1)]
        }

        var summary: String {
            String(
                format: "%d responses in %.2f s (%.0f/s), %d errors, p50 %.2f ms, p99 %.2f ms",
                completed, seconds, perSecond, errors, p50Ms, p99Ms) + (firstError.map { " (first error: \($0))" } ?? "")
        }
    }

    let configuration: Configuration

    init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// One request, encoded before the clock starts: its HTTP/1.1 wire bytes.
    struct Request: Sendable {
        let bytes: ByteBuffer
    }

    /// An HTTP/1.1 request (keep-alive, `Content-Length` when a body is given).
    static func request(
        _ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
        host: String = "127.0.0.1"
    ) -> Request {
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { text += "\(name): \(value)\r\n" }
        if let body { text += "Content-Length: \(body.count)\r\n" }
        text += "\r\n"
        var buffer = ByteBuffer(string: text)
        if let body { buffer.writeBytes(body) }
        return Request(bytes: buffer)
    }

    /// A JSON `POST` of `body`.
    static func postJSON(_ path: String, _ body: [UInt8], headers: [(String, String)] = []) -> Request {
        request("POST", path, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    /// Sends `requests` as configured and waits for every answer (or the end of `duration`).
    func run(_ requests: [Request]) async throws -> Result {
        precondition(!requests.isEmpty, "no requests to send")
        let config = configuration
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, config.threads))
        do {
            let result = try await run(requests, on: group)
            try? await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func run(_ requests: [Request], on group: MultiThreadedEventLoopGroup) async throws -> Result {
        let config = configuration
        let connections = max(1, config.repeating ? config.connections : min(config.connections, requests.count))

        // Connect everything first; nothing is sent before all connections are up.
        var channels: [(any Channel, LoadConnectionHandler)] = []
        for index in 0..<connections {
            let work = LoadConnectionHandler.Work(
                requests: requests, first: index, stride: connections, repeating: config.repeating)
            let handler = LoadConnectionHandler(work: work)
            let channel = try await ClientBootstrap(group: group)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(handler)
                    }
                }
                .connect(host: config.host, port: config.port).get()
            channels.append((channel, handler))
        }

        let start = NIODeadline.now() + .milliseconds(20)
        let end = start + config.duration
        let interval: TimeAmount? = {
            if case .openLoop(let rate) = config.mode { return .nanoseconds(Int64(1e9 / rate)) }
            return nil
        }()
        let results = try await withThrowingTaskGroup(of: LoadConnectionHandler.Outcome.self) { tasks in
            for (index, (channel, handler)) in channels.enumerated() {
                tasks.addTask {
                    try await channel.eventLoop.flatSubmit {
                        handler.start(
                            channel: channel, at: start, end: end, index: index, connections: connections,
                            interval: interval)
                    }.get()
                }
            }
            var outcomes: [LoadConnectionHandler.Outcome] = []
            for try await outcome in tasks { outcomes.append(outcome) }
            return outcomes
        }
        for (channel, _) in channels { try? await channel.close() }

        var statuses: [Int: Int] = [:]
        var latencies: [Double] = []
        var errors = 0
        var firstError: String? = nil
        var last = start
        var perRequest = [Int](repeating: 0, count: requests.count)
        for outcome in results {
            for (index, count) in outcome.perRequest.enumerated() { perRequest[index] += count }
            for (status, count) in outcome.statuses { statuses[status, default: 0] += count }
            latencies.append(contentsOf: outcome.latenciesNs.lazy.map { Double($0) / 1e6 })
            errors += outcome.errors
            firstError = firstError ?? outcome.firstError
            last = max(last, outcome.finished)
        }
        latencies.sort()
        let seconds = Double((last - start).nanoseconds) / 1e9
        return Result(
            completed: latencies.count, errors: errors, statuses: statuses, seconds: seconds, latenciesMs: latencies,
            perRequest: perRequest, firstError: firstError)
    }
}

/// One connection's share of the run. Confined to its channel's event loop.
private final class LoadConnectionHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Work {
        let requests: [HTTPLoadGenerator.Request]
        let first: Int
        let stride: Int
        let repeating: Bool
    }

    struct Outcome: Sendable {
        var latenciesNs: [Int64] = []
        var statuses: [Int: Int] = [:]
        var perRequest: [Int] = []
        var errors = 0
        var finished = NIODeadline.now()
        var firstError: String?
    }

    let work: Work
    private var context: ChannelHandlerContext?
    private var outcome = Outcome()
    private var promise: EventLoopPromise<Outcome>?
    private var eventLoop: (any EventLoop)?
    private var end = NIODeadline.now()
    private var interval: TimeAmount?
    /// The next request number (global index) this connection will make due or send.
    private var nextIndex = 0
    /// Open loop: the due time of request `nextIndex`.
    private var nextDue = NIODeadline.now()
    /// Due times of requests made due but not yet sent (open loop).
    private var backlog: [NIODeadline] = []
    private var backlogHead = 0
    private var inFlightSince: NIODeadline?
    private var currentStatus = 0
    /// The list index of the request in flight.
    private var currentRequest = 0
    private var done = false
    /// Received bytes not parsed yet.
    private var received = ByteBuffer()
    /// Body bytes of the current response still to skip; -1 while reading a head.
    private var bodyRemaining = -1

    init(work: Work) {
        self.work = work
        self.nextIndex = work.first
        self.outcome.perRequest = [Int](repeating: 0, count: work.requests.count)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil }

    private func send(_ index: Int) {
        guard let context else { return }
        currentRequest = index % work.requests.count
        context.writeAndFlush(wrapOutboundOut(work.requests[currentRequest].bytes), promise: nil)
    }

    /// Begins sending at `start`; the future completes when this connection has finished.
    func start(
        channel: any Channel, at start: NIODeadline, end: NIODeadline, index: Int, connections: Int,
        interval: TimeAmount?
    ) -> EventLoopFuture<Outcome> {
        let promise = channel.eventLoop.makePromise(of: Outcome.self)
        self.promise = promise
        self.eventLoop = channel.eventLoop
        self.end = end
        self.interval = interval
        if let interval {
            nextDue = start + .nanoseconds(interval.nanoseconds * Int64(work.first))
            scheduleNextDue()
        } else {
            channel.eventLoop.scheduleTask(deadline: start) { self.sendNextClosedLoop() }
        }
        // The run's time limit, whatever the mode.
        channel.eventLoop.scheduleTask(deadline: end + .seconds(30)) { self.finish() }
        return promise.futureResult
    }

    private func hasRequest(_ index: Int) -> Bool {
        work.repeating || index < work.requests.count
    }

    // MARK: closed loop

    private func sendNextClosedLoop() {
        let now = NIODeadline.now()
        guard !done, hasRequest(nextIndex), now < end else { return finish() }
        let index = nextIndex
        nextIndex += work.stride
        inFlightSince = now
        send(index)
    }

    // MARK: open loop

    private func scheduleNextDue() {
        guard !done, let interval, let eventLoop else { return }
        guard hasRequest(nextIndex), nextDue < end else {
            if inFlightSince == nil && backlogHead == backlog.count { finish() }
            return
        }
        eventLoop.scheduleTask(deadline: nextDue) {
            guard !self.done else { return }
            self.backlog.append(self.nextDue)
            self.nextIndex += self.work.stride
            self.nextDue = self.nextDue + .nanoseconds(interval.nanoseconds * Int64(self.work.stride))
            if self.inFlightSince == nil { self.sendFromBacklog() }
            self.scheduleNextDue()
        }
    }

    private var sentInBacklog = 0

    private func sendFromBacklog() {
        guard backlogHead < backlog.count else { return }
        let due = backlog[backlogHead]
        let index = work.first + (sentInBacklog * work.stride)
        sentInBacklog += 1
        backlogHead += 1
        if backlogHead > 1024 && backlogHead * 2 > backlog.count {
            backlog.removeFirst(backlogHead)
            backlogHead = 0
        }
        inFlightSince = due
        send(index)
    }

    // MARK: responses

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        received.writeBuffer(&incoming)
        while true {
            if bodyRemaining < 0 {
                guard let head = Self.parseHead(received) else { break }
                guard let length = head.contentLength else {
                    outcome.firstError = outcome.firstError ?? "a response without Content-Length (chunked?)"
                    if inFlightSince != nil { outcome.errors += 1 }
                    inFlightSince = nil
                    finish()
                    context.close(promise: nil)
                    return
                }
                received.moveReaderIndex(forwardBy: head.length)
                currentStatus = head.status
                bodyRemaining = head.status == 304 || head.status == 204 ? 0 : length
            }
            let skip = min(bodyRemaining, received.readableBytes)
            received.moveReaderIndex(forwardBy: skip)
            bodyRemaining -= skip
            if bodyRemaining > 0 { break }
            bodyRemaining = -1
            responseEnded()
            if received.readableBytes == 0 { break }
        }
        received.discardReadBytes()
    }

    private static let contentLengthName: [UInt8] = Array("content-length:".utf8)

    /// The status, `Content-Length` (nil if absent and a body may follow) and length of the
    /// response head at the start of `buffer`, once all of it arrived.
    private static func parseHead(_ buffer: ByteBuffer) -> (status: Int, contentLength: Int?, length: Int)? {
        buffer.withUnsafeReadableBytes { bytes -> (Int, Int?, Int)? in
            let count = bytes.count
            guard count >= 16 else { return nil }
            var end = -1
            var i = 12
            while i + 3 < count {
                if bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 { end = i + 4; break }
                i += 1
            }
            guard end > 0 else { return nil }
            // "HTTP/1.1 200 …"
            let status = Int(bytes[9] &- 48) * 100 + Int(bytes[10] &- 48) * 10 + Int(bytes[11] &- 48)
            var contentLength: Int? = (status == 304 || status == 204) ? 0 : nil
            // Header lines: look for content-length (any case).
            let name = contentLengthName
            var line = 0
            while line < end && bytes[line] != 10 { line += 1 }  // the status line
            line += 1
            while line + 1 < end, bytes[line] != 13 {
                if line + name.count <= end {
                    var matches = true
                    for offset in 0..<name.count where (bytes[line + offset] | 0x20) != name[offset] {
                        matches = false
                        break
                    }
                    if matches {
                        var value = 0
                        var j = line + name.count
                        while j < end && bytes[j] == 32 { j += 1 }
                        while j < end && bytes[j] >= 48 && bytes[j] <= 57 { value = value * 10 + Int(bytes[j] - 48); j += 1 }
                        contentLength = value
                    }
                }
                while line < end && bytes[line] != 10 { line += 1 }
                line += 1
            }
            return (status, contentLength, end)
        }
    }

    /// A whole response arrived.
    private func responseEnded() {
        let now = NIODeadline.now()
        if let since = inFlightSince {
            outcome.latenciesNs.append((now - since).nanoseconds)
            outcome.statuses[currentStatus, default: 0] += 1
            outcome.perRequest[currentRequest] += 1
            if !(200..<400).contains(currentStatus) { outcome.errors += 1 }
            outcome.finished = now
        }
        inFlightSince = nil
        if done { return }
        if interval == nil {
            sendNextClosedLoop()
        } else if backlogHead < backlog.count {
            sendFromBacklog()
        } else if !hasRequest(nextIndex) || nextDue >= end {
            finish()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        outcome.firstError = outcome.firstError ?? String(describing: error)
        if inFlightSince != nil { outcome.errors += 1 }
        inFlightSince = nil
        finish()
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if inFlightSince != nil {
            outcome.errors += 1
            outcome.firstError = outcome.firstError ?? "the server closed the connection"
        }
        inFlightSince = nil
        finish()
    }

    private func finish() {
        guard !done else { return }
        done = true
        // Requests made due but never answered count as errors.
        outcome.errors += backlog.count - backlogHead
        promise?.succeed(outcome)
    }
}
