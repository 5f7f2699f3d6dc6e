import Foundation
public import Hummingbird
import HummingbirdCore
// `TestResponse` has no public initializer; the live client builds one from its response.
@testable public import HummingbirdTesting
import Logging
public import NIOCore
import ServiceLifecycle

/// An HTTP/1.1 client of a live server on loopback (one keep-alive connection, requests one
/// at a time), as HummingbirdTesting's `.live` client, with a per-request time limit of the
/// caller's choosing: the `.live` client's is fixed at 20 s, which the full test run (every
/// suite at once on two cores, each publishing polls with fresh RSA keys) has exceeded. A
/// request slower than ``slowRequest`` is reported on standard error with its method, path
/// and time, so a slow run shows where the time went.
public struct LiveClient: TestClientProtocol {
    /// The per-request time limit used by ``ApplicationProtocol/testLive(timeout:_:)``.
    public static let defaultTimeout: Duration = .seconds(180)
    /// Requests slower than this are reported on standard error.
    public static let slowRequest: Duration = .seconds(5)

    /// No answer came within the time limit.
    public struct Timeout: Error, CustomStringConvertible {
        public let method: HTTPRequest.Method
        public let uri: String
        public let limit: Duration
        public var description: String { "no answer to \(method) \(uri) within \(limit)" }
    }

    let client: TestClient
    let limit: Duration
    public let port: Int?

    public func executeRequest(
        uri: String, method: HTTPRequest.Method, headers: HTTPFields = [:], body: ByteBuffer? = nil
    ) async throws -> TestResponse {
        var headers = headers
        headers[.connection] = "keep-alive"
        let request = TestClient.Request(uri, method: method, authority: "127.0.0.1", headers: headers, body: body)
        let started = ContinuousClock.now
        let response: TestClient.Response
        do {
            response = try await client.execute(request)
        } catch TestClient.Error.readTimeout {
            throw Timeout(method: method, uri: uri, limit: limit)
        }
        let elapsed = ContinuousClock.now - started
        if elapsed > Self.slowRequest {
            FileHandle.standardError.write(Data("LiveClient: slow answer to \(method) \(uri): \(elapsed)\n".utf8))
        }
        return TestResponse(head: response.head, body: response.body ?? ByteBuffer(), trailerHeaders: response.trailerHeaders)
    }
}

extension ApplicationProtocol {
    /// Runs the application on an ephemeral loopback port (127.0.0.1) and `body` with a
    /// ``LiveClient`` of it; the application is shut down gracefully when `body` returns or
    /// throws. As `test(.live)`, with `timeout` as the per-request limit.
    public func testLive<Value: Sendable>(
        timeout: Duration = LiveClient.defaultTimeout, _ body: @Sendable (LiveClient) async throws -> Value
    ) async throws -> Value {
        let application = LiveApplication(base: self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let serviceGroup = ServiceGroup(configuration: .init(services: [application], logger: application.logger))
            group.addTask {
                // A server that could not start (or stopped) fails the port promise (a second
                // completion is ignored), so nobody waits for a port that will never come.
                do {
                    try await serviceGroup.run()
                    application.port.fail(ChannelError.ioOnClosedChannel)
                } catch {
                    application.port.fail(error)
                    throw error
                }
            }
            let port = try await application.port.futureResult.get()
            let client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: timeout))
            client.connect()
            let result: Result<Value, any Error>
            do {
                result = .success(try await body(LiveClient(client: client, limit: timeout, port: port)))
            } catch {
                result = .failure(error)
            }
            try? await client.shutdown()
            await serviceGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            return try result.get()
        }
    }
}

/// `base` bound to 127.0.0.1 on an ephemeral port, which it reports once listening.
struct LiveApplication<Base: ApplicationProtocol>: ApplicationProtocol {
    typealias Responder = Base.Responder
    typealias Context = Base.Context

    let base: Base
    let port: EventLoopPromise<Int>

    init(base: Base) {
        self.base = base
        self.port = base.eventLoopGroup.any().makePromise(of: Int.self)
    }

    var responder: Responder { get async throws { try await base.responder } }
    var server: HTTPServerBuilder { base.server }
    var eventLoopGroup: any EventLoopGroup { base.eventLoopGroup }
    var configuration: ApplicationConfiguration { base.configuration.with(address: .hostname("127.0.0.1", port: 0)) }
    var logger: Logger { base.logger }
    var services: [any Service] { base.services }
    var processesRunBeforeServerStart: [@Sendable () async throws -> Void] { base.processesRunBeforeServerStart }

    @Sendable func onServerRunning(_ channel: any Channel) async {
        await base.onServerRunning(channel)
        if let port = channel.localAddress?.port {
            self.port.succeed(port)
        } else {
            self.port.fail(ChannelError.unknownLocalAddress)
        }
    }
}
