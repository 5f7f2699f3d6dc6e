public import Hummingbird

/// A response body prepared once and served many times: its bytes (a shared, read-only
/// `ByteBuffer`), its strong ETag and its content type, all computed when it is made, so
/// serving it costs no encoding and no hashing, and `If-None-Match` is answered with `304`
/// before any body is attached.
public struct CachedRepresentation: Sendable {
    /// The body.
    public let body: ByteBuffer
    /// ``ETag/strong(of:)`` of the body.
    public let etag: String
    /// The `Content-Type` header value.
    public let contentType: String

    /// Prepares `bytes` (hashes them once for the ETag).
    public init(_ bytes: [UInt8], contentType: String = "application/json; charset=utf-8") {
        self.body = ByteBuffer(bytes: bytes)
        self.etag = ETag.strong(of: bytes)
        self.contentType = contentType
    }

    /// The body's bytes.
    public var bytes: [UInt8] { Array(body.readableBytesView) }

    /// The answer to `request`: `304 Not Modified` (no body) when its `If-None-Match` lists
    /// ``etag``, else `200` with the body; both with `ETag` and `Cache-Control: policy`.
    public func response(to request: Request, policy: CachePolicy) -> Response {
        var headers: HTTPFields = [:]
        headers.reserveCapacity(4)
        headers[.eTag] = etag
        headers[.cacheControl] = policy.headerValue
        if request.headers[.ifNoneMatch] != nil, ETag.matches(request, etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
