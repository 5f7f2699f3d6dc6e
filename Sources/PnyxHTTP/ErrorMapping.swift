public import Hummingbird
public import PnyxCore
public import PnyxCrypto

/// A type whose errors map to an ``APIError`` (status + stable code).
public protocol APIErrorConvertible: Error {
    /// The error as it is sent over HTTP.
    var apiError: APIError { get }
}

/// Maps an error that is not ``APIErrorConvertible`` (e.g. a module's error type this module
/// cannot import, such as `PostgresError`); returns nil when it does not know the error.
public typealias APIErrorMapper = @Sendable (any Error) -> APIError?

extension CoreError: APIErrorConvertible {
    /// Every domain error is a client error: 400, or 422 for a well-formed but refused
    /// record (bad signature, invalid poll or directory).
    public var apiError: APIError {
        let status: HTTPResponse.Status = code.rawValue.hasPrefix("encoding.") ? .badRequest : .unprocessableContent
        return APIError(status, code: code.rawValue, reason: reason)
    }
}

extension CryptoError: APIErrorConvertible {
    /// Bad inputs and keys are 400; library and signing failures are 500.
    public var apiError: APIError {
        switch code {
        case .libraryFailure, .signingFailure:
            return APIError(.internalServerError, code: code.rawValue, reason: "a cryptographic operation failed")
        default:
            return APIError(.badRequest, code: code.rawValue, reason: reason)
        }
    }
}

extension APIError: APIErrorConvertible {
    public var apiError: APIError { self }
}

extension APIError {
    /// The API form of any error: ``APIErrorConvertible`` errors, then `mappers` in order,
    /// Hummingbird's own `HTTPError` (status kept, code `http.<status>`), else 500 `internal`.
    public static func from(_ error: any Error, mappers: [APIErrorMapper] = []) -> APIError {
        if let convertible = error as? any APIErrorConvertible { return convertible.apiError }
        for mapper in mappers {
            if let mapped = mapper(error) { return mapped }
        }
        if let http = error as? HTTPError {
            if http.status == .contentTooLarge {
                return APIError(.contentTooLarge, code: "request.too_large", reason: http.body ?? "request body too large")
            }
            return APIError(http.status, code: "http.\(http.status.code)", reason: http.body ?? http.status.reasonPhrase)
        }
        return .internal
    }
}

/// Turns every error thrown below it into the stable JSON error body; server errors (5xx)
/// are logged with the underlying error, which is never sent to the client.
public struct APIErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let mappers: [APIErrorMapper]

    /// - Parameter mappers: extra mappings for error types this module does not know.
    public init(mappers: [APIErrorMapper] = []) { self.mappers = mappers }

    public func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let api = APIError.from(error, mappers: mappers)
            if api.status.code >= 500 {
                context.logger.error("request failed", metadata: [
                    "path": "\(request.uri.path)", "code": "\(api.code)", "error": "\(String(reflecting: error))",
                ])
            }
            return try api.response(from: request, context: context)
        }
    }
}
