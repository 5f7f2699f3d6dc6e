import Foundation
import Hummingbird
import NIOCore
import PnyxCore
import PnyxCrypto
import PnyxHTTP

/// What the broker's ``PnyxHTTP/FastRouteHandler`` does with a resident's
/// `POST /v1/polls/{poll}/credential` (exactly that path, `{poll}` 32 hex digits, no query
/// string, no `Origin` header — CORS requests keep the router's CORS middleware — and no
/// `Connection: close`): the route's handler (`BrokerRoutes+Issuance.swift`) and the router's
/// middleware, without the router, on the connection's event loop then in a task. In the
/// route's order: the body (at most ``BrokerConfiguration/maximumBodyBytes``, else 413
/// `request.too_large`) is read with ``CredentialJSON`` or the strict JSON decoder, the blinded
/// message decoded from base64; any of these refusals is preceded by the session check (a bad
/// session is refused as unauthenticated first); then ``IssuanceStore/issue(sessionToken:pollID:blindedMessage:)``.
/// Answers carry the router's bytes and headers: 200 with `Cache-Control: no-store` and the
/// JSON content type, or the error middleware's `{"error":{"code","reason"}}`
/// (``PnyxHTTP/APIError/from(_:mappers:)`` with `brokerErrorMapper`, 5xx logged), then
/// `Content-Length`, `Date` and `Server`.
///
/// Counted as the router's metrics middleware counts the route,
/// `pnyx_http_requests_total{route="/v1/polls/{poll}/credential",method="POST",status}` and its
/// duration histogram and in-flight gauge; `pnyx_http_fast_credentials_total` counts the
/// answers given here.
final class CredentialResponder: FastRouteResponder {
    /// The route pattern the router's metrics name this route by.
    static let routePattern = "/v1/polls/{poll}/credential"

    /// What is kept of a matched request head.
    struct Route: Sendable {
        var pollID: PollID
        var sessionToken: String?
    }

    let broker: Broker
    let bodyLimit: Int
    private let answers: FastRouteAnswers

    init(broker: Broker, serverName: String?) {
        self.broker = broker
        bodyLimit = broker.configuration.maximumBodyBytes
        answers = FastRouteAnswers(
            registry: broker.metrics.registry, route: Self.routePattern, method: .post, serverName: serverName,
            fastCounter: ("pnyx_http_fast_credentials_total",
                          "Credential requests answered before the router (also counted in pnyx_http_requests_total)."))
    }

    func route(for request: HTTPRequest) -> Route? {
        guard !request.headerFields.contains(.origin),
              let hex = FastRouteAnswers.hexSegment(of: request, method: .post, prefix: "/v1/polls/", suffix: "/credential"),
              let id = try? PollID(hex: String(hex))
        else { return nil }
        return Route(pollID: id, sessionToken: Request.bearerToken(in: request.headerFields))
    }

    func answer(_ body: ByteBuffer, for route: Route, since start: ContinuousClock.Instant) async -> FastAnswer {
        let answer = await answers.inFlight { () async -> FastAnswer in
            do {
                let blinded: [UInt8]
                do {
                    let text = try CredentialJSON.blindedMessage(in: body)
                        ?? Request.decodeJSON(BrokerRoutes.CredentialRequestBody.self, from: Data(body.readableBytesView)).blindedMessage
                    guard let bytes = try? Base64.decode(text) else {
                        throw APIError.malformed("blindedMessage must be standard base64")
                    }
                    blinded = bytes
                } catch {
                    _ = try await broker.enrolment.session(token: route.sessionToken)
                    throw error
                }
                let issued = try await broker.issuance.issue(
                    sessionToken: route.sessionToken, pollID: route.pollID, blindedMessage: blinded)
                return answers.make(.ok, Self.headers, CredentialJSON.response(
                    pollID: issued.pollID, attributeClass: issued.attributeClass, keyID: issued.keyID,
                    blindSignature: Base64.encode(issued.blindSignature), retry: issued.isRetry))
            } catch {
                return errorAnswer(error, route: route)
            }
        }
        answers.record(answer.head.status, since: start)
        return answer
    }

    /// The route's answer to a body beyond the limit: the session check, then 413.
    func tooLarge(for route: Route, since start: ContinuousClock.Instant) async -> FastAnswer {
        let answer = await answers.inFlight { () async -> FastAnswer in
            do {
                _ = try await broker.enrolment.session(token: route.sessionToken)
                return errorAnswer(APIError.tooLarge(limit: bodyLimit), route: route)
            } catch {
                return errorAnswer(error, route: route)
            }
        }
        answers.record(answer.head.status, since: start)
        return answer
    }

    /// The success headers, as `JSONResponse.bytesResponse` builds them.
    private static let headers: HTTPFields = [.cacheControl: "no-store", .contentType: "application/json; charset=utf-8"]

    /// The error middleware's answer to `error` (5xx logged with the error, never sent).
    private func errorAnswer(_ error: any Error, route: Route) -> FastAnswer {
        let api = APIError.from(error, mappers: [brokerErrorMapper])
        if api.status.code >= 500 {
            broker.logger.error("request failed", metadata: [
                "path": "/v1/polls/\(route.pollID.hex)/credential", "code": "\(api.code)", "error": "\(String(reflecting: error))",
            ])
        }
        return answers.make(api.status, api.responseHeaders, api.bodyBytes)
    }
}
