public import Hummingbird
public import NIOCore

/// The answer a ``FastRouteHandler`` writes: a response head and its body.
public struct FastAnswer: Sendable {
    public var head: HTTPResponse
    public var body: ByteBuffer

    public init(head: HTTPResponse, body: ByteBuffer) {
        self.head = head
        self.body = body
    }
}

/// What a ``FastRouteHandler`` does with the requests of its route, shared by every connection
/// of a server: it must answer exactly as the router (and its middleware) would, byte for byte.
public protocol FastRouteResponder: Sendable {
    /// What the handler keeps of a matched request head (e.g. the path's poll, a bearer token).
    associatedtype Route: Sendable
    /// The most body bytes collected; beyond, ``tooLargeAtOnce(for:since:)`` or
    /// ``tooLarge(for:since:)`` answers.
    var bodyLimit: Int { get }
    /// The route of `request` when this responder answers it; nil leaves it to the router.
    func route(for request: HTTPRequest) -> Route?
    /// The answer to a complete request body.
    func answer(_ body: ByteBuffer, for route: Route, since start: ContinuousClock.Instant) async -> FastAnswer
    /// The answer to a body beyond ``bodyLimit`` when it is known at once (written at once,
    /// before the rest of the body is read); nil asks ``tooLarge(for:since:)``.
    func tooLargeAtOnce(for route: Route, since start: ContinuousClock.Instant) -> FastAnswer?
    /// The answer to a body beyond ``bodyLimit`` that needs asynchronous work (e.g. the
    /// session check a route makes before refusing the body).
    func tooLarge(for route: Route, since start: ContinuousClock.Instant) async -> FastAnswer
}

extension FastRouteResponder {
    /// The default: no immediate answer.
    public func tooLargeAtOnce(for route: Route, since start: ContinuousClock.Instant) -> FastAnswer? { nil }
}
