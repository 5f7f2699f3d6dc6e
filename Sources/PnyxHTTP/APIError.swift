public import Hummingbird
import Foundation

/// The one error every Pnyx HTTP API returns, serialized as the stable JSON body
/// `{"error":{"code":"…","reason":"…"}}` (plus `"details"` when there are several problems,
/// e.g. the bad rows of an import).
///
/// Codes are stable and dotted (`issuance.already_issued`, `auth.locked_out`); reasons are for
/// people and may change. Two errors are equal when their codes and statuses are equal.
public struct APIError: Error, HTTPResponseError, Sendable, CustomStringConvertible {
    /// One itemised problem (a bad CSV row, a bad field).
    public struct Detail: Codable, Sendable, Hashable {
        /// Where: e.g. `"residents.csv"`.
        public var source: String?
        /// 1-based line number, when the problem is in a text file.
        public var line: Int?
        /// What is wrong and how to fix it.
        public var reason: String

        public init(source: String? = nil, line: Int? = nil, reason: String) {
            self.source = source
            self.line = line
            self.reason = reason
        }
    }

    /// The HTTP status.
    public var status: HTTPResponse.Status
    /// The stable code.
    public var code: String
    /// Human explanation, ideally ending with how to fix it.
    public var reason: String
    /// Itemised problems, if any.
    public var details: [Detail]
    /// Extra response headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, code: String, reason: String, details: [Detail] = [],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.reason = reason
        self.details = details
        self.headers = headers
    }

    public var description: String { "\(code) (\(status.code)): \(reason)" }

    /// The JSON body.
    public struct Body: Codable, Sendable, Equatable {
        public struct Inner: Codable, Sendable, Equatable {
            public var code: String
            public var reason: String
            public var details: [Detail]?
        }
        public var error: Inner
    }

    /// The body as bytes.
    public var bodyBytes: [UInt8] {
        let body = Body(error: .init(code: code, reason: reason, details: details.isEmpty ? nil : details))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(body))) ?? Array(#"{"error":{"code":"internal","reason":"unencodable error"}}"#.utf8)
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(status: status, headers: responseHeaders, body: .init(byteBuffer: ByteBuffer(bytes: bodyBytes)))
    }

    /// The response's headers before `Content-Length`: ``headers``, then the JSON content
    /// type and `Cache-Control: no-store` (what ``response(from:context:)`` sends).
    public var responseHeaders: HTTPFields {
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.cacheControl] = "no-store"
        return fields
    }
}

extension APIError {
    /// 400 `request.malformed`.
    public static func malformed(_ reason: String) -> APIError {
        APIError(.badRequest, code: "request.malformed", reason: reason)
    }

    /// 413 `request.too_large`.
    public static func tooLarge(limit: Int) -> APIError {
        APIError(.contentTooLarge, code: "request.too_large", reason: "the request body exceeds \(limit) bytes")
    }

    /// 500 `internal`, without the underlying details (they are logged, never sent).
    public static let `internal` = APIError(
        .internalServerError, code: "internal", reason: "an internal error occurred; it was logged")
}
