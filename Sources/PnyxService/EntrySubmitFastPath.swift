import Hummingbird
import NIOCore
import PnyxCore
import PnyxHTTP

/// Answers the citizens' `POST /v1/polls/{poll}/entries` (exactly that path, `{poll}` 32 hex
/// digits, no query string, no `Connection: close`) on the connection's event loop, before
/// Hummingbird's router: a ``PnyxHTTP/FastRouteHandler`` with ``EntrySubmitResponder``. The
/// body is collected up to the service's body limit (beyond: the router's 413
/// `request.too_large`, at once, and the rest of the body is dropped), then submitted in a
/// task and the answer — the router's status, headers and bytes — written back on the event
/// loop. The official's route and everything else go to the router unchanged. Order,
/// pipelining, closed connections and graceful shutdown are as ``PnyxHTTP/FastRouteHandler``
/// describes.
///
/// It must come after ``CrowdFastPath`` in the pipeline: its answers then pass through the
/// crowd handler, which counts them as answers to the requests it forwarded.
typealias EntrySubmitFastPath = FastRouteHandler<EntrySubmitResponder>

extension EntrySubmitResponder {
    /// The poll of `POST /v1/polls/{32 hex}/entries` without `Connection: close`; nil for
    /// any other request (the router answers it).
    static func entryPoll(_ request: HTTPRequest) -> PollID? {
        guard let hex = FastRouteAnswers.hexSegment(of: request, method: .post, prefix: "/v1/polls/", suffix: "/entries")
        else { return nil }
        return try? PollID(hex: String(hex))
    }
}
