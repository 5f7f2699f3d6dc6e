import Foundation
import Hummingbird
import Logging
import NIOCore
import PnyxCore
import PnyxHTTP

/// What ``EntrySubmitFastPath`` does with a collected `POST /v1/polls/{poll}/entries`, shared
/// by every connection of a server: the router's handler (`ServiceRoutes+Entries.swift`) and
/// its middleware, without the router. The body is decoded by `Request.decodeJSON(_:from:fast:)`
/// (the ``EntryBodyDecoder`` fast path, else the strict decoding), the entry submitted as a
/// citizen's, and the answer built with the router's bytes and headers: 201 with
/// ``ReceiptJSON`` and ``ReceiptJSON/headers``, or the error middleware's
/// `{"error":{"code","reason"}}` (``PnyxHTTP/APIError/from(_:mappers:)`` with the service's
/// mappers, 5xx logged), then `Content-Length`, `Date` and `Server` as Hummingbird adds them.
///
/// Counted as the router's metrics middleware counts that route
/// (``PnyxHTTP/FastRouteAnswers``): `pnyx_http_requests_total{route="/v1/polls/{poll}/entries",method="POST",status}`,
/// `pnyx_http_request_duration_seconds` and `pnyx_http_requests_in_flight`, so dashboards see
/// the same series whichever path answered; `pnyx_http_fast_entries_total` counts the answers
/// given here.
final class EntrySubmitResponder: FastRouteResponder {
    /// The route pattern the router's metrics name this route by.
    static let route = "/v1/polls/{poll}/entries"

    let service: PetitionService
    /// The service's body limit (``ServiceConfiguration/bodyLimit``).
    let bodyLimit: Int
    private let answers: FastRouteAnswers

    init(service: PetitionService, serverName: String?) {
        self.service = service
        self.bodyLimit = service.configuration.bodyLimit
        answers = FastRouteAnswers(
            registry: service.metrics, route: Self.route, method: .post, serverName: serverName,
            fastCounter: ("pnyx_http_fast_entries_total",
                          "Citizens' entries answered before the router (also counted in pnyx_http_requests_total)."))
    }

    func route(for request: HTTPRequest) -> PollID? { Self.entryPoll(request) }

    /// The answer to a complete request body for poll `id` (submitted as a citizen's entry).
    func answer(_ body: ByteBuffer, for id: PollID, since start: ContinuousClock.Instant) async -> FastAnswer {
        let answer = await answers.inFlight { () async -> FastAnswer in
            do {
                let entry = try Request.decodeJSON(Entry.self, from: body, fast: EntryBodyDecoder.decode)
                let receipt = try await service.submit(entry, to: id, by: .citizen)
                return answers.make(.created, ReceiptJSON.headers, try ReceiptJSON.bytes(receipt))
            } catch {
                return errorAnswer(error, poll: id)
            }
        }
        answers.record(answer.head.status, since: start)
        return answer
    }

    /// The router's 413 for a body beyond ``bodyLimit`` (`request.too_large`), written at once.
    func tooLargeAtOnce(for id: PollID, since start: ContinuousClock.Instant) -> FastAnswer? {
        let answer = errorAnswer(APIError.tooLarge(limit: bodyLimit), poll: nil)
        answers.record(answer.head.status, since: start)
        return answer
    }

    func tooLarge(for id: PollID, since start: ContinuousClock.Instant) async -> FastAnswer {
        tooLargeAtOnce(for: id, since: start)!
    }

    /// The error middleware's answer to `error` (5xx logged with the error, never sent).
    private func errorAnswer(_ error: any Error, poll id: PollID?) -> FastAnswer {
        let api = APIError.from(error, mappers: [serviceErrorMapper])
        if api.status.code >= 500 {
            service.logger.error("request failed", metadata: [
                "path": "/v1/polls/\(id?.hex ?? "")/entries", "code": "\(api.code)", "error": "\(String(reflecting: error))",
            ])
        }
        return answers.make(api.status, api.responseHeaders, api.bodyBytes)
    }
}
