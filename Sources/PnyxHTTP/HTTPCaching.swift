public import Hummingbird
import Foundation
import PnyxCrypto

/// Cache-Control values Pnyx uses.
public enum CachePolicy: Sendable, Hashable {
    /// Never stored: personal or authenticated data (`no-store`).
    case noStore
    /// Revalidated on each use (`no-cache`): data that changes, served with an ETag.
    case revalidate
    /// Fresh for `seconds`, public (`public, max-age=N`).
    case maxAge(seconds: Int)
    /// Never changes (`public, max-age=31536000, immutable`): signed directories, tiles.
    case immutable

    /// The header value.
    public var headerValue: String {
        switch self {
        case .noStore: "no-store"
        case .revalidate: "no-cache"
        case .maxAge(let seconds): "public, max-age=\(seconds)"
        case .immutable: "public, max-age=31536000, immutable"
        }
    }
}

/// Strong ETags over a representation's bytes: `"<hex SHA-256 prefix>"`.
public enum ETag {
    /// The strong ETag of `bytes` (quoted, 32 hex digits of SHA-256).
    public static func strong(of bytes: [UInt8]) -> String {
        "\"" + Hex.encode(SHA256.hash(bytes).prefix(16)) + "\""
    }

    /// True if the request's `If-None-Match` lists `etag` (or `*`); weak comparison.
    public static func matches(_ request: Request, _ etag: String) -> Bool {
        guard let header = request.headers[.ifNoneMatch] else { return false }
        let wanted = etag.hasPrefix("W/") ? String(etag.dropFirst(2)) : etag
        for part in header.split(separator: ",") {
            let candidate = part.trimmingCharacters(in: .whitespaces)
            if candidate == "*" { return true }
            let bare = candidate.hasPrefix("W/") ? String(candidate.dropFirst(2)) : candidate
            if bare == wanted { return true }
        }
        return false
    }
}

extension JSONResponse {
    /// A cacheable response for `bytes`: sets `ETag` and `Cache-Control`, and answers
    /// `304 Not Modified` (no body) when the request's `If-None-Match` already has it.
    public static func cacheable(
        _ bytes: [UInt8], request: Request, policy: CachePolicy, contentType: String = "application/json; charset=utf-8"
    ) -> Response {
        let etag = ETag.strong(of: bytes)
        var headers: HTTPFields = [:]
        headers[.eTag] = etag
        headers[.cacheControl] = policy.headerValue
        if ETag.matches(request, etag) {
            return Response(status: .notModified, headers: headers)
        }
        return bytesResponse(bytes, headers: headers, contentType: contentType)
    }

    /// ``cacheable(_:request:policy:contentType:)`` for an encodable value.
    public static func cacheable(_ value: some Encodable, request: Request, policy: CachePolicy) throws -> Response {
        // Typed as [UInt8] so the byte overload is chosen (an untyped `Array(…)` resolved to
        // this generic overload again: infinite recursion).
        let bytes: [UInt8] = Array(try encoder().encode(value))
        return cacheable(bytes, request: request, policy: policy, contentType: "application/json; charset=utf-8")
    }
}
